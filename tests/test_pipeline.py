"""The pipeline: masking before the tagger, evidence spans, batching, error handling."""

from __future__ import annotations

import pytest

import convmine
from convmine import Call, Turn, Utterance
from convmine.errors import ConvmineError
from convmine.pipeline import Pipeline
from convmine.schema import Failure
from tests.fakes import KeywordTagger

CARD = "6222021957450765193"  # Luhn-valid


def call(call_id: str, *turns: tuple[str, str]) -> Call:
    utterances = [
        Utterance(i, speaker, text, start=i * 2.0, end=i * 2.0 + 1.5)
        for i, (speaker, text) in enumerate(turns)
    ]
    return Call(call_id, "CUST-1", utterances, agent_id="AG-1")


def test_customer_turns_are_tagged_with_evidence_and_time():
    pipeline = Pipeline(KeywordTagger())
    result = pipeline(call("c1", ("agent", "您有闲置资金吗"), ("customer", "有，二十万閒著呢")))
    assert [t.label for t in result.tags] == ["basic.funds.idle"]  # the agent's 闲 is not the customer's
    tag = result.tags[0]
    assert tag.evidence.utterance_index == 1
    assert tag.evidence.quote == "閒"  # quoted from the stored text; the span came from normalised text
    assert (tag.evidence.start, tag.evidence.end) == (2.0, 3.5)
    assert tag.model_version == "keyword@1" and tag.taxonomy_version == "1.0.0"


def test_the_tagger_never_sees_a_full_card_number_and_the_stored_text_is_masked():
    tagger = KeywordTagger()
    result = Pipeline(tagger)(call("c1", ("customer", f"我的卡号是{CARD}，钱闲着"), ("customer", "好的")))
    assert all(CARD not in t.text and all(CARD not in c for c in t.context) for t in tagger.seen)
    assert CARD not in result.call.utterances[0].text
    assert result.tags[0].evidence.quote == "闲"


def test_context_holds_the_agents_preceding_turns_normalised():
    """The customer's own earlier turn is not context: it would only make a tagger repeat its labels."""
    tagger = KeywordTagger()
    Pipeline(tagger, context_turns=2)(
        call(
            "c1",
            ("agent", "喂您好"),
            ("agent", "您最近有閒置資金嗎"),
            ("customer", "有"),
            ("customer", "二十万"),
        )
    )
    assert tagger.seen[0] == Turn("有", ("喂您好", "您最近有闲置资金吗"))
    assert tagger.seen[1].context == ("喂您好", "您最近有闲置资金吗")


def test_text_input_is_one_customer_turn():
    result = Pipeline(KeywordTagger())("手头有点闲钱")
    assert result.call.utterances[0].speaker == "customer"
    assert [t.label for t in result.tags] == ["basic.funds.idle"]


def test_pipe_batches_calls_and_equals_one_by_one():
    calls = [
        call(f"c{i}", ("agent", "您好"), ("customer", "钱闲着" if i % 2 else "不需要")) for i in range(10)
    ]
    tagger = KeywordTagger()
    batched = list(Pipeline(tagger).pipe(calls, batch_size=4))
    assert tagger.batches == 3
    single = [Pipeline(KeywordTagger())(c) for c in calls]
    assert [r.tags for r in batched] == [r.tags for r in single]
    assert [r.call.call_id for r in batched] == [c.call_id for c in calls]


def test_a_failing_call_goes_to_the_error_handler_and_the_batch_goes_on():
    calls = [call(f"c{i}", ("customer", "BOOM" if i == 2 else "钱闲着")) for i in range(5)]
    failed: list[str] = []
    results = list(
        Pipeline(KeywordTagger(fail_on="BOOM")).pipe(calls, on_error=lambda c, e: failed.append(c.call_id))
    )
    assert failed == ["c2"]
    assert [r.call.call_id for r in results] == ["c0", "c1", "c3", "c4"]


