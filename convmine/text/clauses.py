"""Clauses of a turn: the stretches between punctuation, or between the spaces some ASR systems put
between phrases instead.

A model tag in a turn of several clauses must be carried by one of them, which becomes its evidence
span (see :class:`~convmine.tagging.model.ModelTagger`), so a quality reviewer reads "只买保本的"
rather than the whole of a long turn.
"""

from __future__ import annotations

import re

#: Clause-ending punctuation, full- and half-width. The enumeration comma "、" joins items of one list
#: ("股票、基金") and ends no clause; neither does a point, colon or comma between digits ("3.5",
#: "10:30", "100,000").
_PUNCTUATION = re.compile(r"(?:[，。！!？?；;…~～—]|(?<![0-9])[.．:：,]|[.．:：,](?![0-9]))+")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"\w")
_CJK = re.compile(r"[\u4e00-\u9fff]")
#: Spaces end clauses only between Chinese phrases at least this long on average; shorter pieces are
#: words of an ASR system that spaces every word ("我 觉得 你们 那个 小王 人 挺 好"), and spaces
#: next to Latin letters, digits or masks ("I don't know", "6222 **** 0128") are never a break.
_PHRASE_CHARS = 4
#: A shorter stretch ("嗯", "对", "好的") is no clause of its own: it joins the next one (or, at the end
#: of a turn, the one before), so it is never a tag's evidence alone.
MIN_CHARS = 3


def clauses(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` character spans of the clauses of ``text``, the punctuation and spaces around
    them left out; stretches without a letter, digit or character (a lone "…") are no clause."""
    stretches = [
        piece
        for start, end in _between(_PUNCTUATION, text, 0, len(text))
        for piece in _spaced_phrases(text, start, end)
        if _WORD.search(text, *piece)
    ]
    spans: list[tuple[int, int]] = []
    waiting: int | None = None  # the start of short stretches waiting for the next one
    for start, end in stretches:
        if end - start < MIN_CHARS:
            waiting = start if waiting is None else waiting
            continue
        spans.append((start if waiting is None else waiting, end))
        waiting = None
    if waiting is not None:
        spans[-1:] = [(spans[-1][0] if spans else waiting, stretches[-1][1])]
    return spans


def _between(breaks: re.Pattern[str], text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The stretches of ``text[start:end]`` between matches of ``breaks``, stripped of spaces."""
    pieces, at = [], start
    for match in (*breaks.finditer(text, start, end), None):
        stop = match.start() if match else end
        left, right = at, stop
        while left < right and text[left].isspace():
            left += 1
        while right > left and text[right - 1].isspace():
            right -= 1
        if left < right:
            pieces.append((left, right))
        at = match.end() if match else end
    return pieces


def _spaced_phrases(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The stretch split at spaces that separate Chinese phrases (see :data:`_PHRASE_CHARS`)."""
    pieces = _between(_SPACES, text, start, end)
    if len(pieces) < 2 or sum(b - a for a, b in pieces) / len(pieces) < _PHRASE_CHARS:
        return [(start, end)]
    merged = [pieces[0]]
    for a, b in pieces[1:]:
        if _CJK.match(text[a]) and _CJK.match(text[merged[-1][1] - 1]):
            merged.append((a, b))
        else:  # a space next to Latin letters, digits or masks joins its neighbours
            merged[-1] = (merged[-1][0], b)
    return merged
