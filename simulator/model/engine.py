"""The SimPy model of one major incident's response, and the loops that run many.

An incident is a small web of SimPy events: each playbook step starts when the steps it
depends on have finished and its performer is engaged, then lasts its duration. Steps are
driven by event callbacks rather than one process each, which keeps the model at the
event count of a hand-written SimPy model of the same process.

Engaging a responder (a page) takes one of the role's `on_call` people: in stream mode
they are a first-come-first-served pool that concurrent incidents queue for; beyond `on_call`, extra
people are called in from the off-call rota (in stream mode at most `rota - on_call` at once). The page is then acknowledged after a delay
that depends on the weekly calendar: at work, from a pager, or only at the next shift.
"""

from __future__ import annotations

import gc
import math
from collections import deque
from contextlib import contextmanager

import numpy as np
import simpy

from scenarios.metrics import DETECTION_PATHS, MILESTONES
from scenarios.units import MINUTES_PER_WEEK
from simulator.errors import SimulationError

from .plan import MILESTONE_INDEX, Plan
from .streams import BlockStreams

__all__ = ["IncidentResponse", "run_single_block", "run_stream", "DETECTION_PATHS"]

NAN = math.nan
N_MILESTONES = len(MILESTONES)
DETECTED = MILESTONE_INDEX["detected"]
RESTORED = MILESTONE_INDEX["restored"]
FIXED = MILESTONE_INDEX["fixed"]


@contextmanager
def _collector_paused():
    """The model leaves no reference cycles (a test guards this), so the cyclic garbage
    collector only costs time while it runs: about a fifth of a single-mode block."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Unit:
    """One responder engaged for one incident."""

    __slots__ = ("ready", "waiters", "on_call", "granted", "waiting", "let_go", "reached", "then")

    def __init__(self):
        self.ready = False
        self.waiters = []
        self.on_call = None   # the _OnCall pool this unit holds or waits for (stream mode)
        self.granted = False
        self.waiting = None   # called when the pool grants this unit
        self.let_go = False   # released while still queued: answers when reached, holds no one
        self.reached = False  # the pool has come to this unit (granted, or passed through once let go)
        self.then = None      # called once reached: the incident's call-ins that wait for it


class _OnCall:
    """The people on call in one role, shared by concurrent incidents, first come first
    served. The same discipline as a simpy.Resource, but a grant is a direct callback rather
    than a request event: paging is the hottest path of a stream run. `rota` is the pool of
    the role's other people, who may be called in (None: as many as needed)."""

    __slots__ = ("capacity", "busy", "queue", "rota")

    def __init__(self, capacity: int, rota: "_OnCall | None" = None):
        self.capacity = capacity
        self.busy = 0
        self.queue = deque()
        self.rota = rota

    def acquire(self, unit: _Unit, granted) -> bool:
        """True if someone is free now; otherwise `granted` is called when one is."""
        unit.on_call = self
        if self.busy < self.capacity:
            self.busy += 1
            unit.granted = True
            unit.reached = True
            return True
        unit.waiting = granted
        self.queue.append(unit)
        return False

    def release(self, unit: _Unit) -> None:
        """Let go of `unit`. One still queued is not withdrawn (a step may be waiting for
        its answer): when its turn comes it is answered, and the slot passes straight on."""
        if not unit.granted:
            unit.let_go = True
            return
        unit.granted = False
        queue = self.queue
        while queue:
            waiting = queue.popleft()
            granted = waiting.waiting
            waiting.waiting = None
            waiting.reached = True
            if waiting.let_go:
                granted()
                continue
            waiting.granted = True
            granted()
            return
        self.busy -= 1


