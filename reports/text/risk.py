"""Yearly risk and the robustness of a comparison to its estimates, as the terminal prints
them (from summary.json's `risk` and `input_uncertainty`)."""

from __future__ import annotations

import shutil
import textwrap

from scenarios import METRIC_TITLES
from scenarios.currency import DEFAULT_CURRENCY, format_money

from .tables import table

__all__ = ["risk_table", "spread", "ends", "count", "wrapped", "input_uncertainty_lines"]


def ends(figure: dict | None, show) -> tuple[str, str] | None:
    """A yearly figure's (low, high): its range across the plausible rates when one is stated,
    else its 95% interval at the stated rate; None when it has neither."""
    found = (figure or {}).get("range") or (figure or {}).get("ci95")
    return (show(found[0]), show(found[1])) if found else None


def spread(figure: dict | None, show, bare=None) -> str:
    """`value [low, high]` (see `ends`). `show` writes the value, `bare` the ends (default `show`)."""
    if not figure or figure.get("value") is None:
        return "-"
    found = ends(figure, bare or show)
    return f"{show(figure['value'])} [{found[0]}, {found[1]}]" if found else show(figure["value"])


def wrapped(text: str, indent: str = "") -> str:
    """Prose wrapped to the terminal's width (100 columns when there is no terminal)."""
    width = max(60, min(shutil.get_terminal_size((100, 24)).columns, 120))
    return textwrap.fill(text, width, initial_indent=indent, subsequent_indent=indent + ("  " if indent else ""),
                         break_on_hyphens=False)


def count(value: float) -> str:
    """An expected number of misses: two significant figures (0.40, 1.4), whole from 10, 0
    below 0.0005."""
    if abs(value) < 0.0005:
        return "0"
    return f"{value:#.2g}" if abs(value) < 10 else f"{value:.0f}"




def _share(value: float) -> str:
    return f"{value:.0%}"


def risk_table(summary: dict, metric: str = "time_to_restore") -> str | None:
    """Per option, the chance an incident misses `metric`'s target, the misses expected a
    year, the chance of at least one this year and the outage cost a year, with how far each
    could move. None when the summary has no risk figures."""
    options = summary.get("options") or [dict(summary, name=summary.get("option", "option"))]
    if not all(o.get("risk") for o in options):
        return None
    currency = summary.get("currency", DEFAULT_CURRENCY)
    rate = options[0]["risk"]["incidents_per_year"]
    target = options[0]["risk"]["targets"].get(metric)
    title = METRIC_TITLES[metric].split(" (")[0].lower()
    rows = []
    for o in options:
        risk = o["risk"]
        mine = risk["targets"].get(metric)
        rows.append([o["name"],
                     _share(mine["breach_probability"]) if mine and mine["breach_probability"] is not None else "-",
                     spread(mine and mine["expected_breaches_per_year"], count),
                     spread(mine and mine["chance_of_breach_this_year"], _share),
                     spread(risk["outage_cost_per_year"], lambda v: format_money(v, currency),
                            lambda v: format_money(v, None))])
    missed = (f"A miss is an incident whose {title} is over its {target['target']:g}-minute target" if target
              else f"No target is set for {title}")
    brackets = ("lowest to highest across those rates, with the simulation's 95% interval" if rate["range"]
                else "the simulation's 95% interval")
    lines = [wrapped(f"Yearly risk, at {rate['basis']}. {missed}; in brackets: {brackets}."),
             table(["option", "P(miss)", "misses a year", "1+ miss this year", "outage cost a year"], rows, "lrlll")]
    return "\n".join(lines)


def input_uncertainty_lines(summary: dict) -> list[str]:
    """Whether the comparison's answer holds across the draws of its estimates (summary.json
    `input_uncertainty`), in a few lines; [] when it was not asked for."""
    found = summary.get("input_uncertainty")
    if not found:
        return []
    return [wrapped(found["sentence"]), *(wrapped(line, "  ") for line in found.get("details", []))]
