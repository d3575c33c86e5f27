"""Reports built from a fixture store (the examples and 240 generated calls, tagged by the real
pipeline): every number is checked against the database with SQL of its own."""

from __future__ import annotations

import csv
import os
import re
import sqlite3
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from convmine.errors import ConvmineError, InputError
from convmine.profile import merge_profile
from convmine.reports import (
    REPORTS,
    Scope,
    build_feedback,
    build_objections,
    build_profiles,
    read_teams,
    write_report,
)
from convmine.reports.feedback import ASPECTS, aspect_of
from convmine.reports.models import OUTCOMES
from convmine.reports.page import esc
from convmine.store import open_store
from convmine.taxonomy import load_taxonomy
from convmine.timezones import parse_moment, parse_offset
from tests.data.reports import fixture

CHINA = timezone(timedelta(hours=8))
TAXONOMY = load_taxonomy()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fixture.build(tmp_path_factory.mktemp("reports") / "reports.db")


@pytest.fixture(scope="module")
def teams() -> dict[str, str]:
    return fixture.teams(injection=True)


@pytest.fixture
def store(db):
    with open_store(db) as opened:
        yield opened


def sql(db: Path, query: str, *params: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(query, params).fetchall()


def calls_with(db: Path, label_like: str, where: str = "1", *params: object) -> set[str]:
    rows = sql(
        db,
        f"SELECT DISTINCT c.call_id FROM calls c JOIN tags t USING (call_id) WHERE t.label LIKE ? AND {where}",
        label_like,
        *params,
    )
    return {call_id for (call_id,) in rows}


# --- objections -------------------------------------------------------------------------------------


def test_objection_rates_by_type_match_the_database(store, db, teams):
    report = build_objections(store, Scope(teams=teams))
    (total,) = sql(db, "SELECT count(*) FROM calls")[0]
    assert report.meta.calls == report.overall.calls == total > 250
    assert [s.label for s in report.by_label] == [lab.id for lab in TAXONOMY if lab.category == "objection"]
    for stat in report.by_label:
        found = calls_with(db, stat.label)
        (mentions,) = sql(db, "SELECT count(*) FROM tags WHERE label = ?", stat.label)[0]
        (customers,) = sql(
            db,
            "SELECT count(DISTINCT customer_id) FROM calls JOIN tags USING (call_id) WHERE label = ?",
            stat.label,
        )[0]
        assert (stat.calls, stat.mentions, stat.customers, stat.total_calls) == (
            len(found),
            mentions,
            customers,
            total,
        )
        assert stat.rate == pytest.approx(len(found) / total)
    for series in report.series:
        assert report.overall.counts[series.key] == len(calls_with(db, series.prefix + ".%"))
    assert {s.key for s in report.series} == {"any", "refusal", "risk"}


def test_objection_rates_by_agent_and_team_match_the_database(store, db, teams):
    report = build_objections(store, Scope(teams=teams))
    objected = calls_with(db, "objection.%")
    refused = calls_with(db, "objection.refusal.%")
    agents = sql(db, "SELECT agent_id, call_id FROM calls")
    by_agent: dict[str, list[str]] = defaultdict(list)
    for agent, call_id in agents:
        by_agent[agent].append(call_id)
    assert {s.key for s in report.by_agent} == set(by_agent)
    for stat in report.by_agent:
        ids = by_agent[stat.key]
        assert stat.calls == len(ids)
        assert stat.counts["any"] == len(objected.intersection(ids))
        assert stat.counts["refusal"] == len(refused.intersection(ids))
        assert stat.team == teams[stat.key]
    by_team = Counter(teams[agent] for agent, _ in agents)
    assert {s.key: s.calls for s in report.by_team} == dict(by_team)
    team_objected = Counter(teams[agent] for agent, call_id in agents if call_id in objected)
    assert {s.key: s.counts["any"] for s in report.by_team} == {t: team_objected[t] for t in by_team}
    assert [s.calls for s in report.by_agent] == sorted((s.calls for s in report.by_agent), reverse=True)


def test_objection_rates_over_time_match_the_database(store, db, teams):
    report = build_objections(store, Scope(teams=teams, period="month"))
    months = sql(db, "SELECT strftime('%Y-%m', started_at, '+8 hours'), call_id FROM calls")
    per_month = Counter(month for month, _ in months)
    objected = calls_with(db, "objection.%")
    assert report.meta.period == "month"
    names = [s.key for s in report.over_time]
    assert names[0] == min(per_month) and names[-1] == max(per_month)
    assert len(names) == len(set(names))  # every month once, gaps included
    for stat in report.over_time:
        assert stat.calls == per_month.get(stat.key, 0)
        assert stat.counts["any"] == sum(1 for month, c in months if month == stat.key and c in objected)
    weekly = build_objections(store, Scope(teams=teams, period="week")).over_time
    assert sum(s.calls for s in weekly) == report.meta.calls
    assert all(re.fullmatch(r"\d{4}-W\d{2}", s.key) for s in weekly)


def test_period_is_chosen_by_the_span_of_the_calls(store):
    def period(since: str, until: str) -> str:
        scope = Scope(since=parse_moment(since, CHINA), until=parse_moment(until, CHINA))
        return build_objections(store, scope).meta.period

    assert period("2026-03-01", "2026-03-20") == "day"
    assert period("2026-01-01", "2026-04-01") == "week"
    assert period("2026-01-01", "2026-12-01") == "month"


def test_outcomes_count_each_objection_call_once(store, db):
    report = build_objections(store, Scope())
    by_label = {s.label: s for s in report.by_label}
    assert report.outcomes
    for stat in report.outcomes:
        assert stat.total == by_label[stat.label].calls  # one outcome per call with the objection
        assert set(stat.counts) == set(OUTCOMES)
        assert stat.recoverable == pytest.approx(
            (stat.counts["agreed_follow_up"] + stat.counts["asked_questions"]) / stat.total
        )
    total = report.outcome_total
    assert total.total == sum(s.calls for s in report.by_label)
    rows = {row.call_id: row for row in report.calls.rows}
    assert {c for c, row in rows.items() if row.outcome} == calls_with(db, "objection.%")


def test_quotes_are_the_strongest_evidence_from_the_database(store, db):
    report = build_objections(store, Scope())
    assert report.quotes
    for label, quotes in report.quotes.items():
        assert label.startswith("objection.") and 0 < len(quotes) <= 5
        assert len({q.turn for q in quotes}) == len(quotes)  # no turn shown twice
        confidences = [q.confidence for q in quotes]
        assert confidences == sorted(confidences, reverse=True)
        for quote in quotes:
            (row,) = sql(
                db,
                "SELECT c.customer_id, c.agent_id, u.text, t.confidence FROM tags t JOIN calls c USING (call_id) "
                "JOIN utterances u ON u.call_id = t.call_id AND u.idx = t.utterance_index "
                "WHERE t.call_id = ? AND t.label = ? AND t.quote = ? LIMIT 1",
                quote.call_id, label, quote.quote,
            )  # fmt: skip
            assert (quote.customer_id, quote.agent_id, quote.turn, quote.confidence) == row
            assert quote.turn[slice(*quote.span)] == quote.quote
        (best,) = sql(db, "SELECT max(confidence) FROM tags WHERE label = ?", label)[0]
        assert quotes[0].confidence == best


def test_agent_drill_down_matches_the_agents_calls(store, db):
    report = build_objections(store, Scope())
    detail = next(d for d in report.agents if d.agent.key == "AG-16")
    ids = [c for (c,) in sql(db, "SELECT call_id FROM calls WHERE agent_id = 'AG-16'")]
    for stat in detail.by_label:
        assert stat.total_calls == len(ids)
        assert stat.calls == len(calls_with(db, stat.label).intersection(ids)) > 0
    assert sum(detail.outcomes.values()) == sum(s.calls for s in detail.by_label)


# --- feedback ---------------------------------------------------------------------------------------


def test_feedback_numbers_match_the_database(store, db):
    report = build_feedback(store, Scope())
    for stats, prefix in ((report.positive, "feedback.positive"), (report.negative, "feedback.negative"),
                          (report.questions, "feedback.question")):  # fmt: skip
        assert [s.label for s in stats] == [lab.id for lab in TAXONOMY if lab.dimension == prefix]
        for stat in stats:
            assert stat.calls == len(calls_with(db, stat.label))
    tags = sql(
        db,
        "SELECT call_id, label FROM tags WHERE label LIKE 'feedback.positive.%' OR label LIKE 'feedback.negative.%'",
    )
    for aspect in report.aspects:
        for side in ("positive", "negative"):
            hits = [
                c
                for c, label in tags
                if label.startswith(f"feedback.{side}.") and aspect_of(label) == aspect.aspect
            ]
            assert getattr(aspect, f"{side}_calls") == len(set(hits))
            assert getattr(aspect, f"{side}_mentions") == len(hits)
    assert [a.aspect for a in report.aspects] == list(ASPECTS)
    (complaints,) = sql(db, "SELECT count(*) FROM tags WHERE label = 'feedback.negative.complaint'")[0]
    assert len(report.complaints) == complaints > 5
    times = [q.observed_at for q in report.complaints]
    assert times == sorted(times, reverse=True)
    assert report.overall.counts["complaint"] == len(calls_with(db, "feedback.negative.complaint"))
    assert report.overall.counts["question"] == len(calls_with(db, "feedback.question.%"))


def test_aspect_of_reads_the_first_word_of_the_value():
    assert aspect_of("feedback.negative.system_laggy") == "system"
    assert aspect_of("feedback.positive.branch_short_wait") == "branch"
    assert aspect_of("feedback.positive.praise") is None


# --- profiles ---------------------------------------------------------------------------------------


AS_OF = datetime(2026, 7, 1, tzinfo=CHINA)


def test_profile_coverage_matches_merged_profiles(store):
    report = build_profiles(store, Scope(until=AS_OF))
    customers = sorted({r.customer_id for r in store.calls(until=AS_OF) if r.customer_id})
    assert report.customers == len(customers)
    profiles = [
        merge_profile(c, store.observations(customer_id=c, until=AS_OF), TAXONOMY, AS_OF) for c in customers
    ]
    for coverage in report.coverage:
        entries = [[e for e in p.entries if e.dimension == coverage.dimension] for p in profiles]
        assert coverage.known == sum(1 for found in entries if found)
        assert coverage.fresh == sum(1 for found in entries if any(not e.stale for e in found))
        assert coverage.share == pytest.approx(coverage.known / len(customers))
    assert [c.dimension for c in report.coverage] == list(TAXONOMY.dimensions())
    categories = {cat: n for cat, _, n in report.categories}
    assert categories["objection"] == sum(
        1 for p in profiles if any(e.category == "objection" for e in p.entries)
    )


def test_worklist_idle_or_maturing_is_exactly_the_customers_to_call(store, db):
    report = build_profiles(store, Scope(until=AS_OF))
    worklist = next(w for w in report.worklists if w.rule.key == "idle_or_maturing")
    wanted = {"basic.funds.idle", "basic.investment.maturing_elsewhere"}
    expected = set()
    for customer in store.customers():
        if not store.calls(customer_id=customer, until=AS_OF):
            continue
        profile = merge_profile(
            customer, store.observations(customer_id=customer, until=AS_OF), TAXONOMY, AS_OF
        )
        fresh = [
            e for e in profile.entries
            if e.label in wanted and not e.stale and e.observed_at >= AS_OF - timedelta(days=30)
        ]  # fmt: skip
        if fresh:
            (last,) = sql(db, "SELECT max(started_at) FROM calls WHERE customer_id = ? AND started_at < ?",
                          customer, AS_OF.astimezone(UTC).isoformat(timespec="microseconds"))[0]  # fmt: skip
            if datetime.fromisoformat(last) <= max(e.observed_at for e in fresh):
                expected.add(customer)
    assert {row.customer_id for row in worklist.rows} == expected
    assert expected  # the fixture has some
    for row in worklist.rows:
        assert set(row.labels) <= wanted and row.last_call_at == row.observed_at


# --- scope ------------------------------------------------------------------------------------------


def test_scope_filters_select_the_same_calls_as_sql(store, db, teams):
    since, until = parse_moment("2026-03-01", CHINA), parse_moment("2026-05-01", CHINA)
    utc = [x.astimezone(UTC).isoformat(timespec="microseconds") for x in (since, until)]
    cases = [
        (Scope(since=since, until=until), "started_at >= ? AND started_at < ?", utc),
        (Scope(agent_id="AG-13"), "agent_id = ?", ["AG-13"]),
        (Scope(customer_id="CUST-0001"), "customer_id = ?", ["CUST-0001"]),
        (Scope(team="财富二组", teams=teams), "agent_id IN ('AG-14', 'AG-15', 'AG-16')", []),
    ]
    for scope, where, params in cases:
        (n,) = sql(db, f"SELECT count(*) FROM calls WHERE {where}", *params)[0]
        report = build_objections(store, scope)
        assert report.meta.calls == n > 0
        assert len(report.calls.rows) == n
        expected = calls_with(db, "objection.%", where, *params)
        assert report.overall.counts["any"] == len(expected)


def test_scope_rejects_what_it_cannot_mean(tmp_path):
    with pytest.raises(ConvmineError, match="--teams"):
        Scope(team="red")
    with pytest.raises(ConvmineError, match="unknown team 'red'"):
        Scope(team="red", teams={"AG-1": "blue"})
    with pytest.raises(ConvmineError, match="before until"):
        Scope(since=AS_OF, until=AS_OF)
    with pytest.raises(ConvmineError, match="UTC offset"):
        parse_offset("8h")
    assert parse_offset("-05:30").utcoffset(None) == timedelta(hours=-5, minutes=-30)
    bad = tmp_path / "teams.csv"
    bad.write_text("agent_id,team\nAG-1,blue\nAG-1,red\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"teams.csv:3: agent 'AG-1' is in two teams"):
        read_teams(bad)
    bad.write_text("agent,group\nAG-1,blue\n", encoding="utf-8")
    with pytest.raises(InputError, match="agent_id and team"):
        read_teams(bad)


@pytest.mark.parametrize(("encoding", "separator"), [("gbk", ","), ("utf-16", "\t"), ("utf-8-sig", ";")])
def test_a_teams_file_is_read_as_a_spreadsheet_saves_it(tmp_path, encoding, separator):
    teams = tmp_path / "teams.csv"
    text = f"agent_id{separator}team\nAG-1{separator}理财一组\n\nAG-2{separator}理财二组\n"
    teams.write_bytes(text.encode(encoding))
    assert read_teams(teams) == {"AG-1": "理财一组", "AG-2": "理财二组"}


def test_team_names_are_masked_as_they_are_read(tmp_path):
    teams = tmp_path / "teams.csv"
    teams.write_text("agent_id,team\nAG-1,组长13812345678\n", encoding="utf-8")
    assert read_teams(teams) == {"AG-1": "组长138****5678"}


# --- HTML and CSV -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def written(db, teams, tmp_path_factory):
    folder = tmp_path_factory.mktemp("written")
    with open_store(db) as store:
        return {
            name: write_report(
                name, store, Scope(teams=teams), folder / f"{name}.html", csv_dir=folder / name
            )
            for name in REPORTS
        }


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text of ``<style>``."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.style = ""
        self._in_style = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.style += data


@pytest.mark.parametrize("name", list(REPORTS))
def test_html_is_one_self_contained_file(written, name):
    html = written[name].html.read_text(encoding="utf-8")
    page = Elements(html)
    names = Counter(tag for tag, _ in page.tags)
    assert names["script"] == 1 and names["style"] == 1  # the report's own, inline
    assert not {"link", "iframe", "img", "object", "embed", "base"} & set(names)
    assert not any("src" in attrs for _, attrs in page.tags)
    assert all(attrs["href"].startswith("#") for _, attrs in page.tags if "href" in attrs)
    assert "@import" not in page.style and "url(" not in page.style and "@font-face" not in page.style
    assert '"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif' in page.style
    assert names["svg"] >= 2


@pytest.mark.parametrize("name", ["objections", "feedback"])
def test_html_escapes_everything_that_came_from_a_call(written, name):
    html = written[name].html.read_text(encoding="utf-8")
    for raw in (fixture.SCRIPT, fixture.ATTRIBUTE, fixture.INJECTION_CALL_ID, fixture.INJECTION_AGENT,
                fixture.INJECTION_TEAM):  # fmt: skip
        assert raw not in html
    for text in (fixture.SCRIPT, fixture.INJECTION_TEAM, fixture.FORMULA, fixture.INJECTION_AGENT):
        assert esc(text) in html
    page = Elements(html)
    assert not [(tag, a) for tag, attrs in page.tags for a in attrs if a.startswith("on")]
    assert not [tag for tag, _ in page.tags if tag == "img"]


def test_numbers_in_the_html_are_the_models(written):
    report = written["objections"].report
    html = written["objections"].html.read_text(encoding="utf-8")
    no_need = next(s for s in report.by_label if s.label == "objection.refusal.no_need")
    assert f"{no_need.rate * 100:.1f}% {no_need.calls} calls" in html
    assert f'data-sort="{no_need.rate:.6f}">{no_need.rate * 100:.1f}%</td>' in html
    assert f"<b>{report.overall.rate('any') * 100:.1f}%</b>" in html


def read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads the Chinese
    return list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))