class _Draws:
    """The per-incident random numbers of one scenario, resolved once per block."""

    def __init__(self, plan: Plan, streams: BlockStreams):
        sc = plan.scenario
        self.streams = streams
        self.prefix = sc.name + "/"
        p = self.prefix
        det = sc.detection
        self.alert_fires = streams.uniforms(p + "detect/alert_fires") if det.monitoring else None
        self.alert_delay = streams.draws(p + "detect/alert_delay", det.monitoring.delay) if det.monitoring else None
        if det.user_reports:
            self.first_report = streams.draws(p + "detect/first_report", det.user_reports.first_report)
            self.triage = streams.draws(p + "detect/triage", det.user_reports.triage)
        else:
            self.first_report = None
        self.diagnosis = streams.draws(p + "diagnosis/time", sc.diagnosis.time)
        wrong = sc.diagnosis.wrong_hypothesis
        self.wrong_chance = streams.uniforms(p + "diagnosis/wrong") if wrong else None
        self.wrong_cost = streams.draws(p + "diagnosis/wrong_cost", wrong.cost) if wrong else None
        wa = sc.workaround
        self.wa_apply = streams.draws(p + "workaround/apply", wa.apply) if wa else None
        self.wa_effect = streams.draws(p + "workaround/take_effect", wa.take_effect) if wa else None
        self.wa_lasts = streams.draws(p + "workaround/lasts", wa.lasts) if wa and wa.lasts is not None else None
        # What the workaround needs first: other workarounds' work (done by the same people) and
        # an outside party's part.
        before = [streams.draws(f"{p}workaround/needs/{w.key}/apply", w.apply) for w in sc.needed_before(wa)] if wa else []
        self.wa_before = [sum(values) for values in zip(*before)] if before else None
        party = wa.needs.party if wa else None
        self.wa_party = streams.draws(p + "workaround/party", party.delay) if party else None
        self.fix_approval = streams.draws(p + "fix/approval", sc.fix.change_approval) if sc.fix else None
        self.fix_duration = streams.draws(p + "fix/duration", sc.fix.duration) if sc.fix else None
        self.steps = [
            streams.draws(f"{p}step/{s.id}", s.duration) if s.duration is not None else None
            for s in plan.steps
        ]
        self._pages: dict = {}
        # Services hit through another: (id, critical, hit chance draws, probability, when reached,
        # recovery after the dependency, whether the workaround restores it fully itself).
        self.cascades = [
            (s.id, s.critical, streams.uniforms(f"{p}cascade/{s.id}/hit"), s.depends_on.probability,
             streams.draws(f"{p}cascade/{s.id}/after", s.depends_on.after),
             streams.draws(f"{p}cascade/{s.id}/recovers", s.depends_on.recovers_after),
             sc.restores_enough(wa, s))
            for s in sc.affected if s.depends_on is not None
        ]
        # Services with their own alert: (fires draws, probability, delay draws, when the alert
        # can first see the loss, or the index of the cascade that must reach the service first).
        cascading = [s.id for s in sc.affected if s.depends_on is not None]
        self.service_alerts = [
            (streams.uniforms(f"{p}detect/{s.id}/alert_fires"), s.monitoring.probability,
             streams.draws(f"{p}detect/{s.id}/alert_delay", s.monitoring.delay),
             sc.onset.ramp * s.monitoring.threshold, cascading.index(s.id) if s.depends_on is not None else None)
            for s in sc.affected if s.monitoring is not None
        ]
        self.alert_probability = det.monitoring.probability if det.monitoring else 0.0
        # With a ramping onset, the lost share reaches the alert's threshold this long after impact start.
        self.alert_seen = sc.onset.ramp * det.monitoring.threshold if det.monitoring else 0.0
        self.wrong_probability = wrong.probability if wrong else 0.0
        self.release_at = [plan.release_at.get(m) for m in range(N_MILESTONES)]
        # Classification: whether the first call missed the major line, and when it was put right.
        triage = plan.triage
        self.declaring = triage[0] if triage else None
        self.misclassified = streams.uniforms(p + "classify/wrong") if triage else None
        self.misclassified_probability = triage[1] if triage else 0.0
        self.corrected_after = streams.draws(p + "classify/corrected_after", triage[2]) if triage else None
        self.dep_counts = [len(s.after) + len(s.waits) for s in plan.steps]
        self.waiting_on = plan.waiting_on

    def page(self, pool, unit: int) -> tuple:
        key = (pool.name, unit)
        found = self._pages.get(key)
        if found is None:
            found = self._pages[key] = page_draws(self.streams, self.prefix, pool, unit)
        return found


def page_draws(streams: BlockStreams, prefix: str, pool, unit: int) -> tuple:
    """The four draws of the `unit`-th page to `pool` (a PoolPlan), in the order
    PoolPlan.answer takes them: at-desk, pager, backup and call-in answers. `prefix` is the
    scenario's name and a slash. The drill world answers its pages from the same streams."""
    base = f"{prefix}page/{pool.name}/{unit}/"
    return (
        streams.draws(base + "in_hours", pool.ack_in),
        streams.draws(base + "out_of_hours", pool.ack_out),
        streams.draws(base + "backup", pool.backup),
        streams.draws(base + "call_in", pool.call_in),
    )


