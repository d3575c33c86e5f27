"""Clauses of a turn: the stretches between punctuation (or the spaces ASR systems put instead).

A model tag in a turn of several clauses must be carried by one of them, which becomes its evidence
span (see :class:`~convmine.tagging.model.ModelTagger`), so a quality reviewer reads "只买保本的"
rather than the whole of a long turn.
"""

from __future__ import annotations

import re

#: Clause-ending punctuation, full- and half-width, and runs of whitespace. The enumeration comma
#: "、" joins items of one list ("股票、基金") and does not end a clause; neither does a point or colon
#: between digits ("3.5", "10:30").
_BREAKS = re.compile(r"(?:[，,。！!？?；;…~～—\s]|(?<![0-9])[.．:：]|[.．:：](?![0-9]))+")
_WORD = re.compile(r"\w")


def clauses(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` character spans of the clauses of ``text``, punctuation and spaces left out;
    stretches without a letter, digit or character (a lone "…") are no clause."""
    spans, start = [], 0
    for match in (*_BREAKS.finditer(text), None):
        end = match.start() if match else len(text)
        if _WORD.search(text, start, end):
            spans.append((start, end))
        start = match.end() if match else len(text)
    return spans