def test_csv_tables_match_the_report_and_are_safe_in_excel(written):
    objections = written["objections"]
    names = {path.name for path in objections.csv}
    assert {
        "objections_by_label.csv",
        "objections_by_team.csv",
        "objection_outcomes.csv",
        "calls.csv",
        "review.csv",
    } <= names
    folder = objections.csv[0].parent
    rows = read_csv(folder / "objections_by_label.csv")
    assert [(r["label"], int(r["calls"]), float(r["rate"])) for r in rows] == [
        (s.label, s.calls, round(s.rate, 4)) for s in objections.report.by_label
    ]
    calls = {r["call_id"]: r for r in read_csv(folder / "calls.csv")}
    injected = calls["INJ-<script>alert(1)</script>"]
    assert injected["customer_id"] == "'=1+2"  # a formula would run in Excel: it is text now
    quotes = read_csv(folder / "objection_quotes.csv")
    assert any(r["quote"].startswith("<script>") for r in quotes)
    feedback_quotes = read_csv(written["feedback"].csv[0].parent / "feedback_quotes.csv")
    formula = [r for r in feedback_quotes if fixture.FORMULA in r["turn"]]
    assert formula and all(r["turn"].startswith("'=HYPERLINK") for r in formula)
    review = read_csv(folder / "review.csv")
    assert review and all(r["label"].startswith("objection.") and r["verdict"] == "" for r in review)
    assert {r["call_id"] for r in review} <= {c for c, r in calls.items() if r["labels"]}
    assert all(r["observed_at"].endswith("+08:00") for r in [*calls.values(), *review])  # as the HTML shows


