"""The labelled corpus: reading and validation, near-duplicates, the build, the check, and the committed splits."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convmine.corpus import (
    DIALOGUES_FILE,
    SPLITS,
    build,
    char_ngrams,
    check,
    datasheet_stats,
    default_corpus_dir,
    near_duplicates,
    read_dialogues,
    read_jsonl,
    split_of,
    update_datasheet,
)
from convmine.errors import ConvmineError, InputError
from convmine.ingest import read_calls
from convmine.schema import Call
from convmine.taxonomy import load_taxonomy

IDLE, FEES, TARGET = "basic.funds.idle", "feedback.question.fees", "preference.return.target"
CORPUS = default_corpus_dir()


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _dialogue(dialogue_id: str, turns: list[tuple[str, str, list[str]]], **extra: object) -> dict:
    utterances = []
    for k, (speaker, text, labels) in enumerate(turns):
        turn: dict = {"speaker": speaker, "text": text, "start": 2.0 * k, "end": 2.0 * k + 1.5}
        if speaker == "customer":
            turn["labels"] = labels
        utterances.append(turn)
    profile = sorted({label for _, _, labels in turns for label in labels})
    call = {
        "call_id": f"call-{dialogue_id}",
        "customer_id": "C1",
        "agent_id": "A1",
        "started_at": "2024-03-05T10:12:08+08:00",
        "utterances": utterances,
    }
    return {
        "dialogue_id": dialogue_id,
        "scenario": "wealth_outbound",
        "call": call,
        "profile": profile,
        **extra,
    }


CALL = [
    ("agent", "您好，请问您最近有闲置资金吗？我们这款产品保本。", []),
    ("customer", "有，二十来万吧", [IDLE]),
    ("customer", "手续费多少？能到三点五吗", [FEES, f"{TARGET}=3.5"]),
    ("agent", "认购费为零。", []),
    ("customer", "嗯嗯好的", []),
]


# ------------------------------------------------------------------------------------------- reading


def test_read_jsonl_keeps_fields_and_values(tmp_path):
    path = _jsonl(
        tmp_path / "rows.jsonl",
        [
            {
                "id": "x-1",
                "family": "x-f1",
                "text": "对，有二十来万",
                "labels": [IDLE],
                "context": ["您有闲钱吗？"],
            },
            {"text": "能有三点五就行", "labels": [f"{TARGET}=3.5"]},
            {"text": "嗯嗯好的", "labels": []},
        ],
    )
    rows = read_jsonl(path)
    assert [r.id for r in rows] == ["x-1", None, None]
    assert rows[0].turn.context == ("您有闲钱吗？",) and rows[0].family == "x-f1"
    assert rows[1].labels == (f"{TARGET}=3.5",) and rows[1].label_ids == (TARGET,)
    assert rows[2].to_record() == {"text": "嗯嗯好的", "labels": []}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "bad.jsonl:2: not valid JSON"),
        ('["a list"]', "bad.jsonl:2: each line must be a JSON object"),
        ('{"labels": []}', "bad.jsonl:2: the row lacks the field"),
        (
            '{"text": "x", "labels": ["basic.funds.idel"]}',
            "bad.jsonl:2: unknown label .*did you mean 'basic.funds.idle'",
        ),
        ('{"text": "x", "labels": ["basic.funds.idle=3"]}', "bad.jsonl:2: .*takes no value"),
        ('{"text": "x", "labels": ["basic.funds.idle", "basic.funds.idle"]}', "bad.jsonl:2: labels repeat"),
        ('{"text": "x", "labels": "basic.funds.idle"}', "bad.jsonl:2: labels must be a list"),
        ('{"text": "x", "lables": []}', r"bad.jsonl:2: the row has unknown field\(s\) \['lables'\]"),
        ('{"text": "  ", "labels": []}', "bad.jsonl:2: text must be a non-empty string"),
    ],
)
def test_read_jsonl_names_file_and_line(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "好的", "labels": []}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_jsonl(path)


def test_read_dialogues_reads_calls_and_turn_labels(tmp_path):
    path = _jsonl(tmp_path / DIALOGUES_FILE, [_dialogue("dlg-001", CALL, outcome="agreed")])
    [dialogue] = read_dialogues(path)
    assert (
        dialogue.call.call_id == "call-dlg-001" and dialogue.call.started_at.utcoffset().seconds == 8 * 3600
    )
    assert dialogue.labels == {1: (IDLE,), 2: (FEES, f"{TARGET}=3.5"), 4: ()}
    rows = dialogue.examples()
    assert [r.id for r in rows] == ["dlg-001#01", "dlg-001#02", "dlg-001#04"]
    agent = tuple(text for speaker, text, _ in CALL[:4] if speaker == "agent")
    assert rows[1].context == agent[:1] and rows[2].context == agent  # the agent's turns only
    assert {r.family for r in rows} == {"dlg-001"}
    assert read_dialogues(_jsonl(tmp_path / "again.jsonl", [dialogue.to_record()]))[0].to_record() == (
        dialogue.to_record()
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(profile=[IDLE]), "dialogues.jsonl:1: profile must be the union.*missing"),
        (lambda d: d["call"]["utterances"][1].pop("labels"), r"utterances\[1\]: every customer turn needs"),
        (
            lambda d: d["call"]["utterances"][0].update(labels=[IDLE]),
            r"utterances\[0\]: an agent turn carries",
        ),
        (lambda d: d["call"]["utterances"][0].update(speaker="robot"), "unknown speaker 'robot'"),
        (lambda d: d["call"]["utterances"][1].update(end=0.5), "ends .* before it starts"),
        (lambda d: d["call"].update(started_at="yesterday"), "not an ISO-8601"),
        (lambda d: d.update(split="holdout"), "split must be one of"),
    ],
)
def test_read_dialogues_rejects_bad_calls(tmp_path, change, message):
    record = _dialogue("dlg-001", CALL)
    change(record)
    with pytest.raises(InputError, match=message):
        read_dialogues(_jsonl(tmp_path / DIALOGUES_FILE, [record]))


def test_read_dialogues_refuses_repeated_ids(tmp_path):
    again = _dialogue("dlg-002", CALL)
    again["call"]["call_id"] = "call-dlg-001"  # another call under the first one's ID
    with pytest.raises(InputError, match=r"dialogues.jsonl:2: call_id 'call-dlg-001' is also dlg-001's"):
        read_dialogues(_jsonl(tmp_path / DIALOGUES_FILE, [_dialogue("dlg-001", CALL), again]))
    with pytest.raises(InputError, match=r"dialogues.jsonl:2: dialogue_id 'dlg-001' is used twice"):
        read_dialogues(_jsonl(tmp_path / DIALOGUES_FILE, [_dialogue("dlg-001", CALL)] * 2))


# ----------------------------------------------------------------------------------- near-duplicates


def test_char_ngrams_normalise_script_width_and_punctuation():
    assert char_ngrams("我們這個，ＡＰＰ！") == char_ngrams("我们这个app")
    assert char_ngrams("嗯。") == frozenset({"嗯"}) and char_ngrams("……") == frozenset()


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="保本收益好的嗯", min_size=1, max_size=9), min_size=2, max_size=25))
def test_near_duplicates_equal_brute_force(texts):
    grams = [char_ngrams(t) for t in texts]
    expected = {
        (i, j) for i, j in itertools.combinations(range(len(texts)), 2) if _jaccard(grams[i], grams[j]) >= 0.8
    }
    found = near_duplicates(texts)
    assert {(i, j) for i, j, _ in found} == expected
    assert all(abs(s - _jaccard(grams[i], grams[j])) < 1e-9 for i, j, s in found)


# ------------------------------------------------------------------------------------------- building


def test_split_of_is_stable_and_near_70_15_15():
    assert split_of("dlg-001") == split_of("dlg-001")
    shares = {name: 0 for name in SPLITS}
    for k in range(6000):
        shares[split_of(f"fam-{k}", seed=3)] += 1
    assert abs(shares["train"] / 6000 - 0.70) < 0.03 and abs(shares["test"] / 6000 - 0.15) < 0.03


def _sources(tmp_path: Path) -> Path:
    """Eight short calls that share one customer turn, and a file of thirty two-row families plus edge cases."""
    sources = tmp_path / "sources"
    sources.mkdir(exist_ok=True)
    calls = [_dialogue(f"dlg-{k:03d}", [*CALL[:2], ("customer", f"第{k}个问题问完了", [])]) for k in range(8)]
    _jsonl(sources / DIALOGUES_FILE, calls)
    subjects = "基金 黄金 存款 保险 理财 国债 股票 外汇 信托 债券".split()
    rows = [
        {
            "id": f"t-{k:03d}",
            "family": f"t-f{k // 2:03d}",
            "text": f"{subjects[k % 10]}这个事{k // 10}号再说",
            "labels": [],
        }
        for k in range(60)
    ]
    rows += [
        {
            "id": "t-900",
            "family": "t-f900",
            "text": "有，二十来万吧。",
            "labels": [],
        },  # repeats a dialogue turn
        {"id": "t-901", "family": "t-f901", "text": "网点太少了，我家附近一个都没有", "labels": []},
        {
            "id": "t-902",
            "family": "t-f902",
            "text": "网点太少了我家附近一个都没有啊",
            "labels": [],
        },  # near-dup
    ]
    _jsonl(sources / "extra.jsonl", rows)
    return sources


def test_build_splits_by_family_and_drops_repeats(tmp_path):
    result = build(_sources(tmp_path), tmp_path / "out", seed=0)
    repeats = [(f"dlg-{k:03d}#01", "dlg-000#01") for k in range(1, 8)]
    assert result.dropped == [*repeats, ("t-900", "dlg-000#01")]
    assert result.conflicts == [("t-900", "dlg-000#01")]  # same text, other labels: the first row wins
    assert result.merged_families == 1
    rows = {name: read_jsonl(tmp_path / "out" / f"{name}.jsonl") for name in SPLITS}
    split_of_row = {row.id: name for name, split_rows in rows.items() for row in split_rows}
    assert len(split_of_row) == sum(result.rows.values()) == (8 + 1) + (60 + 2)
    assert split_of_row["t-901"] == split_of_row["t-902"]  # near-duplicates share a split
    for k in range(0, 60, 2):  # a family never straddles two splits
        assert split_of_row[f"t-{k:03d}"] == split_of_row[f"t-{k + 1:03d}"]
    assert set(split_of_row.values()) == set(SPLITS)
    dialogues = read_dialogues(tmp_path / "out" / DIALOGUES_FILE)
    assert len(dialogues) == 8 and all(split_of_row[f"{d.dialogue_id}#02"] == d.split for d in dialogues)
    report = check(tmp_path / "out")
    assert not report.duplicates and not report.leaks and not report.misplaced_dialogues


def test_build_is_deterministic_and_the_seed_reshuffles(tmp_path):
    sources = _sources(tmp_path)
    contents = []
    for name, seed in (("a", 0), ("b", 0), ("c", 1)):
        build(sources, tmp_path / name, seed=seed)
        contents.append([(tmp_path / name / f"{s}.jsonl").read_bytes() for s in SPLITS])
    assert contents[0] == contents[1] and contents[0] != contents[2]


def test_build_refuses_repeated_ids(tmp_path):
    sources = _sources(tmp_path)
    _jsonl(sources / "more.jsonl", [{"id": "t-001", "text": "另一句话", "labels": []}])
    with pytest.raises(InputError, match="row id 't-001' is used twice"):
        build(sources, tmp_path / "out")


# ------------------------------------------------------------------------------------------- checking


def test_check_reports_leaks_duplicates_and_shortfalls(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _jsonl(
        corpus / "train.jsonl",
        [
            {
                "id": "a",
                "family": "f1",
                "text": "你们这个APP老是卡，转账转半天",
                "labels": ["feedback.negative.system_laggy"],
            },
            {"id": "b", "family": "f2", "text": "好的", "labels": []},
        ],
    )
    _jsonl(
        corpus / "dev.jsonl",
        [
            {
                "id": "c",
                "family": "f3",
                "text": "你们这个APP老是卡，转账转半天啊",
                "labels": ["feedback.negative.system_laggy"],
            },
            {"id": "d", "family": "f2", "text": "好的！", "labels": [IDLE, FEES]},
        ],
    )
    _jsonl(corpus / "test.jsonl", [])
    _jsonl(corpus / DIALOGUES_FILE, [_dialogue("dlg-001", CALL, split="test")])
    report = check(corpus)
    assert report.rows == {"train": 2, "dev": 2, "test": 0}
    assert report.label_counts[IDLE] == {"train": 0, "dev": 1, "test": 0} and report.distinct(IDLE) == 1
    assert report.no_label == {"train": 1, "dev": 0, "test": 0} and report.multi_label_share == 1 / 3
    assert report.duplicates == [("d", "b")] and report.families_across_splits == ["f2"]
    assert [(x.row_id, x.split, x.train_id) for x in report.leaks] == [("c", "dev", "a"), ("d", "dev", "b")]
    assert report.dialogues == {"test": 1} and report.dialogue_turns == [5]
    problems = "\n".join(report.problems())
    for expected in (
        "basic.funds.idle: 1 rows (< 40)",
        "1 rows without a label (< 1000)",
        "0 dialogues of 6-30",
        "duplicate text: d repeats b",
        "leak: dev row c ~ train row a",
        "family f2 is in more",
    ):
        assert expected in problems
    assert report.problems(min_per_label=0, min_no_label=0, min_dialogues=0) == report.problems()[-4:]


def test_datasheet_block_is_rewritten(tmp_path):
    sources, corpus = _sources(tmp_path), tmp_path / "corpus"
    build(sources, corpus)
    sheet = corpus / "DATASHEET.md"
    begin = "<!-- corpus-stats:begin (generated by `convmine corpus build`; do not edit) -->"
    sheet.write_text(f"# Data\n\n{begin}\nold\n<!-- corpus-stats:end -->\n\nEnd.\n", encoding="utf-8")
    build(sources, corpus)
    assert datasheet_stats(sheet) == check(corpus).stats_markdown()
    text = sheet.read_text(encoding="utf-8")
    assert text.startswith(f"# Data\n\n{begin}\n|  | train |") and text.endswith("-->\n\nEnd.\n")
    with pytest.raises(ConvmineError, match="no statistics block"):
        update_datasheet(_jsonl(tmp_path / "plain.md", []), check(corpus))


def test_cli_builds_and_checks(tmp_path):
    from typer.testing import CliRunner

    from convmine.cli.main import app

    runner = CliRunner()
    out = tmp_path / "out"
    built = runner.invoke(app, ["corpus", "build", "--sources", str(_sources(tmp_path)), "--out", str(out)])
    assert built.exit_code == 0 and "dropped" in built.output
    checked = runner.invoke(app, ["corpus", "check", "--corpus", str(out)])
    assert checked.exit_code == 1 and "rows without a label" in checked.output  # a toy corpus falls short
    assert runner.invoke(app, ["corpus", "check", "--corpus", str(tmp_path / "missing")]).exit_code == 1
    report = runner.invoke(app, ["corpus", "check", "--json"])
    assert report.exit_code == 0 and json.loads(report.output)["problems"] == []


def test_cli_builds_and_checks_a_corpus_in_a_banks_own_taxonomy(tmp_path):
    from typer.testing import CliRunner

    from convmine.cli.main import app
    from tests.fakes import write_bank_taxonomy

    bank = write_bank_taxonomy(tmp_path / "bank.yaml")
    sources = _sources(tmp_path)
    with (sources / "bank.jsonl").open("a", encoding="utf-8") as rows:
        rows.write(
            '{"id": "b-1", "family": "b-1", "text": "我想买点养老金产品", "labels": ["preference.product.pension"]}\n'
        )
    out = tmp_path / "out"
    runner = CliRunner()
    refused = runner.invoke(app, ["corpus", "build", "--sources", str(sources), "--out", str(out)])
    assert refused.exit_code == 1 and "preference.product.pension" in refused.output
    built = runner.invoke(
        app, ["corpus", "build", "--sources", str(sources), "--out", str(out), "--taxonomy", str(bank)]
    )
    assert built.exit_code == 0, built.output
    checked = runner.invoke(app, ["corpus", "check", "--corpus", str(out), "--taxonomy", str(bank), "--json"])
    counts = json.loads(checked.output)["report"]["label_counts"]["preference.product.pension"]
    assert sum(counts.values()) == 1


# ---------------------------------------------------------------------------------- committed corpus


@pytest.fixture(scope="module")
def report():
    return check(CORPUS)


def test_committed_splits_are_what_build_makes(tmp_path):
    shutil.copytree(CORPUS / "sources", tmp_path / "sources")
    build(tmp_path / "sources", tmp_path / "out", seed=0)
    for name in [*(f"{s}.jsonl" for s in SPLITS), DIALOGUES_FILE]:
        assert (tmp_path / "out" / name).read_bytes() == (CORPUS / name).read_bytes(), (
            f"{name} is stale: run `convmine corpus build`"
        )


def test_committed_calls_are_read_by_the_json_call_reader(tmp_path):
    records = [
        json.loads(line) for line in (CORPUS / DIALOGUES_FILE).read_text(encoding="utf-8").splitlines()
    ]
    calls_file = _jsonl(tmp_path / "calls.jsonl", [record["call"] for record in records])
    calls = list(read_calls([calls_file]))
    assert all(isinstance(call, Call) for call in calls), [c for c in calls if not isinstance(c, Call)]
    assert [len(c.utterances) for c in calls] == [len(r["call"]["utterances"]) for r in records]


def test_every_label_has_40_distinct_utterances(report):
    # check() reads every split with the taxonomy and raises on a label it lacks, so all labels exist.
    assert set(report.label_counts) == set(load_taxonomy().label_ids)
    short = {label: report.distinct(label) for label in report.label_counts if report.distinct(label) < 40}
    assert not short


def test_enough_rows_without_a_label(report):
    assert sum(report.no_label.values()) >= 1000


def test_enough_multi_label_rows(report):
    assert report.multi_label_share >= 0.15


def test_enough_whole_calls(report):
    assert sum(6 <= n <= 30 for n in report.dialogue_turns) >= 60


def test_no_duplicates_and_no_leaks(report):
    assert not report.duplicates
    assert not report.leaks
    assert not report.families_across_splits and not report.misplaced_dialogues


def test_datasheet_statistics_are_current(report):
    assert datasheet_stats(CORPUS / "DATASHEET.md") == report.stats_markdown(), (
        "DATASHEET.md's statistics are stale: run `convmine corpus build`"
    )


def test_second_annotation_covers_test_rows_with_taxonomy_labels(tmp_path):
    """benchmarks/agreement.py reads it against test.jsonl: keep it in step when the corpus changes."""
    annotated = [
        json.loads(line)
        for line in (Path(__file__).parents[1] / "benchmarks" / "data" / "second_annotation.jsonl").open()
    ]
    test = {row.id: row for row in read_jsonl(CORPUS / "test.jsonl")}
    ids = [record["id"] for record in annotated]
    assert len(ids) == len(set(ids)) and set(ids) <= set(test)
    samples = {sample: [r for r in annotated if r["sample"] == sample] for sample in ("random", "no_label")}
    assert [len(rows) for rows in samples.values()] == [400, 400]
    assert not any(test[record["id"]].labels for record in samples["no_label"])
    taxonomy = load_taxonomy()
    single_choice = taxonomy.single_choice()
    for name in ("first", "second"):
        rows = [{"text": test[r["id"]].text, "labels": r[name]} for r in annotated]
        labelled = read_jsonl(_jsonl(tmp_path / f"{name}.jsonl", rows), taxonomy)  # unknown labels raise
        for row in labelled:
            dimensions = [single_choice[i] for i in row.label_ids if i in single_choice]
            assert len(dimensions) == len(set(dimensions)), (row.text, row.labels)


def test_building_from_no_sources_is_an_error_not_empty_splits(tmp_path):
    (tmp_path / "sources").mkdir()
    with pytest.raises(InputError, match="holds no labelled rows"):
        build(tmp_path / "sources", tmp_path / "out")
    assert not (tmp_path / "out" / "train.jsonl").exists()
