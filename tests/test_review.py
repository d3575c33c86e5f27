"""Reviewers' corrections: export → edit verdicts → import → profiles change → training JSONL has them."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from convmine.corpus import read_jsonl
from convmine.errors import InputError, StoreError, TaxonomyError
from convmine.review import (
    REVIEW_COLUMNS,
    Review,
    import_reviews,
    review_rows,
    training_rows,
    write_review_csv,
)
from convmine.schema import Call, Evidence, Tag, TaggedCall, Utterance
from convmine.store import open_store
from convmine.store.migrations import MIGRATIONS
from tests.data.reports import fixture
from tests.stores import run_sql

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def tag(label: str, turn: int, quote: str, *, value: float | None = None, confidence: float = 0.7) -> Tag:
    return Tag(label, confidence, "rule", Evidence(turn, (0, len(quote)), quote), value, "1.0.0", "rules@1")


def small_call(call_id: str = "C1", customer: str = "U1", started: datetime = T0) -> TaggedCall:
    turns = [
        Utterance(0, "agent", "您好，华信银行，最近有款理财想跟您介绍一下。", 0.0, 3.0),
        Utterance(1, "customer", "我手头有点闲钱，收益能到三点五就行。", 3.5, 7.0),
        Utterance(2, "agent", "好的，那您平时用手机银行吗？", 7.5, 9.0),
        Utterance(3, "customer", "嗯嗯好的。", 9.5, 10.0),
        Utterance(4, "customer", "我不需要，谢谢。", 10.5, 12.0),
    ]
    tags = [
        tag("basic.funds.idle", 1, "有点闲钱"),
        tag("preference.return.target", 1, "收益能到三点五", value=3.5, confidence=0.85),
        tag("objection.refusal.no_need", 3, "嗯嗯好的", confidence=0.55),
    ]
    return TaggedCall(Call(call_id, customer, turns, "A1", started), tags)


@pytest.fixture
def store(store_url: str):
    with open_store(store_url) as opened:
        opened.save([small_call()])
        yield opened


def review(
    label: str, turn: int, verdict: str, *, who: str = "王审核", at: datetime = T0, value=None
) -> Review:
    return Review("C1", turn, label, verdict, who, at, value)  # type: ignore[arg-type]


def labels(
    store, customer: str = "U1", now: datetime = T0 + timedelta(days=1)
) -> dict[str, tuple[str, float]]:
    return {e.label: (e.source, e.confidence) for e in store.profile(customer, now=now).entries}


# --- how verdicts apply -----------------------------------------------------------------------------


def test_verdicts_override_the_tagger_in_observations_and_profiles(store):
    stored = store.add_reviews([
        review("objection.refusal.no_need", 3, "reject"),  # "嗯嗯好的" is not a refusal
        review("basic.funds.idle", 1, "confirm"),
        review("objection.refusal.no_need", 4, "add"),  # the tagger missed "我不需要"
        review("preference.return.target", 1, "confirm", value=3.0),  # right label, wrong number
    ])  # fmt: skip
    assert stored == 4
    profile = labels(store)
    assert "objection.refusal.no_need" in profile and profile["basic.funds.idle"] == ("review", 1.0)
    added = [o for o in store.observations(labels="objection") if o.tag.label == "objection.refusal.no_need"]
    assert len(added) == 1
    assert added[0].tag.evidence == Evidence(4, None, "我不需要，谢谢。", 10.5, 12.0)
    assert (added[0].tag.source, added[0].tag.confidence) == ("review", 1.0)
    target = next(o for o in store.observations() if o.tag.label == "preference.return.target")
    assert target.tag.value == 3.0
    assert [o.tag.label for o in store.observations()][-1] == "objection.refusal.no_need"  # added ones last
    assert store.get_call("C1") == small_call()  # the tagger's output itself is kept as it was


def test_the_latest_verdict_holds_and_history_keeps_who_and_when(store):
    later = T0 + timedelta(hours=2)
    store.add_reviews([review("basic.funds.idle", 1, "reject", who="王审核")])
    assert "basic.funds.idle" not in labels(store)
    store.add_reviews([review("basic.funds.idle", 1, "confirm", who="李主管", at=later)])
    assert labels(store)["basic.funds.idle"] == ("review", 1.0)
    history = store.reviews(history=True)
    assert [(r.verdict, r.reviewer, r.reviewed_at) for r in history] == [
        ("reject", "王审核", T0),
        ("confirm", "李主管", later),
    ]
    assert [(r.verdict, r.reviewer) for r in store.reviews()] == [("confirm", "李主管")]


def test_recording_the_same_verdict_twice_changes_nothing(store):
    verdicts = [review("basic.funds.idle", 1, "confirm"), review("objection.refusal.no_need", 3, "reject")]
    assert store.add_reviews(verdicts) == 2
    assert store.add_reviews(verdicts) == 0
    assert len(store.reviews(history=True)) == 2


def test_verdicts_survive_re_tagging_the_call(store):
    store.add_reviews(
        [review("objection.refusal.no_need", 3, "reject"), review("basic.funds.idle", 1, "confirm")]
    )
    store.save([small_call()], tagger="rules@2")  # tagged again: the same mistake, new tag rows
    assert "objection.refusal.no_need" not in labels(store)
    assert labels(store)["basic.funds.idle"] == ("review", 1.0)


def shifted_call() -> TaggedCall:
    """``small_call`` transcribed again with one more turn first: every turn index moves up by one."""
    old = small_call()
    turns = [Utterance(0, "customer", "喂？", 0.0, 0.5)] + [
        Utterance(u.index + 1, u.speaker, u.text, u.start, u.end) for u in old.call.utterances
    ]
    tags = [
        Tag(t.label, t.confidence, t.source, Evidence(t.evidence.utterance_index + 1, t.evidence.span,
            t.evidence.quote), t.value, t.taxonomy_version, t.model_version)
        for t in old.tags
    ]  # fmt: skip
    return TaggedCall(Call("C1", "U1", turns, "A1", T0), tags)


def test_a_verdict_stays_with_the_words_it_was_given_on_when_turns_shift(store):
    store.add_reviews([
        review("objection.refusal.no_need", 3, "reject"),  # "嗯嗯好的。"
        review("feedback.question.fees", 1, "add"),  # "我手头有点闲钱…"
        review("objection.refusal.no_need", 4, "add"),  # "我不需要，谢谢。"
        review("", 3, "confirm"),
    ])  # fmt: skip
    store.save([shifted_call()])  # turn 1 is now the agent's, turn 3 too, turn 4 reads "嗯嗯好的。"

    observed = [(o.tag.label, o.tag.evidence.utterance_index, o.tag.source) for o in store.observations()]
    assert all(source != "review" for _, _, source in observed)  # no verdict applies to another turn
    assert ("feedback.question.fees", 1, "review") not in observed  # never on the agent's turn
    assert ("objection.refusal.no_need", 4, "rule") in observed  # the tagger's tag: the reject was not on it
    assert list(training_rows(store)) == []  # nothing reviewed is left to train on
    assert {(r.utterance_index, r.label) for r in store.stale_reviews()} == {
        (1, "feedback.question.fees"), (3, "objection.refusal.no_need"), (4, "objection.refusal.no_need"),
        (3, ""),
    }  # fmt: skip
    rows = {(r["utterance_index"], r["label"]): r for r in review_rows(store)}
    assert rows[1, "feedback.question.fees"]["current_verdict"] == "stale add"  # listed on the agent's turn
    assert rows[1, "feedback.question.fees"]["text"] == "您好，华信银行，最近有款理财想跟您介绍一下。"
    assert rows[4, "objection.refusal.no_need"]["current_verdict"] == "stale add"
    assert rows[3, "objection.refusal.no_need"]["current_verdict"] == "stale reject"
    assert rows[3, ""]["current_verdict"] == "stale confirm"
    assert {r["current_verdict"] for r in review_rows(store) if r["utterance_index"] in (0, 2, 5)} == {""}

    store.save([small_call()])  # transcribed as before again: the verdicts apply again
    assert store.stale_reviews() == []
    assert ("objection.refusal.no_need", 3) not in {
        (o.tag.label, o.tag.evidence.utterance_index) for o in store.observations()
    }
    assert [row["id"] for row in training_rows(store)] == ["C1#01", "C1#03", "C1#04"]


def test_a_verdict_given_again_on_the_changed_turn_is_recorded_and_applies(store):
    store.add_reviews([review("objection.refusal.no_need", 3, "reject")])
    store.save([shifted_call()])
    assert store.add_reviews([review("objection.refusal.no_need", 4, "reject")]) == 1
    assert store.add_reviews([review("objection.refusal.no_need", 4, "reject")]) == 0
    assert "objection.refusal.no_need" not in labels(store)
    assert store.reviews()[-1].text == "嗯嗯好的。"


def test_verdicts_recorded_before_they_were_bound_apply_by_index_to_customer_turns_only(store, store_url):
    for index, label in [(4, "feedback.question.fees"), (1, "basic.funds.large")]:  # as a version-3 store
        run_sql(  # recorded them: no turn text
            store_url,
            "INSERT INTO reviews (call_id, utterance_index, label, verdict, reviewer, reviewed_at) "
            f"VALUES ('C1', {index}, '{label}', 'add', 'x', '2026-05-01T08:00:00.000000+00:00')",
        )
    store.save([shifted_call()])  # turn 4 is still the customer's ("嗯嗯好的。"), turn 1 is now the agent's
    added = {
        (o.tag.label, o.tag.evidence.utterance_index)
        for o in store.observations()
        if o.tag.source == "review"
    }
    assert added == {("feedback.question.fees", 4)}
    assert [(r.utterance_index, r.text) for r in store.stale_reviews()] == [(1, None)]


def test_importing_a_review_file_exported_before_the_call_changed_records_nothing(store, tmp_path):
    rows = export(store, tmp_path / "review.csv")
    rows[0]["verdict"] = "reject"  # turn 1 "我手头有点闲钱…"
    edited = save(rows, tmp_path / "edited.csv")
    changed = small_call()
    turns = list(changed.call.utterances)
    turns[1] = Utterance(1, "customer", "我手头没有闲钱。", 3.5, 7.0)
    store.save([TaggedCall(Call("C1", "U1", turns, "A1", T0), changed.tags)])
    with pytest.raises(
        InputError,
        match=r"edited.csv:2: turn 1 of call 'C1' reads differently now.*export the review file again",
    ):
        import_reviews(store, edited, reviewer="王审核")
    assert store.reviews(history=True) == []


def test_deleting_a_call_deletes_its_verdicts(store):
    store.add_reviews([review("basic.funds.idle", 1, "confirm")])
    assert store.delete_call("C1")
    assert store.reviews(history=True) == []


def test_label_filters_apply_to_added_tags(store):
    store.add_reviews([review("feedback.question.fees", 4, "add")])
    assert [o.tag.label for o in store.observations(labels="feedback")] == ["feedback.question.fees"]
    assert [o.tag.label for o in store.observations(labels=["feedback.question.fees"])] == [
        "feedback.question.fees"
    ]
    assert "feedback.question.fees" not in [o.tag.label for o in store.observations(labels="basic")]


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        (Review("C9", 1, "basic.funds.idle", "confirm", "x", T0), StoreError, "no call 'C9'"),
        (Review("C1", 9, "basic.funds.idle", "add", "x", T0), StoreError, "has no turn 9"),
        (Review("C1", 2, "basic.funds.idle", "add", "x", T0), StoreError, "is the agent's"),
        (
            Review("C1", 4, "basic.funds.idle", "confirm", "x", T0),
            StoreError,
            "no tag 'basic.funds.idle' to confirm",
        ),
        (Review("C1", 1, "basic.funds.idel", "add", "x", T0), TaxonomyError, "basic.funds.idle"),
        (Review("C1", 1, "basic.funds.idle", "add", "x", T0, 3.5), TaxonomyError, "takes no value"),
    ],
)
def test_a_bad_verdict_records_none_of_the_batch(store, bad, error, message):
    with pytest.raises(error, match=message):
        store.add_reviews([review("basic.funds.idle", 1, "confirm"), bad])
    assert store.reviews(history=True) == []


def test_a_review_needs_a_verdict_a_label_and_a_reviewer():
    with pytest.raises(ValueError, match="verdict must be one of"):
        Review("C1", 1, "basic.funds.idle", "maybe", "x", T0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs a label"):
        Review("C1", 1, "", "add", "x", T0)
    with pytest.raises(ValueError, match="reviewer"):
        Review("C1", 1, "basic.funds.idle", "add", " ", T0)


def test_version_1_stores_migrate_and_keep_their_rows(tmp_path):
    path = tmp_path / "v1.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(MIGRATIONS[0].apply)  # type: ignore[arg-type]
        conn.execute("PRAGMA user_version = 1")
        conn.execute(
            "INSERT INTO calls VALUES ('C1', 'U1', 'A1', NULL, NULL, '2026-01-01T00:00:00.000000+00:00', '', '')"
        )
    with open_store(path) as store:
        assert [c.call_id for c in store.calls()] == ["C1"]
        assert store.reviews() == []


# --- the CSV round trip -----------------------------------------------------------------------------


def export(store, path: Path, **scope) -> list[dict[str, str]]:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        write_review_csv(store, out, **scope)
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.DictReader(stream))


def save(rows: list[dict[str, str]], path: Path, encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as out:
        writer = csv.DictWriter(out, fieldnames=REVIEW_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_export_lists_tags_and_untagged_customer_turns(store, tmp_path):
    rows = export(store, tmp_path / "review.csv")
    assert [(r["utterance_index"], r["label"]) for r in rows] == [
        ("1", "basic.funds.idle"),
        ("1", "preference.return.target"),
        ("3", "objection.refusal.no_need"),
        ("4", ""),  # no tag: where a reviewer adds a missed one
    ]
    assert rows[0]["text"] == "我手头有点闲钱，收益能到三点五就行。" and rows[0]["name"] == "当前有闲置资金"
    stored = {t.label: t.evidence.quote for t in store.get_call(rows[0]["call_id"]).tags}
    assert [r["quote"] for r in rows] == [stored[r["label"]] for r in rows[:3]] + [""]  # the evidence shown
    assert all(r["verdict"] == "" and r["current_verdict"] == "" for r in rows)
    only = export(store, tmp_path / "objections.csv", labels="objection", tagged_only=True)
    assert [(r["utterance_index"], r["label"]) for r in only] == [("3", "objection.refusal.no_need")]


def test_round_trip_export_edit_import_profile_training(tmp_path):
    db = fixture.build(tmp_path / "reports.db")
    with open_store(db) as store:
        customer, now = "CUST-0005", datetime(2026, 11, 30, tzinfo=UTC)
        before = labels(store, customer, now)
        rows = export(store, tmp_path / "review.csv", customer_id=customer)
        wrong = next(r for r in rows if r["label"] == "objection.refusal.no_money")
        right = next(r for r in rows if r["label"].startswith("feedback."))
        empty = [r for r in rows if r["label"] == ""]
        missed, nothing = empty[0], empty[1]
        wrong["verdict"] = "reject"
        right["verdict"] = "Confirm "  # as people type it
        missed.update(label="feedback.question.fees", verdict="add", note="asked what it costs")
        nothing["verdict"] = "confirm"
        edited = save(rows, tmp_path / "edited.csv")

        summary = import_reviews(store, edited, reviewer="王审核")
        assert (summary.rows, summary.stored, dict(summary.verdicts)) == (
            len(rows), 4, {"reject": 1, "confirm": 2, "add": 1},
        )  # fmt: skip
        assert import_reviews(store, edited, reviewer="王审核").stored == 0  # importing twice changes nothing

        after = labels(store, customer, now)
        assert before.get("objection.refusal.no_money") and "objection.refusal.no_money" not in after
        assert after["feedback.question.fees"] == ("review", 1.0)
        assert after[right["label"]] == ("review", 1.0)
        stored = {(r.utterance_index, r.label): r for r in store.reviews()}
        note = stored[int(missed["utterance_index"]), "feedback.question.fees"]
        assert (note.reviewer, note.note) == ("王审核", "asked what it costs")

        again = export(store, tmp_path / "again.csv", customer_id=customer)
        verdicts = {(r["call_id"], r["utterance_index"], r["label"]): r["current_verdict"] for r in again}
        assert verdicts[wrong["call_id"], wrong["utterance_index"], wrong["label"]] == "reject"
        assert verdicts[missed["call_id"], missed["utterance_index"], "feedback.question.fees"] == "add"

        out = tmp_path / "train.jsonl"
        out.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in training_rows(store)), encoding="utf-8"
        )
    examples = {e.id: e for e in read_jsonl(out)}  # the spec's format, validated by the corpus reader
    assert len(examples) == 4
    key = lambda row: f"{row['call_id']}#{int(row['utterance_index']):02d}"  # noqa: E731
    assert "objection.refusal.no_money" not in examples[key(wrong)].labels
    assert right["label"] in examples[key(right)].labels
    assert "feedback.question.fees" in examples[key(missed)].labels
    assert examples[key(nothing)].labels == ()
    assert examples[key(missed)].text == missed["text"] and examples[key(missed)].family == missed["call_id"]
    assert examples[key(missed)].context and len(examples[key(missed)].context) <= 4


def test_the_review_export_shows_the_value_a_reviewer_corrected(store, tmp_path):
    store.add_reviews([review("preference.return.target", 1, "confirm", value=3.0)])
    [row] = [r for r in export(store, tmp_path / "review.csv") if r["label"] == "preference.return.target"]
    assert (row["value"], row["current_verdict"]) == ("3.0", "confirm")  # the tagger read 3.5


def test_training_rows_give_values_and_context(store):
    store.add_reviews([review("preference.return.target", 1, "confirm", value=3.0), review("", 3, "confirm")])
    rows = list(training_rows(store, context_turns=1))
    assert rows == [
        {
            "id": "C1#01", "family": "C1", "text": "我手头有点闲钱，收益能到三点五就行。",
            "labels": ["basic.funds.idle", "preference.return.target=3"],
            "context": ["您好，华信银行，最近有款理财想跟您介绍一下。"],
        },
        {
            "id": "C1#03", "family": "C1", "text": "嗯嗯好的。",
            "labels": ["objection.refusal.no_need"], "context": ["好的，那您平时用手机银行吗？"],
        },
    ]  # fmt: skip


def test_relabelling_a_turn_in_a_single_dimension_rejects_its_other_value(store, tmp_path):
    """The tagger heard 三个月 but the customer said 一年以上: one value per turn, so the add replaces."""
    relabelled = small_call("C2", "U2")
    relabelled.tags.append(tag("preference.term.3m_6m", 1, "收益能到三点五"))
    store.save([relabelled])
    rows = [
        r
        for r in export(store, tmp_path / "review.csv", customer_id="U2")
        if r["label"].startswith("preference.term")
    ]
    rows[0].update(label="preference.term.gt_1y", verdict="add", reviewer="王审核")
    summary = import_reviews(store, save(rows, tmp_path / "relabel.csv"))
    assert (summary.stored, summary.replaced, summary.skipped) == (2, 1, 0)
    terms = [
        o.tag.label for o in store.observations(call_id="C2") if o.tag.label.startswith("preference.term")
    ]
    assert terms == ["preference.term.gt_1y"]
    [implied] = [r for r in store.reviews(call_id="C2") if r.verdict == "reject"]
    assert (implied.label, implied.note) == ("preference.term.3m_6m", "replaced by preference.term.gt_1y")
    assert import_reviews(store, tmp_path / "relabel.csv").stored == 0  # importing again changes nothing
    both = [dict(rows[0]), dict(rows[0], label="preference.term.le_3m")]
    with pytest.raises(
        InputError, match=r"given both 'preference\.term\.gt_1y' and 'preference\.term\.le_3m'"
    ):
        import_reviews(store, save(both, tmp_path / "both.csv"))


def test_two_verdicts_on_one_tag_in_one_file_are_refused_naming_both_lines(store, tmp_path):
    rows = export(store, tmp_path / "review.csv")
    row = next(r for r in rows if r["label"] == "basic.funds.idle")
    twice = [dict(row, verdict="confirm", reviewer="x"), dict(row, verdict="confirm", reviewer="x")]
    assert import_reviews(store, save(twice, tmp_path / "twice.csv")).stored == 1  # the same, once
    clash = [dict(row, verdict="confirm", reviewer="x"), dict(row, verdict="reject", reviewer="x")]
    with pytest.raises(
        InputError, match=r"clash.csv:3: line 2 already gives turn 1 .* another verdict \(confirm\)"
    ):
        import_reviews(store, save(clash, tmp_path / "clash.csv"))


def test_a_verdict_the_store_cannot_record_names_its_line(store, tmp_path):
    rows = export(store, tmp_path / "review.csv")
    agent_turn = dict(
        rows[0], utterance_index="2", text="", label="basic.funds.idle", verdict="add", reviewer="x"
    )
    with pytest.raises(InputError, match=r"agent.csv:3: turn 2 of call 'C1' is the agent's"):
        import_reviews(
            store, save([dict(rows[0], verdict="confirm", reviewer="x"), agent_turn], tmp_path / "agent.csv")
        )
    assert store.reviews() == []  # none recorded


def test_reviewer_and_note_cells_are_masked_before_they_are_stored(store, tmp_path):
    rows = export(store, tmp_path / "review.csv")
    rows[0].update(verdict="confirm", reviewer="13812345678", note="客户说改手机号13912345678")
    import_reviews(store, save(rows[:1], tmp_path / "pii.csv"))
    [stored] = store.reviews()
    assert (stored.reviewer, stored.note) == ("138****5678", "客户说改手机号139****5678")


def test_import_reads_what_excel_writes(store, tmp_path):
    rows = export(store, tmp_path / "review.csv")
    rows[0].update(verdict="reject", reviewer="李主管")
    gbk = save(rows, tmp_path / "excel.csv", encoding="gb18030")  # "CSV" on Chinese Windows
    assert import_reviews(store, gbk).stored == 1
    assert store.reviews()[0].reviewer == "李主管"
    unicode_text = tmp_path / "excel.txt"  # Excel's "Unicode Text": UTF-16, tab-separated
    with unicode_text.open("w", encoding="utf-16", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=REVIEW_COLUMNS, delimiter="\t")
        writer.writeheader()
        writer.writerows([dict(rows[0], verdict="confirm")])
    assert import_reviews(store, unicode_text).verdicts == {"confirm": 1}

    escaped = small_call("=cmd|' /C calc'!A0", "U2")  # a call ID the export had to guard with '
    store.save([escaped])
    buffer = io.StringIO()
    write_review_csv(store, buffer, customer_id="U2", tagged_only=True)
    exported = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert exported[0]["call_id"] == "'=cmd|' /C calc'!A0"
    exported[0]["verdict"] = "confirm"
    import_reviews(store, save(exported, tmp_path / "guarded.csv"), reviewer="x")
    assert "=cmd|' /C calc'!A0" in {r.call_id for r in store.reviews()}


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"verdict": "wrong"}, r"edited.csv:2: verdict 'wrong' is not one of confirm, reject, add"),
        ({"verdict": "add", "label": "basic.funds.idel"}, r"edited.csv:2: .*basic.funds.idle"),
        (
            {"verdict": "confirm", "utterance_index": "one"},
            r"edited.csv:2: utterance_index must be a whole number",
        ),
        ({"verdict": "confirm", "reviewer": ""}, r"edited.csv:2: no reviewer"),
        ({"verdict": "add", "label": "preference.return.target", "value": "high"}, r"value must be a number"),
    ],
)
def test_import_errors_name_the_line_and_record_nothing(store, tmp_path, edit, message):
    rows = export(store, tmp_path / "review.csv")
    rows[0].update(edit)
    rows[1]["verdict"] = "confirm"
    with pytest.raises(InputError, match=message):
        import_reviews(store, save(rows, tmp_path / "edited.csv"))
    assert store.reviews(history=True) == []


def test_import_refuses_a_file_that_is_not_a_review_csv(store, tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("call,label\nC1,basic.funds.idle\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"missing column.*utterance_index.*verdict"):
        import_reviews(store, other)
    with pytest.raises(InputError, match="cannot read"):
        import_reviews(store, tmp_path / "missing.csv")


# --- CLI --------------------------------------------------------------------------------------------


@pytest.fixture
def cli() -> typer.Typer:
    """The review commands as `convmine review …` and `convmine export-training` mount them."""
    from convmine.cli.review import export_training, review_app

    app = typer.Typer()
    app.add_typer(review_app, name="review")
    app.command("export-training")(export_training)
    return app


def test_cli_round_trip(cli, store, store_url, tmp_path):
    db = store_url
    store.close()
    runner = CliRunner()
    exported = tmp_path / "out" / "review.csv"
    result = runner.invoke(
        cli, ["review", "export", "--db", str(db), "-o", str(exported), "--labels", "objection"]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(exported.read_text(encoding="utf-8-sig").splitlines()))
    assert [(r["utterance_index"], r["label"]) for r in rows] == [
        ("1", ""),
        ("3", "objection.refusal.no_need"),
        ("4", ""),
    ]
    rows[1]["verdict"] = "reject"
    save(rows, exported)
    result = runner.invoke(cli, ["review", "import", str(exported), "--db", str(db), "--reviewer", "王审核"])
    assert result.exit_code == 0 and "stored 1 new verdicts" in result.output, result.output
    result = runner.invoke(cli, ["export-training", "--db", str(db), "--context-turns", "2"])
    assert result.exit_code == 0, result.output
    (row,) = [json.loads(line) for line in result.output.splitlines()]
    assert row["labels"] == [] and row["text"] == "嗯嗯好的。" and len(row["context"]) == 2
    bad = runner.invoke(cli, ["review", "import", str(tmp_path / "nope.csv"), "--db", str(db)])
    assert bad.exit_code == 1 and "cannot read the review file" in " ".join(bad.output.split())


def test_show_prints_the_call_as_reviewed(store, store_url):
    from convmine.cli.main import app

    store.add_reviews([
        review("objection.refusal.no_need", 3, "reject"),
        review("objection.refusal.no_need", 4, "add"),
    ])  # fmt: skip
    db = store_url
    store.close()
    result = CliRunner().invoke(app, ["show", "C1", "--db", str(db)])
    assert result.exit_code == 0, result.output
    tagged = [line.split()[1] for line in result.output.splitlines() if "↳" in line]
    assert tagged == ["basic.funds.idle", "preference.return.target", "objection.refusal.no_need"]
    assert "(review, 1.00)" in result.output.splitlines()[-1]  # the added one, on turn 4


def test_every_review_command_has_help(cli):
    runner = CliRunner()
    for args in (["review", "export"], ["review", "import"], ["export-training"]):
        result = runner.invoke(cli, [*args, "--help"])
        assert result.exit_code == 0 and "--db" in result.output


def test_review_rows_can_be_limited_to_some_calls(store):
    store.save([small_call("C2", "U1", T0 + timedelta(days=1))])
    assert {r["call_id"] for r in review_rows(store, call_ids={"C2"})} == {"C2"}


def test_a_mistyped_label_filter_is_refused_not_an_empty_export(store, tmp_path):
    with pytest.raises(InputError, match=r"'objections' selects no label .*did you mean 'objection'"):
        export(store, tmp_path / "review.csv", labels="objections", tagged_only=True)
    assert export(store, tmp_path / "review.csv", labels="objection.", tagged_only=True)


def test_a_review_file_that_is_not_text_is_refused_as_a_file_not_as_a_transcript(
    cli, store, store_url, tmp_path
):
    binary = tmp_path / "review.csv"
    binary.write_bytes(b"call_id,utterance_index\x00\x01\x02")
    store.close()
    result = CliRunner().invoke(cli, ["review", "import", str(binary), "--db", store_url])
    message = " ".join(result.output.split())
    assert result.exit_code == 1 and "not a text file" in message and "transcript" not in message