def test_reports_on_an_empty_store_say_so(tmp_path):
    with open_store(tmp_path / "empty.db") as store:
        for name in REPORTS:
            html = write_report(name, store, Scope(), tmp_path / f"{name}.html").html.read_text(
                encoding="utf-8"
            )
            assert "0 calls" in html
        assert "No objections in scope." in (tmp_path / "objections.html").read_text(encoding="utf-8")


# --- CLI --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli() -> typer.Typer:
    """The report commands as `convmine report` mounts them."""
    from convmine.cli.report import report_app

    app = typer.Typer()
    app.add_typer(report_app, name="report")
    return app


def test_cli_writes_each_report_with_its_csv(cli, db, tmp_path):
    runner = CliRunner()
    teams_file = str(fixture.TEAMS)
    for name, extra in (
        (
            "objections",
            ["--since", "2026-02-01", "--until", "2026-04-01", "--teams", teams_file, "--period", "week"],
        ),
        ("feedback", ["--teams", teams_file, "--team", "客服回访组"]),
        ("profiles", ["--as-of", "2026-07-01", "--agent", "AG-13"]),
    ):
        out = tmp_path / f"{name}.html"
        result = runner.invoke(
            cli, ["report", name, "--db", str(db), "-o", str(out), "--csv", str(tmp_path / name), *extra]
        )
        assert result.exit_code == 0, result.output
        assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
        assert (tmp_path / name).is_dir()
    (feb_mar,) = sql(
        db, "SELECT count(*) FROM calls WHERE started_at >= '2026-01-31T16' AND started_at < '2026-03-31T16'"
    )[0]
    assert f"{feb_mar} calls" in (tmp_path / "objections.html").read_text(encoding="utf-8")


