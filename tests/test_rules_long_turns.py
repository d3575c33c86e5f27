"""The rule tagger on long turns: its work grows linearly with the turn, and its results do not change."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convmine.schema import Prediction, Turn
from convmine.tagging import cues
from convmine.tagging.rules import RuleTagger, _Hit, _unshadowed
from convmine.taxonomy import load_taxonomy

TAXONOMY = load_taxonomy()
RATE_QUESTION = "您期望的收益大概多少？"
# Units repeated into long single-line turns (ASR dumps without line breaks): the QA's repro, rates
# with ranges, no punctuation at all, and a mix of negation, complaints and products.
UNITS = [
    "我手头有二十来万闲着，只买保本的。",
    "收益三点五到四个点就行，我在招行买过理财，",
    "我手头有二十来万闲着只买保本的",
    "嗯我这个钱是养老的不能亏你们app老是卡太难用了不需要谢谢三个点左右我不买基金没在别的银行买",
    "买基金还是买股票呢我还是喜欢存款",
]


@pytest.fixture(scope="module")
def tagger() -> RuleTagger:
    tagger = RuleTagger(TAXONOMY)
    tagger.predict([Turn("我只买保本的")])  # builds the word segmenter once
    return tagger


def python_events(work: Callable[[], object]) -> int:
    """How many Python and C function calls and returns ``work`` makes: a count of its steps."""
    count = 0

    def hook(frame: object, event: str, arg: object) -> None:
        nonlocal count
        count += 1

    previous = sys.getprofile()
    sys.setprofile(hook)
    try:
        work()
    finally:
        sys.setprofile(previous)
    return count


@pytest.mark.parametrize("unit", UNITS, ids=range(len(UNITS)))
def test_work_grows_linearly_with_the_turn(tagger: RuleTagger, unit: str) -> None:
    # A quadratic step (each keyword hit compared with every other one, the whole turn scanned for
    # numbers once per rate) made four times the text cost 11 to 15 times the calls.
    def steps(size: int) -> int:
        turn = Turn(unit * (size // len(unit)), (RATE_QUESTION,))
        return python_events(lambda: tagger.predict([turn]))

    assert steps(4000) / steps(1000) < 5


@pytest.mark.parametrize("unit", UNITS, ids=range(len(UNITS)))
def test_a_long_turn_is_tagged_as_its_first_copy(tagger: RuleTagger, unit: str) -> None:
    short = tagger.predict([Turn(unit, (RATE_QUESTION,))])[0]
    long = tagger.predict([Turn(unit * 1000, (RATE_QUESTION,))])[0]
    assert short
    assert long == short


def test_the_qa_turn_keeps_its_tags(tagger: RuleTagger) -> None:
    text = "我手头有二十来万闲着，只买保本的。" * 4000  # 68,000 characters on one line
    assert tagger.predict([Turn(text)])[0] == [
        Prediction("basic.funds.idle", 0.85, (1, 8)),
        Prediction("preference.risk.guaranteed", 0.85, (11, 15)),
    ]


RULES = list(RuleTagger(TAXONOMY)._rules[:3])


def pairwise_unshadowed(hits: list[_Hit]) -> list[_Hit]:
    """The definition: a keyword hit strictly inside a longer keyword hit of another label goes."""
    return [
        hit
        for hit in hits
        if not hit.keyword
        or not any(
            other.keyword
            and other.rule is not hit.rule
            and other.start <= hit.start
            and hit.end <= other.end
            and other.end - other.start > hit.end - hit.start
            for other in hits
        )
    ]


hit_specs = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, 12), st.integers(1, 5), st.booleans()), max_size=25
)


@given(hit_specs)
def test_unshadowed_keeps_the_definition(specs: list[tuple[int, int, int, bool]]) -> None:
    hits = [_Hit(RULES[rule], start, start + length, 0.6, keyword=kw) for rule, start, length, kw in specs]
    assert [id(hit) for hit in _unshadowed(hits)] == [id(hit) for hit in pairwise_unshadowed(hits)]


# The question cue "A还是B" as one regular expression, as it was before it was made linear.
_CHOICE_AS_ONE_REGEX = re.compile(
    r"(?<=[^\W我你他她们就那但可也要都是得])还是(?!喜欢|比较|想|要|算了|存|觉得|得|挺|很|那|先|不|没)"
    r"[^，,。？?！!]*(?:的|呢|啊|好|呀)$"
)


@given(st.text(alphabet="还是买基金股票的呢好我，。？!不想 ", max_size=20))
def test_a_choice_question_keeps_its_definition(text: str) -> None:
    masked = text.strip()
    assert cues._offers_a_choice(masked) == (_CHOICE_AS_ONE_REGEX.search(masked) is not None)


def test_clause_lookup_is_a_binary_search() -> None:
    class CountingList(list[cues.Clause]):
        reads = 0

        def __getitem__(self, index):  # type: ignore[no-untyped-def]
            CountingList.reads += 1
            return super().__getitem__(index)

        def __iter__(self):  # type: ignore[no-untyped-def]
            for item in super().__iter__():
                CountingList.reads += 1
                yield item

    text = "好的，" * 10_000
    found = CountingList(cues.clauses(text))
    assert cues.clause_at(found, len(text) - 1) == found[-1]
    assert CountingList.reads < 40
