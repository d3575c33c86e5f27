"""A transparent, editable rule tagger driven entirely by the taxonomy's vocabulary.

Nothing about a particular label lives in this code: a bank changes what the tagger finds by
editing the taxonomy file or an extension of it. For each label:

* ``keywords`` are literal phrases. Keywords of one or two characters must be whole words by
  jieba's segmentation ("黄金" fires in "买点黄金", not in "黄金周"). A keyword that lies inside a
  longer keyword of another label is dropped ("理财经理" hides "理财", "不用排队" hides "排队").
* ``patterns`` are regular expressions; the match is the evidence span, so keep them tight. A
  pattern that needs a cue it should not cite puts the evidence in a group named ``evidence``
  ("(招行|别的银行)…(?P<evidence>理财下个月到期)").
* ``exclude`` is a regular expression that vetoes the label in the clause where it matches.
* ``context_patterns`` read the turn before the customer's (usually the agent's question).
  ``AGENT`` fires when the customer answers yes ("对，有二十来万", "有的"); ``AGENT => <no>`` when
  the customer answers no ("不是"); ``AGENT => ANSWER`` when the turn matches the regex ANSWER
  ("几点方便" → "晚上吧"); ``AGENT => <veto>`` keeps the label out of the clause that answers such a
  turn ("需要我帮您预约吗" → "不需要" declines the service, not the product). For a label with a
  percent value, a named rate is the answer; a range ("三到四个点") stands for its midpoint.

Cues (:mod:`convmine.tagging.cues`) work per clause, by the dimension's kind:

* questions (``feedback.question.*``) fire only in clauses that ask something;
* objections and negative feedback fire in any clause unless a negator stands just before them
  ("不是不需要" is not ``no_need``);
* everything else states a fact or preference: it does not fire in a question ("有没有保本的" is not
  ``preference.risk.guaranteed``), nor when negated before or after ("手机银行不卡了", "基金我不买",
  "没在别的银行买");
* a product or channel (``preference.product``, ``preference.channel``) named by a bare keyword is a
  preference only in a neutral turn: not where the turn rejects that label elsewhere ("我不买基金，
  基金亏怕了"), nor, unless its clause states a preference ("一般都用", "还是…吧"), in a turn that
  objects or complains ("APP太难用了", "去网点排了两个小时队").

At most one label of a ``single`` dimension is returned per turn (the most confident).
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cached_property
from itertools import groupby, pairwise
from operator import attrgetter

from convmine.errors import TaxonomyError
from convmine.schema import Prediction, TagSource, Turn
from convmine.tagging import cues
from convmine.tagging.words import SHORT_KEYWORD, Segmenter
from convmine.taxonomy import Label, Taxonomy, load_taxonomy
from convmine.text import NumberMatch, find_numbers, find_rates, normalize
from convmine.text.numbers import MAX_RATE

RULES_VERSION = "2"
PATTERN_CONFIDENCE = 0.85
KEYWORD_CONFIDENCE = 0.6  # plus 0.05 a character beyond the first, up to KEYWORD_CONFIDENCE_MAX
KEYWORD_CONFIDENCE_MAX = 0.8
VALUE_BONUS = 0.1  # a percent label whose rate was found is more specific than a bare wording
CONTEXT_CONFIDENCE = {"answer": 0.6, "yes": 0.55, "no": 0.5}
RATE_REACH = 12  # characters between a yield wording and the rate it names
ANSWER_SEPARATOR = "=>"
EVIDENCE_GROUP = "evidence"
MENTION_DIMENSIONS = frozenset({"preference.product", "preference.channel"})
PRAISE_DIMENSION = "feedback.positive"
_RANGE_JOINER = re.compile(r"(?:个点|%)?\s*(?:到|至|~|-|—)\s*")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_FILLER_TURN = re.compile(r"^[\s嗯恩啊呃额哦噢喔唉哎诶欸喂好的对行是，。,.!！?？~]*$")


class Mode(Enum):
    """How clause cues apply to a dimension's labels (see the module docstring)."""

    STATEMENT = "statement"
    MENTION = "mention"  # a statement that a bare keyword makes only in a neutral turn
    QUESTION = "question"
    ANY = "any"  # objections and complaints


def mode_of(label: Label) -> Mode:
    if label.dimension == "feedback.question":
        return Mode.QUESTION
    if label.category == "objection" or label.dimension == "feedback.negative":
        return Mode.ANY
    if label.dimension in MENTION_DIMENSIONS:
        return Mode.MENTION
    return Mode.STATEMENT


