"""Speech front end: call recordings → speaker-attributed, timestamped utterances (:class:`Call`).

>>> from convmine.audio import Transcriber
>>> call = Transcriber().transcribe("call.wav", customer_id="C-1")     # needs convmine[asr]

Importing this package registers the audio reader, so ``convmine.ingest.read_calls`` (and
``convmine tag``) accept ``.wav .mp3 .flac .m4a .aac .ogg .opus``. Heavy dependencies (PyAV,
onnxruntime, faster-whisper) are imported only when a recording is read.
"""

from convmine.audio.batch import (
    AUDIO_EXTENSIONS,
    AudioSettings,
    audio_settings,
    quarantine_file,
    read_audio,
    transcribe_paths,
)
from convmine.audio.errors import BadAudioError
from convmine.audio.manifest import Manifest, ManifestRow, load_manifest
from convmine.audio.vocabulary import Vocabulary

__all__ = [
    "AUDIO_EXTENSIONS",
    "AudioSettings",
    "BadAudioError",
    "Manifest",
    "ManifestRow",
    "Recognizer",
    "Transcriber",
    "Vocabulary",
    "audio_settings",
    "create_recognizer",
    "load_manifest",
    "quarantine_file",
    "read_audio",
    "recognizer_names",
    "register_recognizer",
    "transcribe_paths",
]


_LAZY = {
    "Transcriber": "convmine.audio.transcriber",
    "Recognizer": "convmine.audio.backends",
    "create_recognizer": "convmine.audio.backends",
    "recognizer_names": "convmine.audio.backends",
    "register_recognizer": "convmine.audio.backends",
}


def __getattr__(name: str) -> object:
    """Names whose modules import numpy, imported on first use: the package itself stays light."""
    if name not in _LAZY:
        raise AttributeError(f"module 'convmine.audio' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_LAZY[name]), name)
