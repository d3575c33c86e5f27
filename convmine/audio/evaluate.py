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