class IncidentResponse:
    """One incident, from impact start until its last playbook step ends."""

    __slots__ = (
        "env", "plan", "draws", "i", "t0", "offset", "resources", "finished_cb",
        "milestones", "remaining", "open_steps", "units", "path", "week_minute", "release_at", "effect_at",
        "wears_off_at", "row",
    )

    def __init__(self, env, plan: Plan, draws: _Draws, i: int, week_minute: float, resources, finished_cb,
                 row: int | None = None):
        # week_minute: minutes from the calendar anchor to impact start (cover is looked up there);
        # row: where the run records it (finished_cb(self) reads it)
        self.env = env
        self.row = row
        self.plan = plan
        self.draws = draws
        self.i = i
        self.t0 = env._now   # SimPy's clock itself: `now` is a property call, on the hottest path
        self.week_minute = week_minute
        self.offset = week_minute - self.t0
        self.resources = resources  # pool name -> simpy.Resource, or None when nobody contends
        self.finished_cb = finished_cb
        self.milestones = [0.0] + [NAN] * (N_MILESTONES - 1)
        self.remaining = draws.dep_counts[:]
        self.open_steps = len(self.remaining)
        self.release_at = draws.release_at
        self.units: dict[str, list] = {}
        self.path = None
        self.effect_at = NAN   # when the workaround's effect arrived (service levels: simulator.model.levels)
        self.wears_off_at = NAN  # when a temporary workaround's effect wore off
        self._detect()

    # -- detection -----------------------------------------------------------------
    def _detect(self):
        d, i = self.draws, self.i
        alert = NAN
        if d.alert_fires is not None and d.alert_fires[i] < d.alert_probability:
            alert = d.alert_seen + d.alert_delay[i]
        for fires, probability, delay, seen, cascade in d.service_alerts:
            if fires[i] >= probability:
                continue
            if cascade is not None:   # the alert sees the service only once the failure reaches it
                _sid, _critical, hit, reach_probability, reach, _recovers, _own = d.cascades[cascade]
                if hit[i] >= reach_probability:
                    continue
                seen = reach[i]
            fired = seen + delay[i]
            if fired < alert or alert != alert:
                alert = fired
        report = d.first_report[i] + d.triage[i] if d.first_report is not None else NAN
        if report < alert or alert != alert:
            self.path, delay = 1, report
        else:
            self.path, delay = 0, alert
        if delay > 0:
            self.env.timeout(delay).callbacks.append(self._detected)
        else:
            self._detected()

    def _detected(self, _=None):
        self._mark(DETECTED)
        for s in self.plan.roots:
            self._begin(s)

    # -- small helpers ---------------------------------------------------------------
    def _after(self, delay, callback):
        if delay > 0:
            self.env.timeout(delay).callbacks.append(callback)
        else:
            callback(None)

    def _mark(self, milestone: int):
        milestones = self.milestones
        waiting = self.draws.waiting_on[milestone]
        first = waiting and milestones[milestone] != milestones[milestone]  # steps wait, and it is still NaN
        milestones[milestone] = self.env._now - self.t0
        names = self.release_at[milestone]
        if names:
            for name in names:
                self._release(name)
        if first:
            remaining = self.remaining
            for s in waiting:
                remaining[s] -= 1
                if remaining[s] == 0:
                    self._begin(s)

    # -- engaging responders ---------------------------------------------------------
    def _engage(self, wanted, then):
        """Call `then()` once the first `count` units of each (pool, count) are ready."""
        if len(wanted) == 1 and wanted[0][1] == 1:     # one person (most steps): no counting
            name = wanted[0][0]
            units = self.units.get(name)
            if units is None:
                units = self.units[name] = []
                self._page(name, units)
            unit = units[0]
            if unit.ready:
                then()
            else:
                unit.waiters.append([1, then])
            return
        pending = []
        for name, count in wanted:
            units = self.units.get(name)
            if units is None:
                units = self.units[name] = []
            while len(units) < count:
                self._page(name, units)
            pending.extend(u for u in units[:count] if not u.ready)
        if not pending:
            then()
            return
        waiter = [len(pending), then]
        for unit in pending:
            unit.waiters.append(waiter)

    def _page(self, name, units):
        pool = self.plan.pools[name]
        unit = _Unit()
        k = len(units)
        units.append(unit)
        resources = self.resources
        if resources is None:
            self._answer(pool, unit, k)
            return
        on_call = resources[name]
        if k < pool.on_call:
            granted = ((lambda: self._reached(pool, unit, k)) if on_call.rota is not None
                       else (lambda: self._answer(pool, unit, k)))
            if on_call.acquire(unit, granted):
                self._answer(pool, unit, k)
            return
        # Someone from the rota beyond those on call, once the pool has come to this incident's
        # on-call people (so no incident holds a called-in person while it queues for an on-call one).
        rota = on_call.rota
        if rota is None:
            self._answer(pool, unit, k)
            return
        last = units[pool.on_call - 1] if pool.on_call else None

        def call_in():
            if unit.let_go or rota.acquire(unit, lambda: self._answer(pool, unit, k)):
                self._answer(pool, unit, k)

        if last is None or last.reached:
            call_in()
        elif last.then is None:
            last.then = [call_in]
        else:
            last.then.append(call_in)

    def _reached(self, pool, unit, k):
        self._answer(pool, unit, k)
        if unit.then is not None:
            for call_in in unit.then:
                call_in()
            unit.then = None

    def _answer(self, pool, unit, k):
        i = self.i
        draws = self.draws
        found = draws._pages.get((pool.name, k))
        ack_in, ack_out, backup, call_in = found if found is not None else draws.page(pool, k)
        delay = pool.answer(k, self.env._now + self.offset, ack_in[i], ack_out[i], backup[i], call_in[i])
        if delay > 0:
            self.env.timeout(delay).callbacks.append(lambda _e: self._ready(unit))
        elif unit.waiters:
            self._ready(unit)
        else:
            unit.ready = True

    def _ready(self, unit):
        unit.ready = True
        for waiter in unit.waiters:
            waiter[0] -= 1
            if waiter[0] == 0:
                waiter[1]()
        unit.waiters = []

    def _release(self, name):
        units = self.units.pop(name, None)
        if not units:
            return
        for unit in units:
            if unit.on_call is not None:
                unit.on_call.release(unit)
            else:
                unit.let_go = True   # a call-in not yet made: answers when made, holds no one

    # -- playbook steps --------------------------------------------------------------
    def _begin(self, s):
        step = self.plan.steps[s]
        action = step.action
        if action == "coordinate":
            d = self.draws
            delay = d.steps[s][self.i] * step.slowdown
            if s == d.declaring and d.misclassified[self.i] < d.misclassified_probability:
                delay += d.corrected_after[self.i]   # first classified below the major line, then raised
            self._engage(((step.performer, 1),), lambda: self._after(delay, lambda _e: self._finish(s)))
        elif action == "wait":
            delay = self.draws.steps[s][self.i]
            if delay > 0:
                self.env.timeout(delay).callbacks.append(lambda _e: self._finish(s))
            else:
                self._finish(s)
        elif action in ("engage", "assemble"):
            self._engage(step.engage, lambda: self._finish(s))
        elif action == "diagnose":
            self._diagnose(s)
        elif action == "workaround":
            self._workaround(s)
        else:
            self._fix(s)

    def _diagnose(self, s):
        plan, d, i = self.plan, self.draws, self.i
        by = plan.diagnosis_by
        time = d.diagnosis[i]
        if d.wrong_chance is not None and d.wrong_chance[i] < d.wrong_probability:
            time += d.wrong_cost[i]
        time /= plan.pools[by].skill
        self._engage(((by, 1),), lambda: self._after(time, lambda _e: self._finish(s)))

    def _workaround(self, s):
        plan, d, i = self.plan, self.draws, self.i
        by = plan.workaround_by
        if by is None:
            self._finish(s, mark=False)
            return
        work = d.wa_apply[i] + (d.wa_before[i] if d.wa_before is not None else 0.0)
        apply = work / plan.pools[by].skill + (d.wa_party[i] if d.wa_party is not None else 0.0)
        self._engage(plan.workaround_wanted, lambda: self._apply(s, apply))

    def _apply(self, s, apply):
        if apply > 0:
            self.env.timeout(apply).callbacks.append(lambda _e: self._applied(s))
        else:
            self._applied(s)

    def _applied(self, s):
        # The incident stays open until the workaround's effect arrives.
        self.open_steps += 1
        effect = self.draws.wa_effect[self.i]
        if effect > 0:
            self.env.timeout(effect).callbacks.append(self._restored)
        else:
            self._restored()
        self._finish(s)

    def _restored(self, _e=None):
        d = self.draws
        self.effect_at = self.env._now - self.t0
        if d.wa_lasts is not None:
            self.wears_off_at = self.effect_at + d.wa_lasts[self.i]
        if self.plan.workaround_restores_all and self.milestones[RESTORED] != self.milestones[RESTORED]:
            lag = self._cascade_lag(self.effect_at) if d.cascades else 0.0
            if lag > 0:
                self.open_steps += 1       # the incident stays open until the last service is back
                self._after(lag, self._cascade_back)
            else:
                self._mark(RESTORED)
        self.open_steps -= 1
        if self.open_steps == 0:
            self._end()

    def _cascade_lag(self, back: float) -> float:
        """How long after the services hit first are back (at `back`) every critical service
        hit through them is back too (simulator.model.levels works out the same)."""
        lag, i = 0.0, self.i
        for _sid, critical, hit, probability, reach, recovers, own in self.draws.cascades:
            if critical and hit[i] < probability and reach[i] < back and not own:
                lag = max(lag, recovers[i])
        return lag

    def _cascade_back(self, _e=None):
        if self.milestones[RESTORED] != self.milestones[RESTORED]:
            self._mark(RESTORED)
        self.open_steps -= 1
        if self.open_steps == 0:
            self._end()

    def cascade_values(self):
        """(service id, hit, minute reached, recovery after its dependency) per service hit through another."""
        i = self.i
        return [(sid, hit[i] < probability, reach[i], recovers[i])
                for sid, _critical, hit, probability, reach, recovers, _own in self.draws.cascades]

    def _fix(self, s):
        plan, d, i = self.plan, self.draws, self.i
        if plan.fix_by is None:
            self._finish(s, mark=False)
            return
        approval = d.fix_approval[i] * plan.change_slowdown
        work = d.fix_duration[i] / plan.pools[plan.fix_by].skill

        def fixed(_e):
            if self.milestones[RESTORED] != self.milestones[RESTORED]:   # not restored yet: the fix does it
                self._mark(RESTORED)
            self._finish(s)

        def implement():
            self._engage(((plan.fix_by, 1),), lambda: self._after(work, fixed))

        self._engage(((plan.change_by, 1),), lambda: self._after(approval, lambda _e: implement()))

    def _finish(self, s, mark=True):
        step = self.plan.steps[s]
        if mark and step.milestone is not None:
            self._mark(step.milestone)
        self.open_steps -= 1
        remaining = self.remaining
        for dep in step.dependents:
            remaining[dep] -= 1
            if remaining[dep] == 0:
                self._begin(dep)
        if self.open_steps == 0:
            self._end()

    def _end(self):
        for name in list(self.units):
            self._release(name)
        self.finished_cb(self)


