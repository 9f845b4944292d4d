"""Documents compiled into the flat, index-based plan the engine runs.

Substitutions (who does a missing role's work) and slowdowns are resolved here, once,
so the engine's hot path only follows integers and lists.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np

from scenarios import MILESTONES, Playbook, Scenario, Staffing, who_does
from scenarios.calendar import window_start
from scenarios.crosscheck import stalled_steps, step_waits
from scenarios.distributions import ZERO
from scenarios.playbook import EVERYONE
from scenarios.roles import RESOLVER_GROUPS_TOKEN
from scenarios.units import MINUTES_PER_WEEK
from simulator.errors import SimulationError

__all__ = ["Plan", "PoolPlan", "StepPlan", "compile_plan", "pool_plan", "MILESTONE_INDEX"]

MILESTONE_INDEX = {name: i for i, name in enumerate(MILESTONES)}


@dataclass(frozen=True, eq=False)
class PoolPlan:
    """A role or resolver group as the engine sees it. Its cover is worked out one
    seven-day window of the run's calendar at a time (`week`), as the run reaches it."""

    name: str
    on_call: int
    people: int
    pool: object  # the staffing's ResponderPool
    anchor: object  # the run's calendar anchor (UTC datetime)
    pager: bool
    ack_in: object
    ack_out: object
    escalation_timeout: float | None
    backup: object
    call_in: object
    skill: float
    weeks: dict = field(default_factory=dict)       # window -> its cover
    by_offsets: dict = field(default_factory=dict)  # the zones' UTC offsets, steady over a window -> its cover

    def week(self, window: int) -> tuple[list, list, list]:
        """(in hours, minutes until the next covered minute, people at work), one entry per
        minute of calendar window `window`. Windows whose zones keep the same UTC offsets
        throughout share one cover (most of the year); a window with a clock change gets its own."""
        found = self.weeks.get(window)
        if found is None:
            start = window_start(self.anchor, window)
            key = self._steady_offsets(start)
            found = self.by_offsets.get(key) if key is not None else None
            if found is None:
                found = self._cover(window, start)
                if key is not None:
                    self.by_offsets[key] = found
            self.weeks[window] = found
        return found

    def answer(self, unit: int, at: float, ack_in: float, ack_out: float, backup: float, call_in: float) -> float:
        """How long the `unit`-th person paged from this pool (0 = first) takes to answer, paged
        at calendar minute `at`, given that page's four draws. The one rule of answering a page,
        used by the simulation and the drill world alike:

        - beyond `on_call` (more people than are on call), someone from the rota answers from the
          desk within working hours (`ack_in`) and is called in outside them (`call_in`);
        - otherwise the on-call person answers at once in covered hours (`ack_in`), from the pager
          outside them (`ack_out`), or, with no pager, when the next shift begins (plus `ack_in`);
        - a page still unanswered at the escalation timeout goes to a backup as well
          (`backup` later), and the first answer wins.
        """
        window, minute = divmod(int(at), MINUTES_PER_WEEK)
        cover = self.weeks.get(window) or self.week(window)
        if unit >= self.on_call:
            return ack_in if cover[2][minute] else call_in
        if cover[0][minute]:
            delay = ack_in
        elif self.pager:
            delay = ack_out
        else:
            delay = cover[1][minute] + ack_in
        timeout = self.escalation_timeout
        if timeout is not None and delay > timeout:
            delay = min(delay, timeout + backup)
        return delay

    def _steady_offsets(self, start) -> tuple | None:
        """The zones' UTC offsets when none changes from `start` over this window and the
        next (which the wait for the next shift may look into), else None."""
        zones = self.pool.zones
        if not zones:
            return ()
        days = (0, 7, 14)
        offsets = [tuple(ZoneInfo(z).utcoffset(start + dt.timedelta(days=d)) for d in days) for z in sorted(zones)]
        if any(len(set(o)) > 1 for o in offsets):
            return None
        return tuple(o[0] for o in offsets)

    def _cover(self, window: int, start) -> tuple[list, list, list]:
        mask = self.pool.coverage.mask(start)
        if self.pager or mask.all():
            to_shift = [0.0] * MINUTES_PER_WEEK
        else:
            following = self.pool.coverage.mask(window_start(self.anchor, window + 1))
            to_shift = _minutes_to_shift(mask, following)
        return (mask.tolist(), to_shift, self.pool.at_work_from(start).tolist())


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
    workaround_restores_all: bool  # the workaround's effect alone restores every critical service
    workaround_wanted: tuple = ()  # ((workaround_by, 1),): whom the workaround step engages
    # Classification: (step index that declares, chance the first classification misses the
    # major line, the delay until it is corrected), or None when it cannot miss.
    triage: tuple | None = None


