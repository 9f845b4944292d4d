"""The staffing comparison as a document for leadership: the verdict on top, time to
restore (MTTR) per option as ECDF and box plots, every milestone's distribution, paired
differences with confidence intervals, the chance of missing each target, and outage cost
against staffing cost; the risk per year in leadership's units (misses a year, the chance of
one this year, yearly cost, across the plausible incident rates) and, when it was asked for,
whether the answer holds across the documents' uncertain estimates. When an input was fitted
to incident history, what change in MTTR that history could detect at all is said next to
the verdict. Reads only summary.json: distributions come from its histograms."""

from __future__ import annotations

import json

from scenarios import METRIC_TITLES, METRICS
from scenarios.currency import format_money

from .charts import box_chart, difference_chart, ecdf_chart, pareto_chart
from .templating import markdown_text, money_in, one_decimal, render, signed
from .text.adaptive import adaptive_rows, adaptive_rule
from .text.risk import count, ends
from .text.tables import stage_title

__all__ = ["render_comparison"]



def _context(summary: dict) -> dict:
    options = summary.get("options") or [dict(summary, name=summary.get("option", "option"), title="")]
    names = [o["name"] for o in options]
    targets = {}
    rows = []
    for o in options:
        restore = o["metrics"].get("time_to_restore") or {}
        restore = {k: restore.get(k) for k in ("mean", "p50", "p90", "p95")} | {
            "ci95": restore.get("ci95") or [None, None], "p90_ci95": restore.get("p90_ci95") or [None, None]}
        breaches = {}
        for metric, t in o["targets"].items():
            targets.setdefault(metric, f"{t['target']:g}")
            breaches[metric] = _chance(t["breach"])
        rows.append({"name": o["name"], "title": o.get("title", ""), "restore": restore, "costs": o["costs"],
                     "breach": breaches.get("time_to_restore", ""), "breaches": breaches})
    restore_target = summary["options"][0]["targets"].get("time_to_restore", {}).get("target") if "options" in summary \
        else summary["targets"].get("time_to_restore", {}).get("target")
    bins = summary["histogram_bins"]
    histograms = {o["name"]: o.get("histograms", {}).get("time_to_restore") for o in options}
    differences = [d for d in summary.get("differences", []) if d["metric"] in METRICS]
    scenario = ", ".join(i["name"] for i in summary["inputs"] if i["kind"] == "scenario")
    stage_names = list(dict.fromkeys(k for o in options for k in (o.get("restore_stages") or {})))
    stages = [{"title": stage_title(k),
               "values": [(o.get("restore_stages") or {}).get(k) or {} for o in options]} for k in stage_names]
    money = money_in(summary.get("currency"))
    risk = risk_section(summary, options, money)
    return {
        "recommendation": summary.get("recommendation"),
        "executive": executive_rows(summary, rows, risk, money),
        "restore_target": restore_target,
        "risk": risk,
        "robustness": summary.get("input_uncertainty"),
        "adaptive": _adaptive(summary.get("adaptive")),
        "classification": classification_sentence(summary),
        "stages": stages,
        "summary": summary, "options": rows, "targets": targets, "titles": METRIC_TITLES, "scenario": scenario,
        "baseline": names[0], "differences": differences,
        "calibrations": summary.get("calibrated_from") or [],
        "f1": one_decimal, "money": money, "signed": signed, "md": markdown_text,
        "charts": {
            "ecdf": ecdf_chart(histograms, bins, restore_target, "time to restore service (MTTR), minutes"),
            "boxes": box_chart(options, bins, [m for m in METRICS if m != "time_to_restore"], METRIC_TITLES),
            "differences": difference_chart([d for d in differences if abs(d.get("p90_diff") or 0) > 1e-9
                                             or (d.get("p90_ci95") or [0, 0])[1] != 0], METRIC_TITLES),
            "pareto": pareto_chart([(o["name"], o["costs"]["staffing_cost_per_year"], o["costs"]["outage_cost_per_year"])
                                    for o in options], summary.get("currency")),
        },
    }


def _adaptive(account: dict | None) -> dict | None:
    """An adaptive run's account, its rows and rule, for the section saying what the decision took."""
    if not account:
        return None
    used = [o["replications"] for o in account["options"]]
    spread = f"{min(used):,}" if min(used) == max(used) else f"{min(used):,} to {max(used):,}"
    return {"account": account, "rows": adaptive_rows(account), "rule": adaptive_rule(account), "spread": spread}


def _chance(breach: dict) -> str:
    """`98% (96-99%)`: the chance of missing a target with its 95% interval, as the results
    computed it (across replications in stream mode); `not reached` when no incident got there."""
    if breach["probability"] is None:
        return "not reached"
    low, high = breach.get("ci95") or (None, None)
    interval = "" if low is None or high is None else f" ({low * 100:.0f}-{high:.0%})"
    return f"{breach['probability']:.0%}{interval}"


