"""Scoring: per-label P/R/F1, micro/macro F1, false-tag rate, values, utterance and call level."""

from __future__ import annotations

import json

import pytest

from convmine.errors import InputError
from convmine.evaluate import Predicted, compare, evaluate_file, predict_file, score
from convmine.pipeline import Pipeline
from tests.fakes import KeywordTagger

IDLE, FEES = "basic.funds.idle", "feedback.question.fees"


def test_scores_by_hand():
    gold = [frozenset({IDLE}), frozenset({IDLE, FEES}), frozenset(), frozenset(), frozenset({FEES})]
    pred = [frozenset({IDLE}), frozenset({IDLE}), frozenset({FEES}), frozenset(), frozenset()]
    s = score(gold, pred)
    assert (s.per_label[IDLE].precision, s.per_label[IDLE].recall, s.per_label[IDLE].f1) == (1.0, 1.0, 1.0)
    assert (s.per_label[FEES].precision, s.per_label[FEES].recall, s.per_label[FEES].support) == (0.0, 0.0, 2)
    assert (s.micro.true_positives, s.micro.predicted, s.micro.support) == (2, 3, 4)
    assert s.micro.f1 == round(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5), 4)
    assert s.macro_f1 == 0.5
    assert (s.no_label_items, s.false_tag_rate) == (2, 0.5)
    assert s.per_category["basic"].f1 == 1.0 and s.per_category["feedback"].f1 == 0.0
    assert json.loads(json.dumps(s.to_dict()))["micro_f1"] == s.micro_f1


def _jsonl(path, rows):
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def test_a_category_a_bank_adds_is_scored_too():
    scores = score([frozenset({"interest.pension", "basic.funds.idle"})], [frozenset({"interest.pension"})])
    assert list(scores.per_category) == ["basic", "interest"]
    assert scores.per_category["interest"].f1 == 1.0 and scores.per_category["basic"].recall == 0.0


def test_utterance_rows_are_scored_with_context_and_values(tmp_path):
    data = _jsonl(
        tmp_path / "d.jsonl",
        [
            {"text": "有的闲着", "labels": [IDLE], "context": ["您有闲钱吗"]},
            {"text": "嗯嗯好的", "labels": []},
            {"text": "三点五就行", "labels": ["preference.return.target=3.5"]},
        ],
    )
    s = evaluate_file(Pipeline(KeywordTagger()), data)
    assert s.items == 3 and s.per_label[IDLE].f1 == 1.0
    assert s.per_label["preference.return.target"].recall == 0.0 and s.value_accuracy == 0.0


def test_dialogues_are_scored_at_call_level(tmp_path):
    call = {
        "call_id": "d1",
        "customer_id": "C1",
        "utterances": [
            {"speaker": "agent", "text": "您有闲钱吗"},
            {"speaker": "customer", "text": "有，闲着呢", "labels": [IDLE]},
            {"speaker": "customer", "text": "买这个要手续费吗", "labels": [FEES]},
        ],
    }
    row = {"dialogue_id": "dlg-1", "scenario": "wealth_outbound", "call": call, "profile": [IDLE, FEES]}
    s = evaluate_file(Pipeline(KeywordTagger()), _jsonl(tmp_path / "dlg.jsonl", [row]))
    assert s.items == 1 and s.micro.precision == 1.0 and s.micro.recall == 0.5
    wrong = predict_file(Pipeline(KeywordTagger()), tmp_path / "dlg.jsonl").errors()
    assert wrong == [
        {"item": "dlg-1", "gold": [IDLE, FEES], "predicted": [IDLE], "missed": [FEES], "extra": []}
    ]


