"""Documents compiled into the flat, index-based plan the engine runs.

Substitutions (who does a missing role's work) and slowdowns are resolved here, once,
so the engine's hot path only follows integers and lists.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scenarios import MILESTONES, Playbook, Scenario, Staffing, who_does
from scenarios.crosscheck import stalled_steps
from scenarios.distributions import ZERO
from scenarios.playbook import EVERYONE
from scenarios.roles import RESOLVER_GROUPS_TOKEN
from scenarios.units import MINUTES_PER_WEEK
from simulator.errors import SimulationError

__all__ = ["Plan", "PoolPlan", "StepPlan", "compile_plan", "MILESTONE_INDEX"]

MILESTONE_INDEX = {name: i for i, name in enumerate(MILESTONES)}


@dataclass(frozen=True, eq=False)
class PoolPlan:
    """A role or resolver group as the engine sees it."""

    name: str
    on_call: int
    people: int
    in_hours: list  # bool per UTC minute of the week
    at_work: list  # bool per UTC minute of the week: the rota's people at their desks
    minutes_to_shift: list  # minutes until the next covered minute (no pager out of hours)
    pager: bool
    ack_in: object
    ack_out: object
    escalation_timeout: float | None
    backup: object
    call_in: object
    skill: float


@dataclass(frozen=True, eq=False)
class StepPlan:
    index: int
    id: str
    action: str
    after: tuple
    waits: tuple  # milestone indices the step waits for (besides impact start, always reached)
    dependents: tuple
    performer: str | None
    slowdown: float
    duration: object
    engage: tuple  # ((pool name, units), ...)
    milestone: int | None


@dataclass(frozen=True, eq=False)
class Plan:
    scenario: Scenario
    staffing: Staffing
    playbook: Playbook
    pools: dict
    steps: tuple
    roots: tuple
    waiting_on: tuple  # per milestone index: the steps that wait for it
    release_at: dict  # milestone index -> tuple of pool names
    diagnosis_by: str
    workaround_by: str | None
    fix_by: str | None
    change_by: str | None
    change_slowdown: float


def _minutes_to_shift(in_hours: np.ndarray) -> list:
    """For each minute, how long until a covered minute begins (0 when covered)."""
    if not in_hours.any():
        raise SimulationError("a coverage with no covered minute and no pager can never answer")
    covered = np.flatnonzero(in_hours)
    minutes = np.arange(MINUTES_PER_WEEK)
    wrapped = np.concatenate([covered, covered + MINUTES_PER_WEEK])
    nxt = wrapped[np.searchsorted(wrapped, minutes, side="left")]
    out = (nxt - minutes).astype(float)
    return out.tolist()


def _pool_plan(name, pool) -> PoolPlan:
    mask = pool.in_hours
    pager = getattr(pool.coverage, "pager", True)
    return PoolPlan(
        name=name,
        on_call=pool.on_call,
        people=pool.people,
        in_hours=mask.tolist(),
        at_work=pool.at_work.tolist(),
        minutes_to_shift=[0.0] * MINUTES_PER_WEEK if (pager or mask.all()) else _minutes_to_shift(mask),
        pager=pager,
        ack_in=pool.acknowledge.in_hours,
        ack_out=pool.acknowledge.out_of_hours,
        escalation_timeout=pool.escalation.timeout if pool.escalation else None,
        backup=pool.escalation.backup_acknowledge if pool.escalation else ZERO,
        call_in=pool.call_in,
        skill=pool.skill,
    )


def compile_plan(scenario: Scenario, staffing: Staffing, playbook: Playbook) -> Plan:
    """Resolve roles, substitutes and dependencies; raise SimulationError if it cannot run."""

    def doer(role: str) -> tuple[str, float]:
        found = who_does(role, staffing, playbook)
        if found is None:
            raise SimulationError(f"staffing {staffing.name!r} has no {role} and playbook {playbook.name!r} names no substitute")
        return found

    pools = {name: _pool_plan(name, pool) for name, pool in staffing.pools.items() if pool.people > 0}
    index = {s.id: i for i, s in enumerate(playbook.steps)}
    dependents: dict[int, list[int]] = {i: [] for i in range(len(playbook.steps))}
    for i, step in enumerate(playbook.steps):
        for dep in playbook.waits(step)[0]:
            dependents[index[dep]].append(i)
    stalled = stalled_steps(scenario, playbook)
    if stalled:
        raise SimulationError("; ".join(message for _, message in stalled))

    steps = []
    for i, step in enumerate(playbook.steps):
        performer, slowdown = (None, 1.0)
        if step.action == "coordinate":
            performer, slowdown = doer(step.performer)
        engage: dict[str, int] = {}
        if step.action in ("engage", "assemble"):
            for role in step.roles:
                if role == RESOLVER_GROUPS_TOKEN:
                    continue
                name, _ = doer(role)
                engage[name] = max(engage.get(name, 0), 1)
            if step.action == "assemble" or RESOLVER_GROUPS_TOKEN in step.roles:
                for group, count in scenario.needs.items():
                    name, _ = doer(group)
                    engage[name] = max(engage.get(name, 0), count)
        steps.append(StepPlan(
            index=i, id=step.id, action=step.action,
            after=tuple(index[d] for d in playbook.waits(step)[0]),
            waits=tuple(MILESTONE_INDEX[m] for m in playbook.waits(step)[1] if m != "impact_start"),
            dependents=tuple(dependents[i]),
            performer=performer, slowdown=slowdown,
            duration=step.duration,
            engage=tuple(engage.items()),
            milestone=MILESTONE_INDEX[step.milestone] if step.milestone else None,
        ))

    release_at: dict[int, set] = {}
    for role, milestone in playbook.release.items():
        if role == EVERYONE:
            names = set(pools)
        elif role == RESOLVER_GROUPS_TOKEN:
            names = {g for g in scenario.needs if g in pools}
        else:
            names = {role} if role in pools else set()
        release_at.setdefault(MILESTONE_INDEX[milestone], set()).update(names)

    workaround = scenario.workaround
    change_by, change_slowdown = (None, 1.0)
    if scenario.fix is not None:
        change_by, change_slowdown = doer("change_manager")
    return Plan(
        scenario=scenario, staffing=staffing, playbook=playbook, pools=pools,
        steps=tuple(steps),
        roots=tuple(s.index for s in steps if not s.after and not s.waits),
        waiting_on=tuple(tuple(s.index for s in steps if m in s.waits) for m in range(len(MILESTONES))),
        release_at={m: tuple(sorted(n)) for m, n in release_at.items()},
        diagnosis_by=doer(scenario.diagnosis.by)[0],
        workaround_by=doer(workaround.by)[0] if workaround else None,
        fix_by=doer(scenario.fix.by)[0] if scenario.fix else None,
        change_by=change_by, change_slowdown=change_slowdown,
    )
