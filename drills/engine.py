"""One drill as a SimPy model: the scenario's injects fire on time or on condition, people
act, and the world reacts as in the simulator: responders join after their acknowledgement
delay; a workaround takes its `apply` work and then its `take_effect` before service is
back, and a wrong one does nothing or makes things worse once the work is done; the
permanent fix needs the cause identified (or the facilitator's `allow_fix`) and takes the
fix's `duration`; the evidence against a wrong cause arrives after the scenario's
wrong-hypothesis cost.

The engine does no I/O and owns no clock: a driver advances it to a scenario minute
(`advance_to`) and hands it actions (`act`); everything the drill does is appended to
`outbox` as events for the driver to make durable. Randomness comes from the drill's seed,
one named stream per draw, so a replay or a resume draws the same values whatever order
things happen in.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from scenarios import ACTIONS, MILESTONES, RATINGS, Playbook, Roster, Scenario, Staffing
from scenarios.actions import AUDIENCES
from scenarios.calendar import REFERENCE_MONDAY
from scenarios.classification import ClassificationPolicy
from scenarios.durations import format_duration
from scenarios.responses import PINNABLE
from scenarios.roles import RESOLVER_GROUPS_TOKEN
from simulator.model.engine import page_draws
from simulator.model.levels import stage_name
from simulator.model.plan import pool_plan
from simulator.model.streams import BlockStreams, stage_key

from .errors import ActionRejected
from .events import DrillEvent
from .injects import STEERING, InjectSchedule
from .world import ServiceState

__all__ = ["Drill", "DrillSetup", "TICK"]

TICK = 0.25
"""Conditional injects are checked every quarter of a scenario minute (15 seconds)."""


_BEFORE_DETECTION_ALLOWED = {"log", "say"}


@dataclass(frozen=True)
class DrillSetup:
    """Everything a drill is built from; stored with the drill so it can be rebuilt."""

    scenario: Scenario
    playbook: Playbook
    roster: Roster
    staffing: Staffing | None
    seed: int
    start_minute: float  # minutes from the calendar anchor to impact start (for coverage and on-call delays)
    anchor: dt.datetime = REFERENCE_MONDAY  # the drill's calendar: a Monday 00:00 UTC (scenarios.calendar)
    policy: ClassificationPolicy | None = None  # what `classify` is judged by (default: the bundled policy)


class _State:
    """What conditions read (scenarios.conditions.ConditionState)."""

    def __init__(self, drill: "Drill"):
        self.drill = drill

    def value(self, name: str):
        d = self.drill
        now = d.env.now
        if name == "elapsed":
            return now
        if name in d.milestone_names:
            return name in d.milestones
        if name == "updates":
            return d.updates
        if name == "cost":
            return d.service.cost_at(now)
        if name == "lost_share":
            return d.service.lost_share
        if name == "bridge_open":
            return d.bridge_open_at is not None
        if name == "wrong_hypotheses":
            return d.wrong_hypotheses
        if name == "failed_workarounds":
            return d.failed_workarounds
        readings = d.service.readings()
        if name in readings:
            return readings[name]
        return None

    def call(self, function: str, argument: str):
        d = self.drill
        now = d.env.now
        if function in ("since", "at"):
            if argument == "last_update":
                t = d.last_update
            elif argument in d.milestone_names:
                t = d.milestones.get(argument)
            else:
                times = d.delivered.get(argument)
                t = times[-1] if times else None
            if t is None:
                return None
            return now - t if function == "since" else t
        if function == "delivered":
            return argument in d.delivered
        if function == "count":
            return d.action_counts.get(argument, 0)
        if function == "done":
            return d.action_counts.get(argument, 0) > 0
        if function == "paged":
            return argument in d.paged
        if function == "joined":
            return d.present(argument)
        if function == "started":
            return argument in d.workarounds_started
        return None


def _bundled_policy() -> ClassificationPolicy:
    from scenarios.classification import DEFAULT_CLASSIFICATION
    from scenarios.library import resolve

    return resolve(DEFAULT_CLASSIFICATION, "classification").document


class Drill:
    """The live state of one drill. Not thread-safe: one driver at a time."""

    milestone_names = frozenset(MILESTONES)

    def __init__(self, setup: DrillSetup):
        self.setup = setup
        self._cover: dict = {}  # role -> its cover on the drill's calendar (simulator.model.plan.PoolPlan)
        self.stages: dict[str, float] = {}  # restore stage metric -> minute reached
        self.workarounds_done: dict[str, float] = {}  # workaround -> when its work was done
        self.scenario = sc = setup.scenario
        self.policy = setup.policy or _bundled_policy()
        self.env = simpy.Environment()
        self.outbox: list[DrillEvent] = []
        self.service = ServiceState(sc)
        self.milestones: dict[str, float] = {}
        self.milestone_assumed: dict[str, str] = {}
        self.delivered: dict[str, list[float]] = {}
        self.action_counts: dict[str, int] = {}
        self.acted_roles: set[str] = set()
        self.paged: dict[str, float] = {}
        self.joined: dict[str, float] = {}
        self.updates = 0
        self.last_update: float | None = None
        self.bridge_open_at: float | None = None
        self.change_approved_at: float | None = None
        self.wrong_hypotheses = 0
        self.failed_workarounds = 0
        self.workarounds_started: dict[str, float] = {}  # workaround -> when work on it first started
        self.pending_claims: dict[int, DrillEvent] = {}
        self._claims = 0
        self.ended_at: float | None = None
        self.fix_allowed: str | None = None  # the facilitator's reason, once allow_fix is given
        self.fix_started_at: float | None = None
        self._effective_started: str | None = None
        self._evidence_due: set[str] = set()  # wrong causes whose evidence is on its way
        self._draws: dict[str, int] = {}
        self._fired_at: dict[str, float] = {}
        self._state = _State(self)
        self._pins: dict[str, float] = {}  # the pinned durations of the action being applied
        self._required_on_bridge = self._bridge_roles()
        self.schedule = InjectSchedule(sc.injects)
        self._conditional = [j for j in sc.injects if j.when is not None and j.requested is None]

        self._mark("impact_start", "world", "")
        self.service.start(0.0)
        self._cascading: set[str] = set()    # services the failure reached through another
        self._recovering: set[str] = set()
        # The cascade is the one the simulator samples for its first incident with the drill's
        # seed: the same named streams (simulator.model.engine), so both halves agree.
        self._simulated = BlockStreams(setup.seed, 0, 1)
        for s in sc.affected:
            if s.depends_on is not None and self._cascade_draw(s, "hit") < s.depends_on.probability:
                reach = self._cascade_draw(s, "after")
                self.env.timeout(reach).callbacks.append(lambda _e, s=s: self._cascade_reaches(s))
            elif s.depends_on is None:
                self._watch_alert(s, sc.onset.ramp * (s.monitoring.threshold if s.monitoring else 0.0))
        for planned in self.schedule.planned.values():
            if planned.due is not None:
                self._set_due(planned, planned.due)
        if self._conditional:
            self.env.process(self._watch())

    # -- time -------------------------------------------------------------------------
    @property
    def now(self) -> float:
        return self.env.now

    def advance_to(self, t: float) -> list[DrillEvent]:
        """Run the world up to scenario minute `t`, including what is due at `t` itself (so an
        action at `t` sees the inject delivered at `t`); return what happened."""
        env = self.env
        while env.peek() <= t:
            env.step()
        if t > env.now:
            # Land on `t` itself: SimPy's run(until=t) schedules now + (t - now), which can
            # round to a neighbouring float, and a resumed drill (stepping from other minutes)
            # would then journal another minute than the uninterrupted one.
            env._now = float(t)
        return self.drain()

    def drain(self) -> list[DrillEvent]:
        out, self.outbox = self.outbox, []
        return out

    def next_inject_at(self) -> float | None:
        """When the next timed inject fires (for the facilitator's 'jump to next inject')."""
        return self.schedule.next_due(self.env.now)

    # -- the facilitator's hold on the scripted injects (drills.injects) -------------------
    def _set_due(self, planned, at: float) -> None:
        planned.generation += 1
        planned.due = at
        generation = planned.generation
        self.env.timeout(max(at - self.env.now, 0.0)).callbacks.append(lambda _e: self._fall_due(planned, generation))

    def _fall_due(self, planned, generation: int) -> None:
        if generation != planned.generation or planned.skipped:
            return   # moved or skipped since
        if planned.held:
            planned.overdue = True
            return
        self._deliver(planned.inject)

    def steer(self, name: str, inject_id: str, at: float | None = None, actor: str = "facilitator") -> list[DrillEvent]:
        """Fire, hold, release, skip or reschedule one scripted inject (drills.injects)."""
        if self.ended_at is not None:
            raise ActionRejected("the drill has ended")
        if name not in STEERING:
            raise ActionRejected(f"unknown control {name!r} (for an inject: {', '.join(STEERING)})")
        planned = self.schedule[inject_id]
        now = self.env.now
        self.schedule.check(name, planned, len(self.delivered.get(inject_id, [])), now, at)
        self._emit("control", name, actor=actor, inject=inject_id, **({"at": at} if at is not None else {}))
        kind = planned.kind
        if name == "fire":
            planned.held = planned.skipped = planned.overdue = False
            if planned.due is not None:
                planned.generation += 1   # the timer it had is void
                planned.due = None
            if kind == "conditional":
                self._fired_at[inject_id] = now
            self._deliver(planned.inject, fired=True)
        elif name == "hold":
            planned.held = True
        elif name == "skip":
            planned.skipped = True
            planned.generation += 1
        elif name == "release":
            planned.held = planned.skipped = False
            if kind == "timed" and planned.due is not None:
                if planned.overdue or planned.due <= now:
                    planned.overdue = False
                    planned.generation += 1      # its timer, if still to come at this minute, is void
                    self._deliver(planned.inject)
                else:
                    self._set_due(planned, planned.due)
            for role in planned.requests:
                self._deliver(planned.inject, requested_by=role)
            planned.requests.clear()
        else:  # reschedule
            planned.held = planned.skipped = planned.overdue = False
            if kind == "timed":
                self._set_due(planned, at)
            else:
                planned.not_before = at
        return self.drain()

    def msel(self) -> list[dict]:
        """The scripted injects as the facilitator steers them: each one's timing, audience,
        channel, status, when it was sent, and its notes and expected actions."""
        out = []
        for planned in self.schedule.planned.values():
            j = planned.inject
            sent = self.delivered.get(j.id, [])
            out.append({
                "id": j.id, "kind": planned.kind, "at": j.at, "due": planned.due,
                "not_before": planned.not_before if planned.kind != "timed" else None,
                "when": j.when, "requested": j.requested, "repeat": j.repeat,
                "to": list(j.to) if j.to != "everyone" else ["everyone"], "channel": j.channel, "sender": j.sender,
                "subject": j.subject, "type": j.type, "detects": j.detects,
                "status": self.schedule.status(planned, len(sent)), "sent_at": list(sent),
                "overdue": planned.overdue, "notes": j.notes, "expect": j.expect, "expect_action": j.expect_action,
                "objective": j.objective,
            })
        return sorted(out, key=lambda r: (r["due"] if r["due"] is not None else r["at"] if r["at"] is not None
                                          else float("inf"), r["id"]))

    def _watch(self):
        while self.ended_at is None:
            if all(j.id in self._fired_at and j.repeat is None for j in self._conditional):
                return  # nothing left that could fire
            now = self.env.now
            for inject in self._conditional:
                if self.ended_at is not None:
                    break
                planned = self.schedule.planned[inject.id]
                if not self.schedule.may_deliver(planned, now):
                    continue
                last = self._fired_at.get(inject.id)
                if last is not None and (inject.repeat is None or now - last < inject.repeat - 1e-9):
                    continue
                if inject.condition.holds(self._state):
                    self._fired_at[inject.id] = now
                    self._deliver(inject)
            yield self.env.timeout(TICK)

    # -- emitting ---------------------------------------------------------------------
    def _emit(self, kind: str, name: str, role: str = "", actor: str = "", **detail: Any) -> DrillEvent:
        event = DrillEvent(kind=kind, t=self.env.now, name=name, role=role, actor=actor, detail=detail)
        self.outbox.append(event)
        return event

    def _mark(self, milestone: str, role: str, actor: str, assumed: str | None = None, **detail):
        if milestone in self.milestones:
            return
        self.milestones[milestone] = self.env.now
        if assumed:
            self.milestone_assumed[milestone] = assumed
        extra = {"assumed": assumed} if assumed else {}
        self._emit("milestone", milestone, role=role, actor=actor, **extra, **detail)
        if milestone == "declared":
            self._check_assembled()

    def _deliver(self, inject, requested_by: str = "", fired: bool = False) -> None:
        if self.ended_at is not None:
            return
        planned = self.schedule.planned.get(inject.id)
        if planned is not None and not fired:
            if planned.skipped:
                return
            if planned.held:
                if requested_by:
                    planned.requests.append(requested_by)   # answered when released
                return
        if planned is not None and planned.kind == "timed":
            planned.due = None
        occurrence = len(self.delivered.get(inject.id, []))
        self.delivered.setdefault(inject.id, []).append(self.env.now)
        to = [requested_by] if requested_by else (list(inject.to) if inject.to != "everyone" else ["everyone"])
        self._emit(
            "inject", inject.id, actor=inject.sender,
            to=to, channel=inject.channel, subject=inject.subject, content=inject.content,
            type=inject.type, objective=inject.objective, expect=inject.expect,
            expect_action=inject.expect_action, notes=inject.notes, occurrence=occurrence,
            requested_by=requested_by or None, **({"assumed": inject.assumed} if inject.assumed else {}),
        )
        if inject.detects and "detected" not in self.milestones:
            self._mark("detected", "", "world", inject.assumed, path=inject.detects, inject=inject.id)

    def _cascade_draw(self, service, what: str) -> float:
        """Whether (`hit`, a uniform number), when (`after`) and how soon after its dependency
        (`recovers`) the failure reaches `service`: the simulator's own draws for its first
        incident with this seed."""
        stage = f"{self.scenario.name}/cascade/{service.id}/{what}"
        if what == "hit":
            return float(self._simulated.uniforms(stage)[0])
        distribution = service.depends_on.after if what == "after" else service.depends_on.recovers_after
        return float(self._simulated.draws(stage, distribution)[0])

    def _cascade_reaches(self, service) -> None:
        """The failure reaches a service that depends on one hit first, unless that one is back."""
        if self.ended_at is not None or self.service.is_back(service.depends_on.service):
            return
        self._cascading.add(service.id)
        self.service.set_levels(self.env.now, {service.id: service.share})
        self._service_changed(f"the failure reached {service.name}")
        self._watch_alert(service, 0.0)

    def _watch_alert(self, service, seen: float) -> None:
        """A service with its own alert: it fires (or not) `seen` + its delay from now, as the
        simulator draws it for its first incident with this seed, and detects the incident if
        nothing has yet."""
        if service.monitoring is None:
            return
        stage = f"{self.scenario.name}/detect/{service.id}/alert_"
        if float(self._simulated.uniforms(stage + "fires")[0]) >= service.monitoring.probability:
            return
        delay = seen + float(self._simulated.draws(stage + "delay", service.monitoring.delay)[0])
        self.env.timeout(delay).callbacks.append(lambda _e: self._alert(service))

    def _alert(self, service) -> None:
        if self.ended_at is not None or self.service.levels[service.id] <= 0:
            return
        self._emit("world", "alert", service=service.id,
                   message=f"Alert: {service.name} is failing ({self.service.levels[service.id]:.0%} of its traffic lost).")
        if "detected" not in self.milestones:
            self._mark("detected", "", "world", path="monitoring", service=service.id)

    def _recover_cascades(self) -> None:
        """Services hit through another recover after it is back."""
        for sid in sorted(self._cascading - self._recovering):
            s = self.service.services[sid]
            if self.service.levels[sid] > 0 and self.service.is_back(s.depends_on.service):
                self._recovering.add(sid)
                after = self._cascade_draw(s, "recovers")
                self.env.timeout(after).callbacks.append(lambda _e, s=s, after=after: self._recovered(s, after))

    def _recovered(self, service, after: float) -> None:
        if self.ended_at is not None or self.service.levels[service.id] <= 0:
            return
        self.service.set_levels(self.env.now, {service.id: 0.0})
        source = self.service.services[service.depends_on.service].name
        self._service_changed(f"{service.name} recovered after {source}", after)

    def _draw(self, stage: str, distribution) -> float:
        """One value from the drill's own stream for this stage and occurrence."""
        n = self._draws.get(stage, 0)
        self._draws[stage] = n + 1
        sequence = np.random.SeedSequence(self.setup.seed, spawn_key=(stage_key(stage), n))
        return float(distribution.sample(np.random.default_rng(sequence), 1)[0])

    # -- actions ----------------------------------------------------------------------
    def act(self, role: str, action: str, fields: dict | None = None, actor: str = "",
            assumed: str | None = None, note: str = "", pins: dict | None = None) -> list[DrillEvent]:
        """Apply one participant action now; raise ActionRejected (nothing changed) if it cannot be taken.

        `pins` (scripted replays only: `takes`, `take_effect` in minutes) fixes how long the
        world's work started by this action takes instead of drawing it; it needs `assumed`.
        """
        fields = {k: v for k, v in (fields or {}).items() if v is not None}
        pins = {k: v for k, v in (pins or {}).items() if v is not None}
        self._check(role, action, fields)
        self._check_pins(action, pins, assumed)
        detail = dict(fields)
        if assumed:
            detail["assumed"] = assumed
        if note:
            detail["note"] = note
        detail.update(pins)
        queued = len(self.outbox)
        event = self._emit("action", action, role=role, actor=actor or role, **detail)
        self._pins = pins
        try:
            getattr(self, f"_do_{action}")(role, event.actor, fields, assumed)
        except Exception:
            del self.outbox[queued:]  # nothing of a failed action reaches the journal
            raise
        finally:
            self._pins = {}
        self.action_counts[action] = self.action_counts.get(action, 0) + 1
        self.acted_roles.add(role)
        self._check_assembled()
        return self.drain()

    def reject(self, role: str, action: str, fields: dict | None, reason: str, expected: bool,
               actor: str = "") -> list[DrillEvent]:
        """Journal an action the drill refused (scripted play): it changes nothing in the world."""
        fields = {k: v for k, v in (fields or {}).items() if v is not None}
        self._emit("rejection", action, role=role, actor=actor or role, action=action, fields=fields,
                   reason=reason, expected=bool(expected))
        return self.drain()

    @staticmethod
    def _check_pins(action: str, pins: dict, assumed: str | None) -> None:
        for pin, minutes in pins.items():
            if action not in PINNABLE.get(pin, ()):
                raise ActionRejected(f"{action} has no world duration {pin!r} to pin")
            if not isinstance(minutes, (int, float)) or isinstance(minutes, bool) or not 0 <= minutes < math.inf:
                raise ActionRejected(f"{pin} must be a duration in minutes, got {minutes!r}")
            if not assumed:
                raise ActionRejected(f"{pin} pins a world duration: say why with assumed")

    def _check(self, role: str, action: str, fields: dict) -> None:
        sc = self.scenario
        if self.ended_at is not None:
            raise ActionRejected(f"the drill ended at {format_duration(self.ended_at)}; no more actions")
        spec = ACTIONS.get(action)
        if spec is None:
            raise ActionRejected(f"unknown action {action!r} (actions are {', '.join(ACTIONS)})")
        if role not in sc.participant_roles:
            raise ActionRejected(f"unknown role {role!r} (roles: {', '.join(sc.participant_roles)})")
        missing = [f for f in spec.required if fields.get(f) in (None, "")]
        if missing:
            raise ActionRejected(f"{action} needs {', '.join(missing)}")
        extra = sorted(set(fields) - set(spec.fields))
        if extra:
            raise ActionRejected(f"{action} takes no {', '.join(extra)} (it takes: {', '.join(spec.fields) or 'nothing'})")
        if "detected" not in self.milestones and action not in _BEFORE_DETECTION_ALLOWED:
            raise ActionRejected("nothing has been detected yet: the incident has not reached anyone")
        if action == "declare" and "declared" in self.milestones:
            raise ActionRejected(f"already declared at {format_duration(self.milestones['declared'])}")
        if action == "resolve" and "resolved" in self.milestones:
            raise ActionRejected(f"already resolved at {format_duration(self.milestones['resolved'])}")
        for key in ("workaround", "claims_workaround"):
            if key in fields and sc.workaround_by_key(fields[key]) is None:
                known = ", ".join(w.key for w in sc.workarounds) or "none"
                raise ActionRejected(f"unknown workaround {fields[key]!r} (this scenario's workarounds: {known})")
        if action == "classify":
            policy = self.policy
            if fields["severity"] not in policy.severity_ids:
                raise ActionRejected(f"unknown severity {fields['severity']!r} (the policy's: "
                                     f"{', '.join(policy.severity_ids)})")
            if fields["priority"] not in policy.priority_ids:
                raise ActionRejected(f"unknown priority {fields['priority']!r} (the policy's: "
                                     f"{', '.join(policy.priority_ids)})")
            if fields["major"] not in ("yes", "no"):
                raise ActionRejected(f"major is yes or no, got {fields['major']!r}")
        if "about" in fields and fields["about"] not in self.delivered and fields["about"] != "adhoc":
            raise ActionRejected(f"about: {fields['about']!r} is not an inject delivered in this drill")
        if "cause" in fields and sc.cause_by_id(fields["cause"]) is None:
            known = ", ".join(c.id for c in sc.diagnosis.causes) or "none"
            raise ActionRejected(f"unknown cause {fields['cause']!r} (this scenario's causes: {known})")
        if action == "hypothesis" and not fields.get("cause") and not fields.get("text"):
            raise ActionRejected("a hypothesis needs a cause or some text")
        if "audience" in fields and fields["audience"] not in AUDIENCES:
            raise ActionRejected(f"unknown audience {fields['audience']!r} (audiences: {', '.join(AUDIENCES)})")
        if "topic" in fields and fields["topic"] not in sc.topics:
            raise ActionRejected(f"nothing to request about {fields['topic']!r} (topics: {', '.join(sc.topics) or 'none'})")
        for key in ("target", "assign"):
            if key in fields and fields[key] not in sc.participant_roles:
                raise ActionRejected(f"unknown role or resolver group {fields[key]!r}")
        if action == "implement_fix":
            if sc.fix is None:
                raise ActionRejected("this scenario has no permanent fix to implement")
            if self.change_approved_at is None:
                raise ActionRejected("the fix is a change: the change manager must approve_change first")
            if "fixed" in self.milestones:
                raise ActionRejected(f"the fix was already implemented at {format_duration(self.milestones['fixed'])}")
            if self.fix_started_at is not None:
                raise ActionRejected(f"the fix is already in progress (started at {format_duration(self.fix_started_at)})")
            if "identified" not in self.milestones and self.fix_allowed is None:
                raise ActionRejected("the permanent fix needs the cause identified first "
                                     "(or the facilitator's allow_fix)")
        if action == "apply_workaround" and sc.workaround_by_key(fields.get("workaround")) is not None:
            needs = sc.workaround_by_key(fields["workaround"]).needs
            if needs.identified and "identified" not in self.milestones and self.fix_allowed is None:
                raise ActionRejected("this workaround needs the cause identified first (or the facilitator's allow_fix)")
            missing = [k for k in needs.workarounds if k not in self.workarounds_done]
            if missing:
                raise ActionRejected(f"this workaround needs {', '.join(repr(k) for k in missing)} done first")
        if action == "approve_change" and sc.fix is None:
            raise ActionRejected("this scenario has no permanent fix, so there is no change to approve")
        if action == "schedule_review":
            within = fields["within"]
            if not isinstance(within, (int, float)) or within <= 0:
                raise ActionRejected(f"within must be a positive duration, got {within!r}")

    def _do_acknowledge(self, role, actor, fields, assumed):
        self._mark("acknowledged", role, actor, assumed)

    def _do_declare(self, role, actor, fields, assumed):
        self._mark("declared", role, actor, assumed)
        if self.updates:
            # Stakeholders were told before the declaration: the first update is not late.
            self._mark("first_update", role, actor, assumed, before_declaring=True)

    def _do_assign_role(self, role, actor, fields, assumed):
        pass

    def _do_open_bridge(self, role, actor, fields, assumed):
        if self.bridge_open_at is None:
            self.bridge_open_at = self.env.now
            self._emit("world", "bridge_open", role=role, actor=actor, message="The bridge is open.")

    def _do_page(self, role, actor, fields, assumed):
        target = fields["target"]
        if target in self.paged or target in self.joined:
            return
        self.paged[target] = self.env.now
        delay = self._answer_delay(target)
        if delay is None:
            self._emit("world", "page_unanswered", role=target,
                       message=f"Nobody is on call for {target}: the page goes unanswered.")
            return
        self.env.timeout(delay).callbacks.append(lambda _e: self._join(target, delay))

    def _join(self, target: str, delay: float):
        if target in self.joined or self.ended_at is not None:
            return
        self.joined[target] = self.env.now
        self._emit("joined", target, role=target, actor="world", after=round(delay, 4),
                   message=f"{target.replace('_', ' ')} acknowledged the page and joined the bridge.")
        self._check_assembled()

    def _answer_delay(self, target: str) -> float | None:
        """How long the paged role or group takes to join: the simulator's rule of answering a
        page (PoolPlan.answer) at this minute of the drill's calendar, with the draws the
        simulator makes for the first page to that pool in its first incident with this seed."""
        staffing = self.setup.staffing
        if staffing is None:
            return 0.0
        pool = staffing.pools.get(target)
        if pool is None or pool.people == 0:
            return None
        plan = self._cover.get(target)
        if plan is None:
            plan = self._cover[target] = pool_plan(target, pool, self.setup.anchor)
        draws = [float(d[0]) for d in page_draws(self._simulated, self.scenario.name + "/", plan, 0)]
        return plan.answer(0, self.setup.start_minute + self.env.now, *draws)

    def _do_update(self, role, actor, fields, assumed):
        self.updates += 1
        self.last_update = self.env.now
        if "declared" in self.milestones:
            self._mark("first_update", role, actor, assumed)

    def _do_hypothesis(self, role, actor, fields, assumed):
        cause = self.scenario.cause_by_id(fields["cause"]) if "cause" in fields else None
        if cause is not None and not cause.correct:
            self._wrong_cause_named(role, cause)

    def _do_identify(self, role, actor, fields, assumed):
        cause = self.scenario.cause_by_id(fields["cause"])
        if cause.correct:
            self._mark("identified", role, actor, assumed, cause=cause.id)
        else:
            self._wrong_cause_named(role, cause)

    def _wrong_cause_named(self, role: str, cause) -> None:
        """A wrong cause named: the evidence against it reaches the team only after a draw from
        the scenario's wrong-hypothesis cost (at once without one). Naming it again while that
        evidence is on its way counts again but brings no second answer."""
        self.wrong_hypotheses += 1
        if cause.id in self._evidence_due:
            return
        self._evidence_due.add(cause.id)
        wrong = self.scenario.diagnosis.wrong_hypothesis
        after = self._draw(f"evidence/{cause.id}", wrong.cost) if wrong is not None else 0.0
        named_at = self.env.now

        def evidence(_event=None):
            self._evidence_due.discard(cause.id)
            if self.ended_at is not None:
                return
            self._emit("world", "wrong_cause", role=role, cause=cause.id, named_at=named_at,
                       evidence_after=round(after, 4),
                       message=f"New evidence: '{cause.title}' does not explain what the dashboards show.")

        if after > 0:
            self.env.timeout(after).callbacks.append(evidence)
        else:
            evidence()

    def _do_request_info(self, role, actor, fields, assumed):
        for inject in self.scenario.topics[fields["topic"]]:
            planned = self.schedule.planned[inject.id]
            if planned.skipped:
                self._emit("world", "not_available", role=role, topic=fields["topic"],
                           message="That information is not available in this exercise.")
                continue
            wait = planned.not_before - self.env.now
            if wait > 0:
                self._emit("world", "not_yet_available", role=role, topic=fields["topic"],
                           message=f"That information is not available yet (in {format_duration(wait)}).")
                self.env.timeout(wait).callbacks.append(lambda _e, j=inject, r=role: self._deliver(j, requested_by=r))
            else:
                self._deliver(inject, requested_by=role)

    def _do_apply_workaround(self, role, actor, fields, assumed):
        self.apply_workaround(role, actor, fields["workaround"], assumed, **self._pins)

    def apply_workaround(self, role: str, actor: str, key: str, assumed: str | None = None,
                         takes: float | None = None, take_effect: float | None = None) -> None:
        """Start applying a workaround: its `apply` work (or `takes`), then, if it is effective,
        `workaround_applied` and after its `take_effect` service back; if not, no change or
        harm once the work is done. Only the first effective workaround started counts."""
        workaround = self.scenario.workaround_by_key(key)
        if workaround.effective:
            if self._effective_started is not None:
                return
            self._effective_started = key
        minutes = takes if takes is not None else self._draw(f"workaround/{key}/apply", workaround.apply)
        party = workaround.needs.party
        if party is not None and takes is None:
            waiting = self._draw(f"workaround/{key}/party", party.delay)
            minutes += waiting
            what = f"Waiting for {party.name} (about {format_duration(waiting)}), then work on '{workaround.name}'"
        else:
            what = f"Work on '{workaround.name}' has started"
        self.workarounds_started.setdefault(key, self.env.now)
        self._work_started(role, assumed, minutes, what, work="workaround", workaround=key)
        self.env.timeout(minutes).callbacks.append(
            lambda _e: self._workaround_done(role, actor, key, assumed, take_effect))

    def _workaround_done(self, role: str, actor: str, key: str, assumed: str | None, take_effect: float | None):
        if self.ended_at is not None:
            return
        self.workarounds_done.setdefault(key, self.env.now)
        workaround = self.scenario.workaround_by_key(key)
        if workaround.effective:
            self._mark("workaround_applied", role, actor, assumed, workaround=key)
            if "restored" in self.milestones:
                return
            delay = take_effect if take_effect is not None else self._draw(f"workaround/{key}/take_effect",
                                                                            workaround.take_effect)
            self.env.timeout(delay).callbacks.append(lambda _e: self._take_effect(workaround, delay, assumed))
            return
        if any(key in w.needs.workarounds for w in self.scenario.workarounds):
            # Groundwork another workaround needs: done, and nothing is expected to move yet.
            self._emit("world", "work_done", role=role, workaround=key,
                       message=f"'{workaround.name}' is done; what needed it can start.")
            return
        self.failed_workarounds += 1
        if workaround.worsens > 0 and "restored" not in self.milestones:
            self.service.worsen(self.env.now, workaround.worsens)
            self._emit("world", "worse", role=role, workaround=key, **self.service.state(),
                       readings=self.service.readings(),
                       message=f"'{workaround.name}' is done and made things worse.")
        else:
            self._emit("world", "no_change", role=role, workaround=key, lost_share=round(self.service.lost_share, 6),
                       message=f"'{workaround.name}' is done; the dashboards do not move.")

    def _work_started(self, role: str, assumed: str | None, minutes: float, what: str, **detail) -> None:
        """Participants see work in progress and about how long it will take."""
        self._emit("world", "work_started", role=role, takes=round(minutes, 4),
                   **({"assumed": assumed} if assumed else {}), **detail,
                   message=f"{what}: about {format_duration(minutes)}.")

    def _take_effect(self, workaround, after: float, assumed: str | None):
        """A workaround's effect arrives: it takes away its share of each service's loss."""
        if "restored" in self.milestones or self.ended_at is not None:
            return
        self.service.take_away(self.env.now, workaround)
        self._service_changed(f"workaround {workaround.key} took effect", after, assumed)
        if workaround.lasts is not None:
            lasts = self._draw(f"workaround/{workaround.key}/lasts", workaround.lasts)
            self.env.timeout(lasts).callbacks.append(lambda _e: self._wear_off(workaround, lasts))

    def _wear_off(self, workaround, lasted: float) -> None:
        """A temporary workaround's effect wears off: what it took away is lost again until the fix."""
        if self.ended_at is not None or "fixed" in self.milestones:
            return
        levels = {s.id: self.service.levels[s.id] + self.scenario.restored_share(workaround, s) * s.share
                  for s in self.scenario.affected if s.depends_on is None}
        self.service.set_levels(self.env.now, levels)
        self._service_changed(f"the effect of '{workaround.name}' wore off", lasted)

    def _service_changed(self, why: str, after: float | None = None, assumed: str | None = None):
        """After the service level changes: the restore stages it reaches, and `restored`
        once no critical service has anything lost (SPEC 3.1)."""
        if self.ended_at is not None:
            return
        timing = {"after": round(after, 4)} if after is not None else {}
        self._recover_cascades()
        restoring = self.service.critical_clear and "restored" not in self.milestones
        if not restoring:
            self._emit("world", "service_level", actor="world", why=why, **self.service.state(), **timing,
                       traffic_back=round(self.service.traffic_back, 6), readings=self.service.readings(),
                       message=f"{why}: {self.service.traffic_back:.0%} of the lost traffic is back.")
        for stage in sorted(self.scenario.restore_stages):
            name = stage_name(stage)
            if name not in self.stages and self.service.traffic_back >= stage - 1e-9:
                self.stages[name] = self.env.now
                self._emit("world", "stage_reached", actor="world", stage=stage, metric=name,
                           **({"assumed": assumed} if assumed else {}),
                           message=f"{stage:.0%} of the lost traffic is back.")
        if restoring:
            self.service.set_levels(self.env.now, {}, 0.0)   # harm a wrong workaround did ends with the outage
            self._emit("world", "service_restored", actor="world", why=why, readings=self.service.readings(),
                       outage_cost=round(self.service.cost_at(self.env.now), 2), **self.service.state(), **timing)
            self._mark("restored", "", "world", assumed)

    def _do_approve_change(self, role, actor, fields, assumed):
        if self.change_approved_at is None:
            self.change_approved_at = self.env.now

    def _do_implement_fix(self, role, actor, fields, assumed):
        takes = self._pins.get("takes")
        minutes = takes if takes is not None else self._draw("fix/duration", self.scenario.fix.duration)
        self.fix_started_at = self.env.now
        self._work_started(role, assumed, minutes, "The permanent fix is in progress", work="fix")
        self.env.timeout(minutes).callbacks.append(lambda _e: self._fix_done(role, actor, assumed))

    def _fix_done(self, role: str, actor: str, assumed: str | None):
        if self.ended_at is not None:
            return
        self._mark("fixed", role, actor, assumed)
        if self.service.lost_share > 0 or "restored" not in self.milestones:
            self.service.clear(self.env.now)
            self._service_changed("the permanent fix is in place", assumed=assumed)

    def _do_problem_record(self, role, actor, fields, assumed):
        self._mark("problem_recorded", role, actor, assumed)

    def _do_resolve(self, role, actor, fields, assumed):
        if "restored" not in self.milestones:
            self._emit("world", "resolved_while_down", role=role,
                       message="The incident was closed while the service is still degraded.")
        self._mark("resolved", role, actor, assumed)

    def _do_schedule_review(self, role, actor, fields, assumed):
        self._mark("review_held", role, actor, assumed, scheduled_in=fields["within"],
                   scheduled_for=self.env.now + fields["within"])

    def _do_classify(self, role, actor, fields, assumed):
        pass   # judged after the fact against the impact at that minute (drills.classification)

    def _do_say(self, role, actor, fields, assumed):
        pass   # a message on the bridge: it is the action event itself, seen by every participant

    def _do_log(self, role, actor, fields, assumed):
        if fields.get("claims_workaround"):
            self._claims += 1
            self.pending_claims[self._claims] = self.outbox[-1]
            self._emit("world", "claim_open", role=role, claim=self._claims,
                       message=f"Claim {self._claims}: the facilitator will rule on it.")

    # -- facilitator ------------------------------------------------------------------
    def adjudicate(self, claim: int, accept: bool, reason: str = "", actor: str = "facilitator") -> list[DrillEvent]:
        """Rule on a free-text claim of a workaround: accepted, it is applied now."""
        if self.ended_at is not None:
            raise ActionRejected("the drill has ended")
        event = self.pending_claims.get(claim)
        if event is None:
            open_claims = ", ".join(str(k) for k in self.pending_claims) or "none"
            raise ActionRejected(f"no open claim {claim} (open claims: {open_claims})")
        del self.pending_claims[claim]
        key = event.detail["claims_workaround"]
        self._emit("adjudication", "accepted" if accept else "rejected", role=event.role, actor=actor,
                   claim=claim, workaround=key, text=event.detail.get("text", ""), reason=reason)
        if accept:
            self.apply_workaround(event.role, event.actor, key)
            self._check_assembled()
        return self.drain()

    def send_adhoc(self, subject: str, content: str = "", to: list[str] | None = None, channel: str = "chat",
                   actor: str = "facilitator", sender: str = "facilitator") -> list[DrillEvent]:
        if self.ended_at is not None:
            raise ActionRejected("the drill has ended")
        if not subject.strip():
            raise ActionRejected("an inject needs a subject")
        if not sender.strip() or len(sender) > 120:
            raise ActionRejected("an inject's sender is a name of 1 to 120 characters")
        roles = set(self.scenario.participant_roles)
        to = [r for r in (to or []) if r != "everyone"]
        for role in to:
            if role not in roles:
                raise ActionRejected(f"unknown role or resolver group {role!r}")
        from scenarios.exercise import CHANNELS

        if channel not in CHANNELS:
            raise ActionRejected(f"unknown channel {channel!r} (channels: {', '.join(CHANNELS)})")
        self._emit("adhoc_inject", "adhoc", actor=actor, to=list(to or ["everyone"]), channel=channel,
                   subject=subject, content=content, **({"sender": sender} if sender != "facilitator" else {}))
        return self.drain()

    def rate(self, objective: str, rating: str, reason: str, actor: str = "evaluator") -> list[DrillEvent]:
        if objective not in {o.id for o in self.scenario.objectives}:
            raise ActionRejected(f"unknown objective {objective!r}")
        if rating not in RATINGS:
            raise ActionRejected(f"a rating is P, S, M or U, got {rating!r}")
        if not reason.strip():
            raise ActionRejected("an evaluator's rating needs a reason")
        self._emit("rating", objective, actor=actor, rating=rating, reason=reason)
        return self.drain()

    def control(self, name: str, actor: str = "facilitator", **detail) -> list[DrillEvent]:
        """Record a facilitator control at this minute: the clock's (start, pause, resume,
        speed, jump, end), or `allow_fix` with a `reason` (the permanent fix may go ahead
        before the cause is identified); or one of drills.injects.STEERING with `inject` (and
        `at` to reschedule)."""
        if name in STEERING:
            unknown = set(detail) - {"inject", "at"}
            if unknown or not isinstance(detail.get("inject"), str):
                raise ActionRejected(f"{name} needs `inject` (an inject's id){', and `at`' if name == 'reschedule' else ''}")
            return self.steer(name, detail["inject"], detail.get("at"), actor)
        if self.ended_at is not None and name != "end":
            raise ActionRejected("the drill has ended")
        if name == "allow_fix":
            reason = detail.get("reason")
            if not isinstance(reason, str) or not reason.strip() or set(detail) != {"reason"}:
                raise ActionRejected("allow_fix needs a reason (it is journaled), and nothing else")
            if self.scenario.fix is None:
                raise ActionRejected("this scenario has no permanent fix to allow")
            if self.fix_allowed is not None:
                raise ActionRejected("the fix is already allowed")
            self.fix_allowed = reason
        if name == "end":
            if self.ended_at is not None:
                raise ActionRejected("the drill has already ended")
            self.ended_at = self.env.now
            detail.setdefault("outage_cost", round(self.service.cost_at(self.env.now), 2))
        self._emit("control", name, actor=actor, **detail)
        return self.drain()

    # -- the bridge -------------------------------------------------------------------
    def _bridge_roles(self) -> tuple[str, ...]:
        """Who must be on the bridge for the team to count as assembled (SPEC 3.1): the
        playbook's assemble step roles plus every resolver group the scenario needs."""
        needed: list[str] = []
        for step in self.setup.playbook.steps:
            if step.action == "assemble":
                needed.extend(r for r in step.roles if r != RESOLVER_GROUPS_TOKEN)
        needed.extend(self.scenario.needs)
        return tuple(dict.fromkeys(needed))

    def present(self, role: str) -> bool:
        return role in self.joined or role in self.acted_roles

    def _check_assembled(self):
        if "assembled" in self.milestones or "declared" not in self.milestones or self.bridge_open_at is None:
            return
        if all(self.present(r) for r in self._required_on_bridge):
            self._mark("assembled", "", "world", on_bridge=list(self._required_on_bridge))

    # -- views ------------------------------------------------------------------------
    def dashboard(self) -> dict:
        return self.service.dashboard(self.env.now)

    def scoreboard(self) -> dict:
        """Milestones so far, and each metric against its target (for the facilitator)."""
        from scenarios.metrics import METRIC_SPANS

        out = {}
        for metric, (begin, end) in METRIC_SPANS.items():
            if begin in self.milestones and end in self.milestones:
                out[metric] = self.milestones[end] - self.milestones[begin]
        return {"t": self.env.now, "milestones": dict(self.milestones), "metrics": out,
                "targets": self.scenario.all_targets, "updates": self.updates,
                "outage_cost": round(self.service.cost_at(self.env.now), 2),
                "pending_claims": {k: dict(v.detail) | {"role": v.role} for k, v in self.pending_claims.items()}}