def test_the_handler_gets_the_call_that_failed_as_masked():
    """A call that fails masking, then the only one left fails in the tagger: each is named, and the
    second is handed over masked, as a handler that logs it must see it."""
    unmaskable = Call("c0", "13912345678", [Utterance(0, "customer", "有")])  # a phone number as customer ID
    failing = call("c1", ("customer", f"BOOM 卡号{CARD}"))
    seen: list[tuple[str, str]] = []
    handler = lambda c, e: seen.append((c.call_id, c.utterances[0].text))  # noqa: E731
    pipeline = Pipeline(KeywordTagger(fail_on="BOOM"))
    assert list(pipeline.pipe([unmaskable, failing], on_error=handler)) == []
    assert [call_id for call_id, _ in seen] == ["c0", "c1"]
    assert CARD not in seen[1][1]
    seen.clear()
    assert list(pipeline.pipe([failing], on_error=handler)) == []
    assert seen[0][0] == "c1" and CARD not in seen[0][1]


def test_calls_before_an_item_that_is_not_a_call_are_yielded_before_it_raises():
    results = []
    with pytest.raises(ConvmineError, match="got NoneType"):
        for result in Pipeline(KeywordTagger()).pipe(["钱闲着", "不需要", None]):  # type: ignore[list-item]
            results.append(result)
    assert [[t.label for t in r.tags] for r in results] == [["basic.funds.idle"], []]


def test_without_a_handler_errors_propagate():
    with pytest.raises(RuntimeError, match="tagger broke"):
        list(Pipeline(KeywordTagger(fail_on="BOOM")).pipe([call("c1", ("customer", "BOOM"))]))


def test_predict_masks_and_normalises_labelled_turns():
    tagger = KeywordTagger()
    preds = Pipeline(tagger).predict([Turn(f"卡号{CARD}閒錢", ("您有閒錢嗎",))])
    assert preds[0][0].label == "basic.funds.idle"
    assert CARD not in tagger.seen[0].text and tagger.seen[0].context == ("您有闲钱吗",)


def test_load_gives_a_tagger_by_name():
    assert convmine.load("rules").tagger.name == "rules"
    with pytest.raises(convmine.ConvmineError, match="unknown tagger"):
        convmine.load("no-such-tagger")


def test_an_utterance_with_an_unknown_speaker_or_no_text_is_refused():
    with pytest.raises(ConvmineError, match="speaker must be one of agent, customer, unknown, got '客户'"):
        Utterance(0, "客户", "我只买保本的")  # type: ignore[arg-type]
    with pytest.raises(ConvmineError, match="text must be a str, got NoneType"):
        Utterance(0, "customer", None)  # type: ignore[arg-type]


def test_anything_but_a_call_or_text_is_refused():
    with pytest.raises(convmine.ConvmineError, match="got int"):
        Pipeline(KeywordTagger())(123)  # type: ignore[arg-type]


def test_pipe_takes_texts_and_refuses_what_it_cannot_tag():
    pipeline = Pipeline(KeywordTagger())
    assert [[t.label for t in r.tags] for r in pipeline.pipe(["手头有点闲钱"])] == [["basic.funds.idle"]]
    for bad in (0, 1.5, None):
        with pytest.raises(ConvmineError, match="at least 1"):
            list(pipeline.pipe([call("c1", ("customer", "有"))], batch_size=bad))  # type: ignore[arg-type]
    with pytest.raises(ConvmineError, match="call the pipeline"):
        list(pipeline.pipe("手头有点闲钱"))  # a str would be tagged one character a call
    with pytest.raises(ConvmineError, match="cannot tag a Failure"):
        list(pipeline.pipe([Failure("a.txt", "bad")]))
    with pytest.raises(ConvmineError, match="got int"):
        pipeline(123)  # type: ignore[arg-type]


def test_the_objects_a_developer_holds_say_what_they_are():
    from convmine.store import open_store

    nlp = convmine.load("rules")
    assert repr(nlp).startswith("Pipeline('rules@") and "convmine-bank-wealth" in repr(nlp)
    assert repr(nlp.taxonomy).startswith("Taxonomy('convmine-bank-wealth', '1.0.0', 100 labels")
    assert repr(nlp.masker).startswith("Masker(MaskStyle(")
    store = open_store(":memory:")
    assert repr(store).endswith(", open)")
    store.close()
    assert repr(store).endswith(", closed)")
