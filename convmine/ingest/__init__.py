"""Reading call transcripts (JSON, JSON Lines, CSV/TSV, plain-text dialogues) into calls.

``read_calls(paths)`` reads files and folders (recordings too, through :mod:`convmine.audio`) and yields calls and failures; ``read_call(path)`` reads
one call or raises. New input kinds plug in through :func:`register_reader`.
"""

# Recordings are read by the speech front end, which registers its readers (.wav, .mp3, …) on import;
# its heavy dependencies load only when a recording is actually read.
from convmine import audio  # noqa: F401
from convmine.ingest import table_reader, text_reader  # noqa: F401  (importing them registers their readers)
from convmine.ingest.json_reader import call_from_dict, call_to_dict
from convmine.ingest.reading import Scan, read_call, read_calls, scan_paths
from convmine.ingest.registry import CallRecord, Reader, reader_for, register_reader, supported_extensions
from convmine.ingest.values import SPEAKER_ALIASES, parse_speaker

__all__ = [
    "SPEAKER_ALIASES",
    "CallRecord",
    "Reader",
    "Scan",
    "call_from_dict",
    "call_to_dict",
    "parse_speaker",
    "read_call",
    "read_calls",
    "reader_for",
    "register_reader",
    "scan_paths",
    "supported_extensions",
]
