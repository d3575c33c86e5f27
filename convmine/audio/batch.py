"""Recordings in batches: the audio reader for :func:`convmine.ingest.read_calls`, manifests,
quarantine of bad recordings, and :func:`transcribe_paths` for the ``transcribe`` command.

``read_calls`` calls readers with a path only; what a batch needs beyond that (the backend, a
manifest, a quarantine folder) is set for a stretch of code with :func:`audio_settings`::

    manifest = load_manifest("calls.csv")
    with audio_settings(manifest=manifest, quarantine="bad/"):
        summary = tag_paths([], manifest=manifest, pipeline=..., store=...)

The recogniser is loaded once per settings and reused for every recording.
"""

from __future__ import annotations

import filecmp
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from convmine.audio.errors import BadAudioError
from convmine.audio.manifest import Manifest, load_manifest
from convmine.errors import InputError
from convmine.extras import require
from convmine.ingest.reading import scan_paths
from convmine.ingest.registry import CallRecord, register_reader
from convmine.schema import Call, Failure
from convmine.text.pii import id_refusal, mask

AUDIO_EXTENSIONS = (".wav", ".mp3", ".flac", ".m4a", ".aac", ".ogg", ".opus")
#: How to give a recording IDs of its own, for the refusal of an ID that is a personal number.
RECORDING_ID_HINT = "for a recording, set it in a --manifest row (path, call_id, customer_id, agent_id)"


@dataclass(slots=True)
class AudioSettings:
    """How recordings are transcribed: backend and its options, manifest, quarantine folder."""

    backend: str = "whisper"
    model: str | Path | None = None
    manifest: Manifest | None = None
    quarantine: Path | None = None
    options: dict[str, Any] = field(default_factory=dict)
    #: The customer of recordings the manifest names none for (``tag --customer-id``).
    customer_id: str | None = None
    #: Refuse, before transcribing, a recording with no customer ID (``tag`` stores only calls with one).
    require_customer: bool = False
    _transcriber: Any = None

    def transcriber(self) -> Any:
        """The :class:`~convmine.audio.transcriber.Transcriber`, loaded on first use."""
        if self._transcriber is None:
            for module in ("numpy", "av", "onnxruntime"):
                require(module, "asr", "transcribing recordings")
            from convmine.audio.transcriber import Transcriber

            self._transcriber = Transcriber(self.backend, model=self.model, **self.options)
        return self._transcriber

    def transcribe(self, path: Path, customer_id: str | None = None) -> Call:
        """The call in one recording, with what the manifest says about it; raises
        :class:`BadAudioError` (after quarantining the file, if a folder is set), or :class:`InputError`
        before transcribing when its manifest row is bad, or when the call's ID (by default the file's name), customer or agent ID would be
        a personal number, which could not be stored."""
        manifest = self.manifest
        row = manifest.get(path) if manifest else None
        if manifest and row and row.error is not None:
            raise InputError(f"line {row.line} of {manifest.source}: {row.error}", str(path))
        call_id = (row.call_id if row else None) or path.stem
        customer_id = (row.customer_id if row else None) or customer_id or self.customer_id
        if self.require_customer and not customer_id:
            raise InputError(
                "the recording has no customer ID: give it in the manifest's customer_id column or pass "
                "--customer-id (checked before transcribing, which would be wasted)",
                str(path),
            )
        agent_id = row.agent_id if row else None
        if reason := id_refusal(call_id=call_id, customer_id=customer_id, agent_id=agent_id):
            raise InputError(f"{reason}; {RECORDING_ID_HINT}", str(path))
        try:
            return self.transcriber().transcribe(
                path,
                call_id=call_id,
                customer_id=customer_id,
                agent_id=agent_id,
                started_at=row.started_at if row else None,
                agent_channel=row.agent_channel if row else None,
            )
        except BadAudioError as exc:
            if exc.kind == "bad-manifest" and manifest and row:
                # the manifest is wrong, not the recording: no quarantine; name the row to fix
                raise InputError(
                    f"agent_channel is set on line {row.line} of {manifest.source} but the recording is "
                    "mono; leave agent_channel empty for a mono recording",
                    str(path),
                ) from None
            if self.quarantine is not None:
                quarantine_file(path, exc.reason, self.quarantine)
            raise


