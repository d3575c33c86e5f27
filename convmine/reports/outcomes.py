"""What happened after an objection in the same call: is this kind of objection recoverable?

The rule reads the customer's turns after the objection's *last* occurrence in the call (a refusal
repeated at the end counts from the end), and takes the first of these that holds:

1. ``agreed_follow_up`` — a later customer turn is tagged with a contact time
   (``basic.contact_time.*``) or contact method (``preference.contact_method.*``), or says yes to a
   next step (:data:`FOLLOW_UP_CUES`: add me on WeChat, send it to me, book a time, call me back,
   I'll come to the branch …) without a negator before it in the clause ("别加我微信" is no);
2. ``asked_questions`` — a later customer turn is tagged ``feedback.question.*``;
3. ``ended_call`` — the objection is in the customer's last two turns: at most one short reply
   followed it (hang-ups and "那先这样吧，再见");
4. ``continued`` — the call went on with no sign either way.

"Recoverable" in the reports means 1 or 2.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from convmine.reports.models import Outcome
from convmine.review import matches
from convmine.schema import Call, Tag

FOLLOW_UP_LABELS = ("basic.contact_time", "preference.contact_method")
QUESTION_LABELS = "feedback.question"
FOLLOW_UP_CUES = re.compile(
    r"加(我|个|一下|下)?的?(微信|企业微信|企微|好友)"
    r"|(发|传)(给|到)?我"
    r"|发(个|一下|下)?(链接|资料|材料|短信|信息)"
    r"|约(个|一下|下)?时间"
    r"|(再|回头|晚点|改天|明天|下午|晚上|周末)(给我)?(打|联系|来电)"
    r"|(打|回)(个)?(电话)?给我"
    r"|我[^，。,.!！?？；;]{0,4}?(?<!不)(去|到|过去|过来)(一趟)?(网点|柜台|银行|营业厅)"
)
_NEGATOR = re.compile(r"(别|不要|不用|不必|没必要|不需要|甭)[^，。,.!！?？；;]*$")
_CLAUSE = re.compile(r"[，。,.!！?？；;]")
ENDING_TURNS = 2


def agrees_to_follow_up(text: str) -> bool:
    """Whether a customer turn says yes to a next step (a cue not negated earlier in its clause)."""
    for match in FOLLOW_UP_CUES.finditer(text):
        clause_start = max((m.end() for m in _CLAUSE.finditer(text, 0, match.start())), default=0)
        if not _NEGATOR.search(text[clause_start : match.start()]):
            return True
    return False


def outcome_after(call: Call, tags: Iterable[Tag], turn: int) -> Outcome:
    """The outcome of an objection said in utterance ``turn`` of ``call`` (``tags``: the call's tags)."""
    later = [u for u in call.utterances if u.speaker == "customer" and u.index > turn]
    later_turns = {u.index for u in later}
    later_labels = [tag.label for tag in tags if tag.evidence.utterance_index in later_turns]
    if any(matches(label, prefix) for label in later_labels for prefix in FOLLOW_UP_LABELS) or any(
        agrees_to_follow_up(u.text) for u in later
    ):
        return "agreed_follow_up"
    if any(matches(label, QUESTION_LABELS) for label in later_labels):
        return "asked_questions"
    if len(later) < ENDING_TURNS:
        return "ended_call"
    return "continued"


def objection_outcomes(call: Call, tags: Iterable[Tag], prefix: str = "objection") -> dict[str, Outcome]:
    """Each objection label in the call → the outcome after its last occurrence, in order of that turn."""
    tags = list(tags)
    last: dict[str, int] = {}
    for tag in tags:
        if matches(tag.label, prefix):
            last[tag.label] = max(last.get(tag.label, -1), tag.evidence.utterance_index)
    return {
        label: outcome_after(call, tags, turn) for label, turn in sorted(last.items(), key=lambda kv: kv[1])
    }


def call_outcome(outcomes: dict[str, Outcome]) -> Outcome | None:
    """A call's outcome for its calls-table row: the one after its last objection, if it had any."""
    return list(outcomes.values())[-1] if outcomes else None