@dataclass(frozen=True, slots=True)
class _ContextRule:
    agent: re.Pattern[str]
    answer: str | re.Pattern[str]  # "yes", "no", "veto" or a regex over the customer's turn


@dataclass(frozen=True, slots=True)
class _LabelRule:
    label: Label
    order: int
    mode: Mode
    patterns: tuple[re.Pattern[str], ...]
    exclude: re.Pattern[str] | None
    contexts: tuple[_ContextRule, ...]

    @property
    def percent(self) -> bool:
        return self.label.value_type == "percent"


@dataclass(slots=True)
class _Hit:
    rule: _LabelRule
    start: int
    end: int
    confidence: float
    keyword: bool = False
    value: float | None = None

    def key(self) -> tuple[float, int, int]:
        """Best first: most confident, then longest evidence, then earliest."""
        return (-self.confidence, -(self.end - self.start), self.start)


class RuleTagger:
    """Tags customer turns with the taxonomy's keywords, patterns and context patterns."""

    name = "rules"
    source: TagSource = "rule"

    def __init__(self, taxonomy: Taxonomy | None = None):
        self.taxonomy = taxonomy if taxonomy is not None else load_taxonomy()
        self._rules = [_compile(label, order) for order, label in enumerate(self.taxonomy)]
        self._keywords: dict[str, list[_LabelRule]] = {}
        for rule in self._rules:
            for keyword in rule.label.keywords:
                text = prepare(keyword.strip())
                if text and rule not in self._keywords.setdefault(text, []):
                    self._keywords[text].append(rule)
        lengths: dict[str, set[int]] = {}
        for keyword in self._keywords:
            lengths.setdefault(keyword[0], set()).add(len(keyword))
        self._lengths = {char: sorted(sizes, reverse=True) for char, sizes in lengths.items()}
        self._with_patterns = [rule for rule in self._rules if rule.patterns]
        self._with_context = [rule for rule in self._rules if rule.contexts]
        self._single = {lab.dimension for lab in self.taxonomy if lab.cardinality == "single"}
        #: The rules' version, the taxonomy's hash and a digest of the vocabulary the rules were built from.
        self.version = f"{RULES_VERSION}+{self.taxonomy.hash}.{_vocabulary_digest(self.taxonomy)}"

    @cached_property
    def _segmenter(self) -> Segmenter:
        return Segmenter(self._keywords)

    def predict(self, turns: Sequence[Turn]) -> list[list[Prediction]]:
        """One list of predictions per turn, in input order."""
        return [self._predict_turn(turn) for turn in turns]

    def _predict_turn(self, turn: Turn) -> list[Prediction]:
        text = prepare(turn.text)
        if _FILLER_TURN.match(text) and not turn.context:
            return []
        found = cues.clauses(text)
        excluded = _Exclusions(text)
        candidates = self._keyword_hits(text, found) + self._pattern_hits(text, found)
        hits = _unshadowed([hit for hit in candidates if self._accepted(hit, text, found, excluded)])
        previous = _previous_turn(turn.context)
        if previous:
            answer = cues.answer_clause(text, found)
            vetoed = _vetoed_by(previous, self._with_context)
            hits = [
                hit
                for hit in hits
                if not (hit.rule.order in vetoed and answer.start <= hit.start < answer.end)
            ]
            hits += self._context_hits(text, found, previous, excluded)
        hits = _mentions_in_context(hits, candidates, text, found)
        hits = self._with_values(hits, text, found)
        return self._resolve(hits)

    # --- finding candidate evidence -------------------------------------------------------------

    def _keyword_hits(self, text: str, found: list[cues.Clause]) -> list[_Hit]:
        hits: list[_Hit] = []
        words: dict[int, list[tuple[int, int]]] = {}  # jieba's words, segmented once per clause
        size = len(text)
        for start in range(size):
            for length in self._lengths.get(text[start], ()):
                end = start + length
                rules = self._keywords.get(text[start:end]) if end <= size else None
                if rules is None:
                    continue
                if length <= SHORT_KEYWORD and not self._is_word(text, found, words, start, end):
                    continue
                confidence = min(KEYWORD_CONFIDENCE + 0.05 * (length - 1), KEYWORD_CONFIDENCE_MAX)
                hits.extend(_Hit(rule, start, end, confidence, keyword=True) for rule in rules)
        return hits

    def _is_word(
        self,
        text: str,
        found: list[cues.Clause],
        words: dict[int, list[tuple[int, int]]],
        start: int,
        end: int,
    ) -> bool:
        clause = cues.clause_at(found, start)
        if clause.start not in words:
            words[clause.start] = self._segmenter.words(text, clause.start, clause.end)
        return self._segmenter.is_word_in(text, words[clause.start], start, end)

    def _pattern_hits(self, text: str, found: list[cues.Clause]) -> list[_Hit]:
        asks = any(clause.question for clause in found)
        states = not all(clause.question for clause in found)
        return [
            _Hit(rule, *span, PATTERN_CONFIDENCE)
            for rule in self._with_patterns
            if (asks if rule.mode is Mode.QUESTION else rule.mode is Mode.ANY or states)
            for pattern in rule.patterns
            for m in pattern.finditer(text)
            if (span := _evidence(m))[1] > span[0]
        ]

    def _context_hits(
        self, text: str, found: list[cues.Clause], previous: str, excluded: _Exclusions
    ) -> list[_Hit]:
        polarity = cues.answer_polarity(text)
        hits: list[_Hit] = []
        for rule in self._with_context:
            for ctx in rule.contexts:
                if ctx.answer == "veto" or not ctx.agent.search(previous):
                    continue
                if rule.percent:
                    rates = _Rates(text, expect_rate=True)
                    if rates.found:
                        rate = rates.range_around(rates.found[0])
                        hits.append(
                            _Hit(rule, rate.start, rate.end, CONTEXT_CONFIDENCE["answer"], value=rate.value)
                        )
                elif isinstance(ctx.answer, re.Pattern):
                    hits.extend(
                        hit
                        for m in ctx.answer.finditer(text)
                        if m.end() > m.start()
                        and self._accepted(
                            hit := _Hit(rule, m.start(), m.end(), CONTEXT_CONFIDENCE["answer"]),
                            text,
                            found,
                            excluded,
                        )
                    )
                elif ctx.answer == polarity and not excluded(rule, cues.clause_at(found, 0)):
                    start, end = cues.answer_span(text)
                    hits.append(_Hit(rule, start, end, CONTEXT_CONFIDENCE[polarity]))
        return hits

    # --- checking and resolving -----------------------------------------------------------------

    def _accepted(self, hit: _Hit, text: str, found: list[cues.Clause], excluded: _Exclusions) -> bool:
        clause = cues.clause_at(found, hit.start)
        if excluded(hit.rule, clause):
            return False
        if hit.rule.mode is Mode.QUESTION:
            return clause.question
        if hit.rule.mode is Mode.ANY:
            return not cues.negated_before(text, clause.start, hit.start)
        return not clause.question and not _negated(hit, text, clause)

    def _with_values(self, hits: list[_Hit], text: str, found: list[cues.Clause]) -> list[_Hit]:
        """Give percent labels the rate they name; drop those that name none."""
        if not any(hit.rule.percent and hit.value is None for hit in hits):
            return hits
        rates = _Rates(text)
        kept = []
        for hit in hits:
            if hit.rule.percent and hit.value is None:
                rate = rates.nearest(hit, cues.clause_at(found, hit.start))
                if rate is None:
                    continue
                rate = rates.range_around(rate)
                hit.start, hit.end = min(hit.start, rate.start), max(hit.end, rate.end)
                hit.value = rate.value
                hit.confidence = min(1.0, hit.confidence + VALUE_BONUS)
            kept.append(hit)
        return kept

    def _resolve(self, hits: list[_Hit]) -> list[Prediction]:
        best: dict[str, _Hit] = {}
        for hit in sorted(hits, key=_Hit.key):
            dimension = hit.rule.label.dimension
            slot = dimension if dimension in self._single else hit.rule.label.id
            best.setdefault(slot, hit)
        chosen = sorted(best.values(), key=lambda h: (h.start, h.rule.order))
        return [
            Prediction(h.rule.label.id, round(h.confidence, 3), (h.start, h.end), h.value) for h in chosen
        ]


