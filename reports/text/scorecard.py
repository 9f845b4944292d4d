"""A drill scorecard as plain text for the terminal, from the scorecard artifact."""

from __future__ import annotations

from .tables import table

__all__ = ["scorecard_text"]

_MARK = {True: "met", False: "MISSED", None: ""}


def _minutes(value) -> str:
    return "-" if value is None else f"{value:g}"


def scorecard_text(card: dict) -> str:
    drill = card["drill"]
    lines = [
        f"Drill {drill['id']} - {drill['title']}",
        f"Team {drill['team']}, {drill['mode']} drill, seed {drill['seed']}",
        "",
        f"Score {card['score']:.1f}/100 (grade {card['grade']})",
        "",
    ]
    rows = []
    for key, m in card["metrics"].items():
        p = card["percentiles"].get(key)
        rows.append([
            m["title"], _minutes(m["actual_min"]), _minutes(m["target_min"]), _MARK[m["met"]],
            "assumed" if m["assumed"] else "",
            f"{p['percentile']:.0f}%" if p else "",
        ])
    lines.append(table(["metric (scenario minutes)", "actual", "target", "", "", "faster than sim."], rows, "lrrllr"))
    lines.append("MTTR in warroom is mean time to restore service (time to restore).")
    if any(m["assumed"] for m in card["metrics"].values()):
        lines.append("'assumed': a milestone came from a time given as an assumption, not a recorded fact.")
    simulated = card.get("simulated") or {}
    if "replications" in simulated:
        lines.append(f"Percentiles against {simulated['replications']} simulated responses with staffing "
                     f"{simulated['staffing']} and playbook {simulated['playbook']}.")
    elif "skipped" in simulated:
        lines.append(f"No percentiles: {simulated['skipped']}.")
    lines.append("")
    check_rows = [[c["title"], {True: "passed", False: "FAILED", None: "n/a"}[c["passed"]], c["detail"]]
                  for c in card["checks"].values()]
    lines.append(table(["check", "", "detail"], check_rows, "lll"))
    if card["ratings"]:
        lines.append("")
        rating_rows = []
        for objective, r in card["ratings"].items():
            note = f"evaluator: {r['override']['reason']}" if r["override"] else ""
            rating_rows.append([r["title"], r["rating"] or "-", r["rating_title"] or "", note])
        lines.append(table(["objective (HSEEP rating)", "", "", ""], rating_rows, "llll"))
    steps = [s for s in card["steps"] if s["status"] not in ("done",)]
    if steps:
        lines.append("")
        lines.append("Playbook steps not done as written:")
        for s in steps:
            by = f" by {s['by']}" if s.get("by") else ""
            lines.append(f"  - {s['name']}: {s['status'].replace('_', ' ')}{by}")
    if card["strengths"]:
        lines.append("")
        lines.append("Strengths:")
        lines.extend(f"  + {s}" for s in card["strengths"])
    if card["improvements"]:
        lines.append("")
        lines.append("Areas for improvement:")
        lines.extend(f"  - {s}" for s in card["improvements"])
    if card.get("outage_cost") is not None:
        lines.append("")
        lines.append(f"Outage cost accrued during the drill: {card['outage_cost']:,.0f}")
    return "\n".join(lines)
