"""How an adaptive comparison decided how many incidents to simulate: the rule, each option's
replications and decision, and the replications used against a fixed run at the maximum. Read
from the results' `adaptive` section (simulator.studies.sequential writes it)."""

from __future__ import annotations

from scenarios.durations import format_duration

from .tables import paragraph, table

__all__ = ["adaptive_rows", "adaptive_rule", "adaptive_text", "margin_words"]


def _share(value: float) -> str:
    return f"{value:.1%}".replace(".0%", "%")


def _points(share: float) -> str:
    value = round(share * 100, 6)
    return f"{value:g} point{'' if value == 1 else 's'}"


def margin_words(account: dict) -> str:
    """An adaptive account's margin in words: "1 point of the share of incidents" or "0.64 min"."""
    if account["margin_unit"] == "share of incidents":
        return f"{_points(account['margin'])} of the share of incidents"
    return f"{account['margin']:.2f} min"


def adaptive_rule(account: dict) -> str:
    """The decision rule in words: the target, the margin, the confidence."""
    target = account["target"]
    limit = format_duration(target["limit_minutes"])
    if account["margin_unit"] == "share of incidents":
        allowed = float(account["constraint"].rsplit("<= ", 1)[1])
        what = (f"{target['text']}: {target['metric'].replace('_', ' ')} within {limit} in at least "
                f"{_share(1 - allowed)} of incidents, give or take {_points(account['margin'])}")
    else:
        what = f"{target['text']}, give or take {format_duration(account['margin'])}"
    cost = ""
    if account.get("cost_margin"):
        cost = f"; yearly costs within {account['cost_margin']:,.0f} of each other count as a tie"
    return f"{what}; {account['confidence']:.0%} confidence{cost}"


def adaptive_rows(account: dict) -> list[dict]:
    """One row per option: replications, when it was decided, the estimate and the decision."""
    share = account["margin_unit"] == "share of incidents"
    limit = format_duration(account["target"]["limit_minutes"])
    rows = []
    for o in account["options"]:
        if o["estimate"] is None:
            estimate = "never reached"
        elif share:
            estimate = f"{_share(o['within_limit'])} within {limit}"
        else:
            estimate = f"{o['estimate']:.1f} min"
        rows.append({"name": o["name"], "replications": o["replications"], "decided_after": o["decided_after"],
                     "estimate": estimate, "status": o["status"],
                     "most": o["most_replications"] if o["decision"] == "undecided" else None})
    return rows


def adaptive_text(account: dict) -> str:
    """The terminal's account of an adaptive comparison."""
    rows = [[r["name"], f"{r['replications']:,}", "-" if r["decided_after"] is None else f"{r['decided_after']:,}",
             r["estimate"], r["status"] + (f" (at most {r['most']:,} would settle it)" if r["most"] else "")]
            for r in adaptive_rows(account)]
    return "\n".join([
        paragraph(f"Adaptive run: simulated in rounds ({account['first_round']:,} replications first, then "
                  f"{account['round']:,} at a time, at most {account['max_replications']:,}) until each option was "
                  f"known to meet or miss the target. Rule: {adaptive_rule(account)}."),
        table(["option", "replications", "decided after", "estimate", "decision"], rows, "lrrll"),
        paragraph(account["sentence"]),
        paragraph(f"Method: {account['method']} (references in summary.json)."),
    ])
