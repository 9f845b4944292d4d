"""A drill's classification judged against the policy: the correct classification at every
minute (the policy applied to the impact the world reports), the team's classifications
and declaration, and what the scorecard makes of them. Pure functions over journal events,
in scored time (drills/timeline.py).

- Time to a correct classification: from detection to the first `classify` whose severity,
  priority and major call all match the correct classification at that minute.
- Misclassified minutes: from the team's first classification until service is restored
  (or the drill ends), the minutes its standing classification's severity is above
  (over-classified) or below (under-classified) the correct one; and before any
  classification, once the policy's `classify_within` after detection is up, the minutes
  the impact is above the policy's floor count as under-classified.
- The declaration decision: a major incident declared when the policy's major criteria
  were never met is an over-declaration; criteria met and never declared, an
  under-declaration (the `time_to_declare` metric already gives it no credit).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scenarios import Scenario
from scenarios.classification import Classification, ClassificationPolicy, Impact

from .events import DrillEvent
from .timeline import Timeline
from .world import ServiceState

__all__ = ["ClassificationJudgement", "judge_classification", "correct_over_time"]


@dataclass(frozen=True)
class TeamCall:
    t: float
    role: str
    actor: str
    call: Classification
    correct: Classification   # what the policy says at that minute
    text: str = ""
    assumed: str | None = None

    @property
    def right(self) -> bool:
        return self.call == self.correct


@dataclass
class ClassificationJudgement:
    correct: list[tuple[float, Classification]]       # (from minute, correct classification), in time order
    calls: list[TeamCall]
    detected_at: float | None
    first_right_at: float | None
    time_to_classify: float | None                   # scored minutes from detection to the first right call
    over_minutes: float
    under_minutes: float
    major_needed: bool
    major_from: float | None                         # when the major criteria were first met
    declared_at: float | None
    peak: Classification                             # the most severe correct classification at any minute
    verdicts: list[str] = field(default_factory=list)

    @property
    def over_declared(self) -> bool:
        return self.declared_at is not None and not self.major_needed

    @property
    def under_declared(self) -> bool:
        return self.declared_at is None and self.major_needed

    def to_dict(self) -> dict:
        return {
            "correct": [{"from": t, "severity": c.severity, "priority": c.priority, "major": c.major}
                        for t, c in self.correct],
            "calls": [{"t": c.t, "role": c.role, "actor": c.actor, "severity": c.call.severity,
                       "priority": c.call.priority, "major": c.call.major, "right": c.right,
                       "correct": c.correct.text(), "text": c.text} for c in self.calls],
            "first_right_at": self.first_right_at, "time_to_classify": self.time_to_classify,
            "over_classified_min": self.over_minutes, "under_classified_min": self.under_minutes,
            "major_needed": self.major_needed, "major_from": self.major_from, "declared_at": self.declared_at,
            "peak": self.peak.text(),
            "over_declared": self.over_declared, "under_declared": self.under_declared,
            "evidence": list(self.verdicts),
        }


def correct_over_time(events, scenario: Scenario, policy: ClassificationPolicy) -> list[tuple[float, Classification]]:
    """The policy's classification from impact start, and again at every world change of the
    service levels (a step function: each entry holds until the next)."""
    service = ServiceState(scenario)
    service.start(0.0)

    def now() -> Classification:
        return policy.classify(Impact(
            lost_share=service.lost_share, cost_per_minute=service.cost_rate(),
            critical_down=not service.critical_clear, data_exposure=scenario.exposure.data,
            regulated=scenario.exposure.regulated, urgency=scenario.urgency))

    out = [(0.0, now())]
    for e in events:
        if e.kind != "world":
            continue
        if isinstance(e.detail.get("levels"), dict):
            service.set_levels(e.t, e.detail["levels"], e.detail.get("extra", 0.0))
        elif e.name == "service_restored":
            service.clear(e.t)
        elif e.detail.get("lost_share") is not None:
            service.set_lost(e.t, float(e.detail["lost_share"]))
        else:
            continue
        found = now()
        if found != out[-1][1]:
            out.append((e.t, found))
    return out


def _at(correct: list[tuple[float, Classification]], t: float) -> Classification:
    found = correct[0][1]
    for start, c in correct:
        if start <= t + 1e-9:
            found = c
    return found


def judge_classification(events: tuple[DrillEvent, ...], scenario: Scenario, policy: ClassificationPolicy,
                         timeline: Timeline, milestones: dict) -> ClassificationJudgement:
    correct = correct_over_time(events, scenario, policy)
    calls = []
    for e in events:
        if e.kind == "action" and e.name == "classify":
            call = Classification(str(e.detail.get("severity")), str(e.detail.get("priority")),
                                  e.detail.get("major") == "yes")
            calls.append(TeamCall(e.t, e.role, e.actor, call, _at(correct, e.t), str(e.detail.get("text") or ""),
                                  e.detail.get("assumed")))
    end_t = max((e.t for e in events), default=0.0)
    detected = milestones.get("detected")
    restored = milestones.get("restored")
    declared = milestones.get("declared")
    detected_at = detected.t if detected is not None else None
    first_right = next((c for c in calls if c.right), None)
    time_to_classify = None
    if first_right is not None and detected_at is not None:
        time_to_classify = round(timeline.span(detected_at, max(first_right.t, detected_at)), 4)

    # Minutes the standing classification was off, from the first call until restored (or the end).
    until = restored.t if restored is not None else end_t
    over = under = 0.0
    if calls:
        cuts = sorted({c.t for c in calls} | {t for t, _ in correct} | {until})
        cuts = [t for t in cuts if calls[0].t <= t <= until]
        for lo, hi in zip(cuts, cuts[1:]):
            standing = [c for c in calls if c.t <= lo + 1e-9][-1].call
            right = _at(correct, lo)
            rank_team, rank_right = policy.rank(standing.severity), policy.rank(right.severity)
            minutes = timeline.span(lo, hi)
            if rank_team < rank_right:
                over += minutes
            elif rank_team > rank_right:
                under += minutes
    # No classification standing once the policy's time to classify is up counts as too low,
    # while the impact is above the floor: an unclassified incident is nobody's priority.
    if detected_at is not None:
        grace_end = detected_at + policy.classify_within
        stop = min(calls[0].t if calls else until, until)
        floor = len(policy.severities) - 1
        cuts = sorted({t for t, _ in correct if grace_end < t < stop} | {grace_end, stop}) if stop > grace_end else []
        for lo, hi in zip(cuts, cuts[1:]):
            if hi > lo and policy.rank(_at(correct, lo).severity) < floor:
                under += timeline.span(lo, hi)
    major_from = next((t for t, c in correct if c.major), None)
    judgement = ClassificationJudgement(
        correct=correct, calls=calls, detected_at=detected_at,
        first_right_at=first_right.t if first_right else None, time_to_classify=time_to_classify,
        over_minutes=round(over, 4), under_minutes=round(under, 4),
        major_needed=major_from is not None, major_from=major_from,
        declared_at=declared.t if declared is not None else None,
        peak=min((c for _, c in correct), key=lambda c: policy.rank(c.severity)))
    judgement.verdicts.extend(_evidence(judgement))
    return judgement


def _evidence(j: ClassificationJudgement) -> list[str]:
    out = []
    for c in j.calls:
        who = f"{c.actor} as {c.role.replace('_', ' ')}" if c.actor and c.actor != c.role else c.role.replace("_", " ")
        verdict = "right" if c.right else f"the policy said {c.correct.text()}"
        out.append(f"{who} classified it {c.call.text()} at {c.t:g}m ({verdict})")
    if not j.calls:
        out.append("nobody classified the incident")
    if j.over_declared:
        out.append(f"declared a major incident at {j.declared_at:g}m although the policy's major criteria were "
                   f"never met")
    elif j.under_declared:
        out.append(f"the major criteria were met from {j.major_from:g}m but no major incident was declared")
    return out
