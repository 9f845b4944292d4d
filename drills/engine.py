"""One drill as a SimPy model: the scenario's injects fire on time or on condition, people
act, and the world reacts (responders join after their acknowledgement delay, a workaround
restores service after it takes effect, a wrong one does nothing or makes it worse).

The engine does no I/O and owns no clock: a driver advances it to a scenario minute
(`advance_to`) and hands it actions (`act`); everything the drill does is appended to
`outbox` as events for the driver to make durable. Randomness comes from the drill's seed,
one named stream per draw, so a replay or a resume draws the same values whatever order
things happen in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from scenarios import ACTIONS, MILESTONES, RATINGS, Playbook, Roster, Scenario, Staffing
from scenarios.actions import AUDIENCES
from scenarios.durations import format_duration
from scenarios.roles import RESOLVER_GROUPS_TOKEN
from scenarios.units import MINUTES_PER_DAY, MINUTES_PER_WEEK
from simulator.model.streams import stage_key

from .errors import ActionRejected
from .events import DrillEvent
from .world import ServiceState

__all__ = ["Drill", "DrillSetup", "TICK", "REVIEW_WITHIN"]

TICK = 0.25
"""Conditional injects are checked every quarter of a scenario minute (15 seconds)."""

REVIEW_WITHIN = 7 * MINUTES_PER_DAY
"""Five business days, as calendar minutes: the latest a post-incident review may be held."""

_BEFORE_DETECTION_ALLOWED = {"log"}


@dataclass(frozen=True)
class DrillSetup:
    """Everything a drill is built from; stored with the drill so it can be rebuilt."""

    scenario: Scenario
    playbook: Playbook
    roster: Roster
    staffing: Staffing | None
    seed: int
    start_minute: float  # UTC minute of the week at impact start (for coverage and on-call delays)


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
        return None


class Drill:
    """The live state of one drill. Not thread-safe: one driver at a time."""

    milestone_names = frozenset(MILESTONES)

    def __init__(self, setup: DrillSetup):
        self.setup = setup
        self.scenario = sc = setup.scenario
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
        self.pending_claims: dict[int, DrillEvent] = {}
        self._claims = 0
        self.ended_at: float | None = None
        self._effective_applied: str | None = None
        self._restore_pending = False
        self._draws: dict[str, int] = {}
        self._fired_at: dict[str, float] = {}
        self._state = _State(self)
        self._required_on_bridge = self._bridge_roles()
        self._timed = [j for j in sc.injects if j.timed]
        self._conditional = [j for j in sc.injects if j.when is not None and j.requested is None]

        self._mark("impact_start", "world", "")
        self.service.set_lost(0.0, sc.impact.share)
        for inject in self._timed:
            self.env.timeout(inject.at).callbacks.append(lambda _e, j=inject: self._deliver(j))
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
        if t > env.now:
            env.run(until=t)
        while env.peek() <= t:
            env.step()
        return self.drain()

    def drain(self) -> list[DrillEvent]:
        out, self.outbox = self.outbox, []
        return out

    def next_inject_at(self) -> float | None:
        """When the next timed inject fires (for the facilitator's 'jump to next inject')."""
        upcoming = [j.at for j in self._timed if j.id not in self.delivered and j.at >= self.env.now]
        return min(upcoming) if upcoming else None

    def _watch(self):
        while self.ended_at is None:
            if all(j.id in self._fired_at and j.repeat is None for j in self._conditional):
                return  # nothing left that could fire
            now = self.env.now
            for inject in self._conditional:
                if self.ended_at is not None:
                    break
                if inject.at is not None and now < inject.at:
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

    def _deliver(self, inject, requested_by: str = "") -> None:
        if self.ended_at is not None:
            return
        occurrence = len(self.delivered.get(inject.id, []))
        self.delivered.setdefault(inject.id, []).append(self.env.now)
        to = [requested_by] if requested_by else (list(inject.to) if inject.to != "everyone" else ["everyone"])
        self._emit(
            "inject", inject.id, actor=inject.sender,
            to=to, channel=inject.channel, subject=inject.subject, content=inject.content,
            type=inject.type, objective=inject.objective, expect=inject.expect,
            expect_action=inject.expect_action, notes=inject.notes, occurrence=occurrence,
            requested_by=requested_by or None,
        )
        if inject.detects and "detected" not in self.milestones:
            self._mark("detected", "", "world", path=inject.detects, inject=inject.id)

    def _draw(self, stage: str, distribution) -> float:
        """One value from the drill's own stream for this stage and occurrence."""
        n = self._draws.get(stage, 0)
        self._draws[stage] = n + 1
        sequence = np.random.SeedSequence(self.setup.seed, spawn_key=(stage_key(stage), n))
        return float(distribution.sample(np.random.default_rng(sequence), 1)[0])

    # -- actions ----------------------------------------------------------------------
    def act(self, role: str, action: str, fields: dict | None = None, actor: str = "",
            assumed: str | None = None, note: str = "") -> list[DrillEvent]:
        """Apply one participant action now; raise ActionRejected (nothing changed) if it cannot be taken."""
        fields = {k: v for k, v in (fields or {}).items() if v is not None}
        self._check(role, action, fields)
        detail = dict(fields)
        if assumed:
            detail["assumed"] = assumed
        if note:
            detail["note"] = note
        queued = len(self.outbox)
        event = self._emit("action", action, role=role, actor=actor or role, **detail)
        try:
            getattr(self, f"_do_{action}")(role, event.actor, fields, assumed)
        except Exception:
            del self.outbox[queued:]  # nothing of a failed action reaches the journal
            raise
        self.action_counts[action] = self.action_counts.get(action, 0) + 1
        self.acted_roles.add(role)
        self._check_assembled()
        return self.drain()

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
        """How long the paged role or group takes to join: the staffing's acknowledgement
        delay at this hour of the week, drawn from the drill's stream for that page."""
        staffing = self.setup.staffing
        if staffing is None:
            return 0.0
        pool = staffing.pools.get(target)
        if pool is None or pool.people == 0:
            return None
        minute = int(self.setup.start_minute + self.env.now) % MINUTES_PER_WEEK
        mask = pool.in_hours
        stage = f"page/{target}"
        if mask[minute]:
            delay = self._draw(stage, pool.acknowledge.in_hours)
        elif getattr(pool.coverage, "pager", True):
            delay = self._draw(stage, pool.acknowledge.out_of_hours)
        else:
            rolled = np.roll(mask, -minute)
            wait = float(np.argmax(rolled)) if rolled.any() else math.inf
            delay = wait + self._draw(stage, pool.acknowledge.in_hours)
        # As in the simulation: an unanswered page escalates to a backup; the first answer wins.
        if pool.escalation is not None and delay > pool.escalation.timeout:
            delay = min(delay, pool.escalation.timeout + self._draw(f"{stage}/backup", pool.escalation.backup_acknowledge))
        return delay

    def _do_update(self, role, actor, fields, assumed):
        self.updates += 1
        self.last_update = self.env.now
        if "declared" in self.milestones:
            self._mark("first_update", role, actor, assumed)

    def _do_hypothesis(self, role, actor, fields, assumed):
        cause = self.scenario.cause_by_id(fields["cause"]) if "cause" in fields else None
        if cause is not None and not cause.correct:
            self.wrong_hypotheses += 1

    def _do_identify(self, role, actor, fields, assumed):
        cause = self.scenario.cause_by_id(fields["cause"])
        if cause.correct:
            self._mark("identified", role, actor, assumed, cause=cause.id)
        else:
            self.wrong_hypotheses += 1
            self._emit("world", "wrong_cause", role=role,
                       message=f"'{cause.title}' does not explain what the dashboards show.")

    def _do_request_info(self, role, actor, fields, assumed):
        for inject in self.scenario.topics[fields["topic"]]:
            wait = (inject.at or 0.0) - self.env.now
            if wait > 0:
                self._emit("world", "not_yet_available", role=role, topic=fields["topic"],
                           message=f"That information is not available yet (in {format_duration(wait)}).")
                self.env.timeout(wait).callbacks.append(lambda _e, j=inject, r=role: self._deliver(j, requested_by=r))
            else:
                self._deliver(inject, requested_by=role)

    def _do_apply_workaround(self, role, actor, fields, assumed):
        self.apply_workaround(role, actor, fields["workaround"], assumed)

    def apply_workaround(self, role: str, actor: str, key: str, assumed: str | None = None) -> None:
        workaround = self.scenario.workaround_by_key(key)
        if workaround.effective:
            if self._effective_applied is not None:
                return
            self._effective_applied = key
            self._mark("workaround_applied", role, actor, assumed, workaround=key)
            if "restored" in self.milestones:
                return
            delay = self._draw(f"workaround/{key}", workaround.drill_delay)
            self._restore_pending = True
            self.env.timeout(delay).callbacks.append(lambda _e: self._restore(f"workaround {key} took effect", delay))
        elif workaround.worsens > 0 and "restored" not in self.milestones:
            self.service.set_lost(self.env.now, self.service.lost_share + workaround.worsens)
            self._emit("world", "worse", role=role, workaround=key, lost_share=round(self.service.lost_share, 6),
                       readings=self.service.readings(),
                       message=f"'{workaround.name}' made things worse.")
        else:
            self._emit("world", "no_change", role=role, workaround=key,
                       message=f"'{workaround.name}' was applied; the dashboards do not move.")

    def _restore(self, why: str, after: float | None = None):
        if "restored" in self.milestones:
            return
        self.service.set_lost(self.env.now, 0.0)
        self._emit("world", "service_restored", actor="world", why=why, readings=self.service.readings(),
                   outage_cost=round(self.service.cost_at(self.env.now), 2),
                   **({"after": round(after, 4)} if after is not None else {}))
        self._mark("restored", "", "world")

    def _do_approve_change(self, role, actor, fields, assumed):
        if self.change_approved_at is None:
            self.change_approved_at = self.env.now

    def _do_implement_fix(self, role, actor, fields, assumed):
        self._mark("fixed", role, actor, assumed)
        if "restored" not in self.milestones:
            self._restore("the permanent fix is in place")

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
                   actor: str = "facilitator") -> list[DrillEvent]:
        if self.ended_at is not None:
            raise ActionRejected("the drill has ended")
        if not subject.strip():
            raise ActionRejected("an inject needs a subject")
        roles = set(self.scenario.participant_roles)
        to = [r for r in (to or []) if r != "everyone"]
        for role in to:
            if role not in roles:
                raise ActionRejected(f"unknown role or resolver group {role!r}")
        from scenarios.exercise import CHANNELS

        if channel not in CHANNELS:
            raise ActionRejected(f"unknown channel {channel!r} (channels: {', '.join(CHANNELS)})")
        self._emit("adhoc_inject", "adhoc", actor=actor, to=list(to or ["everyone"]), channel=channel,
                   subject=subject, content=content)
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
        """Record a clock control (start, pause, resume, speed, jump, end) at this minute."""
        if self.ended_at is not None and name != "end":
            raise ActionRejected("the drill has ended")
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
