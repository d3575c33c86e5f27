"""The taxonomy as data: every spec label exists unchanged, files validate, banks can extend it."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from convmine import load_taxonomy
from convmine.errors import TaxonomyError
from convmine.taxonomy import default_taxonomy_path

SPEC_IDS = [
    line
    for line in (Path(__file__).parent / "data/spec_label_ids.txt").read_text().splitlines()
    if not line.startswith("#")
]


def test_every_spec_label_exists_unchanged():
    taxonomy = load_taxonomy()
    assert len(SPEC_IDS) == 100
    assert [i for i in SPEC_IDS if i not in taxonomy] == []
    assert len(taxonomy) == 100


@pytest.mark.parametrize(
    ("label", "cardinality", "ttl"),
    [
        ("basic.fund_control.self", "single", None),
        ("basic.funds.idle", "multi", timedelta(days=30)),
        ("basic.investment.maturing_elsewhere", "multi", timedelta(days=60)),
        ("preference.risk.guaranteed", "single", timedelta(days=365)),
        ("objection.refusal.has_advisor", "multi", timedelta(days=90)),
        ("objection.risk.privacy", "multi", timedelta(days=180)),
        ("feedback.question.fees", "multi", timedelta(days=90)),
    ],
)
def test_cardinality_and_ttl_follow_the_spec(label, cardinality, ttl):
    found = load_taxonomy()[label]
    assert (found.cardinality, found.ttl) == (cardinality, ttl)
    assert found.category == label.split(".")[0]


def test_single_choice_maps_each_label_of_a_single_dimension_to_it():
    single = load_taxonomy().single_choice()
    assert single["basic.fund_control.self"] == "basic.fund_control"
    assert single["preference.risk.guaranteed"] == "preference.risk"
    assert "objection.refusal.has_advisor" not in single  # multi
    assert set(single.values()) == {
        label.dimension for label in load_taxonomy() if label.cardinality == "single"
    }


def test_every_label_has_a_chinese_name_and_the_target_carries_a_value():
    taxonomy = load_taxonomy()
    assert all(label.name for label in taxonomy)
    assert [label.id for label in taxonomy if label.value_type] == ["preference.return.target"]
    assert taxonomy.parse_label("preference.return.target=3.5") == ("preference.return.target", 3.5)
    with pytest.raises(TaxonomyError, match="takes no value"):
        taxonomy.parse_label("basic.funds.idle=2")


def test_unknown_label_suggests_the_closest():
    with pytest.raises(TaxonomyError, match=r"did you mean 'basic\.funds\.idle'"):
        load_taxonomy()["basic.fund.idle"]


def test_version_and_hash_are_stable():
    a, b = load_taxonomy(default_taxonomy_path()), load_taxonomy(default_taxonomy_path())
    assert a.version == "1.0.0" and a.hash == b.hash and len(a.hash) == 16


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bank.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_bank_extension_adds_labels_and_vocabulary(tmp_path):
    path = _write(
        tmp_path,
        """
name: my-bank
version: "2"
extends: default
dimensions:
  - id: preference.product
    labels:
      - id: preference.product.pension
        name: 养老金产品
        keywords: [养老金, 养老理财]
      - id: preference.product.gold
        keywords: [积存金]
  - id: basic.family
    name: 家庭情况
    cardinality: single
    ttl: 2y
    labels:
      - {id: basic.family.has_children, name: 有子女}
""",
    )
    taxonomy = load_taxonomy(path)
    assert len(taxonomy) == 102
    assert "积存金" in taxonomy["preference.product.gold"].keywords
    assert taxonomy["basic.family.has_children"].ttl == timedelta(days=730)
    assert taxonomy.version == "convmine-bank-wealth@1.0.0+my-bank@2"
    assert taxonomy.hash != load_taxonomy().hash


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("dimensions: [{id: basic.funds, cardinality: single}]", "changes the cardinality"),
        (
            "dimensions: [{id: basic.funds, labels: [{id: basic.other.x, name: x}]}]",
            "must be 'basic.funds.<value>'",
        ),
        (
            "dimensions: [{id: nope.x, cardinality: multi, labels: [{id: nope.x.y, name: y}]}]",
            "unknown category",
        ),
        ("dimensions: [{id: basic.funds, labels: [{id: basic.funds.x}]}]", "needs a name"),
        (
            "dimensions: [{id: basic.funds, labels: [{id: basic.funds.x, name: x, patterns: ['(']}]}]",
            "invalid regular",
        ),
        (
            "dimensions: [{id: basic.x, cardinality: multi, ttl: soon, labels: [{id: basic.x.y, name: y}]}]",
            "ttl",
        ),
        ("colour: blue", "Extra inputs"),
        (
            "dimensions: [{id: preference.product, labels: [{id: preference.product.gold, name: 黄金积存}]}]",
            "renames",
        ),
    ],
)
def test_invalid_extensions_are_refused_with_a_reason(tmp_path, body, message):
    path = _write(tmp_path, f"name: bad\nversion: '1'\nextends: default\n{body}\n")
    with pytest.raises(TaxonomyError, match=message):
        load_taxonomy(path)


def test_unreadable_files_name_the_problem(tmp_path):
    with pytest.raises(TaxonomyError, match="cannot read"):
        load_taxonomy(tmp_path / "missing.yaml")
    with pytest.raises(TaxonomyError, match="not valid YAML"):
        load_taxonomy(_write(tmp_path, "name: [unclosed"))


def test_summary_is_plain_json():
    summaries = [label.summary() for label in load_taxonomy()]
    assert json.loads(json.dumps(summaries))[0]["id"] == "basic.fund_control.self"
