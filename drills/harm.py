"""Harm a response did, read from the journal: workarounds that made the outage worse,
time spent on wrong causes, and the outage cost the team ran up. Pure functions over
journal events, in scored time (scenarios/timeline.py)."""

from __future__ import annotations

from dataclasses import dataclass

from scenarios import Scenario
from scenarios.timeline import Timeline

from .events import DrillEvent
from .world import ServiceState

__all__ = ["WrongCause", "HarmfulWorkaround", "wrong_causes", "wrong_cause_minutes", "harmful_workarounds",
           "outage_cost"]

_NAMING = ("hypothesis", "identify")


@dataclass(frozen=True)
class WrongCause:
    """A wrong cause the team named, and how long it was on it: until the world's evidence
    against it (`wrong_cause` event), else until the team named another cause or identified
    the right one, else until the drill ended (`ended_by`: evidence, next_cause, end)."""

    cause: str
    title: str
    action: str
    role: str
    actor: str
    named_at: float
    until: float
    ended_by: str
    minutes: float


@dataclass(frozen=True)
class HarmfulWorkaround:
    """A workaround that made the outage worse (`worse` event), and who applied it when."""

    workaround: str
    title: str
    t: float
    applied_at: float | None
    role: str
    actor: str
    lost_share: float | None


def wrong_causes(events: tuple[DrillEvent, ...], scenario: Scenario, timeline: Timeline) -> list[WrongCause]:
    """Every naming of a wrong cause (hypothesis or identify), in journal order."""
    events = list(events)
    end_t = max((e.t for e in events), default=0.0)
    evidence = [e for e in events if e.kind == "world" and e.name == "wrong_cause"]
    used: set[int] = set()
    identified = next((e.t for e in events if e.kind == "milestone" and e.name == "identified"), None)
    found = []
    for i, e in enumerate(events):
        if e.kind != "action" or e.name not in _NAMING or not e.detail.get("cause"):
            continue
        cause = scenario.cause_by_id(e.detail["cause"])
        if cause is None or cause.correct:
            continue
        until, ended_by = None, "evidence"
        for j, w in enumerate(evidence):
            if j in used:
                continue
            if "named_at" in w.detail:
                matches = w.detail.get("cause") == cause.id and abs(float(w.detail["named_at"]) - e.t) < 1e-9
            else:  # journals before evidence took time: the world refuted a wrong identify at once
                matches = e.name == "identify" and w.role == e.role and abs(w.t - e.t) < 1e-9
            if matches:
                used.add(j)
                until = w.t
                break
        if until is None:
            later = [x.t for x in events[i + 1:] if x.kind == "action" and x.name in _NAMING
                     and x.detail.get("cause") and x.detail["cause"] != cause.id]
            if identified is not None and identified >= e.t:
                later.append(identified)
            until, ended_by = (min(later), "next_cause") if later else (end_t, "end")
        found.append(WrongCause(cause=cause.id, title=cause.title, action=e.name, role=e.role, actor=e.actor,
                                named_at=e.t, until=until, ended_by=ended_by,
                                minutes=round(timeline.span(e.t, until), 4)))
    return found


def wrong_cause_minutes(found: list[WrongCause], timeline: Timeline) -> float:
    """Scored minutes during which at least one wrong cause was being chased."""
    merged: list[list[float]] = []
    for lo, hi in sorted((w.named_at, w.until) for w in found):
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return round(sum(timeline.span(lo, hi) for lo, hi in merged), 4)


def harmful_workarounds(events: tuple[DrillEvent, ...], scenario: Scenario) -> list[HarmfulWorkaround]:
    """Every `worse` event, with the application that caused it (the last one before it)."""
    found = []
    for e in events:
        if e.kind != "world" or e.name != "worse":
            continue
        key = e.detail.get("workaround", "")
        applied = [a for a in events if a.t <= e.t and (a.seq is None or e.seq is None or a.seq <= e.seq)
                   and ((a.kind == "action" and a.name == "apply_workaround" and a.detail.get("workaround") == key)
                        or (a.kind == "adjudication" and a.name == "accepted" and a.detail.get("workaround") == key))]
        source = applied[-1] if applied else None
        workaround = scenario.workaround_by_key(key)
        found.append(HarmfulWorkaround(
            workaround=key, title=workaround.name if workaround else key, t=e.t,
            applied_at=source.t if source else None, role=source.role if source else e.role,
            actor=source.actor if source else "", lost_share=e.detail.get("lost_share")))
    return found


def outage_cost(events: tuple[DrillEvent, ...], scenario: Scenario, timeline: Timeline, until: float) -> float:
    """Each service's cost per minute x its lost share x scored minutes, from impact start to
    `until` (SPEC 3.4): full impact at first, then what every world event reports (`levels`
    per service and `extra` harm; older journals: `lost_share`, zero from `service_restored`)."""
    service = ServiceState(scenario)
    service.start(0.0)
    for e in events:
        if e.t > until or e.kind != "world":
            continue
        if isinstance(e.detail.get("levels"), dict):
            service.set_levels(timeline.scored(e.t), e.detail["levels"], e.detail.get("extra", 0.0))
        elif e.name == "service_restored":          # journals from before services were tracked one by one
            service.clear(timeline.scored(e.t))
        elif "lost_share" in e.detail and e.detail["lost_share"] is not None:
            service.set_lost(timeline.scored(e.t), float(e.detail["lost_share"]))
    return round(service.cost_at(timeline.scored(until)), 2)
