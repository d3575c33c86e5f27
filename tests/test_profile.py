"""Profile merging: single dimensions keep the newest value, multi keep all, TTL makes entries stale."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from convmine.errors import TaxonomyError
from convmine.profile import Observation, merge_profile
from convmine.schema import Evidence, Tag
from convmine.taxonomy import load_taxonomy

TAXONOMY = load_taxonomy()
NOW = datetime(2024, 6, 1, tzinfo=UTC)


def obs(
    label: str,
    days_ago: float,
    *,
    confidence: float = 0.9,
    call_id: str = "c1",
    turn: int = 2,
    value: float | None = None,
    customer: str = "u1",
) -> Observation:
    tag = Tag(label, confidence, "rule", Evidence(turn, (0, 3), "原话", 5.0, 7.5), value, "1.0.0", "rules@1")
    return Observation(tag, call_id, customer, "a1", NOW - timedelta(days=days_ago))


def labels(profile) -> list[tuple[str, bool]]:
    return [(entry.label, entry.current) for entry in profile.entries]


def test_single_dimension_newest_observation_wins():
    seen = [obs("preference.risk.high", 10, call_id="c1"), obs("preference.risk.steady", 2, call_id="c2")]
    profile = merge_profile("u1", seen, TAXONOMY, NOW)
    assert labels(profile) == [("preference.risk.steady", True)]
    full = merge_profile("u1", seen, TAXONOMY, NOW, history=True)
    assert labels(full) == [("preference.risk.steady", True), ("preference.risk.high", False)]


def test_single_dimension_tie_within_one_turn_goes_to_higher_confidence():
    seen = [obs("preference.risk.high", 3, confidence=0.95), obs("preference.risk.steady", 3, confidence=0.6)]
    assert labels(merge_profile("u1", seen, TAXONOMY, NOW)) == [("preference.risk.high", True)]
    assert labels(merge_profile("u1", reversed(seen), TAXONOMY, NOW)) == [("preference.risk.high", True)]


def test_single_dimension_later_turn_of_a_call_wins_over_confidence():
    """三个月的吧 … 不对，还是一年期的吧: the customer's correction stands, though scored lower."""
    seen = [
        obs("preference.term.le_3m", 3, confidence=0.99, turn=1),
        obs("preference.term.6m_12m", 3, confidence=0.8, turn=3),
    ]
    for order in (seen, seen[::-1]):
        full = merge_profile("u1", order, TAXONOMY, NOW, history=True)
        assert labels(full) == [("preference.term.6m_12m", True), ("preference.term.le_3m", False)]


def test_single_dimension_newest_value_wins_for_the_same_label():
    seen = [
        obs("preference.return.target", 1, value=3.5, call_id="new"),
        obs("preference.return.target", 40, value=4.0, call_id="old"),
    ]
    profile = merge_profile("u1", seen, TAXONOMY, NOW, history=True)
    assert [(e.value, e.current, e.call_id) for e in profile.entries] == [
        (3.5, True, "new"),
        (4.0, False, "old"),
    ]


def test_multi_dimension_keeps_every_value():
    seen = [
        obs("preference.product.fund", 30),
        obs("preference.product.gold", 1),
        obs("preference.product.deposit", 5),
    ]
    profile = merge_profile("u1", seen, TAXONOMY, NOW)
    assert labels(profile) == [
        ("preference.product.deposit", True),
        ("preference.product.fund", True),
        ("preference.product.gold", True),
    ]  # taxonomy order within the dimension


def test_multi_dimension_same_label_keeps_newest_as_current():
    seen = [obs("basic.funds.idle", 20, call_id="c1"), obs("basic.funds.idle", 3, call_id="c2")]
    current = merge_profile("u1", seen, TAXONOMY, NOW)
    assert [(e.call_id, e.current) for e in current.entries] == [("c2", True)]
    history = merge_profile("u1", seen, TAXONOMY, NOW, history=True)
    assert [(e.call_id, e.current) for e in history.entries] == [("c2", True), ("c1", False)]


