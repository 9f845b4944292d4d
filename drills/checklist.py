"""A playbook's steps as a checklist: which were done, late, out of order or skipped, and
by whom compared with the RACI. Used live (each role sees its own checklist) and by the
scorecard. Pure functions over journal events."""

from __future__ import annotations

from dataclasses import dataclass

from scenarios import ACTIONS, METRIC_SPANS, METRIC_TITLES, Playbook, Roster, Scenario
from scenarios.roles import RESOLVER_GROUPS_TOKEN
from scenarios.timeline import Timeline

from .events import DrillEvent

__all__ = ["Milestone", "milestones_of", "metrics_of", "stand_ins", "allowed_roles", "step_action", "playbook_steps",
           "checklist"]

_MILESTONE_ACTION = {spec.milestone: name for name, spec in ACTIONS.items() if spec.milestone}


@dataclass(frozen=True)
class Milestone:
    t: float
    role: str
    actor: str
    assumed: str | None


def milestones_of(events: tuple[DrillEvent, ...]) -> dict[str, Milestone]:
    out = {}
    for e in events:
        if e.kind == "milestone" and e.name not in out:
            out[e.name] = Milestone(e.t, e.role, e.actor, e.detail.get("assumed"))
    return out


def metrics_of(milestones: dict[str, Milestone], targets: dict[str, float], timeline: Timeline = Timeline()) -> dict:
    """Each SPEC 3.1 metric: `actual_min` in scenario minutes, `scored_min` less the minutes
    the facilitator jumped over inside the span (`jumped_min`), judged against its target."""
    out = {}
    for metric, (begin, end) in METRIC_SPANS.items():
        a, b = milestones.get(begin), milestones.get(end)
        actual = round(b.t - a.t, 4) if a and b else None
        jumped = round(timeline.jumped(a.t, b.t), 4) if a and b else 0.0
        scored = None if actual is None else round(actual - jumped, 4)
        target = targets.get(metric)
        met = None if target is None else (scored is not None and scored <= target + 1e-9)
        why = [m.assumed for m in (a, b) if m is not None and m.assumed]
        out[metric] = {
            "title": METRIC_TITLES[metric],
            "actual_min": actual,
            "scored_min": scored,
            "jumped_min": jumped,
            "target_min": target,
            "met": met,
            "assumed": bool(why),
            "assumptions": why,
        }
    return out


def stand_ins(roster: Roster | None, playbook: Playbook, scenario: Scenario) -> dict[str, str]:
    """Role -> the role that actually does its work in this roster (via the playbook's role effects)."""
    present = set(roster.roles) if roster is not None else set(scenario.participant_roles)
    out = {}
    for role in scenario.participant_roles:
        actual, seen = role, set()
        while actual not in present:
            effect = playbook.effect_for(actual)
            if effect is None or actual in seen:
                break
            seen.add(actual)
            actual = effect.substitute
        out[role] = actual
    return out


def allowed_roles(step, holders: dict[str, str], scenario: Scenario) -> set[str]:
    """Roles that may do a step: its R and A roles, their stand-ins, the groups for
    `resolver_groups`, and for the scenario's own work whoever the scenario says does it."""
    allowed = set()
    doers = {"diagnose": [scenario.diagnosis.by], "workaround": [w.by for w in scenario.workarounds],
             "fix": [scenario.fix.by] if scenario.fix else []}
    allowed.update(doers.get(step.action, []))
    for role, code in step.raci.items():
        if "R" in code or "A" in code:
            names = list(scenario.needs) if role == RESOLVER_GROUPS_TOKEN else [role]
            for name in names:
                allowed.add(name)
                allowed.add(holders.get(name, name))
    return allowed


def step_action(step) -> str | None:
    """The drill action that does a playbook step, if one does."""
    if step.drill_action:
        return step.drill_action
    if step.milestone in _MILESTONE_ACTION:
        return _MILESTONE_ACTION[step.milestone]
    if step.id in ACTIONS:
        return step.id
    return None


def playbook_steps(events, playbook: Playbook, scenario: Scenario, milestones, metrics, holders) -> list[dict]:
    first_action: dict[str, DrillEvent] = {}
    presence: dict[str, float] = {}
    for e in events:
        if e.kind == "action":
            first_action.setdefault(e.name, e)
            presence.setdefault(e.role, e.t)
        elif e.kind == "joined":
            presence.setdefault(e.name, e.t)
    late_metric = {end: metric for metric, (_, end) in METRIC_SPANS.items()}
    done: dict[str, dict] = {}
    rows = []
    for step in playbook.steps:
        row = {"id": step.id, "name": step.name or step.id, "accountable": step.accountable,
               "responsible": step.performer, "status": "skipped", "t": None, "by": None, "raci_ok": None}
        action = step_action(step)
        if (step.action == "fix" and scenario.fix is None) or (step.action == "workaround" and not scenario.workarounds):
            row["status"] = "not_applicable"
        elif step.milestone == "assembled" or (step.action == "engage" and action is None):
            roles = [r for r in step.roles if r != RESOLVER_GROUPS_TOKEN]
            if step.action == "assemble" or RESOLVER_GROUPS_TOKEN in step.roles:
                roles += list(scenario.needs)
            if step.milestone == "assembled" and "assembled" in milestones:
                row.update(status="done", t=milestones["assembled"].t)
            elif roles and all(r in presence for r in roles):
                row.update(status="done", t=max(presence[r] for r in roles))
            pager = next((e for e in events if e.kind == "action" and e.name == "page"
                          and e.detail.get("target") in roles), None)
            if pager is not None and step.action == "engage":
                row["by"] = pager.role
        elif step.milestone in milestones and milestones[step.milestone].role:
            # The step is done when its milestone is reached (a wrong workaround first does not count).
            reached = milestones[step.milestone]
            row.update(status="done", t=reached.t, by=reached.role)
        elif action is not None and action in first_action:
            event = first_action[action]
            row.update(status="done", t=event.t, by=event.role)
        elif action is None:
            row["status"] = "not_observed"
        if row["status"] == "done":
            metric = late_metric.get(step.milestone)
            if metric and metrics[metric]["met"] is False and metrics[metric]["scored_min"] is not None:
                row["status"] = "late"
                row["late_by_min"] = round(metrics[metric]["scored_min"] - metrics[metric]["target_min"], 4)
            before = [d for d in step.after if d in done and done[d]["t"] is not None and done[d]["t"] > row["t"]]
            missing = [d for d in step.after if d in done and done[d]["t"] is None
                       and done[d]["status"] not in ("not_observed", "not_applicable")]
            if before or missing:
                row["status"] = "out_of_order"
                row["ahead_of"] = before + missing
            if row["by"] is not None:
                row["raci_ok"] = row["by"] in allowed_roles(step, holders, scenario)
        done[step.id] = row
        rows.append(row)
    return rows


def checklist(events, scenario: Scenario, playbook: Playbook, roster: Roster | None, role: str | None = None) -> list[dict]:
    """The playbook's steps with their status so far; for one role, the steps it is
    Responsible or Accountable for (directly or standing in for a missing role)."""
    milestones = milestones_of(events)
    metrics = metrics_of(milestones, scenario.all_targets, Timeline.of(events))
    holders = stand_ins(roster, playbook, scenario)
    rows = playbook_steps(events, playbook, scenario, milestones, metrics, holders)
    if role is None:
        return rows
    by_id = {s.id: s for s in playbook.steps}
    return [r for r in rows if role in allowed_roles(by_id[r["id"]], holders, scenario)]
