"""The report tests' database: the examples and ``calls.jsonl`` tagged by the real pipeline, plus
(optionally) one call full of injection attempts whose tags are set by hand."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import convmine
from convmine.batch import tag_paths
from convmine.reports import read_teams
from convmine.schema import Call, Evidence, Tag, TaggedCall, Utterance
from convmine.store import open_store

HERE = Path(__file__).parent
ROOT = HERE.parents[2]
CALLS = HERE / "calls.jsonl"
TEAMS = HERE / "teams.csv"
EXAMPLES = ROOT / "examples"

SCRIPT = "<script>window.__pwned=1;alert(1)</script>"
FORMULA = '=HYPERLINK("http://evil.example/","点我")'
ATTRIBUTE = '" onmouseover="window.__pwned=1" x="'
INJECTION_CALL_ID = "INJ-<script>alert(1)</script>"
INJECTION_CUSTOMER = "=1+2"
INJECTION_AGENT = 'AG-99" onmouseover="window.__pwned=1'
INJECTION_TEAM = "<b onmouseover=window.__pwned=1>红队</b>"


def _tag(label: str, index: int, text: str, needle: str, start: float) -> Tag:
    at = text.index(needle)
    return Tag(
        label,
        1.0,  # certain, so its quotes stay among the strongest whatever the model finds elsewhere
        "rule",
        Evidence(index, (at, at + len(needle)), needle, start, start + 2),
        None,
        "1.0.0",
        "rules@1",
    )


def injection_call() -> TaggedCall:
    """A customer who says ``<script>``, quotes a spreadsheet formula and breaks out of attributes."""
    texts = [
        ("agent", f'您好，请问现在方便吗？<img src=x onerror="window.__pwned=1">{ATTRIBUTE}'),
        ("customer", f"{SCRIPT}我不需要，谢谢"),
        ("agent", "</textarea></title></style>好的，那您对我们服务有什么意见吗？"),
        ("customer", f"{FORMULA}，你们APP老是卡"),
        ("customer", f"</script><script>alert(2)</script>{ATTRIBUTE}我要投诉你们"),
    ]
    utterances = [
        Utterance(i, speaker, text, 10.0 * i, 10.0 * i + 8) for i, (speaker, text) in enumerate(texts)
    ]
    tags = [
        _tag("objection.refusal.no_need", 1, texts[1][1], f"{SCRIPT}我不需要", 10.0),
        _tag("feedback.negative.system_laggy", 3, texts[3][1], f"{FORMULA}，你们APP老是卡", 30.0),
        _tag("feedback.negative.complaint", 4, texts[4][1], texts[4][1], 40.0),
    ]
    started = datetime(2026, 3, 18, 14, 5, tzinfo=timezone(timedelta(hours=8)))
    return TaggedCall(Call(INJECTION_CALL_ID, INJECTION_CUSTOMER, utterances, INJECTION_AGENT, started), tags)


def teams(*, injection: bool = False) -> dict[str, str]:
    mapping = read_teams(TEAMS)
    if injection:
        mapping[INJECTION_AGENT] = INJECTION_TEAM
    return mapping


def build(path: Path, *, injection: bool = True) -> Path:
    """Tag the examples and ``calls.jsonl`` into a new store at ``path`` (and add the injection call)."""
    pipeline = convmine.load()
    with open_store(path, taxonomy=pipeline.taxonomy) as store:
        summary = tag_paths([EXAMPLES, CALLS], pipeline=pipeline, store=store)
        if summary.failures:
            raise RuntimeError(f"fixture calls failed to read or tag: {summary.failures}")
        if injection:
            store.save([injection_call()], tagger="hand@1", taxonomy_version=pipeline.taxonomy.version)
    return path