def test_ttl_makes_old_observations_stale():
    seen = [
        obs("basic.funds.idle", 31, call_id="old"),  # ttl 30d
        obs("basic.funds.incoming", 30, call_id="edge"),  # exactly at its TTL: still fresh
        obs("basic.fund_control.self", 3650, call_id="ancient"),  # no TTL: never stale
        obs("objection.refusal.no_need", 89, call_id="fresh"),  # ttl 90d
    ]
    stale = {e.call_id: e.stale for e in merge_profile("u1", seen, TAXONOMY, NOW).entries}
    assert stale == {"old": True, "edge": False, "ancient": False, "fresh": False}
    fresh = merge_profile("u1", seen, TAXONOMY, NOW, include_stale=False)
    assert {e.call_id for e in fresh.entries} == {"edge", "ancient", "fresh"}


def test_staleness_depends_on_now():
    seen = [obs("basic.funds.idle", 10)]
    assert not merge_profile("u1", seen, TAXONOMY, NOW).entries[0].stale
    assert merge_profile("u1", seen, TAXONOMY, NOW + timedelta(days=25)).entries[0].stale


def test_entries_sorted_by_category_dimension_label():
    seen = [
        obs("feedback.question.fees", 1),
        obs("objection.refusal.no_time", 1),
        obs("preference.risk.steady", 1),
        obs("basic.platform.securities", 1),
        obs("basic.experience.novice", 1),
        obs("basic.platform.other_bank", 1),
    ]
    assert [e.label for e in merge_profile("u1", seen, TAXONOMY, NOW).entries] == [
        "basic.experience.novice",
        "basic.platform.other_bank",
        "basic.platform.securities",
        "preference.risk.steady",
        "objection.refusal.no_time",
        "feedback.question.fees",
    ]


def test_naive_datetimes_are_utc():
    naive = Observation(obs("basic.funds.idle", 0).tag, "c1", "u1", None, datetime(2024, 5, 1))
    profile = merge_profile("u1", [naive], TAXONOMY, datetime(2024, 5, 31, 1))
    assert profile.generated_at == datetime(2024, 5, 31, 1, tzinfo=UTC)
    assert profile.entries[0].observed_at == datetime(2024, 5, 1, tzinfo=UTC)
    assert profile.entries[0].stale  # 30 days and 1 hour later


def test_to_dict_is_json_ready():
    profile = merge_profile("u1", [obs("preference.return.target", 1, value=3.5)], TAXONOMY, NOW)
    data = json.loads(json.dumps(profile.to_dict(), ensure_ascii=False))
    assert data["customer_id"] == "u1"
    assert data["generated_at"] == "2024-06-01T00:00:00+00:00"
    (entry,) = data["tags"]
    assert entry["label"] == "preference.return.target"
    assert entry["value"] == 3.5
    assert entry["observed_at"] == "2024-05-31T00:00:00+00:00"
    assert entry["stale"] is False and entry["current"] is True
    assert entry["evidence"] == {
        "utterance_index": 2,
        "span": [0, 3],
        "quote": "原话",
        "start": 5.0,
        "end": 7.5,
    }


def test_empty_profile():
    assert merge_profile("u1", [], TAXONOMY, NOW).entries == []


def test_unknown_label_names_the_call_and_the_fix():
    with pytest.raises(
        TaxonomyError, match=r"call 'c9'.*basic\.funds\.idel.*taxonomy the calls were tagged with"
    ):
        merge_profile("u1", [obs("basic.funds.idel", 1, call_id="c9")], TAXONOMY, NOW)


def test_observation_of_another_customer_is_refused():
    with pytest.raises(ValueError, match="another customer"):
        merge_profile("u1", [obs("basic.funds.idle", 1, customer="u2")], TAXONOMY, NOW)


def test_the_profile_command_shows_calls_dated_in_the_future_and_says_so(tmp_path):
    from typer.testing import CliRunner

    from convmine.cli.main import app
    from convmine.schema import Call, TaggedCall, Utterance
    from convmine.store import open_store

    soon = datetime.now(UTC) + timedelta(minutes=10)
    tag = Tag("basic.funds.idle", 0.9, "rule", Evidence(1, None, "有二十来万闲着"), None, "1.0.0", "rules@1")
    turns = [
        Utterance(0, "agent", "您最近有闲置资金吗？"),
        Utterance(1, "customer", "有，手头有二十来万闲着"),
    ]
    with open_store(tmp_path / "f.db") as store:
        store.save([TaggedCall(Call("F-1", "CF1", turns, None, soon), [tag])])
    result = CliRunner().invoke(app, ["profile", "CF1", "--db", str(tmp_path / "f.db")])
    assert result.exit_code == 0, result.output
    assert "basic.funds.idle" in result.output and "No tags stored" not in result.output
    assert "1 observations are dated in the future" in result.output
