"""A drill scorecard as plain text for the terminal, from the scorecard artifact."""

from __future__ import annotations

from scenarios.durations import minutes_text as _minutes

from .tables import table

__all__ = ["scorecard_text"]

_MARK = {True: "met", False: "MISSED", None: ""}


def scorecard_text(card: dict) -> str:
    drill = card["drill"]
    lines = [
        f"Drill {drill['id']} - {drill['title']}",
        f"Team {drill['team']}, {drill['mode']} drill, seed {drill['seed']}",
        "",
        f"Score {card['score']:.1f}/100 (grade {card['grade']})",
        "",
        "How the score was made:",
    ]
    lines.append(table(None, [[p["label"], p["why"]] for p in card["points"]], "rl", indent="  "))
    lines.append("")
    rows = []
    for key, m in card["metrics"].items():
        p = card["percentiles"].get(key)
        notes = (["assumed"] if m["assumed"] else []) + ([f"{_minutes(m['jumped_min'])} jumped over"] if m["jumped_min"] else [])
        rows.append([
            m["title"], _minutes(m["scored_min"]), _minutes(m["target_min"]), _MARK[m["met"]],
            ", ".join(notes),
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
    if any(m["jumped_min"] for m in card["metrics"].values()):
        lines.append("'jumped over': minutes the facilitator skipped are not counted against the team.")
    if card.get("participants"):
        lines.append("")
        people = [[p["person"], ", ".join(p["roles"]).replace("_", " "), _minutes(p["joined_at"]), str(p["actions"]),
                   f"{p['expected_met']} of {p['expected_total']}" if p["expected_total"] else "-",
                   _minutes(p["median_response_min"])] for p in card["participants"]]
        lines.append(table(["participant", "role", "joined", "actions", "expected met", "median response"], people,
                           "llrrrr"))
    expected = card.get("expected_actions") or []
    if expected:
        lines.append("")
        rows = [[r.get("subject") or r["inject"], r["expect_action"].replace("_", " "), _minutes(r["delivered_at"]),
                 (r.get("verdict") or ("met" if r["met"] else "not_met")).replace("_", " ")
                 + (f" (validated by {r['mark']['by']})" if r.get("mark") else ""),
                 (r["mark"] or {}).get("reason", "") if r.get("mark") else ""] for r in expected]
        lines.append(table(["expected action of", "expected", "sent", "verdict", "evaluator's note"], rows, "llrll"))
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
