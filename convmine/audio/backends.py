"""Speech recognisers behind one small interface, chosen by name: ``create_recognizer("whisper")``.

A recogniser turns a batch of speech clips (16 kHz mono float32, one per VAD segment) into one
text per clip. New engines plug in with :func:`register_recognizer`.

* ``whisper`` — faster-whisper (CTranslate2). Default model: Whisper base from the two wheels
  (:func:`convmine.audio.models.whisper_base_dir`); any local CTranslate2 Whisper directory works.
  Whisper reads 30 s windows whatever the input length, so short clips are packed into windows
  (0.6 s of silence between them) and each word goes back to the clip it was said in, by its
  aligned end time: one encoder, decoding and alignment pass per 28 s of speech instead of one per
  clip. Whisper base sometimes passes over a turn inside a window; clips left (almost) without
  words are packed into fresh windows and recognised once more.
* ``funasr`` — FunASR ``AutoModel`` on a local model directory (Paraformer, SenseVoice …), with
  hotwords for models that take them and the punctuation model the user names. It needs the
  ``funasr`` extra: FunASR, torch (CPU build) and kaldi-native-fbank for its features.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from convmine.audio.textnorm import normalize_transcript
from convmine.audio.vocabulary import Vocabulary
from convmine.errors import ConvmineError, ModelError
from convmine.extras import require
from convmine.hardware import usable_cores

RATE = 16000
#: Mandarin is spoken at 3–6 characters a second; Whisper needs about one token a character.
TOKENS_PER_SECOND = 9
#: Tokens left for timestamp pairs (two per sentence Whisper writes) and the end of text.
TIMESTAMP_ROOM = 40
#: What Whisper writes over silence or music, learnt from subtitled videos; never said in a bank call.
HALLUCINATIONS = re.compile(
    r"作词|作曲|编曲|字幕由.*?提供|请不吝点赞.*|明镜与点点栏目|谢谢观看|感谢观看|请订阅.*"
)
#: Any 1–4 characters said five times or more in a row: a decoding loop.
LOOP = re.compile(r"(.{1,4}?)\1{4,}")
#: Fewer characters a second than this in a clip of speech: Whisper skipped it (people say 3-6).
MIN_CHARS_PER_SECOND = 1.0
#: Punctuation that faster-whisper attaches to the word before or after it.
PREPEND_PUNCTUATION = "\"'“¿([{-"
APPEND_PUNCTUATION = "\"'.。,，!！?？:：”)]}、"


@runtime_checkable
class Recognizer(Protocol):
    """Speech clips in, one normalised text per clip out."""

    name: str

    def transcribe(self, clips: Sequence[np.ndarray]) -> list[str]: ...


RecognizerFactory = Callable[..., Recognizer]
_FACTORIES: dict[str, RecognizerFactory] = {}


def register_recognizer(name: str) -> Callable[[RecognizerFactory], RecognizerFactory]:
    """Register a recogniser factory under ``name`` (a decorator)."""

    def decorate(factory: RecognizerFactory) -> RecognizerFactory:
        _FACTORIES[name] = factory
        return factory

    return decorate


def recognizer_names() -> list[str]:
    return sorted(_FACTORIES)


def create_recognizer(name: str, **options: Any) -> Recognizer:
    """The recogniser registered as ``name``, built with ``options`` (``model=``, ``vocabulary=`` …)."""
    if name not in _FACTORIES:
        raise ConvmineError(f"unknown ASR backend {name!r}; choose one of {', '.join(recognizer_names())}")
    return _FACTORIES[name](**options)


@register_recognizer("whisper")
class WhisperRecognizer:
    """faster-whisper with Whisper base (or a local CTranslate2 Whisper directory), Mandarin, CPU int8."""

    name = "whisper"
    window = 28.0
    gap = 0.6
    #: Clips this long (seconds) that got (almost) no words are recognised again, in fresh windows.
    retry = 1.0

    def __init__(
        self,
        model: str | Path | None = None,
        *,
        vocabulary: Vocabulary | None = None,
        threads: int = 0,
        beam_size: int = 1,
        compute_type: str = "int8",
    ):
        faster_whisper = require("faster_whisper", "asr", "the whisper backend")
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        from convmine.audio.models import whisper_base_dir

        folder = Path(model) if model is not None else whisper_base_dir()
        if not (folder / "model.bin").is_file():
            raise ModelError(
                f"{folder} is not a CTranslate2 Whisper directory (no model.bin); convert a model with "
                "ct2-transformers-converter or leave --model out to use Whisper base"
            )
        self.model = faster_whisper.WhisperModel(
            str(folder), device="cpu", compute_type=compute_type, cpu_threads=threads or usable_cores()
        )
        self.prompt = (vocabulary or Vocabulary.build()).prompt()
        self.beam_size = beam_size
        self.tokenizer = Tokenizer(
            self.model.hf_tokenizer, self.model.model.is_multilingual, task="transcribe", language="zh"
        )
        self.prompt_tokens = self.tokenizer.encode(" " + self.prompt)
        self.suppress_tokens = get_suppressed_tokens(self.tokenizer, [-1])

    def options(self) -> dict[str, Any]:
        """The decoding options, shared with the plain faster-whisper baseline of the benchmark."""
        return {
            "language": "zh",
            "beam_size": self.beam_size,
            "initial_prompt": self.prompt,
            "condition_on_previous_text": False,
            "vad_filter": False,
            "temperature": 0.0,
        }

    def transcribe(self, clips: Sequence[np.ndarray]) -> list[str]:
        texts = [""] * len(clips)
        todo = list(range(len(clips)))
        for _ in range(2):  # the second round: clips Whisper skipped inside a window, packed afresh
            for index, text in self._recognise_packed(clips, todo).items():
                texts[index] = max(texts[index], text, key=len)
            todo = [index for index in todo if self._skipped(clips[index], texts[index])]
        return [normalize_transcript(drop_hallucinations(text)) for text in texts]

    def _skipped(self, clip: np.ndarray, text: str) -> bool:
        """Whether Whisper passed over ``clip``: a clip of speech with (almost) no words in it."""
        seconds = len(clip) / RATE
        return seconds >= self.retry and len(text) < MIN_CHARS_PER_SECOND * seconds

    def _recognise_packed(self, clips: Sequence[np.ndarray], indices: list[int]) -> dict[int, str]:
        """The text of each clip in ``indices``, the clips packed into windows."""
        words: dict[int, list[str]] = {index: [] for index in indices}
        silence = np.zeros(int(self.gap * RATE), np.float32)
        for window in self._pack([(index, clips[index]) for index in indices]):
            pieces = [piece for _, _, clip in window for piece in (silence, clip)][1:]
            bounds = [(start, start + len(piece) / RATE) for _, start, piece in window]
            for word in self._decode(np.concatenate(pieces).astype(np.float32)):
                # a word's end is reliable; its start often snaps back to the previous word
                owner = self._owner(bounds, word["end"] - 0.05)
                if owner is not None:
                    words[window[owner][0]].append(word["word"])
        return {index: "".join(found) for index, found in words.items()}

    def _decode(self, audio: np.ndarray) -> list[dict]:
        """The words said in ``audio`` (at most 30 s) with their times: one encoder pass, one decoding
        pass, one alignment pass. (``WhisperModel.transcribe`` would also run the encoder and decoder
        again on the fraction of a second after the last word.) Decoding with timestamp tokens, as
        Whisper was trained to, passes over fewer clips than without them, so fewer are retried."""
        from faster_whisper.audio import pad_or_trim
        from faster_whisper.transcribe import merge_punctuations

        model, tokenizer = self.model, self.tokenizer
        frames = model.feature_extractor(audio)[:, :-1]
        encoded = model.encode(pad_or_trim(frames))
        prompt = model.get_prompt(tokenizer, self.prompt_tokens, without_timestamps=False)
        limit = int(len(audio) / RATE * TOKENS_PER_SECOND) + TIMESTAMP_ROOM
        result = model.model.generate(
            encoded,
            [prompt],
            beam_size=self.beam_size,
            max_length=len(prompt) + limit,
            suppress_blank=True,
            suppress_tokens=self.suppress_tokens,
        )[0]
        tokens = [token for token in result.sequences_ids[0] if token < tokenizer.eot]
        if not tokens:
            return []
        words = model.find_alignment(tokenizer, [tokens], encoded, frames.shape[-1])[0]
        merge_punctuations(words, PREPEND_PUNCTUATION, APPEND_PUNCTUATION)
        return [word for word in words if word["word"]]

    def _owner(self, bounds: list[tuple[float, float]], time: float) -> int | None:
        """The clip that ``time`` falls in (or the gap after it); ``None`` past the last clip (padding)."""
        if time > bounds[-1][1] + self.gap / 2:
            return None
        for index in range(len(bounds) - 1, -1, -1):
            if time >= bounds[index][0] - self.gap / 2:
                return index
        return 0

    def _pack(self, clips: Sequence[tuple[int, np.ndarray]]) -> list[list[tuple[int, float, np.ndarray]]]:
        """``(index, clip)`` pairs in order, grouped into windows of at most ``window`` seconds:
        ``(index, offset in the window, clip)``."""
        windows: list[list[tuple[int, float, np.ndarray]]] = []
        current: list[tuple[int, float, np.ndarray]] = []
        length = 0.0
        for index, clip in clips:
            seconds = len(clip) / RATE
            if current and length + self.gap + seconds > self.window:
                windows.append(current)
                current, length = [], 0.0
            if current:
                length += int(self.gap * RATE) / RATE
            current.append((index, length, clip))
            length += seconds
        if current:
            windows.append(current)
        return windows


@register_recognizer("funasr")
class FunasrRecognizer:
    """FunASR ``AutoModel`` on local model directories: ``model`` (Paraformer, SenseVoice …) and an
    optional ``punc_model`` (CT-Transformer). Nothing is fetched from a model hub."""

    name = "funasr"

    def __init__(
        self,
        model: str | Path | None = None,
        *,
        vocabulary: Vocabulary | None = None,
        punc_model: str | Path | None = None,
        threads: int = 0,
        batch_size: int = 8,
    ):
        if model is None or not Path(model).is_dir():
            raise ModelError(
                "the funasr backend needs a local model directory (a Paraformer or SenseVoice download); "
                "pass it as --model DIR (model= in Python)"
            )
        funasr = require("funasr", "funasr", "the funasr backend")
        options: dict[str, Any] = {
            "model": str(model),
            "disable_update": True,
            "disable_pbar": True,
            "log_level": "ERROR",
            "ncpu": threads or usable_cores(),
        }
        if punc_model is not None:
            options["punc_model"] = str(punc_model)
        with _root_logging_kept():  # AutoModel calls logging.basicConfig; the application owns logging
            self.model = funasr.AutoModel(**options)
        self.hotwords = (vocabulary or Vocabulary.build()).hotwords()
        self.batch_size = batch_size

    def transcribe(self, clips: Sequence[np.ndarray]) -> list[str]:
        if not clips:
            return []
        results = self.model.generate(
            input=[np.asarray(clip, np.float32) for clip in clips],
            batch_size=self.batch_size,
            hotword=self.hotwords,
            language="zh",
            disable_pbar=True,
        )
        return [normalize_transcript(_strip_tags(result.get("text", ""))) for result in results]


@contextmanager
def _root_logging_kept() -> Iterator[None]:
    """Undo any change a third-party library makes to the root logger's level and handlers."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        yield
    finally:
        root.setLevel(level)
        root.handlers[:] = handlers


def drop_hallucinations(text: str) -> str:
    """``text`` without Whisper's stock phrases and decoding loops."""
    return HALLUCINATIONS.sub("", LOOP.sub("", text))


def _strip_tags(text: str) -> str:
    """SenseVoice prefixes ``<|zh|><|NEUTRAL|>…`` tags; drop them and the spaces between characters."""
    while text.startswith("<|") and "|>" in text:
        text = text[text.index("|>") + 2 :]
    return text