def prepare(text: str) -> str:
    """Normalise (traditional → simplified, full-width → half-width) and lower-case ASCII.

    Both steps map one character to one character, so spans on the result are spans on ``text``.
    """
    return normalize(text).translate(_ASCII_LOWER)


def _vocabulary_digest(taxonomy: Taxonomy) -> str:
    vocabulary = [(lab.id, lab.keywords, lab.patterns, lab.exclude, lab.context_patterns) for lab in taxonomy]
    return hashlib.sha256(repr(vocabulary).encode()).hexdigest()[:8]


def _compile(label: Label, order: int) -> _LabelRule:
    def union(sources: tuple[str, ...]) -> re.Pattern[str] | None:
        return _regex(label, "|".join(f"(?:{s})" for s in sources)) if sources else None

    # Plain patterns run as one alternation (the first that matches at a position wins); each one
    # with an evidence group runs on its own, as a group name may appear only once in a regex.
    compiled = [(source, _regex(label, source)) for source in label.patterns]
    cited = tuple(pattern for _, pattern in compiled if _cites(pattern))
    plain = union(tuple(source for source, pattern in compiled if not _cites(pattern)))
    return _LabelRule(
        label=label,
        order=order,
        mode=mode_of(label),
        patterns=(plain, *cited) if plain else cited,
        exclude=union(label.exclude),
        contexts=tuple(_context_rule(label, entry) for entry in label.context_patterns),
    )


