"""Small stand-ins for tests of the machinery around a tagger."""

from __future__ import annotations

from collections.abc import Sequence

from convmine.schema import Prediction, Turn
from convmine.taxonomy import load_taxonomy


class KeywordTagger:
    """A tagger that tags 闲 as idle funds and records what it was shown."""

    name, version, source = "keyword", "1", "rule"

    def __init__(self, fail_on: str | None = None):
        self.taxonomy = load_taxonomy()
        self.seen: list[Turn] = []
        self.batches = 0
        self.fail_on = fail_on

    def predict(self, turns: Sequence[Turn]) -> list[list[Prediction]]:
        self.batches += 1
        self.seen.extend(turns)
        if self.fail_on and any(self.fail_on in t.text for t in turns):
            raise RuntimeError("tagger broke")
        out = []
        for turn in turns:
            at = turn.text.find("闲")
            out.append([Prediction("basic.funds.idle", 0.9, (at, at + 1))] if at >= 0 else [])
        return out