#: The recognisers convmine registers itself (checked without importing them: that needs the asr extra).
BUILT_IN_BACKENDS = ("whisper", "funasr")
_SETTINGS: ContextVar[AudioSettings | None] = ContextVar("convmine_audio_settings", default=None)
_DEFAULT: list[AudioSettings] = []


def current_settings() -> AudioSettings:
    settings = _SETTINGS.get()
    if settings is None:
        if not _DEFAULT:
            _DEFAULT.append(AudioSettings())
        settings = _DEFAULT[0]
    return settings


@contextmanager
def audio_settings(
    *,
    backend: str = "whisper",
    model: str | Path | None = None,
    manifest: Manifest | str | Path | None = None,
    quarantine: str | Path | None = None,
    customer_id: str | None = None,
    require_customer: bool = False,
    **options: Any,
) -> Iterator[AudioSettings]:
    """Use these settings for every recording read inside the ``with`` block (``customer_id`` and
    ``require_customer``: see :class:`AudioSettings`). An unknown ``backend`` is refused here, once, rather
    than for every recording."""
    if backend not in BUILT_IN_BACKENDS:  # another must have been registered (see convmine.audio.backends)
        require("numpy", "asr", "speech recognition")
        from convmine.audio.backends import recognizer_names

        if backend not in recognizer_names():
            raise InputError(
                f"unknown ASR backend {backend!r}; choose one of {', '.join(recognizer_names())}"
            )
    if manifest is not None and not isinstance(manifest, Manifest):
        manifest = load_manifest(manifest)
    settings = AudioSettings(
        backend,
        model,
        manifest,
        Path(quarantine) if quarantine else None,
        options,
        customer_id,
        require_customer,
    )
    token = _SETTINGS.set(settings)
    try:
        yield settings
    finally:
        _SETTINGS.reset(token)


def quarantine_file(path: Path, reason: str, folder: Path) -> Path:
    """Copy a bad recording into ``folder`` with ``<name>.reason.txt`` beside it; returns the copy.
    The copy's name has personal numbers masked (``13912345678.wav`` → ``139****5678.wav``). A copy
    already there with the same bytes (the batch run again) is kept, not copied again; another file of
    the same name gets a ``-N`` suffix."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = mask(path.stem)
    target = folder / f"{stem}{path.suffix}"
    number = 1
    while target.exists() and not filecmp.cmp(path, target, shallow=False):
        target = folder / f"{stem}-{number}{path.suffix}"
        number += 1
    if not target.exists():
        shutil.copy2(path, target)
    target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
    return target


@register_reader(*AUDIO_EXTENSIONS)
def read_audio(path: Path) -> Iterator[CallRecord]:
    """The call in a recording, transcribed with the current :func:`audio_settings`."""
    yield CallRecord(current_settings().transcribe(path))


def transcribe_paths(
    paths: Iterable[str | Path] = (),
    *,
    manifest: Manifest | str | Path | None = None,
    backend: str = "whisper",
    model: str | Path | None = None,
    customer_id: str | None = None,
    quarantine: str | Path | None = None,
    **options: Any,
) -> Iterator[Call | Failure]:
    """Every recording in ``paths`` (files or folders) and in the manifest, as a call, or a
    :class:`Failure` naming what is wrong with it; the batch goes on past bad recordings.

    A manifest row whose recording is missing fails with the manifest's name, the row's line and the
    folder it looked in; the manifest itself, kept beside the recordings, is not an input."""
    with audio_settings(
        backend=backend, model=model, manifest=manifest, quarantine=quarantine, **options
    ) as settings:
        listing = settings.manifest  # the manifest, loaded
        found: list[Path | Failure] = []
        inputs: list[str | Path] = list(paths)
        skip: list[Path] = []
        if listing is not None:
            found.extend(listing.failures())
            inputs, skip = listing.inputs(inputs), [listing.source]  # the manifest itself is no input
        found.extend(scan_paths(inputs, skip=skip).found)
        for item in found:
            if isinstance(item, Failure):
                yield item
            elif not _is_audio(item):
                yield Failure(str(item), f"not a recording; audio files end in {', '.join(AUDIO_EXTENSIONS)}")
            else:
                try:
                    yield settings.transcribe(item, customer_id)
                except InputError as exc:
                    yield Failure(str(item), exc.reason, stage="transcribe")


def _is_audio(path: Path) -> bool:
    return path.suffix.lower() in AUDIO_EXTENSIONS