def _minutes_to_shift(mask: np.ndarray, following: np.ndarray) -> list:
    """For each minute of a window, how long until a covered minute begins (0 when covered),
    looking into the following window; a coverage with no covered minute at all never answers."""
    if not mask.any() and not following.any():
        raise SimulationError("a coverage with no covered minute and no pager can never answer")
    covered = np.concatenate([np.flatnonzero(mask), np.flatnonzero(following) + MINUTES_PER_WEEK,
                              [3 * MINUTES_PER_WEEK]])
    minutes = np.arange(MINUTES_PER_WEEK)
    nxt = covered[np.searchsorted(covered, minutes, side="left")]
    return (nxt - minutes).astype(float).tolist()


def pool_plan(name: str, pool, anchor) -> PoolPlan:
    """A staffing pool as the engine (and the drill world) sees it, on the calendar from `anchor`."""
    return PoolPlan(
        name=name,
        on_call=pool.on_call,
        people=pool.people,
        pool=pool,
        anchor=anchor,
        pager=getattr(pool.coverage, "pager", True),
        ack_in=pool.acknowledge.in_hours,
        ack_out=pool.acknowledge.out_of_hours,
        escalation_timeout=pool.escalation.timeout if pool.escalation else None,
        backup=pool.escalation.backup_acknowledge if pool.escalation else ZERO,
        call_in=pool.call_in,
        skill=pool.skill,
    )


def compile_plan(scenario: Scenario, staffing: Staffing, playbook: Playbook, anchor=None, policy=None) -> Plan:
    """Resolve roles, substitutes and dependencies; raise SimulationError if it cannot run.
    `anchor` is the run's calendar anchor (default: the scenario's start policy's); `policy`
    the classification policy (scenarios.classification; none: classification never misses)."""
    anchor = anchor if anchor is not None else scenario.start.anchor

    def doer(role: str) -> tuple[str, float]:
        found = who_does(role, staffing, playbook)
        if found is None:
            raise SimulationError(f"staffing {staffing.name!r} has no {role} and playbook {playbook.name!r} names no substitute")
        return found

    pools = {name: pool_plan(name, pool, anchor) for name, pool in staffing.pools.items() if pool.people > 0}
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
            waits=tuple(MILESTONE_INDEX[m] for m in step_waits(scenario, playbook, step)[1] if m != "impact_start"),
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
        workaround_restores_all=scenario.workaround_restores_all,
        workaround_wanted=((doer(workaround.by)[0], 1),) if workaround else (),
        triage=_triage(scenario, staffing, playbook, policy),
    )


def _triage(scenario: Scenario, staffing: Staffing, playbook: Playbook, policy) -> tuple | None:
    """A major incident (by the policy, at full impact) may first be classified below the major
    line: the declaring step then waits until the classification is corrected. The staffing's
    own `triage` (how its people classify) replaces the policy's."""
    if policy is None:
        return None
    triage = staffing.triage or policy.triage
    declaring = [i for i, step in enumerate(playbook.steps) if step.milestone == "declared"]
    if triage.first_wrong <= 0 or not declaring or not policy.classify(full_impact(scenario)).major:
        return None
    return (declaring[0], triage.first_wrong, triage.corrected_after)


def full_impact(scenario: Scenario):
    """The impact the policy sees when the incident is at its worst (every service hit at once)."""
    from scenarios.classification import Impact

    return Impact(lost_share=scenario.full_share, cost_per_minute=scenario.full_cost_per_minute,
                  critical_down=any(s.critical for s in scenario.affected), data_exposure=scenario.exposure.data,
                  regulated=scenario.exposure.regulated, urgency=scenario.urgency)