def test_cli_errors_are_one_line_and_exit_1(cli, db, tmp_path):
    runner = CliRunner()
    out = str(tmp_path / "x.html")
    for args, message in (
        (["--since", "June"], "a date looks like 2026-06-01"),
        (["--team", "红队"], "pass --teams"),
        (["--utc-offset", "8"], "a UTC offset looks like +08:00"),
    ):
        result = runner.invoke(cli, ["report", "objections", "--db", str(db), "-o", out, *args])
        assert result.exit_code == 1 and message in " ".join(result.output.split()), result.output
    result = runner.invoke(cli, ["report", "objections", "--db", str(db), "-o", out, "--period", "year"])
    assert result.exit_code == 2 and "day" in result.output  # typer lists the choices


def test_every_report_command_has_help(cli):
    runner = CliRunner()
    for name in REPORTS:
        result = runner.invoke(cli, ["report", name, "--help"])
        assert result.exit_code == 0 and "--db" in result.output and "--csv" in result.output


def test_profiles_report_counts_a_call_dated_in_the_future(tmp_path):
    """A recorder's clock a few minutes ahead must not hide the night's calls from the profiles report."""
    import convmine
    from convmine.schema import Call, Utterance

    soon = datetime.now(UTC) + timedelta(minutes=10)
    turns = [
        Utterance(0, "agent", "您最近有闲置资金吗？"),
        Utterance(1, "customer", "有，手头有二十来万闲着"),
    ]
    call = Call("F-1", "CF1", turns, started_at=soon)
    with open_store(tmp_path / "future.db") as future:
        future.save(list(convmine.load("rules").pipe([call])))
        report = build_profiles(future)
    assert report.customers == 1 and report.as_of > soon


