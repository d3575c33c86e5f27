"""The error a bad recording raises (kept free of heavy imports: the reader needs it at import)."""

from __future__ import annotations

from convmine.errors import InputError


class BadAudioError(InputError):
    """A recording that cannot be transcribed; ``kind`` names the case (``"zero-byte"``, ``"clipped"`` …)."""

    def __init__(self, kind: str, message: str, source: str | None = None):
        self.kind = kind
        super().__init__(f"{kind}: {message}", source)