def executive_rows(summary: dict, rows: list[dict], risk: dict | None, money) -> list[dict]:
    """One row per option for the executive summary: yearly cost, p90 time to restore with its
    interval, the share restored within the target, and the yearly risk of missing it; the
    option the recommendation names is marked."""
    recommendation = summary.get("recommendation") or {}
    named = recommendation.get("choice") or recommendation.get("closest")
    by_name = {r["name"]: r for r in (risk or {}).get("rows", [])}
    out = []
    for o, row in zip(summary.get("options") or [], rows):
        restore, yearly = row["restore"], by_name.get(o["name"], {})
        breach = (o["targets"].get("time_to_restore") or {}).get("breach") or {}
        within = None if breach.get("probability") is None else f"{1 - breach['probability']:.0%}"
        out.append({
            "name": o["name"], "named": o["name"] == named,
            "yearly": money(o["costs"]["total_cost_per_year"]),
            "staffing": money(o["costs"]["staffing_cost_per_year"]),
            "p90": one_decimal(restore["p90"]),
            "p90_ci": f"{one_decimal(restore['p90_ci95'][0])}-{one_decimal(restore['p90_ci95'][1])}",
            "within": within or "-",
            "misses": (yearly.get("misses") or {}).get("value", "-"),
            "any": (yearly.get("any") or {}).get("value", "-"),
        })
    return out


def risk_section(summary: dict, options: list[dict], money) -> dict | None:
    """The yearly risk figures of every option as the report shows them: the rate and where it
    comes from, one row per option (misses of the restore target, outage and total cost a
    year), one row per target (misses a year per option), and which option costs least a year
    across the plausible rates. None for results without risk figures."""
    if not all(o.get("risk") for o in options):
        return None
    rate = options[0]["risk"]["incidents_per_year"]
    restore = options[0]["risk"]["targets"].get("time_to_restore")

    def cell(figure, show, bare=None) -> dict:
        if not figure or figure.get("value") is None:
            return {"value": "-", "ends": ""}
        found = ends(figure, bare or show)
        return {"value": show(figure["value"]), "ends": f"{found[0]} to {found[1]}" if found else ""}

    share = "{:.0%}".format
    bare = lambda v: format_money(v, None)  # noqa: E731
    rows = []
    for o in options:
        risk = o["risk"]
        mine = risk["targets"].get("time_to_restore") or {}
        rows.append({
            "name": o["name"],
            "miss": "-" if mine.get("breach_probability") is None else share(mine["breach_probability"]),
            "misses": cell(mine.get("expected_breaches_per_year"), count),
            "any": cell(mine.get("chance_of_breach_this_year"), share),
            "outage": cell(risk["outage_cost_per_year"], money, bare),
            "total": cell(risk["total_cost_per_year"], money, bare),
        })
    metrics = list(dict.fromkeys(m for o in options for m in o["risk"]["targets"]))
    targets = [{"title": METRIC_TITLES.get(m, m), "target": options[0]["risk"]["targets"][m]["target"],
                "cells": [cell((o["risk"]["targets"].get(m) or {}).get("expected_breaches_per_year"), count)
                          for o in options]}
               for m in metrics if m in options[0]["risk"]["targets"]]
    leaders = summary.get("lowest_total_cost_by_rate") or []
    if len(leaders) == 1:
        cheapest = (f"{leaders[0]['option']} has the lowest staffing plus expected outage cost a year across the "
                    f"whole plausible range of {leaders[0]['from']:.3g} to {leaders[0]['to']:.3g} incidents a year.")
    elif leaders:
        cheapest = ("The option with the lowest staffing plus expected outage cost a year depends on the incident "
                    "rate: " + "; ".join(f"{x['option']} from {x['from']:.3g} to {x['to']:.3g} a year" for x in leaders)
                    + ".")
    else:
        cheapest = None
    return {"rate": rate, "restore_target": restore["target"] if restore else None, "rows": rows,
            "targets": targets, "cheapest": cheapest,
            "brackets": ("lowest to highest across the plausible rates, with the simulation's 95% interval"
                         if rate["range"] else "the simulation's 95% interval")}


def classification_sentence(summary: dict) -> str | None:
    """How the run's classification policy (and any staffing's own triage) held up declarations."""
    from scenarios import load_text
    from scenarios.durations import format_duration

    def triage_text(triage) -> str:
        if triage.first_wrong <= 0:
            return "never misses the major line"
        median = triage.corrected_after.median if hasattr(triage.corrected_after, "median") else None
        after = f", corrected after a median {format_duration(median)}" if median else ""
        return f"first classifies a major incident below the major line {triage.first_wrong:.0%} of the time{after}"

    docs = [(i["kind"], load_text(i["text"], i["source"], expect=i["kind"]).document)
            for i in summary.get("inputs", []) if i["kind"] in ("classification", "staffing") and i.get("text")]
    policy = next((d for kind, d in docs if kind == "classification"), None)
    if policy is None:
        return None
    own = [f"{d.name} {triage_text(d.triage)}" for kind, d in docs if kind == "staffing" and d.triage is not None]
    return (f"Classification policy {policy.name}: the first call {triage_text(policy.triage)}; a major incident is "
            f"declared once it is classified right" + (f". Own triage: {'; '.join(own)}." if own else "."))


def render_comparison(summary: dict, fmt: str = "html") -> str | bytes:
    if fmt == "json":
        return json.dumps(summary, indent=2) + "\n"
    if "histogram_bins" not in summary:
        raise ValueError(f"these results are in format {summary.get('format')}; run the simulation again "
                         "with this version of warroom to report them")
    return render("compare", _context(summary), fmt)