def test_overlapping_evidence_is_marked_darker_and_escaped():
    """A clause inside a whole-turn tag stays visible; every mark is titled with its labels."""
    from convmine.reports.page import _marked

    html = _marked("嗯<b>，只买保本", [(0, 9, "a.whole"), (5, 9, "a.clause")])
    assert html == (
        '<mark title="a.whole">嗯&lt;b&gt;，</mark><mark class="overlap" title="a.whole, a.clause">只买保本</mark>'
    )


def test_trends_run_from_the_first_call_to_the_last_not_to_far_bounds():
    """--since 1990 --until 2100 must not chart a century of empty months."""
    tz = parse_offset("+08:00")
    scope = Scope(since=datetime(1990, 1, 1, tzinfo=tz), until=datetime(2100, 1, 1, tzinfo=tz), tz=tz)
    calls = [datetime(2026, 6, 3, 9, tzinfo=tz), datetime(2026, 6, 20, 23, 30, tzinfo=tz)]
    period, starts = scope.buckets(calls)
    assert period == "day" and (starts[0], starts[-1], len(starts)) == (calls[0].date(), calls[1].date(), 18)
    assert scope.buckets([]) == ("day", [])


def test_a_postgresql_store_gives_the_same_reports_as_sqlite(db, teams, postgres_url, tmp_path):
    """The same calls tagged into PostgreSQL: every report's page, tables and review file are the same."""
    fixture.build(postgres_url)
    now = datetime(2026, 11, 30, tzinfo=UTC)
    pages: dict[str, list[str]] = {}
    for backend, target in (("sqlite", db), ("postgresql", postgres_url)):
        with open_store(target) as store:
            for name in REPORTS:
                out = tmp_path / backend / name
                written = write_report(
                    name, store, Scope(teams=teams), out / "page.html", csv_dir=out / "csv", now=now
                )
                files = [written.html, *written.csv]
                pages.setdefault(name, []).append(
                    "".join(f"== {path.name}\n{path.read_text(encoding='utf-8')}" for path in files)
                )
    for name, (on_sqlite, on_postgresql) in pages.items():
        assert len(on_sqlite) > 5_000 and on_postgresql == on_sqlite, name


def test_reports_are_the_same_whatever_the_hash_seed(db, tmp_path):
    """Ties (equally common profile values) are ordered by the taxonomy, not by a set's order."""
    import subprocess
    import sys

    pages = []
    for seed in ("1", "2", "3"):
        out = tmp_path / f"profiles-{seed}.html"
        argv = ["report", "profiles", "--out", str(out), "--db", str(db), "--as-of", "2027-01-01"]
        script = f"import sys\nfrom convmine.cli.main import app\nsys.argv = ['convmine', *{argv!r}]\napp()\n"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-2000:]
        pages.append(re.sub(r"generated [^<]*", "", out.read_text(encoding="utf-8")))
    assert pages[0] == pages[1] == pages[2]
