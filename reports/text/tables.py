"""Plain-text tables for the terminal, built from a run's summary dict."""

from __future__ import annotations

from scenarios import METRIC_TITLES, METRICS
from scenarios.currency import DEFAULT_CURRENCY, format_money

__all__ = ["metrics_table", "comparison_table", "table"]


def _fmt(value, digits=1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _ci(pair) -> str:
    if not pair or all(v is None for v in pair):
        return ""
    return "[" + ", ".join("?" if v is None else f"{v:.1f}" for v in pair) + "]"


def table(header: list[str], rows: list[list[str]], align: str | None = None) -> str:
    """A plain-text table; `align` has one letter per column (l or r), default: first left, rest right."""
    align = align or "l" + "r" * (len(header) - 1)
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells) -> str:
        return "  ".join(str(c).ljust(w) if a == "l" else str(c).rjust(w)
                         for c, w, a in zip(cells, widths, align)).rstrip()

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)])


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
