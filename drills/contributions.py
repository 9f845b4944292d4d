"""Who did what in a drill, beside the team's score: each participant's actions, the
expected actions of the injects addressed to them, and how long they took to respond.
Pure functions over journal events.

An inject's expected action (`expect_action`) is met by the first such action an
addressed role takes at or after the delivery; the time to respond runs from the delivery
to that action, in scored minutes (scenarios/timeline.py). An evaluator's `mark` event
{inject, verdict (met, partly or not_met), reason, occurrence?} overrides whether it was
met (the journal's record-only inputs, drills/events.py); the latest mark stands. Older
marks with only `met` (true or false) still read.
"""

from __future__ import annotations

import statistics

from scenarios import Roster, Scenario
from scenarios.timeline import Timeline

from .events import DrillEvent

__all__ = ["expected_actions", "contributions", "VERDICTS"]

VERDICTS = ("met", "partly", "not_met")
"""An evaluator's verdict on an expected action."""


def expected_actions(events: tuple[DrillEvent, ...], scenario: Scenario, roster: Roster | None,
                     timeline: Timeline) -> list[dict]:
    """One row per delivered inject that expects an action: who it was for, whether the
    action came, from whom, and after how many scored minutes."""
    everyone = tuple(roster.roles) if roster is not None else tuple(scenario.participant_roles)
    marks = [e for e in events if e.kind == "mark"]
    rows = []
    for e in events:
        if e.kind != "inject" or not e.detail.get("expect_action"):
            continue
        wanted = e.detail["expect_action"]
        to = list(e.detail.get("to") or ["everyone"])
        addressed = everyone if "everyone" in to else tuple(to)
        answer = next((a for a in events if a.kind == "action" and a.name == wanted and a.role in addressed
                       and a.t >= e.t and (a.seq is None or e.seq is None or a.seq > e.seq)), None)
        occurrence = e.detail.get("occurrence", 0)
        row = {
            "inject": e.name, "occurrence": occurrence, "subject": e.detail.get("subject", ""),
            "expect_action": wanted, "to": list(addressed), "delivered_at": e.t,
            "met": answer is not None, "by": answer.actor if answer else None, "by_role": answer.role if answer else None,
            "responded_at": answer.t if answer else None,
            "response_min": round(timeline.span(e.t, answer.t), 4) if answer else None,
            "mark": None,
        }
        row["verdict"] = "met" if row["met"] else "not_met"
        for mark in marks:
            if mark.detail.get("inject") == e.name and mark.detail.get("occurrence", occurrence) == occurrence:
                verdict = mark.detail.get("verdict") or ("met" if mark.detail.get("met") else "not_met")
                row["mark"] = {"verdict": verdict, "met": verdict == "met", "reason": mark.detail.get("reason", ""),
                               "by": mark.actor, "t": mark.t}
        if row["mark"] is not None:
            row["met"], row["verdict"] = row["mark"]["met"], row["mark"]["verdict"]
        rows.append(row)
    return rows


def contributions(events: tuple[DrillEvent, ...], scenario: Scenario, roster: Roster | None,
                  timeline: Timeline) -> dict:
    """`participants`: everyone who joined or acted, each with their roles, actions (by
    name), refused actions, the expected actions of the injects addressed to their roles
    and their median time to respond; `roles`: the same per role; `expected`: every row of
    expected_actions."""
    expected = expected_actions(events, scenario, roster, timeline)
    role_of = {p.name: p.role for p in roster.participants} if roster is not None else {}
    people: dict[str, dict] = {}

    def person(name: str, role: str) -> dict:
        entry = people.setdefault(name, {"person": name, "roles": [], "joined_at": None, "first_action_at": None,
                                         "actions": 0, "actions_by_name": {}, "refused": 0})
        if role and role not in entry["roles"]:
            entry["roles"].append(role)
        return entry

    for e in events:
        if e.kind == "joined":
            names = roster.people_in(e.name) if roster is not None else []
            for name in names or [e.name]:
                entry = person(name, e.name)
                if entry["joined_at"] is None:
                    entry["joined_at"] = e.t
        elif e.kind == "action":
            entry = person(e.actor or e.role, role_of.get(e.actor) or e.role)
            entry["actions"] += 1
            entry["actions_by_name"][e.name] = entry["actions_by_name"].get(e.name, 0) + 1
            if entry["first_action_at"] is None:
                entry["first_action_at"] = e.t
        elif e.kind == "rejection":
            person(e.actor or e.role, role_of.get(e.actor) or e.role)["refused"] += 1

    for entry in people.values():
        mine = [r for r in expected if set(r["to"]) & set(entry["roles"])]
        answered = [r["response_min"] for r in mine if r["met"] and r["response_min"] is not None]
        entry["expected"] = [{k: r[k] for k in ("inject", "occurrence", "subject", "expect_action", "delivered_at",
                                                "met", "verdict", "by", "by_role", "response_min", "mark")}
                             for r in mine]
        entry["expected_met"] = sum(1 for r in mine if r["met"])
        entry["expected_met_by_them"] = sum(1 for r in mine if r["met"] and r["by"] == entry["person"])
        entry["expected_total"] = len(mine)
        entry["median_response_min"] = round(statistics.median(answered), 4) if answered else None

    roles: dict[str, dict] = {}
    for entry in people.values():
        for role in entry["roles"]:
            summary = roles.setdefault(role, {"people": [], "actions": 0})
            summary["people"].append(entry["person"])
            summary["actions"] += sum(1 for e in events if e.kind == "action" and e.role == role
                                      and (e.actor or e.role) == entry["person"])
    for role, summary in roles.items():
        mine = [r for r in expected if role in r["to"]]
        answered = [r["response_min"] for r in mine if r["met"] and r["response_min"] is not None]
        summary.update(expected_met=sum(1 for r in mine if r["met"]), expected_total=len(mine),
                       median_response_min=round(statistics.median(answered), 4) if answered else None)
    return {"participants": list(people.values()), "roles": roles, "expected": expected}