def _context_rule(label: Label, entry: str) -> _ContextRule:
    agent, separator, answer = (part.strip() for part in entry.partition(ANSWER_SEPARATOR))
    if not separator:
        return _ContextRule(_regex(label, agent), "yes")
    if answer in ("<yes>", "<no>", "<veto>"):
        return _ContextRule(_regex(label, agent), answer[1:-1])
    return _ContextRule(_regex(label, agent), _regex(label, answer))


def _regex(label: Label, source: str) -> re.Pattern[str]:
    try:
        return re.compile(normalize(source), re.IGNORECASE)
    except re.error as exc:
        raise TaxonomyError(
            f"label {label.id!r}: invalid regular expression {source!r} ({exc}); fix it in the taxonomy file"
        ) from None


def _cites(pattern: re.Pattern[str]) -> bool:
    return EVIDENCE_GROUP in pattern.groupindex


def _evidence(match: re.Match[str]) -> tuple[int, int]:
    """The span a pattern cites: its ``evidence`` group when it has one that took part, else all of it."""
    if _cites(match.re) and match.start(EVIDENCE_GROUP) >= 0:
        return match.span(EVIDENCE_GROUP)
    return match.span()


class _Exclusions:
    """Whether a label's ``exclude`` vetoes it in a clause of a turn, searched once per label and clause."""

    def __init__(self, text: str):
        self._text = text
        self._found: dict[tuple[int, int], bool] = {}

    def __call__(self, rule: _LabelRule, clause: cues.Clause) -> bool:
        if rule.exclude is None:
            return False
        key = (rule.order, clause.start)
        if key not in self._found:
            self._found[key] = rule.exclude.search(self._text, clause.start, clause.end) is not None
        return self._found[key]


def _negated(hit: _Hit, text: str, clause: cues.Clause) -> bool:
    return cues.negated_before(text, clause.start, hit.start) or cues.negated_after(text, hit.end, clause.end)


def _vetoed_by(previous: str, rules: list[_LabelRule]) -> set[int]:
    """The labels (by order) that the agent's turn keeps out of the clause that answers it (``<veto>``)."""
    return {
        rule.order
        for rule in rules
        if any(ctx.answer == "veto" and ctx.agent.search(previous) for ctx in rule.contexts)
    }


def _mentions_in_context(
    hits: list[_Hit], candidates: list[_Hit], text: str, found: list[cues.Clause]
) -> list[_Hit]:
    """Drop bare product and channel mentions that the rest of the turn shows are no preference.

    A keyword of a ``MENTION`` label does not count where the turn rejects the label elsewhere
    ("我不买基金，基金亏怕了"), nor, in a turn that objects or complains, unless its own clause
    states a preference or praises ("APP太难用了" no; "网点人太多，还是手机上买方便" yes).
    """
    rejected = {
        hit.rule
        for hit in candidates
        if hit.rule.mode is Mode.MENTION and _negated(hit, text, cues.clause_at(found, hit.start))
    }
    complains = any(hit.rule.mode is Mode.ANY for hit in hits)
    praised = {
        cues.clause_at(found, hit.start) for hit in hits if hit.rule.label.dimension == PRAISE_DIMENSION
    }

    prefers: dict[cues.Clause, bool] = {}  # searched once per clause

    def stated(hit: _Hit) -> bool:
        clause = cues.clause_at(found, hit.start)
        if clause not in prefers:
            prefers[clause] = cues.prefers(text, clause)
        return clause in praised or prefers[clause]

    return [
        hit
        for hit in hits
        if hit.rule.mode is not Mode.MENTION
        or not hit.keyword
        or (hit.rule not in rejected and (not complains or stated(hit)))
    ]


