"""Scenarios as `warroom scenario list` and `warroom scenario show` print them."""

from __future__ import annotations

from .tables import paragraph, table

__all__ = ["scenario_list_text", "scenario_text"]


def scenario_list_text(scenarios: dict) -> str:
    """One row per scenario (name -> `scenarios.Scenario`): title, detection paths, injects
    and reference staffing."""
    rows = []
    for name, sc in scenarios.items():
        paths = sorted({j.detects for j in sc.injects if j.detects})
        rows.append([name, sc.title, ", ".join(paths) or "-", str(len(sc.injects)), sc.reference_staffing or "-"])
    return table(["scenario", "title", "detected by", "injects", "reference staffing"], rows, "lllrl")


def scenario_text(sc, notes: bool = True) -> str:
    """A scenario (`scenarios.Scenario`): the incident, targets, workarounds, causes,
    objectives and its master scenario events list (with the facilitator notes when `notes`)."""
    from scenarios.msel import msel_rows

    lines = [f"{sc.name}: {sc.title}"]
    if sc.description:
        lines.append(paragraph(" ".join(sc.description.split()), "  ", "  "))
    for s in sc.affected:
        lines.append(f"Service: {s.name}{'' if s.critical else ' (not critical)'}; impact {s.share:.0%} lost, "
                     f"{s.cost_per_minute:,.0f} a minute fully down")
    if sc.onset.trigger_before or sc.onset.ramp:
        lines.append(f"Onset: trigger {sc.onset.trigger_before:g} min before impact, ramp over {sc.onset.ramp:g} min")
    lines.append("Targets: " + ", ".join(f"{k} {v:g}m" for k, v in sc.all_targets.items()))
    if sc.workarounds:
        lines.append("Workarounds: " + "; ".join(f"{w.key}{'' if w.effective else ' (wrong)'}" for w in sc.workarounds))
    if sc.diagnosis.causes:
        lines.append("Causes: " + "; ".join(f"{c.id}{' (the real one)' if c.correct else ''}"
                                            for c in sc.diagnosis.causes))
    if sc.objectives:
        lines.append("Objectives:")
        lines += [f"  {o.id}: {o.title}" for o in sc.objectives]
    if not sc.injects:
        lines.append("No injects: this scenario is for simulation only.")
        return "\n".join(lines)
    lines += ["", "Master scenario events list"]
    rows = []
    for row in msel_rows(sc):
        when = row["time"] or ""
        if row["condition"]:
            when = (when + " if " if when else "when ") + row["condition"]
        if row["requested"]:
            when = (when + ", " if when else "") + f"on request: {row['requested']}"
        kind = "" if row["type"] == "standard" else row["type"].replace("_", " ")
        cells = [row["id"], when, row["delivery"], row["to"], row["subject"], row["expected_action_verb"], kind]
        if notes:
            cells.append(row["notes"])
        rows.append(cells)
    header = ["inject", "when", "channel", "to", "subject", "expects", "type"] + (["facilitator notes"] if notes else [])
    lines.append(table(header, rows, "l" * len(header)))
    return "\n".join(lines)
