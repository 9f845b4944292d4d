"""Plain-text tables for the terminal, built from a run's summary dict, and the one table
layout every command prints with: it fits the width of the terminal.

A table wider than the terminal first wraps the headers of its number columns, then wraps
its text columns (the widest first, continuation lines indented); numbers are never cut.
When even that cannot fit, each row is printed as a block: its first cell, then the others
as `header: value | header: value`. Output to a file or a pipe fits 80 columns, a width that reads in an
email, a ticket or a chat; set COLUMNS to choose another (`COLUMNS=200 warroom ... > out.txt`).
"""

from __future__ import annotations

import shutil
import textwrap

from scenarios import METRIC_TITLES, METRICS
from scenarios.currency import DEFAULT_CURRENCY, format_money

__all__ = ["metrics_table", "comparison_table", "table", "terminal_width", "paragraph"]

GAP = 2                 # spaces between columns
MIN_TEXT_WIDTH = 10     # a text column is not wrapped narrower than this (or its longest header word)
MAX_WORD = 24           # ... but a longer word (a URL, a long name) is broken rather than kept whole
NARROWEST = 20          # below this many columns nothing fits: tables are laid out for this width


def terminal_width() -> int:
    """The width tables fit: COLUMNS if set, else the terminal's width, else 80 (a file or a pipe)."""
    return max(NARROWEST, shutil.get_terminal_size((80, 24)).columns)


