"""Who spoke: the agent or the customer.

**Stereo** (one speaker per channel): the manifest's ``agent_channel`` decides; without it the
agent's channel is the one whose words sound like an agent — greetings, introducing the bank and
themselves, offering products (:func:`agent_cue_score`) — with a bonus for speaking first, since
the agent opens an outbound call.

**Mono** (:func:`attribute_mono`), no pretrained diarisation model:

1. *Acoustics*: every VAD segment carries the mean log-mel spectrum of its speech, a signature of
   the voice and of the line (a headset in the centre against a mobile phone). The segments are
   split in two by 2-means on the standardised spectral shapes (each spectrum less its mean, so
   loudness does not count).
2. *Text*: each cluster's summed agent-cue score, plus the first-speaker bonus, says which cluster
   is the agent.
3. *Fallback*: if the two clusters are not clearly apart (same voice, same line), each segment is
   attributed by its own text cues where they are clear, and otherwise by turn structure: after a
   pause of ``turn_gap`` seconds or more the speaker changes, after a shorter one it stays.

The accuracy of each method on the fixtures is measured by ``benchmarks/bench_audio.py`` and held
by the tests.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

import numpy as np

from convmine.schema import Speaker

AGENT_CUES = re.compile(
    r"您好|我是|这里是|这边是|银行|客户经理|理财经理|理财顾问|专属|客户服务|为您|给您|帮您|介绍|推荐|"
    r"产品|活动|优惠|请问|打扰|祝您|回访|不好意思|抱歉|您可以|您看|方便接电话"
)
CUSTOMER_CUES = re.compile(
    r"我手头|我只|我已经|我现在|我平时|我怕|我考虑|不需要|没时间|没钱|你们|你说|你发|你给我|是我|"
    r"能不能|能随时|怎么收|太难用|再说|再联系|我爱人|我老婆|我老公"
)
FIRST_SPEAKER_BONUS = 1.0
#: Clusters whose centres are closer than this (in pooled standard deviations) are not trusted.
MIN_SEPARATION = 1.5


@dataclass(frozen=True, slots=True)
class Piece:
    """A recognised VAD segment: times, text and the mean log-mel spectrum of its speech."""

    start: float
    end: float
    text: str
    spectrum: np.ndarray


def agent_cue_score(text: str) -> float:
    """Agent cues minus customer cues found in ``text``; positive means it sounds like the agent."""
    return float(len(AGENT_CUES.findall(text)) - len(CUSTOMER_CUES.findall(text)))


def same_speech(first: Sequence[Piece], second: Sequence[Piece], *, share: float = 0.8) -> bool:
    """Whether two channels carry the same speech (a mono call saved as stereo): at least ``share`` of
    the pieces have a twin on the other channel, starting within 0.3 s with mostly the same words (the
    recogniser may hear one channel's copy a little differently)."""
    a, b = ([(p.start, p.text) for p in pieces if p.text] for pieces in (first, second))
    if not a or not b:
        return False
    twins = sum(
        any(
            abs(start - other) <= 0.3 and SequenceMatcher(None, text, said).ratio() >= 0.6
            for other, said in b
        )
        for start, text in a
    )
    return twins >= share * max(len(a), len(b))


def detect_agent_channel(channels: Sequence[Sequence[Piece]]) -> int:
    """The channel (0 or 1) whose speech sounds most like the agent's."""
    scores = [sum(agent_cue_score(p.text) for p in pieces) for pieces in channels]
    starts = [min((p.start for p in pieces if p.text), default=float("inf")) for pieces in channels]
    first = int(np.argmin(starts))
    scores[first] += FIRST_SPEAKER_BONUS
    return int(np.argmax(scores))


def two_means(spectra: np.ndarray, iterations: int = 20) -> tuple[np.ndarray, float]:
    """Cluster labels (0/1) of standardised ``spectra`` and the distance between the two centres in
    pooled within-cluster standard deviations."""
    if len(spectra) < 2:
        return np.zeros(len(spectra), int), 0.0
    x = (spectra - spectra.mean(axis=0)) / (spectra.std(axis=0) + 1e-6)
    first = int(np.argmax(np.linalg.norm(x - x.mean(axis=0), axis=1)))
    second = int(np.argmax(np.linalg.norm(x - x[first], axis=1)))
    centres = x[[first, second]].copy()
    labels = np.zeros(len(x), int)
    for _ in range(iterations):
        distances = np.linalg.norm(x[:, None, :] - centres[None], axis=2)
        new = distances.argmin(axis=1)
        if (new == labels).all() and _ > 0:
            break
        labels = new
        for k in (0, 1):
            if (labels == k).any():
                centres[k] = x[labels == k].mean(axis=0)
    if len(set(labels.tolist())) < 2:
        return labels, 0.0
    spread = np.sqrt(np.mean([np.sum((x[labels == k] - centres[k]) ** 2, axis=1).mean() for k in (0, 1)]))
    return labels, float(np.linalg.norm(centres[0] - centres[1]) / (spread + 1e-6))


def attribute_mono(pieces: Sequence[Piece], *, turn_gap: float = 0.5, method: str = "auto") -> list[Speaker]:
    """A speaker for every piece of a mono call. ``method``: ``"auto"`` (acoustic clusters named by
    text, falling back to text and turns), ``"acoustic"`` or ``"text"`` (for measuring each)."""
    if not pieces:
        return []
    if method in ("auto", "acoustic"):
        spectra = np.stack([p.spectrum for p in pieces])
        # the spectrum's shape, not its loudness: a quiet and a loud turn of one voice look alike
        labels, separation = two_means(spectra - spectra.mean(axis=1, keepdims=True))
        if method == "acoustic" or separation >= MIN_SEPARATION:
            score = [0.0, 0.0]
            for piece, label in zip(pieces, labels, strict=True):
                score[label] += agent_cue_score(piece.text)
            score[labels[0]] += FIRST_SPEAKER_BONUS
            agent = int(np.argmax(score))
            return ["agent" if label == agent else "customer" for label in labels]
    return _text_and_turns(pieces, turn_gap)


def _text_and_turns(pieces: Sequence[Piece], turn_gap: float) -> list[Speaker]:
    speakers: list[Speaker] = []
    for n, piece in enumerate(pieces):
        cue = agent_cue_score(piece.text)
        if cue >= 1:
            speakers.append("agent")
        elif cue <= -1:
            speakers.append("customer")
        elif n == 0:
            speakers.append("agent")
        else:
            previous = speakers[-1]
            switch = piece.start - pieces[n - 1].end >= turn_gap
            speakers.append(("customer" if previous == "agent" else "agent") if switch else previous)
    return speakers