def _record_cascade(cascades: dict, size: int, row: int, incident) -> None:
    """Per service hit through another: rows of (hit 0/1, minute reached, recovery), NaN elsewhere."""
    if not incident.draws.cascades:
        return
    for sid, hit, reach, recovers in incident.cascade_values():
        values = cascades.get(sid)
        if values is None:
            values = cascades[sid] = np.full((size, 3), NAN)
        values[row] = (1.0 if hit else 0.0, reach, recovers)


def run_single_block(plan: Plan, seed: int, block: int, size: int, start_minute: float | None):
    """`size` independent incidents (replications block*size ...); nobody contends across them.

    Returns (milestones array size x N_MILESTONES, detection path array, start minute array,
    workaround effect array: minutes from impact start, NaN when none arrived).
    """
    streams = BlockStreams(seed, block, size)
    draws = _Draws(plan, streams)
    if start_minute is None:
        starts = (np.asarray(streams.uniforms(plan.scenario.name + "/start")) * MINUTES_PER_WEEK).tolist()
    else:
        starts = [float(start_minute)] * size
    milestones = np.full((size, N_MILESTONES), NAN)
    paths = np.zeros(size, dtype=np.int8)
    effects = np.full(size, NAN)
    wear = np.full(size, NAN)
    env = simpy.Environment()

    cascades: dict = {}

    def done(incident):
        milestones[incident.i] = incident.milestones
        paths[incident.i] = incident.path
        effects[incident.i] = incident.effect_at
        wear[incident.i] = incident.wears_off_at
        _record_cascade(cascades, size, incident.i, incident)

    with _collector_paused():
        for i in range(size):
            IncidentResponse(env, plan, draws, i, starts[i], None, done)
        env.run()
    return milestones, paths, np.asarray(starts), effects, cascades, wear