def _fmt(value, digits=1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _ci(pair) -> str:
    if not pair or all(v is None for v in pair):
        return ""
    return "[" + ", ".join("?" if v is None else f"{v:.1f}" for v in pair) + "]"


def paragraph(text: str, first: str = "", rest: str = "", width: int | None = None) -> str:
    """`text` wrapped to `width` (default: `terminal_width()`) at word boundaries, the first
    line starting with `first` (e.g. "* ") and the others with `rest`."""
    width = terminal_width() if width is None else max(NARROWEST, width)
    return textwrap.fill(text, width, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False)


def table(header: list[str] | None, rows: list[list[str]], align: str | None = None, width: int | None = None,
          indent: str = "") -> str:
    """A plain-text table that fits `width` columns (default: `terminal_width()`); `align` has
    one letter per column, l (text, may wrap) or r (numbers, never wrapped), default: first
    left, rest right. No `header`: rows only (a list of names and titles); `indent` starts
    every line."""
    bare = header is None
    header = [""] * len(rows[0]) if bare else [str(h) for h in header]
    if bare and not rows:
        return ""
    align = align or "l" + "r" * (len(header) - 1)
    width = (terminal_width() if width is None else max(NARROWEST, width)) - len(indent)
    rows = [[str(c) for c in r] for r in rows]
    for gap in (GAP, 1):  # a tight table closes up its gaps before it gives up its columns
        widths = _fit(header, rows, align, width - gap * (len(header) - 1))
        if widths is not None:
            break
    else:
        return "\n".join(indent + line if line else line for line in _stacked(header, rows, width).splitlines())
    sep = " " * gap

    def lines(cells: list[str], is_header: bool) -> list[str]:
        wrapped = [_wrap(c, w, indent=not is_header and a == "l") for c, w, a in zip(cells, widths, align)]
        height = max(len(w) for w in wrapped)
        # headers sit on the rule (bottom-aligned); a row's continuation lines go below it
        wrapped = [([""] * (height - len(w)) + w) if is_header else (w + [""] * (height - len(w))) for w in wrapped]
        return [sep.join(part.ljust(w) if a == "l" else part.rjust(w)
                         for part, w, a in zip(parts, widths, align)).rstrip() for parts in zip(*wrapped)]

    out = [] if bare else lines(header, True) + [sep.join("-" * w for w in widths)]
    for row in rows:
        out += lines(row, False)
    return "\n".join(indent + line for line in out)


def _wrap(text: str, width: int, indent: bool) -> list[str]:
    if len(text) <= width and "\n" not in text:
        return [text]
    return textwrap.wrap(text, width, subsequent_indent="  " if indent and width > 8 else "",
                         break_on_hyphens=False) or [""]


def _longest_word(text: str) -> int:
    return max((len(word) for word in text.split()), default=0)


def _fit(header: list[str], rows: list[list[str]], align: str, budget: int) -> list[int] | None:
    """Column widths within `budget` (the width less the gaps), or None when even wrapped
    headers and text cannot fit. Number columns give up their header's width first (the
    header wraps), then text columns, widest first."""
    columns = list(zip(header, *rows))
    natural = [max(len(c) for c in column) for column in columns]
    if sum(natural) <= budget:
        return natural
    body = [max((len(c) for c in column[1:]), default=0) for column in columns]
    numbers = [i for i, a in enumerate(align) if a != "l"]
    texts = [i for i, a in enumerate(align) if a == "l"]
    least = list(natural)
    for i in numbers:
        least[i] = max(body[i], _longest_word(header[i]), 1)
    for i in texts:  # words are not broken if it can be helped (+2: continuation lines are indented)
        words = max(_longest_word(c) for c in columns[i][1:]) + 2 if rows else 0
        least[i] = min(natural[i], max(MIN_TEXT_WIDTH, _longest_word(header[i]), min(words, MAX_WORD)))
    if sum(least) > budget:
        return None
    widths = list(natural)
    for group in (numbers, texts):
        excess = sum(widths) - budget
        if excess <= 0:
            break
        _shrink(widths, least, group, excess)
    return widths


def _shrink(widths: list[int], least: list[int], group: list[int], excess: int) -> None:
    """Take `excess` columns from the columns of `group`, one at a time from the widest, none
    below its least width."""
    for _ in range(excess):
        room = [i for i in group if widths[i] > least[i]]
        if not room:
            return
        widths[max(room, key=lambda i: (widths[i], -i))] -= 1


def _stacked(header: list[str], rows: list[list[str]], width: int) -> str:
    """Each row as a block: its first cell, then `header: value` for the others, packed into
    lines of `width` and broken between fields, not inside one when it fits a line."""
    out = []
    for row in rows:
        out += textwrap.wrap(row[0], width, subsequent_indent="  ") or [""]
        line = ""
        for h, c in zip(header[1:], row[1:]):
            if not c:
                continue
            field = f"{h}: {c}" if h else c
            if line and len(line) + 3 + len(field) <= width:
                line += " | " + field
                continue
            if line:
                out.append(line)
            pieces = textwrap.wrap(field, width - 2) or [""]
            out += ["  " + p for p in pieces[:-1]]
            line = "  " + pieces[-1]
        if line:
            out.append(line)
    return "\n".join(out)


def metrics_table(summary: dict) -> str:
    """One row per metric: mean with CI, p50, p90, p95, target and breach probability."""
    rows = []
    targets = summary.get("targets", {})
    for metric in METRICS:
        m = summary["metrics"].get(metric)
        target = targets.get(metric)
        breach = target["breach"]["probability"] if target else None
        if m is None:
            rows.append([METRIC_TITLES[metric], "never", "", "", "", "", "", ""])
            continue
        rows.append([
            METRIC_TITLES[metric], _fmt(m["mean"]), _ci(m["ci95"]), _fmt(m["p50"]), _fmt(m["p90"]), _fmt(m["p95"]),
            _fmt(target["target"], 0) if target else "",
            f"{breach:.0%}" if breach is not None else "",
        ])
    for metric, m in (summary.get("restore_stages") or {}).items():
        rows.append([stage_title(metric), *(["never"] + [""] * 4 if m is None else
                                            [_fmt(m["mean"]), _ci(m["ci95"]), _fmt(m["p50"]), _fmt(m["p90"]),
                                             _fmt(m["p95"])]), "", ""])
    return table(["metric (minutes)", "mean", "95% CI", "p50", "p90", "p95", "target", "P(miss)"], rows)


def stage_title(metric: str) -> str:
    """`time_to_restore_95` -> "Time to restore 95% of traffic"; `time_to_restore.edge` -> "... edge"."""
    if metric.startswith("time_to_restore."):
        return f"Time to restore {metric.split('.', 1)[1].replace('_', ' ')}"
    return f"Time to restore {metric.removeprefix('time_to_restore_').replace('_', '.')}% of traffic"


def comparison_table(summary: dict) -> str:
    """One row per staffing option: MTTR distribution, breach of the restore target, costs."""
    rows = []
    currency = summary.get("currency", DEFAULT_CURRENCY)
    for option in summary["options"]:
        m = option["metrics"]["time_to_restore"]
        if m is None:
            rows.append([option["name"], "none restored", "", "", "", "",
                         format_money(option["costs"]["staffing_cost_per_year"], currency), ""])
            continue
        target = option["targets"].get("time_to_restore")
        breach = target["breach"]["probability"] if target else None
        costs = option["costs"]
        rows.append([
            option["name"], _fmt(m["mean"]), _fmt(m["p50"]), _fmt(m["p90"]), _ci(m["p90_ci95"]),
            f"{breach:.0%}" if breach is not None else "",
            format_money(costs["staffing_cost_per_year"], currency), format_money(costs["outage_cost_per_year"], currency),
        ])
    restore_target = summary["options"][0]["targets"].get("time_to_restore")
    miss = f"P(>{restore_target['target']:.0f}m)" if restore_target else "P(miss)"
    header = ["option", "MTTR mean", "p50", "p90", "p90 95% CI", miss, "staffing/yr", "outage/yr"]
    return "Time to restore service (MTTR), minutes\n" + table(header, rows)
