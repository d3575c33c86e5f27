"""Rich renderings of library results for the terminal. Presentation only: no logic lives here."""

from __future__ import annotations

from datetime import tzinfo

from rich.console import Group
from rich.table import Table
from rich.text import Text

from convmine.batch import BatchSummary
from convmine.evaluate import Difference, Scores
from convmine.profile import Profile
from convmine.schema import TaggedCall
from convmine.taxonomy import Taxonomy, category_order

SPEAKER_STYLE = {"agent": "cyan", "customer": "green", "unknown": "yellow"}


def summary_table(summary: BatchSummary) -> Table:
    table = Table(title="convmine tag", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    name, _, version = summary.tagger.partition("@")  # the name in full, the version's first part
    table.add_row("tagger", Text(f"{name}@{version.split('+')[0]}" if version else name))
    table.add_row("calls tagged", str(summary.calls))
    table.add_row("customers", str(len(summary.customers)))
    table.add_row("customer turns", str(summary.customer_turns))
    table.add_row("tags", str(summary.tags))
    for category in category_order(summary.tags_by_category):
        table.add_row(f"  {category}", str(summary.tags_by_category.get(category, 0)))
    if summary.future_calls:
        table.add_row("dated in the future", Text(str(summary.future_calls), style="yellow"))
    table.add_row("failed inputs", Text(str(len(summary.failures)), style="red" if summary.failures else ""))
    return table


def failure_lines(summary: BatchSummary) -> Text:
    """One line per failed input, ``where: [stage] reason``, easy to grep in a night's log."""
    text = Text(
        f"{len(summary.failures)} input(s) failed and were set aside; the rest of the batch went on:\n"
    )
    for failure in summary.failures:
        text.append(
            str(failure.source if failure.line is None else f"{failure.source}:{failure.line}"), "bold"
        )
        text.append(f": [{failure.stage}] {failure.reason}\n")
    return text


def _clip(text: str, most: int) -> str:
    """A long quote cut for a table cell (``--json`` and ``show`` give it whole)."""
    return text if len(text) <= most else text[: most - 1] + "…"


def _value(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def profile_table(profile: Profile, width: int, zone: tzinfo) -> Table:
    """The profile as a table, dates in ``zone``; below 140 columns the name, confidence and call columns
    are left out."""
    wide = width >= 140
    table = Table(title=f"Customer profile {profile.customer_id}", title_justify="left")
    table.add_column("label", no_wrap=True)
    if wide:
        table.add_column("name")
    table.add_column("value", justify="right")
    if wide:
        table.add_column("conf.", justify="right")
    table.add_column("observed", no_wrap=True)
    table.add_column("status", no_wrap=True)
    if wide:
        table.add_column("call", no_wrap=True)
    table.add_column("evidence", overflow="fold", min_width=12)
    for entry in profile.entries:
        status = "history" if not entry.current else "stale" if entry.stale else ""
        cells: list[str | Text] = [entry.label]
        if wide:
            cells.append(Text(entry.name))
        cells.append(_value(entry.value))
        if wide:
            cells.append(f"{entry.confidence:.2f}")
        cells += [entry.observed_at.astimezone(zone).date().isoformat(), status]
        if wide:
            cells.append(Text(entry.call_id))
        cells.append(Text(_clip(entry.evidence.quote, 40 if wide else 16)))
        table.add_row(*cells, style="dim" if status else "")
    return table


def transcript(result: TaggedCall, taxonomy: Taxonomy, zone: tzinfo) -> Group:
    call = result.call
    head = Text(
        f"{call.call_id}  customer {call.customer_id or '-'}  agent {call.agent_id or '-'}", style="bold"
    )
    if call.started_at:
        head.append(f"  {call.started_at.astimezone(zone).isoformat()}")
    lines: list[Text] = [head]
    by_turn: dict[int, list] = {}
    for tag in result.tags:
        by_turn.setdefault(tag.evidence.utterance_index, []).append(tag)
    for utterance in call.utterances:
        line = Text()
        if utterance.start is not None:
            line.append(f"[{utterance.start:7.1f}s] ", style="dim")
        line.append(f"{utterance.speaker:>8}: ", style=SPEAKER_STYLE[utterance.speaker])
        body = Text(utterance.text)
        for tag in by_turn.get(utterance.index, []):
            if tag.evidence.span:
                body.stylize("bold underline magenta", *tag.evidence.span)
        line.append(body)
        lines.append(line)
        for tag in by_turn.get(utterance.index, []):
            name = taxonomy[tag.label].name if tag.label in taxonomy else ""
            value = f" = {_value(tag.value)}" if tag.value is not None else ""
            # the evidence, where it is narrower than the whole turn
            narrower = tag.evidence.span not in (None, (0, len(utterance.text)))
            quote = f"  「{tag.evidence.quote}」" if narrower else ""
            lines.append(
                Text(
                    f"{'':>12}↳ {tag.label}{value}  {name}{quote}  ({tag.source}, {tag.confidence:.2f})",
                    style="magenta",
                )
            )
    return Group(*lines)


def scores_table(scores: Scores, title: str) -> Table:
    table = Table(title=title, title_justify="left")
    widest = max((len(label) for label in scores.per_label), default=5)
    table.add_column("label", no_wrap=True, min_width=widest)  # whole IDs, to grep
    for column in ("precision", "recall", "F1", "support"):
        table.add_column(column, justify="right", min_width=len(column))
    for label, prf in scores.per_label.items():
        table.add_row(label, f"{prf.precision:.3f}", f"{prf.recall:.3f}", f"{prf.f1:.3f}", str(prf.support))
    table.add_section()
    for category, prf in scores.per_category.items():
        table.add_row(
            _bold(category), f"{prf.precision:.3f}", f"{prf.recall:.3f}", f"{prf.f1:.3f}", str(prf.support)
        )
    m = scores.micro
    table.add_row(_bold("micro"), f"{m.precision:.3f}", f"{m.recall:.3f}", f"{m.f1:.3f}", str(m.support))
    table.add_row(_bold("macro F1"), "", "", f"{scores.macro_f1:.3f}", "")
    table.add_row(
        _bold("false tags on no-label items"),
        "",
        "",
        f"{scores.false_tag_rate:.3f}",
        str(scores.no_label_items),
    )
    if scores.value_accuracy is not None:
        table.add_row(_bold("return.target value accuracy"), "", "", f"{scores.value_accuracy:.3f}", "")
    return table


def difference_line(difference: Difference, first: str, second: str) -> Text:
    """One line: how far ``first`` is ahead of ``second`` in micro-F1, and whether beyond chance."""
    d = difference
    verdict = (
        f"{first if d.delta > 0 else second} is ahead beyond chance"
        if d.clear
        else "no clear difference (the interval includes zero)"
    )
    return Text(
        f"{first} vs {second}: micro-F1 {d.first:.3f} vs {d.second:.3f}, difference {d.delta:+.3f} "
        f"({d.level:.0%} interval {d.low:+.3f} to {d.high:+.3f}, paired bootstrap over {d.items} items, "
        f"{d.rounds} rounds): {verdict}."
    )


def _bold(text: str) -> Text:
    return Text(text, style="bold")
