"""The incident process of SPEC 3.1-3.2 written in SimPy's own idiom: an executable specification.

`simulator/model/engine.py` runs the same process as a hand-made state machine of event
callbacks, tuned for speed. This module says the same thing the way the SimPy docs would:

- an incident is a generator process (`incident`) that waits for its detection
  (`detection`), then lets every playbook step run as its own process (`playbook_step`);
- a step waits for the steps it comes `after` and the milestones it `waits` for with
  `env.all_of`; each milestone is an `env.event()` succeeded when it is reached;
- engaging people is paging them (`page`, `answer_page`) and waiting for all of them with
  `env.all_of`; in stream mode each page to one of a role's `on_call` people is a request
  to a `simpy.Resource` that concurrent incidents queue for, and a page to anyone beyond is
  a request to a second Resource, the rest of the rota (`rota - on_call` people);
- the workaround's effect (`workaround_takes_effect`) and the services hit through a
  cascade (`cascade_recovery`) are processes of their own that keep the incident open;
- stream mode (`run_stream`) is a source process (`arrivals`) starting incidents at Poisson
  arrival times.

It consumes the engine's own random numbers (`_Draws`, the page draws, the start minutes and
the arrival stream), reading `draws.<stage>[i]` where the engine does, so the two runs agree
draw for draw: tests/simulator/test_reference_model.py checks that they give the same
milestones. Where a rule lives once in the plan (`PoolPlan.answer`, the compiled steps,
substitutes and releases), this model calls it rather than restating it. It is written to be
read, not to be fast (several times slower than the engine).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import simpy

from scenarios.metrics import DETECTION_PATHS, MILESTONES
from scenarios.units import MINUTES_PER_WEEK
from simulator.model.engine import _Draws
from simulator.model.plan import Plan, StepPlan
from simulator.model.streams import BlockStreams

__all__ = ["Incident", "incident", "run_single_block", "run_stream", "poisson_arrivals"]

NEVER = math.nan   # a milestone not reached (yet)
MONITORING, USER_REPORT = (DETECTION_PATHS.index("monitoring"), DETECTION_PATHS.index("user_report"))


# -- one incident's state ----------------------------------------------------------------

@dataclass
class Responder:
    """One person paged for one incident: `ready` succeeds when they have answered. `request`
    is their on-call slot (stream mode, one of the first `on_call` people of the pool)."""

    ready: simpy.Event
    reached: simpy.Event   # the pool has come to them (their request granted, or no queue at all)
    request: simpy.resources.resource.Request | None = None
    let_go: bool = False   # released while still queued: holds nobody once answered


@dataclass
class Incident:
    """What one incident knows while it runs: its plan and draws (`i` is its column of the
    block's draws), the clock, its milestones, and who is engaged."""

    env: simpy.Environment
    plan: Plan
    draws: _Draws
    i: int
    week_minute: float          # calendar minute of impact start (minutes since the plan's anchor)
    on_call: dict | None        # pool name -> simpy.Resource (stream mode); None: nobody contends
    rota: dict | None = None    # pool name -> simpy.Resource of the people beyond on call; None: no limit
    t0: float = 0.0             # env.now at impact start
    milestones: dict = field(default_factory=dict)   # name -> minutes from impact start
    reached: dict = field(default_factory=dict)      # name -> event succeeded when reached
    responders: dict = field(default_factory=dict)   # pool name -> [Responder], in paging order
    step_done: list = field(default_factory=list)    # per playbook step: event succeeded when it ends
    lingering: list = field(default_factory=list)    # processes that keep the incident open after its steps
    path: int = MONITORING
    queued_pages: int = 0       # pages that waited for an on-call person busy with another incident
    effect_at: float = NEVER    # when the workaround's effect arrived
    wears_off_at: float = NEVER  # when a temporary workaround's effect wore off

    def __post_init__(self):
        self.t0 = self.env.now
        self.milestones = {name: NEVER for name in MILESTONES}
        self.milestones["impact_start"] = 0.0
        self.reached = {name: self.env.event() for name in MILESTONES}
        self.reached["impact_start"].succeed()

    @property
    def scenario(self):
        return self.plan.scenario

    def minutes(self) -> float:
        """Minutes since impact start."""
        return self.env.now - self.t0

    def calendar_minute(self) -> float:
        """Where on the run's calendar `now` is (cover is looked up there)."""
        return self.env.now + (self.week_minute - self.t0)

    def has(self, milestone: str) -> bool:
        return not math.isnan(self.milestones[milestone])

    def mark(self, milestone: str) -> None:
        """Reach a milestone: record it, let go of whoever the playbook releases then, and
        wake the steps that wait for it."""
        first = not self.has(milestone)
        self.milestones[milestone] = self.minutes()
        for pool in self.plan.release_at.get(MILESTONES.index(milestone), ()):
            release(self, pool)
        if first:
            self.reached[milestone].succeed()

    def milestone_row(self) -> list[float]:
        return [self.milestones[name] for name in MILESTONES]


# -- the incident, stage by stage ---------------------------------------------------------

def incident(env: simpy.Environment, r: Incident, finished):
    """Impact start (now) -> detection -> the playbook's steps, each its own process -> the
    workaround's effect and the cascade's recovery -> everyone still engaged leaves.
    `finished(r)` records the incident."""
    yield env.process(detection(env, r))
    r.step_done = [env.event() for _ in r.plan.steps]
    for step in r.plan.steps:
        env.process(playbook_step(env, r, step))
    yield env.all_of(r.step_done)
    yield env.all_of(r.lingering)   # complete by now: only steps start these
    for pool in list(r.responders):
        release(r, pool)
    finished(r)


def detection(env: simpy.Environment, r: Incident):
    """`detected` is the first of: the scenario's monitoring alert, each service's own alert
    (for a service hit through a cascade, only once the failure reaches it), and the first
    user report triaged by the service desk. Ties go to monitoring."""
    sc, d, i = r.scenario, r.draws, r.i
    alerts = []
    monitoring = sc.detection.monitoring
    if monitoring is not None and d.alert_fires[i] < monitoring.probability:
        # With a ramping onset the lost share reaches the alert's threshold ramp x threshold in.
        alerts.append(sc.onset.ramp * monitoring.threshold + d.alert_delay[i])
    watched = [s for s in sc.affected if s.monitoring is not None]
    cascading = [s for s in sc.affected if s.depends_on is not None]
    for service, (fires, _p, delay, _seen, _c) in zip(watched, d.service_alerts):
        if fires[i] >= service.monitoring.probability:
            continue
        if service.depends_on is None:
            sees_loss_at = sc.onset.ramp * service.monitoring.threshold
        else:
            hit, reached_at, _recovers = cascade_draws(r, cascading.index(service))
            if not hit:
                continue        # the failure never reaches this service: its alert sees nothing
            sees_loss_at = reached_at
        alerts.append(sees_loss_at + delay[i])
    alert = min(alerts) if alerts else math.inf
    report = d.first_report[i] + d.triage[i] if sc.detection.user_reports is not None else math.inf
    r.path, delay = (USER_REPORT, report) if report < alert else (MONITORING, alert)
    yield env.timeout(delay)
    r.mark("detected")


def playbook_step(env: simpy.Environment, r: Incident, step: StepPlan):
    """A step starts once the steps it comes after are done and the milestones it waits
    for are reached; it then does its action and marks its milestone (if it has one)."""
    yield env.all_of([r.step_done[s] for s in step.after] + [r.reached[MILESTONES[m]] for m in step.waits])
    action = {
        "coordinate": coordinate, "wait": wait, "engage": engage_step, "assemble": engage_step,
        "diagnose": diagnose, "workaround": workaround, "fix": fix,
    }[step.action]
    did_the_work = yield from action(env, r, step)
    if did_the_work is not False and step.milestone is not None:
        r.mark(MILESTONES[step.milestone])
    r.step_done[step.index].succeed()


def coordinate(env, r: Incident, step: StepPlan):
    """The performer (or the stand-in, `slowdown` times slower) spends the step's duration.
    The step that declares also waits out a first classification below the major line,
    until it is corrected (the policy's, or the staffing's, `triage`)."""
    duration = r.draws.steps[step.index][r.i] * step.slowdown
    yield from engage(env, r, ((step.performer, 1),))
    yield env.timeout(duration + misclassified_for(r, step))


def misclassified_for(r: Incident, step: StepPlan) -> float:
    """How long the declaration waits for a wrong first classification to be put right."""
    d = r.draws
    if step.index != d.declaring or d.misclassified[r.i] >= d.misclassified_probability:
        return 0.0
    return d.corrected_after[r.i]


def wait(env, r: Incident, step: StepPlan):
    """Time passes with nobody busy (the review days later)."""
    yield env.timeout(r.draws.steps[step.index][r.i])


def engage_step(env, r: Incident, step: StepPlan):
    """`engage` and `assemble`: page the roles (and the resolver groups, with headcount)."""
    yield from engage(env, r, step.engage)


def diagnose(env, r: Incident, step: StepPlan):
    """The diagnosing group finds the cause, after chasing a wrong one first with the
    scenario's probability; both take longer for a less skilled group."""
    d, i, by = r.draws, r.i, r.plan.diagnosis_by
    time = d.diagnosis[i]
    wrong = r.scenario.diagnosis.wrong_hypothesis
    if wrong is not None and d.wrong_chance[i] < wrong.probability:
        time += d.wrong_cost[i]
    time /= r.plan.pools[by].skill
    yield from engage(env, r, ((by, 1),))
    yield env.timeout(time)


def workaround(env, r: Incident, step: StepPlan):
    """The first effective workaround: its groundwork (the work of the workarounds it needs,
    done by the same people) and its own work, both scaled by skill, after the outside
    party's part. Service comes back `take_effect` later (a process of its own: the step is
    done when the work is). A scenario with no workaround passes the step without a mark."""
    plan, d, i = r.plan, r.draws, r.i
    if plan.workaround_by is None:
        return False
    groundwork = d.wa_before[i] if d.wa_before is not None else 0.0
    party = d.wa_party[i] if d.wa_party is not None else 0.0
    applying = (d.wa_apply[i] + groundwork) / plan.pools[plan.workaround_by].skill + party
    yield from engage(env, r, ((plan.workaround_by, 1),))
    yield env.timeout(applying)
    r.lingering.append(env.process(workaround_takes_effect(env, r)))
    return True


def workaround_takes_effect(env, r: Incident):
    """The workaround's effect arrives; a temporary one wears off `lasts` later (the service
    levels after the run account for that, simulator.model.levels). When the workaround alone
    restores every critical service hit first, `restored` is reached once the services hit
    through them have recovered too (unless the fix got there first)."""
    d, i = r.draws, r.i
    yield env.timeout(d.wa_effect[i])
    r.effect_at = r.minutes()
    if d.wa_lasts is not None:
        r.wears_off_at = r.effect_at + d.wa_lasts[i]
    if r.plan.workaround_restores_all and not r.has("restored"):
        yield from cascade_recovery(env, r, back_at=r.effect_at)


def cascade_recovery(env, r: Incident, back_at: float):
    """Each critical service the failure reached before its dependency was back (at
    `back_at`), and which the workaround does not restore by itself, recovers its own
    `recovers_after` later; `restored` is when the last of them is back."""
    sc = r.scenario
    w = sc.workaround
    cascading = [s for s in sc.affected if s.depends_on is not None]
    lag = 0.0
    for k, service in enumerate(cascading):
        hit, reached_at, recovers = cascade_draws(r, k)
        if service.critical and hit and reached_at < back_at and not sc.restores_enough(w, service):
            lag = max(lag, recovers)
    if lag > 0:
        yield env.timeout(lag)
    if not r.has("restored"):
        r.mark("restored")


def fix(env, r: Incident, step: StepPlan):
    """The permanent fix is a change: the change manager approves it (their stand-in
    `change_slowdown` times slower), then the fixing group does the work (scaled by skill).
    If service is not back yet, the fix brings it back: `restored` is reached first."""
    plan, d, i = r.plan, r.draws, r.i
    if plan.fix_by is None:
        return False
    approval = d.fix_approval[i] * plan.change_slowdown
    work = d.fix_duration[i] / plan.pools[plan.fix_by].skill
    yield from engage(env, r, ((plan.change_by, 1),))
    yield env.timeout(approval)
    yield from engage(env, r, ((plan.fix_by, 1),))
    yield env.timeout(work)
    if not r.has("restored"):
        r.mark("restored")
    return True


# -- people -------------------------------------------------------------------------------

def engage(env, r: Incident, wanted):
    """Wait until the first `count` people of each (pool, count) in `wanted` have answered,
    paging whoever of them has not been paged for this incident yet. The same people serve
    every step that needs them until they are released."""
    answered = []
    for pool, count in wanted:
        paged = r.responders.setdefault(pool, [])
        while len(paged) < count:
            paged.append(page(env, r, pool, len(paged), paged))
        answered += [responder.ready for responder in paged[:count]]
    yield env.all_of(answered)


def page(env, r: Incident, pool_name: str, unit: int, paged: list) -> Responder:
    """Page the `unit`-th person of a pool for this incident (0 = first). One of the first
    `on_call` takes an on-call slot: in stream mode a request to the pool's Resource, queued
    first come first served behind other incidents. Anyone beyond is called in from the rest
    of the rota (in stream mode a request to the rota's Resource, made once the pool has come
    to this incident's on-call people)."""
    responder = Responder(ready=env.event(), reached=env.event())
    if r.on_call is not None and unit < r.plan.pools[pool_name].on_call:
        responder.request = r.on_call[pool_name].request()
        r.queued_pages += not responder.request.triggered
    on_call = r.plan.pools[pool_name].on_call
    after = paged[on_call - 1] if r.rota is not None and unit >= on_call > 0 else None
    env.process(answer_page(env, r, pool_name, unit, responder, after))
    return responder


def answer_page(env, r: Incident, pool_name: str, unit: int, responder: Responder, after: Responder | None):
    """Once an on-call person is free for this incident, they answer after the delay of the
    one rule of answering a page (`PoolPlan.answer`: at the desk, from the pager or at the
    next shift, escalated to a backup after the timeout, or called in from the rota), looked
    up on the calendar at the moment the page reaches them. (The escalation is a race, SimPy's
    `primary | env.timeout(timeout + backup)`; the rule is kept where it lives, in the plan.)"""
    pool = r.plan.pools[pool_name]
    if responder.request is None and r.rota is not None and unit >= pool.on_call:
        if after is not None:   # never hold a called-in person while queueing for an on-call one
            yield after.reached
        if not responder.let_go:
            responder.request = r.rota[pool_name].request()
    if responder.request is not None:
        yield responder.request
        if responder.let_go:   # released while queued: answers, but the slot passes straight on
            responder.request.resource.release(responder.request)
    responder.reached.succeed()
    at_desk, from_pager, backup, call_in = (draws[r.i] for draws in r.draws.page(pool, unit))
    yield env.timeout(pool.answer(unit, r.calendar_minute(), at_desk, from_pager, backup, call_in))
    responder.ready.succeed()


def release(r: Incident, pool_name: str) -> None:
    """Everyone of a pool engaged for this incident leaves: their on-call slots go to the
    next incident in the queue. A request still queued stays in the queue (a step may be
    waiting for its answer): when its turn comes the person answers and the slot passes
    straight on. A later step that needs the pool pages again."""
    for responder in r.responders.pop(pool_name, []):
        request = responder.request
        if request is None:
            responder.let_go = True   # a call-in not yet made: answers when made, holds no one
            continue
        if request.triggered:
            request.resource.release(request)
        else:
            responder.let_go = True


# -- draws read by name -------------------------------------------------------------------

def cascade_draws(r: Incident, k: int) -> tuple[bool, float, float]:
    """For the `k`-th service hit through another: whether the failure reaches it, when, and
    how long it takes to recover after its dependency is back."""
    service = [s for s in r.scenario.affected if s.depends_on is not None][k]
    _sid, _critical, hit, _p, reach, recovers, _own = r.draws.cascades[k]
    return hit[r.i] < service.depends_on.probability, reach[r.i], recovers[r.i]


def cascade_row(r: Incident) -> dict[str, tuple[float, float, float]]:
    """Per service hit through another: (hit 0/1, minute reached, recovery after its dependency)."""
    cascading = [s for s in r.scenario.affected if s.depends_on is not None]
    out = {}
    for k, service in enumerate(cascading):
        hit, reached_at, recovers = cascade_draws(r, k)
        out[service.id] = (1.0 if hit else 0.0, reached_at, recovers)
    return out


# -- the two modes (SPEC 3.2) -------------------------------------------------------------

class Recorder:
    """Rows of milestones, detection path, workaround effect and wear-off, and cascade draws."""

    def __init__(self, size: int):
        self.size = size
        self.milestones = np.full((size, len(MILESTONES)), np.nan)
        self.path = np.zeros(size, dtype=np.int8)
        self.effect = np.full(size, np.nan)
        self.wears_off = np.full(size, np.nan)
        self.cascade: dict = {}
        self.queued_pages = 0

    def __call__(self, row: int, r: Incident) -> None:
        self.queued_pages += r.queued_pages
        self.milestones[row] = r.milestone_row()
        self.path[row] = r.path
        self.effect[row] = r.effect_at
        self.wears_off[row] = r.wears_off_at
        for service, values in cascade_row(r).items():
            self.cascade.setdefault(service, np.full((self.size, 3), np.nan))[row] = values


def run_single_block(plan: Plan, seed: int, block: int, size: int, start_minute: float | None):
    """`size` independent incidents, nobody contending across them; returns what the engine's
    run_single_block does: (milestones, paths, starts, effects, cascades, wear)."""
    streams = BlockStreams(seed, block, size)
    draws = _Draws(plan, streams)
    if start_minute is None:    # uniform over the week
        starts = [u * MINUTES_PER_WEEK for u in streams.uniforms(plan.scenario.name + "/start")]
    else:
        starts = [float(start_minute)] * size
    record = Recorder(size)
    env = simpy.Environment()
    for i in range(size):
        r = Incident(env, plan, draws, i, starts[i], on_call=None)
        env.process(incident(env, r, lambda r: record(r.i, r)))
    env.run()
    return record.milestones, record.path, np.asarray(starts), record.effect, record.cascade, record.wears_off


def poisson_arrivals(scenario, rng: np.random.Generator, horizon: float) -> list[float]:
    """A Poisson process over [0, horizon): a Poisson number of points placed uniformly
    (sorted). With a weekly profile, thinning: points come at the busiest hour's rate and
    each is kept with its hour's factor over the peak's."""
    profile = scenario.weekly_profile
    factors = profile.factors_by_hour() if profile is not None else None
    peak = float(factors.max()) if profile is not None else 1.0
    count = int(rng.poisson(scenario.rate_per_minute * peak * horizon))
    candidates = np.sort(rng.uniform(0.0, horizon, count))
    if profile is None:
        return candidates.tolist()
    keep = rng.random(count) * peak < factors[(candidates // 60).astype(np.int64) % 168]
    return candidates[keep].tolist()


def arrivals(env: simpy.Environment, schedule, start):
    """The source: wait for each arrival time in turn and start its incident."""
    last = 0.0
    for row, (t, k, local) in enumerate(schedule):
        yield env.timeout(t - last)
        last = t
        start(row, t, k, local)


def run_stream(plans: list[Plan], seed: int, replication: int, horizon: float, warmup: float = 0.0):
    """One horizon of incidents arriving from a mix of scenarios, contending for the on-call
    people of one staffing; returns what the engine's run_stream does, and `queued_pages`: how
    many pages waited for an on-call person (how much the incidents contended)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(replication, 0)))
    found = [(t, k) for k, plan in enumerate(plans) for t in poisson_arrivals(plan.scenario, rng, horizon)]
    found.sort(key=lambda arrival: arrival[0])          # stable: ties keep the scenarios' order
    seen = [0] * len(plans)
    schedule = []
    for t, k in found:                                   # each incident's column of its scenario's block
        schedule.append((t, k, seen[k]))
        seen[k] += 1
    draws = [_Draws(plan, BlockStreams(seed, replication, max(seen[k], 1))) for k, plan in enumerate(plans)]

    env = simpy.Environment()
    pools = plans[0].pools
    on_call = {name: simpy.Resource(env, capacity=pool.on_call) for name, pool in pools.items() if pool.on_call > 0}
    rota = {name: simpy.Resource(env, capacity=pool.people - pool.on_call) for name, pool in pools.items()
            if pool.people > pool.on_call}
    record = Recorder(len(schedule))

    def start(row, t, k, local):
        r = Incident(env, plans[k], draws[k], local, t, on_call, rota)
        env.process(incident(env, r, lambda r: record(row, r)))

    env.process(arrivals(env, schedule, start))
    env.run()
    times = np.array([t for t, _k, _local in schedule])
    which = np.array([k for _t, k, _local in schedule], dtype=np.int64)
    keep = times >= warmup   # the warm-up's incidents still contend; they are only not reported
    return {
        "arrival": times[keep],
        "scenario_index": which[keep],
        "milestones": record.milestones[keep],
        "path": record.path[keep],
        "effect": record.effect[keep],
        "wears_off": record.wears_off[keep],
        "cascade": {sid: values[keep] for sid, values in record.cascade.items()},
        "queued_pages": record.queued_pages,
    }
