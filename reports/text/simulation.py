"""A simulation's answer as `warroom simulate` and `warroom compare` print it."""

from __future__ import annotations

from pathlib import Path

from scenarios.currency import DEFAULT_CURRENCY, format_money

from .adaptive import adaptive_text
from .risk import input_uncertainty_lines, risk_table
from .tables import comparison_table, metrics_table, paragraph

__all__ = ["simulation_text"]


def simulation_text(summary: dict, out_dir: str | None = None) -> str:
    """The run's inputs, then the comparison table and verdict (several options) or the metrics
    table and expected costs (one option), and where the results were written (`out_dir`,
    whose files the summary lists under "files")."""
    scenario_names = ", ".join(i["name"] for i in summary["inputs"] if i["kind"] == "scenario")
    unit = "incidents" if summary["mode"] == "single" else "horizons"
    adaptive = summary.get("adaptive")
    per_option = f"{summary['replications']} {unit} per option"
    if adaptive:  # each option ran as many as its decision needed
        used = [o["replications"] for o in adaptive["options"]]
        spread = f"{min(used):,}" if min(used) == max(used) else f"{min(used):,} to {max(used):,}"
        per_option = f"{spread} {unit} per option as the decision needed ({adaptive['total_replications']:,} in all)"
    lines = []
    recommendation = summary.get("recommendation")
    if recommendation:   # a comparison opens with the decision, then the evidence
        lines += [paragraph(sentence) for sentence in recommendation["text"]]
        if recommendation["outcome"] in ("chosen", "none_meets", "undecided"):
            lines.append(paragraph(f"(Rule: {recommendation['rule']}.)"))
        lines.append("")
    lines += [f"Scenario {scenario_names}: {per_option}, mode {summary['mode']}, seed {summary['seed']}", ""]
    counts = [sum(o["detection_paths"].values()) for o in summary.get("options", [summary])]
    if summary["mode"] == "stream" and not any(counts):
        lines.append("No incident arrived within the horizon: raise the scenario's frequency or --horizon.")
        return "\n".join(lines)
    if "options" in summary:
        lines += [comparison_table(summary), ""]
        lines += [paragraph(line, "* ", "  ") for line in summary["verdict"]]
        if adaptive:
            lines += ["", adaptive_text(adaptive)]
    else:
        costs = summary["costs"]
        per_year = costs["incidents_per_year"]
        currency = summary.get("currency", DEFAULT_CURRENCY)
        lines += [f"Staffing {summary['option']}", metrics_table(summary), "",
                  f"Expected outage cost {format_money(costs['outage_cost_per_year'], currency)} a year "
                  f"({per_year:.3g} incident{'' if per_year == 1 else 's'} a year); "
                  f"staffing {format_money(costs['staffing_cost_per_year'], currency)} a year."]
    for calibration in summary.get("calibrated_from") or []:  # documents fitted to history: what it can show
        lines += ["", calibration["sentence"]]
    if "options" in summary:
        yearly = risk_table(summary)
        if yearly:
            lines += ["", yearly]
        robustness = input_uncertainty_lines(summary)
        if robustness:
            lines += ["", *robustness]
    if out_dir:
        lines += ["", f"Results written to {Path(out_dir)}/ ({', '.join(Path(f).name for f in summary['files'])})"]
    return "\n".join(lines)
