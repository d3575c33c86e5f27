"""What happened after an objection in the same call: the rule, turn by turn."""

from __future__ import annotations

import pytest

from convmine.reports.outcomes import agrees_to_follow_up, call_outcome, objection_outcomes, outcome_after
from convmine.schema import Call, Evidence, Tag, Utterance

NO_NEED = "objection.refusal.no_need"


def call_of(*turns: str | tuple[str, str]) -> tuple[Call, list[Tag]]:
    """Turns alternate customer/agent unless given as (speaker, text); ``text|label`` tags a turn."""
    utterances, tags = [], []
    for i, turn in enumerate(turns):
        speaker, text = turn if isinstance(turn, tuple) else ("customer", turn)
        text, *labels = text.split("|")
        utterances.append(Utterance(i, speaker, text))  # type: ignore[arg-type]
        tags += [Tag(label, 0.8, "rule", Evidence(i, None, text)) for label in labels]
    return Call("C", "U", utterances), tags


AGENT = ("agent", "理解，那这款产品您看看？")


@pytest.mark.parametrize(
    ("turns", "expected"),
    [
        (
            (f"我不需要|{NO_NEED}", AGENT, "那你下午打给我吧|basic.contact_time.afternoon", AGENT, "嗯"),
            "agreed_follow_up",
        ),
        ((f"我不需要|{NO_NEED}", AGENT, "行，你加我微信吧", AGENT, "嗯嗯"), "agreed_follow_up"),
        ((f"我不需要|{NO_NEED}", AGENT, "那资料发给我看看", AGENT, "好"), "agreed_follow_up"),
        (
            (f"我不需要|{NO_NEED}", AGENT, "手续费多少？|feedback.question.fees", AGENT, "哦"),
            "asked_questions",
        ),
        ((f"我不需要|{NO_NEED}", AGENT, "先这样吧，再见"), "ended_call"),
        ((f"我不需要|{NO_NEED}",), "ended_call"),
        ((f"我不需要|{NO_NEED}", AGENT, "嗯，还行吧", AGENT, "嗯嗯"), "continued"),
        ((f"我不需要|{NO_NEED}", AGENT, "别加我微信，也别发给我", AGENT, "嗯嗯"), "continued"),
    ],
)
def test_outcome_after_an_objection(turns, expected):
    call, tags = call_of(*turns)
    assert outcome_after(call, tags, 0) == expected


def test_follow_up_beats_questions_and_earlier_turns_do_not_count():
    call, tags = call_of(
        "你们有什么活动？|feedback.question.activity", AGENT, f"不需要|{NO_NEED}", AGENT,
        "收益多少？|feedback.question.return", AGENT, "你加我微信吧",
    )  # fmt: skip
    assert outcome_after(call, tags, 2) == "agreed_follow_up"
    assert outcome_after(call, tags, 4) == "agreed_follow_up"
    assert outcome_after(call, tags, 6) == "ended_call"


def test_a_repeated_objection_counts_from_its_last_occurrence():
    call, tags = call_of(
        f"不需要|{NO_NEED}", AGENT, "收益多少？|feedback.question.return", AGENT,
        f"还是不需要了，再见|{NO_NEED}|objection.refusal.no_time",
    )  # fmt: skip
    outcomes = objection_outcomes(call, tags)
    assert outcomes == {NO_NEED: "ended_call", "objection.refusal.no_time": "ended_call"}
    assert call_outcome(outcomes) == "ended_call"
    assert call_outcome({}) is None


def test_follow_up_cues_respect_a_negator_in_their_clause():
    assert agrees_to_follow_up("好的，你明天再打给我")
    assert agrees_to_follow_up("我周末去网点看看")
    assert not agrees_to_follow_up("我不去网点")
    assert not agrees_to_follow_up("别再打给我了")
    assert not agrees_to_follow_up("不用加我微信")
    assert agrees_to_follow_up("不用了，你加我微信吧")  # the negator is in another clause