def _arrivals(scenario, rng: np.random.Generator, horizon: float) -> np.ndarray:
    """Poisson arrival times in [0, horizon); with a weekly profile, by thinning."""
    rate = scenario.rate_per_minute
    profile = scenario.weekly_profile
    if profile is None:
        return np.sort(rng.uniform(0.0, horizon, int(rng.poisson(rate * horizon))))
    factors = profile.factors_by_hour()
    peak = float(factors.max())
    candidates = np.sort(rng.uniform(0.0, horizon, int(rng.poisson(rate * peak * horizon))))
    hour_of_week = (candidates // 60).astype(np.int64) % 168
    keep = rng.random(candidates.size) * peak < factors[hour_of_week]
    return candidates[keep]


def run_stream(plans: list[Plan], seed: int, replication: int, horizon: float, warmup: float = 0.0):
    """One horizon of Poisson arrivals from a weighted mix of scenarios, sharing responders.

    The environment's clock is minutes since the plans' calendar anchor (a Monday 00:00
    UTC, the same for every plan). Every pool is the
    union over plans (they share one staffing). Returns a dict of arrays, one row per
    incident that arrived at or after `warmup`, in arrival order.
    """
    staffing_pools = plans[0].pools
    arrivals_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(replication, 0)))
    times_parts, which_parts = [], []
    for k, plan in enumerate(plans):
        found = _arrivals(plan.scenario, arrivals_rng, horizon)
        times_parts.append(found)
        which_parts.append(np.full(found.size, k, dtype=np.int64))
    times = np.concatenate(times_parts)
    which = np.concatenate(which_parts)
    order = np.argsort(times, kind="stable")
    times, which = times[order], which[order]
    count = int(times.size)
    per_plan_index = np.zeros(count, dtype=np.int64)
    draws = []
    for k, plan in enumerate(plans):
        mask = which == k
        per_plan_index[mask] = np.arange(int(mask.sum()))
        draws.append(_Draws(plan, BlockStreams(seed, replication, max(int(mask.sum()), 1))))

    env = simpy.Environment()
    resources = {name: _OnCall(pool.on_call, _OnCall(pool.people - pool.on_call) if pool.people > pool.on_call else None)
                 for name, pool in staffing_pools.items()}
    milestones = np.full((count, N_MILESTONES), NAN)
    paths = np.zeros(count, dtype=np.int8)
    effects = np.full(count, NAN)
    wear = np.full(count, NAN)
    cascades: dict = {}
    ended = [0]

    def record(incident):
        row = incident.row
        ended[0] += 1
        milestones[row] = incident.milestones
        paths[row] = incident.path
        effects[row] = incident.effect_at
        wear[row] = incident.wears_off_at
        if incident.draws.cascades:
            _record_cascade(cascades, count, row, incident)

    times_list = times.tolist()
    which_list = which.tolist()
    local_list = per_plan_index.tolist()
    timeout = env.timeout
    state = [0, 0.0]   # the next arrival's row, the last arrival's time

    def arrive(_event=None):
        """Start the incident of this arrival and schedule the next (a callback chain: the
        source needs no process)."""
        row, t = state[0], times_list[state[0]]
        state[0] = row + 1
        k = which_list[row]
        IncidentResponse(env, plans[k], draws[k], local_list[row], t, resources, record, row)
        if row + 1 < count:
            timeout(times_list[row + 1] - t).callbacks.append(arrive)

    if count:
        timeout(times_list[0]).callbacks.append(arrive)
    with _collector_paused():
        env.run()
    if ended[0] != count:
        raise SimulationError(
            f"{count - ended[0]} of {count} incidents never ended: each waits for people another incident "
            "holds while that one waits for it; release people earlier in the playbook (`release`) or put "
            "more people on call")
    keep = times >= warmup
    return {
        "arrival": times[keep],
        "scenario_index": which[keep],
        "milestones": milestones[keep],
        "path": paths[keep],
        "effect": effects[keep],
        "wears_off": wear[keep],
        "cascade": {sid: values[keep] for sid, values in cascades.items()},
    }