def test_dialogues_of_one_split(tmp_path):
    """The corpus's dialogues file holds training dialogues too; --split keeps the held-out ones."""

    def dialogue(name: str, split: str, text: str) -> dict:
        customer = {"speaker": "customer", "text": text, "labels": [IDLE]}
        utterances = [{"speaker": "agent", "text": "您有闲钱吗"}, customer]
        call = {"call_id": name, "customer_id": "C1", "utterances": utterances}
        return {
            "dialogue_id": name,
            "scenario": "wealth_outbound",
            "call": call,
            "profile": [IDLE],
            "split": split,
        }

    data = _jsonl(
        tmp_path / "dlg.jsonl", [dialogue("d1", "train", "有，闲着呢"), dialogue("d2", "test", "没有")]
    )
    pipeline = Pipeline(KeywordTagger())
    assert evaluate_file(pipeline, data).micro.recall == 0.5
    held_out = evaluate_file(pipeline, data, split="test")
    assert held_out.items == 1 and held_out.micro.recall == 0.0
    with pytest.raises(InputError, match="no dialogue of split 'dev'"):
        evaluate_file(pipeline, data, split="dev")
    rows = _jsonl(tmp_path / "rows.jsonl", [{"text": "有", "labels": []}])
    with pytest.raises(InputError, match="turn rows"):
        evaluate_file(pipeline, rows, split="test")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"text": "x", "labels": ["basic.fund.idle"]}', r"d.jsonl:2: .*did you mean"),
        ('{"text": "x"}', r"d.jsonl:2: .*labels"),
        ("{not json", r"d.jsonl:2: "),
        (
            '{"text": "x", "labels": ["preference.risk.guaranteed", "preference.risk.high"]}',
            r"d.jsonl:2: .*single dimension 'preference.risk'",
        ),
        (
            '{"text": "x", "labels": ["preference.return.target=nan"]}',
            r"d.jsonl:2: .*must be a number, got 'nan'",
        ),
    ],
)
def test_bad_rows_name_file_and_line(tmp_path, line, message):
    path = tmp_path / "d.jsonl"
    path.write_text('{"text": "ok", "labels": []}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=message):
        evaluate_file(Pipeline(KeywordTagger()), path)


def test_a_label_written_with_spaces_is_read_as_the_label():
    from convmine.corpus import _labels
    from convmine.taxonomy import load_taxonomy

    assert _labels([" basic.funds.idle", "preference.return.target =3.5"], load_taxonomy()) == (
        "basic.funds.idle",
        "preference.return.target=3.5",
    )


@pytest.mark.parametrize(
    ("first", "message"), [("42", "line must be a JSON object"), (b"\xce\xd2", "not UTF-8 text")]
)
def test_a_file_that_is_not_labelled_rows_is_refused_clearly(tmp_path, first, message):
    path = tmp_path / "x.jsonl"
    path.write_bytes(first.encode() if isinstance(first, str) else first)
    with pytest.raises(InputError, match=message):
        evaluate_file(Pipeline(KeywordTagger()), path)


def test_empty_files_are_refused(tmp_path):
    with pytest.raises(InputError, match="no labelled rows"):
        evaluate_file(Pipeline(KeywordTagger()), _jsonl(tmp_path / "e.jsonl", []))


def test_a_file_saved_with_a_bom_is_read(tmp_path):
    """Windows editors save UTF-8 with a byte-order mark."""
    data = tmp_path / "bom.jsonl"
    data.write_text(
        '{"text": "有的闲着", "labels": ["basic.funds.idle"], "context": ["您有闲钱吗"]}\n',
        encoding="utf-8-sig",
    )
    assert evaluate_file(Pipeline(KeywordTagger()), data).items == 1


def test_predicted_errors_name_the_dialogues_that_differ():
    gold = [frozenset({IDLE}), frozenset({FEES})]
    predicted = Predicted(gold, [frozenset({IDLE}), frozenset({IDLE})], keys=["d1", "d2"])
    assert predicted.errors() == [
        {"item": "d2", "gold": [FEES], "predicted": [IDLE], "missed": [FEES], "extra": [IDLE]}
    ]


def _sides(gold, first, second):
    return Predicted(gold, first), Predicted(gold, second)


def test_compare_gives_the_whole_difference_and_a_bootstrap_interval():
    gold = [frozenset({IDLE})] * 100 + [frozenset()] * 100
    right = list(gold)
    half = [frozenset({IDLE})] * 50 + [frozenset()] * 50 + [frozenset({FEES})] * 20 + [frozenset()] * 80
    first, second = _sides(gold, right, half)
    d = compare(first, second, rounds=500)
    assert (d.first, d.second) == (1.0, score(gold, half).micro_f1)
    assert d.delta == round(d.first - d.second, 4) and d.low <= d.delta <= d.high
    assert d.low > 0 and d.clear  # 100 items each way: far beyond resampling noise
    assert compare(first, second, rounds=500) == d  # seeded: the same interval each time
    reverse = compare(second, first, rounds=500)
    assert reverse.delta == -d.delta and reverse.high < 0 and reverse.clear


def test_compare_on_a_handful_of_items_is_not_clear():
    gold = [frozenset({IDLE}), frozenset({FEES}), frozenset({IDLE}), frozenset({FEES}), frozenset({IDLE})]
    first = [frozenset({IDLE}), frozenset({FEES}), frozenset({IDLE}), frozenset(), frozenset()]
    second = [frozenset(), frozenset({FEES}), frozenset({IDLE}), frozenset({FEES}), frozenset()]
    d = compare(*_sides(gold, first, second))
    assert d.delta == 0.0 and d.low < 0 < d.high and not d.clear
    same = compare(*_sides(gold, first, first))
    assert (same.delta, same.low, same.high, same.clear) == (0.0, 0.0, 0.0, False)


def test_compare_refuses_different_items():
    with pytest.raises(ValueError, match="same labelled items"):
        compare(Predicted([frozenset({IDLE})], [frozenset()]), Predicted([frozenset()], [frozenset()]))
    with pytest.raises(ValueError, match="at least one"):
        compare(Predicted([], []), Predicted([], []))


def test_error_rows_mask_a_row_id_that_holds_a_phone_number(tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text(
        '{"id": "13812345678", "text": "不需要", "labels": ["basic.funds.idle"]}\n', encoding="utf-8"
    )
    [row] = predict_file(Pipeline(KeywordTagger()), data).errors()
    assert row["item"] == "138****5678"
