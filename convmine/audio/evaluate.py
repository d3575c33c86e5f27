"""Measuring the speech front end against reference transcripts: character error rate and roles."""

from __future__ import annotations

import re
from collections.abc import Sequence

from convmine.audio.textnorm import normalize_transcript
from convmine.schema import Utterance

_NOT_COUNTED = re.compile(r"[\s，。？！；：、,.?!;:\"'“”‘’（）()《》…—-]+")


def comparable(text: str) -> str:
    """``text`` normalised like recogniser output, without punctuation or spaces."""
    return _NOT_COUNTED.sub("", normalize_transcript(text))


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between two strings (characters)."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i]
        for j, y in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def character_error_rate(reference: str, hypothesis: str) -> float:
    """Edits needed to turn the hypothesis into the reference, per reference character; both sides
    are normalised first (simplified characters, one way to write numbers, no punctuation)."""
    ref, hyp = comparable(reference), comparable(hypothesis)
    return edit_distance(ref, hyp) / max(len(ref), 1)


def role_accuracy(reference: Sequence[dict], utterances: Sequence[Utterance]) -> float:
    """Share of the reference's speech time whose speaker the utterances got right (time-aligned)."""
    right = total = 0.0
    for turn in reference:
        length = turn["end"] - turn["start"]
        total += length
        for u in utterances:
            if u.start is None or u.end is None:
                continue
            overlap = min(turn["end"], u.end) - max(turn["start"], u.start)
            if overlap > 0 and u.speaker == turn["speaker"]:
                right += overlap
    return right / total if total else 0.0


def turn_recall(reference: Sequence[dict], hypothesis: str) -> list[float]:
    """For each reference turn, the share of its characters the hypothesis got right, found by one
    minimum-edit alignment of the whole call's text (timestamps play no part, so any recogniser's
    output can be scored)."""
    turns = [comparable(turn["text"]) for turn in reference]
    ref, hyp = "".join(turns), comparable(hypothesis)
    owner = [n for n, text in enumerate(turns) for _ in text]
    cost = [list(range(len(hyp) + 1))]
    for i, x in enumerate(ref, start=1):
        row = [i]
        for j, y in enumerate(hyp, start=1):
            row.append(min(cost[i - 1][j] + 1, row[j - 1] + 1, cost[i - 1][j - 1] + (x != y)))
        cost.append(row)
    right = [0] * len(turns)
    i, j = len(ref), len(hyp)
    while i and j:
        if cost[i][j] == cost[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1]):
            right[owner[i - 1]] += ref[i - 1] == hyp[j - 1]
            i, j = i - 1, j - 1
        elif cost[i][j] == cost[i - 1][j] + 1:
            i -= 1
        else:
            j -= 1
    return [hit / len(text) if text else 1.0 for hit, text in zip(right, turns, strict=True)]


def dropped_turns(reference: Sequence[dict], hypothesis: str, *, min_recall: float = 0.5) -> int:
    """How many reference turns the hypothesis lost: fewer than ``min_recall`` of their characters right."""
    return sum(recall < min_recall for recall in turn_recall(reference, hypothesis))
