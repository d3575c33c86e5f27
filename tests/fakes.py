"""Small stand-ins for tests of the machinery around a tagger."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

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


#: The README's kind of bank extension: one new label. It changes the taxonomy's hash, so the shipped
#: model does not tag with it.
BANK_TAXONOMY = (
    "name: bank\nversion: '1'\nextends: default\ndimensions:\n  - id: preference.product\n    labels:\n"
    "      - {id: preference.product.pension, name: 养老金产品, keywords: [养老金]}\n"
)


def write_bank_taxonomy(path: Path) -> Path:
    """:data:`BANK_TAXONOMY` written to ``path``."""
    path.write_text(BANK_TAXONOMY, encoding="utf-8")
    return path