def _unshadowed(hits: list[_Hit]) -> list[_Hit]:
    """Drop keyword hits that lie strictly inside a longer keyword hit of another label.

    One sweep over the keyword hits sorted by start: a hit is shadowed by a hit of another label
    that starts before it and ends at or after it, or that starts with it and ends after it.
    """
    keyword_hits = sorted((hit for hit in hits if hit.keyword), key=attrgetter("start"))
    shadowed: set[int] = set()
    earlier = _FurthestEnd()  # over the hits that start before the current start
    for _, group in groupby(keyword_hits, key=attrgetter("start")):
        same_start = list(group)
        here = _FurthestEnd()
        for hit in same_start:
            here.add(hit)
        for hit in same_start:
            if earlier.end_besides(hit.rule) >= hit.end or here.end_besides(hit.rule) > hit.end:
                shadowed.add(id(hit))
        for hit in same_start:
            earlier.add(hit)
    return [hit for hit in hits if id(hit) not in shadowed]


class _FurthestEnd:
    """The furthest end among the hits added so far, for any label but a given one."""

    def __init__(self) -> None:
        self._best: tuple[int, _LabelRule | None] = (-1, None)  # the furthest end and its rule
        self._second = -1  # the furthest end among the rules other than the best one's

    def add(self, hit: _Hit) -> None:
        end, rule = self._best
        if hit.rule is rule:
            self._best = (max(end, hit.end), rule)
        elif hit.end > end:
            self._best, self._second = (hit.end, hit.rule), end
        else:
            self._second = max(self._second, hit.end)

    def end_besides(self, rule: _LabelRule) -> int:
        end, best_rule = self._best
        return self._second if rule is best_rule else end


class _Rates:
    """The rates a turn names (:func:`find_rates`), looked up by position."""

    def __init__(self, text: str, *, expect_rate: bool = False):
        self._text = text
        self.found = find_rates(text, expect_rate=expect_rate)
        self._starts = [rate.start for rate in self.found]  # increasing, as numbers do not overlap
        self._longest = max((rate.end - rate.start for rate in self.found), default=0)

    @cached_property
    def _ranges(self) -> dict[int, NumberMatch]:
        return _find_ranges(self._text, self.found)

    def nearest(self, hit: _Hit, clause: cues.Clause) -> NumberMatch | None:
        """The rate in ``clause`` nearest the hit and at most ``RATE_REACH`` characters from it."""

        def distance(rate: NumberMatch) -> int:
            return max(rate.start - hit.end, hit.start - rate.end, 0)

        # Only rates that start in this window can be near enough.
        first = bisect_left(self._starts, max(clause.start, hit.start - RATE_REACH - self._longest))
        stop = bisect_left(self._starts, min(clause.end, hit.end + RATE_REACH + 1))
        near = [rate for rate in self.found[first:stop] if distance(rate) <= RATE_REACH]
        return min(near, key=distance, default=None)

    def range_around(self, rate: NumberMatch) -> NumberMatch:
        """The midpoint of a range that ``rate`` opens or closes ("二点八到三点二", "三到四个点" → 3.5)."""
        return self._ranges.get(rate.start, rate)


def _find_ranges(text: str, rates: list[NumberMatch]) -> dict[int, NumberMatch]:
    """Each range of rates in ``text``, as its midpoint, by the start of the number opening or closing it."""
    ends: dict[int, int] = {}
    for rate in rates:
        ends[rate.start] = max(rate.end, ends.get(rate.start, rate.end))
    ranges: dict[int, NumberMatch] = {}
    for low, high in pairwise(find_numbers(text)):
        if _RANGE_JOINER.fullmatch(text, low.end, high.start) and 0 < low.value < high.value <= MAX_RATE:
            end = max(high.end, ends.get(high.start, high.end))
            value = round((low.value + high.value) / 2, 2)
            midpoint = NumberMatch(
                low.start, end, value, text[low.start : end], approximate=True, percent=True
            )
            ranges.setdefault(low.start, midpoint)  # a number between two ranges belongs to the first
            ranges.setdefault(high.start, midpoint)
    return ranges


def _previous_turn(context: Sequence[str]) -> str:
    """The last turn before the customer's that says something (skipping "嗯", "喂")."""
    for turn in reversed(context):
        text = prepare(turn)
        if not _FILLER_TURN.match(text):
            return text
    return ""
