"""Scoring: a drill's journal, the scenario's targets and (optionally) simulated responses
in, a scorecard out. Pure: no clock, no store, no randomness; the simulated distribution
is an input, so the same journal always gets the same scorecard.

The score measures the response (SPEC 3.7), and every point of it is explained on the
scorecard as a signed entry (`points`):

- each target metric earns a share of its weight by how far under or over its target it
  came (`credit`: all of it at half the target or less, 85% at the target, none at twice
  the target or never reached, straight lines between);
- each process check earns its weight (the cadence by the same curve on the longest wait
  for an update, RACI and the playbook's other steps by the share done right), judged
  against the team's own playbook: a check whose step the playbook lacks does not apply;
- metric and check weights are shares of the 100 points over the components that apply;
  an assumed time is shown but earns neither credit nor penalty, and leaves the
  denominator;
- harm takes points off: each workaround that made things worse, time on wrong causes,
  and an outage cost above that of the typical simulated team;
- the final rating of each objective (the evaluator's, else the computed one) caps the
  score: M at 89 (grade B), U at 79 (C); a service never restored caps it at 69 (D).

Times are scored in scenario minutes less those the facilitator jumped over
(drills/timeline.py), so neither speed changes nor jumps change a team's times. Weights
default in scenarios/exercise.py (DEFAULT_WEIGHTS); the format is in
docs/reference/drills.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scenarios import METRIC_SPANS, METRIC_TITLES, Playbook, Roster, Scenario
from scenarios.durations import minutes_text
from scenarios.exercise import CHECKS, HARMS
from scenarios.formats import SCORECARD_FORMAT
from scenarios.responses import RATING_TITLES
from scenarios.units import MINUTES_PER_DAY
from scenarios.version import TOOL_VERSION
from simulator.model.levels import service_restore_name

from .checklist import metrics_of, milestones_of, playbook_steps, stand_ins, step_action
from .classification import ClassificationJudgement, judge_classification
from .contributions import contributions
from .harm import harmful_workarounds, outage_cost, wrong_cause_minutes, wrong_causes
from .journal import Journal
from .timeline import Timeline

__all__ = ["score", "Scorecard", "SCORECARD_FORMAT", "credit", "TIMING_METRICS"]

TIMING_METRICS = tuple(METRIC_SPANS)
_STRENGTH_PERCENTILES = TIMING_METRICS[:TIMING_METRICS.index("time_to_restore") + 1]

def credit(actual: float | None, target: float) -> float:
    """The share of a metric's weight earned: 1 at half the target or less, 0.85 at the
    target, 0 at twice the target (or never reached), linear in between. A target of 0
    is read as one minute for the slope."""
    if actual is None:
        return 0.0
    scale = target if target > 0 else 1.0
    r = max(actual, 0.0) / scale if target > 0 else (0.0 if actual <= 0 else 1.0 + actual / scale)
    if r <= 0.5:
        return 1.0
    if r <= 1.0:
        return 1.0 - 0.3 * (r - 0.5)
    return max(0.0, 0.85 * (2.0 - r))


@dataclass(frozen=True)
class Scorecard:
    """The scorecard artifact; `to_dict()` is its JSON form (docs/reference/drills.md)."""

    content: dict

    def to_dict(self) -> dict:
        return self.content

    @property
    def score(self) -> float:
        return self.content["score"]


def _m(value) -> str:
    return f"{minutes_text(value)} min"


def _at(value) -> str:
    return f"minute {minutes_text(value)}"


def _points_text(points: float) -> str:
    text = f"{points:+.1f}"
    return ("0" if points == 0 else text[:-2]) if text.endswith(".0") else text


def _who(role: str, actor: str = "") -> str:
    role_text = role.replace("_", " ") if role else "the world"
    return f"{actor} as {role_text}" if actor and actor not in (role, "world") else role_text


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:] if text else text


class _Facts:
    """What the journal says, gathered once for the checks' and metrics' evidence."""

    def __init__(self, events, scenario: Scenario, milestones, timeline: Timeline):
        self.events = events
        self.scenario = scenario
        self.milestones = milestones
        self.timeline = timeline
        self.end_t = max((e.t for e in events), default=0.0)
        self.updates = [e for e in events if e.kind == "action" and e.name == "update"]
        self.injects = [e for e in events if e.kind == "inject"]
        self.wrong = wrong_causes(events, scenario, timeline)
        self.worse = harmful_workarounds(events, scenario)
        self.no_change = [e for e in events if e.kind == "world" and e.name == "no_change"]

    def milestone(self, name: str) -> str:
        m = self.milestones.get(name)
        if m is None:
            return f"{name.replace('_', ' ')}: never"
        who = f" by {_who(m.role, m.actor)}" if m.role else ""
        return f"{name.replace('_', ' ')} at {_at(m.t)}{who}"

    def within(self, begin: float, end: float, kinds=("contingency", "red_herring")) -> list[str]:
        out = []
        for e in self.injects:
            if begin <= e.t <= end and e.detail.get("type") in kinds:
                what = "nudge" if e.detail["type"] == "contingency" else "red herring"
                out.append(f"{what} '{e.detail.get('subject', e.name)}' delivered at {_at(e.t)}")
        return out

    def metric(self, key: str, m: dict) -> list[str]:
        begin, end = METRIC_SPANS[key]
        out = [self.milestone(begin), self.milestone(end)]
        if begin == "impact_start":
            out = out[1:]
        a, b = self.milestones.get(begin), self.milestones.get(end)
        lo = a.t if a else 0.0
        hi = b.t if b else self.end_t
        if key == "time_to_detect" and b is not None:
            path = next((e.detail.get("path") for e in self.events if e.kind == "milestone" and e.name == "detected"), None)
            if path:
                out[-1] += f" (by {path.replace('_', ' ')})"
        if key in ("time_to_acknowledge", "time_to_declare", "time_to_first_update", "time_to_assemble"):
            out += self.within(lo, hi, ("contingency",))
        if key == "time_to_first_update":
            before = [u for u in self.updates if a is not None and u.t < a.t]
            if before:
                out.append(f"an update went out before the declaration, at {_at(before[0].t)}")
        if key == "time_to_assemble":
            for e in self.events:
                if e.kind == "action" and e.name == "page" and e.t <= hi:
                    joined = next((j for j in self.events if j.kind == "joined" and j.name == e.detail.get("target")), None)
                    target = str(e.detail.get("target", "")).replace("_", " ")
                    out.append(f"{target} paged at {_at(e.t)}" +
                               (f", joined at {_at(joined.t)}" if joined else ", never joined"))
                elif e.kind == "world" and e.name == "page_unanswered":
                    out.append(f"nobody on call answered for {e.role.replace('_', ' ')}")
        if key == "time_to_identify":
            for w in self.wrong:
                out.append(self.wrong_text(w))
            out += self.within(lo, hi, ("red_herring",))
        if key in ("time_to_workaround", "time_to_restore", "time_to_fix"):
            for e in self.events:
                if e.kind == "world" and e.name == "work_started" and e.t <= hi:
                    what = e.detail.get("workaround") or e.detail.get("work", "work")
                    takes = e.detail.get("takes")
                    out.append(f"work on {what} started at {_at(e.t)}" + (f", taking {_m(takes)}" if takes is not None else "")
                               + (" (assumed)" if e.detail.get("assumed") else ""))
            if key != "time_to_fix":
                out += [self.worse_text(w) for w in self.worse if w.t <= hi]
                out += [f"'{self.workaround_title(e)}' changed nothing, at {_at(e.t)}" for e in self.no_change if e.t <= hi]
        if key == "time_to_fix":
            approved = next((e for e in self.events if e.kind == "action" and e.name == "approve_change"), None)
            if approved is not None:
                out.insert(0, f"change approved at {_at(approved.t)} by {_who(approved.role, approved.actor)}")
            allowed = next((e for e in self.events if e.kind == "control" and e.name == "allow_fix"), None)
            if allowed is not None:
                out.append(f"the facilitator allowed the fix before the cause was identified, at {_at(allowed.t)}"
                           + (f" ({allowed.detail['reason']})" if allowed.detail.get("reason") else ""))
        if key == "time_to_resolve":
            if any(e.kind == "world" and e.name == "resolved_while_down" for e in self.events):
                out.append("the incident was closed while the service was still degraded")
        if m["jumped_min"]:
            out.append(f"{_m(m['jumped_min'])} the facilitator jumped over are not counted")
        out += [f"assumed: {why}" for why in m["assumptions"]]
        return out

    def wrong_text(self, w) -> str:
        ended = {"evidence": f"the evidence against it came at {_at(w.until)}",
                 "next_cause": f"the team moved on at {_at(w.until)}",
                 "end": f"still open when the drill ended at {_at(w.until)}"}[w.ended_by]
        return f"{_who(w.role, w.actor)} named the wrong cause '{w.title}' at {_at(w.named_at)}; {ended} ({_m(w.minutes)})"

    def worse_text(self, w) -> str:
        if w.applied_at is None:
            applied = ""
        elif abs(w.applied_at - w.t) < 1e-9:
            applied = f" (applied by {_who(w.role, w.actor)})"
        else:
            applied = f" (applied by {_who(w.role, w.actor)} at {_at(w.applied_at)})"
        return f"'{w.title}' made it worse at {_at(w.t)}{applied}"

    def workaround_title(self, e) -> str:
        workaround = self.scenario.workaround_by_key(e.detail.get("workaround", ""))
        return workaround.name if workaround else str(e.detail.get("workaround"))


_DECLARED_METRICS = ("time_to_declare", "time_to_first_update", "time_to_assemble")
"""Metrics that run from the declaration: not expected when the policy says it is no major incident."""


def _has_step(playbook: Playbook, milestone: str, action: str) -> bool:
    return any(s.milestone == milestone or step_action(s) == action for s in playbook.steps)


def _update_cadence(facts: _Facts, milestones, cadence: float) -> dict:
    """Stakeholders must never wait longer than the cadence between the declaration and
    restoration (or the end of the drill): the first gap runs from the declaration."""
    if "declared" not in milestones:
        return {"passed": None, "detail": "no major incident was declared, so no cadence applied"}
    start = milestones["declared"].t
    stop = milestones["restored"].t if "restored" in milestones else facts.end_t
    if stop < start:
        return {"passed": None, "detail": "service was restored before the declaration, so no cadence applied"}
    during = [u for u in facts.updates if start <= u.t <= stop]
    points = [start, *(u.t for u in during), stop]
    gaps = [facts.timeline.span(a, b) for a, b in zip(points, points[1:])]
    largest = max(gaps)
    passed = largest <= cadence + 1e-9
    until = "restoration" if "restored" in milestones else "the end of the drill"
    if not during:
        detail = f"no stakeholder update was sent in the {_m(largest)} from declaring to {until}"
    else:
        detail = f"longest wait for a stakeholder update between declaring and {until}: {_m(largest)} against a {_m(cadence)} cadence"
    jumped = round(facts.timeline.jumped(start, stop), 4)
    evidence = [facts.milestone("declared")]
    if during:
        evidence.append("updates at " + ", ".join(_at(u.t) for u in during))
    evidence.append(facts.milestone("restored") if "restored" in milestones else f"drill ended at {_at(facts.end_t)}")
    if jumped:
        evidence.append(f"{_m(jumped)} the facilitator jumped over are not counted")
    assumed = [m.assumed for m in (milestones["declared"], milestones.get("restored")) if m is not None and m.assumed]
    # Assumed updates matter only if the verdict rests on them: without them, would it differ?
    measured = [start, *(u.t for u in during if not u.detail.get("assumed")), stop]
    if max(facts.timeline.span(a, b) for a, b in zip(measured, measured[1:])) != largest:
        assumed += [u.detail["assumed"] for u in during if u.detail.get("assumed")]
    return {"passed": passed, "detail": detail, "largest_gap_min": round(largest, 4), "cadence_min": cadence,
            "updates": len(facts.updates), "jumped_min": jumped, "value": credit(largest, cadence),
            "assumptions": assumed, "evidence": evidence}


def _checks(facts: _Facts, scenario: Scenario, playbook: Playbook, milestones, steps, weights,
            judgement: ClassificationJudgement, policy) -> dict:
    checks: dict[str, dict] = {"classification": _classification_check(judgement, policy)}
    checks["update_cadence"] = _update_cadence(facts, milestones, playbook.update_cadence)

    if not _has_step(playbook, "problem_recorded", "problem_record"):
        checks["problem_record"] = {"passed": None, "detail": "the playbook has no problem-record step, so none was expected"}
    else:
        m = milestones.get("problem_recorded")
        checks["problem_record"] = {
            "passed": m is not None, "detail": "a problem record was raised" if m else "no problem record was raised",
            "assumptions": [m.assumed] if m is not None and m.assumed else [],
            "evidence": [facts.milestone("problem_recorded")]}

    if not _has_step(playbook, "review_held", "schedule_review"):
        checks["review_scheduled"] = {"passed": None,
                                      "detail": "the playbook has no post-incident review step, so none was expected"}
    else:
        review = next((e for e in facts.events if e.kind == "milestone" and e.name == "review_held"), None)
        if review is None:
            checks["review_scheduled"] = {"passed": False, "detail": "no post-incident review was scheduled",
                                          "evidence": ["no schedule_review action in the journal"]}
        else:
            within = float(review.detail.get("scheduled_in", 0))
            checks["review_scheduled"] = {
                "passed": within <= scenario.scoring.review_within,
                "detail": f"review scheduled {round(within / MINUTES_PER_DAY, 1):g} days out (at most "
                          f"{round(scenario.scoring.review_within / MINUTES_PER_DAY, 1):g} days)",
                "assumptions": [review.detail["assumed"]] if review.detail.get("assumed") else [],
                "evidence": [facts.milestone("review_held")]}

    has_both = scenario.fix is not None and any(w.effective for w in scenario.workarounds)
    if not has_both:
        checks["separate_milestones"] = {"passed": None, "detail": "this scenario has no separate workaround and fix"}
    elif not (_has_step(playbook, "workaround_applied", "apply_workaround") and _has_step(playbook, "fixed", "implement_fix")):
        checks["separate_milestones"] = {"passed": None,
                                         "detail": "the playbook does not track a workaround and a permanent fix as separate steps"}
    else:
        wa, fx = milestones.get("workaround_applied"), milestones.get("fixed")
        passed = wa is not None and fx is not None and wa.t < fx.t
        checks["separate_milestones"] = {
            "passed": passed,
            "detail": ("workaround and permanent fix recorded separately" if passed
                       else "workaround and permanent fix were not both recorded as separate milestones"),
            "assumptions": [m.assumed for m in (wa, fx) if m is not None and m.assumed],
            "evidence": [facts.milestone("workaround_applied"), facts.milestone("fixed")]}

    judged = [s for s in steps if s["raci_ok"] is not None]
    wrong_role = [s for s in judged if not s["raci_ok"]]
    by_id = {s.id: s for s in playbook.steps}
    checks["raci"] = {
        "passed": None if not judged else not wrong_role,
        "share": round(1 - len(wrong_role) / len(judged), 4) if judged else None,
        "value": (1 - len(wrong_role) / len(judged)) if judged else None,
        "detail": (f"{len(judged) - len(wrong_role)} of {len(judged)} steps done by the role the RACI names"
                   + (": not " + "; ".join(f"'{s['name']}' (by {s['by'].replace('_', ' ')})" for s in wrong_role)
                      if wrong_role else "")
                   if judged else "no step could be attributed to a role"),
        "wrong_role": [{"step": s["id"], "by": s["by"]} for s in wrong_role],
        "evidence": [f"'{s['name']}' was done by {s['by'].replace('_', ' ')} at {_at(s['t'])}; the RACI makes "
                     + ", ".join(f"{r.replace('_', ' ')} {c}" for r, c in by_id[s["id"]].raci.items() if "R" in c or "A" in c)
                     + " responsible or accountable" for s in wrong_role],
    }

    # The playbook's other steps: those no metric or check already judges.
    covered = {METRIC_SPANS[k][1] for k, w in weights.items() if k in METRIC_SPANS and w > 0
               and scenario.all_targets.get(k) is not None}
    covered |= {"problem_recorded", "review_held"}
    own = [s for s in steps if s["status"] in ("done", "late", "out_of_order", "skipped")
           and by_id[s["id"]].milestone not in covered]
    if not own:
        checks["playbook_steps"] = {"passed": None, "detail": "every playbook step is judged by a metric or check above"}
    else:
        in_order = sum(1 for s in own if s["status"] in ("done", "late"))
        out_of_order = [s for s in own if s["status"] == "out_of_order"]
        skipped = [s for s in own if s["status"] == "skipped"]
        problems = [f"'{s['name']}' skipped" for s in skipped]
        problems += [f"'{s['name']}' done before {', '.join(s.get('ahead_of', []))}" for s in out_of_order]
        checks["playbook_steps"] = {
            "passed": not problems,
            "value": (in_order + 0.5 * len(out_of_order)) / len(own),
            "detail": (f"{in_order} of {len(own)} other playbook steps done in their order"
                       + (": " + "; ".join(problems) if problems else "")),
            "evidence": [f"'{s['name']}' " + (f"done at {_at(s['t'])}" + (f" by {s['by'].replace('_', ' ')}" if s.get("by") else "")
                                              if s["t"] is not None else "never done") for s in own],
        }
    if not judgement.major_needed:
        # The playbook is the major-incident process; an incident the policy says is not a
        # major one is not judged by its steps (the classification check and harms judge the call).
        why = (f"not a major incident by the policy ({policy.name}), so the major-incident playbook's steps were "
               f"not expected")
        for key in ("raci", "playbook_steps"):
            checks[key] = {"passed": None, "detail": why}
    for key, check in checks.items():
        check["title"] = CHECKS[key]
        check.setdefault("assumptions", [])
        check.setdefault("evidence", [])
        check["assumed"] = bool(check["assumptions"])
        check["applies"] = check["passed"] is not None
        if "value" not in check or check["value"] is None:
            check["value"] = None if check["passed"] is None else float(check["passed"])
        check["value"] = None if check["value"] is None else round(check["value"], 4)
    return checks


def _classification_check(judged: ClassificationJudgement, policy) -> dict:
    target = policy.classify_within
    first = next((c for c in judged.calls if c.right), None)
    if judged.detected_at is None:
        return {"passed": None, "detail": "the incident was never detected, so nobody could classify it"}
    if first is None:
        detail = ("nobody classified the incident" if not judged.calls else
                  f"never classified right: {len(judged.calls)} classification(s), none matching the policy "
                  f"({judged.calls[-1].correct.text()} at {_at(judged.calls[-1].t)})")
        return {"passed": False, "value": 0.0, "detail": detail, "evidence": list(judged.verdicts)}
    took = judged.time_to_classify
    return {
        "passed": took <= target, "value": credit(took, target),
        "detail": f"classified right ({first.call.text()}) {_m(took)} after detection (policy: within {_m(target)})",
        "assumptions": [first.assumed] if first.assumed else [],
        "evidence": list(judged.verdicts)}


def _rating(components: list[bool | None], never: bool, satisfactory_from: float) -> str | None:
    judged = [c for c in components if c is not None]
    if not judged:
        return None
    share = sum(judged) / len(judged)
    if share == 1:
        return "P"
    if share >= satisfactory_from:
        return "S"
    if share > 0 or not never:
        return "M"
    return "U"


def _percentiles(metrics: dict, simulated: dict | None) -> dict:
    out = {}
    if not simulated:
        return out
    for metric in TIMING_METRICS:
        actual = metrics[metric]["scored_min"]
        values = simulated.get(metric)
        if actual is None or values is None or len(values) == 0:
            continue
        faster_than, reached = _share_above(actual, values)
        out[metric] = {
            "faster_than_share": round(faster_than, 4),
            "percentile": round(100 * faster_than, 1),
            "simulated_p50": round(float(np.percentile(reached, 50)), 3) if reached.size else None,
            "simulated_p90": round(float(np.percentile(reached, 90)), 3) if reached.size else None,
            "simulated_n": int(len(values)),
            "sentence": f"{METRIC_TITLES[metric]}: {_m(actual)}, faster than {faster_than:.0%} of simulated teams",
        }
    return out


def _share_above(value: float, values) -> tuple[float, np.ndarray]:
    """Share of simulated values above `value` (NaN, never reached, counts as above; ties
    half), and the reached values."""
    values = np.asarray(values, dtype=float)
    reached = values[~np.isnan(values)]
    above = float(np.sum(reached > value + 1e-9)) + float(np.isnan(values).sum())
    ties = float(np.sum(np.abs(reached - value) <= 1e-9))
    return (above + ties / 2) / values.size, reached


def _shares(weights: dict[str, float]) -> dict[str, float]:
    """Each weight's share of 100 points, in tenths that add up to exactly 100."""
    total = sum(weights.values())
    if total <= 0:
        return {}
    raw = {k: 1000.0 * w / total for k, w in weights.items()}
    tenths = {k: int(v) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: raw[k] - tenths[k], reverse=True)[:1000 - sum(tenths.values())]:
        tenths[k] += 1
    return {k: t / 10 for k, t in tenths.items()}


def _entry(key: str, kind: str, points: float, of: float | None, sentence: str, status: str = "scored") -> dict:
    if status != "scored":
        label = "not scored"
    else:
        label = f"{_points_text(points)}{' of ' + _points_text(of).lstrip('+') if of is not None else ''}"
    return {"key": key, "kind": kind, "status": status, "points": points, "of": of, "label": label, "why": sentence,
            "text": f"{label}: {sentence}"}


def _metric_sentence(m: dict) -> str:
    if m["actual_min"] is None:
        return f"{m['title']} never reached (target {_m(m['target_min'])})"
    jumped = f" ({_m(m['jumped_min'])} jumped over not counted)" if m["jumped_min"] else ""
    return f"{m['title']} {_m(m['scored_min'])} against a {_m(m['target_min'])} target{jumped}"


def score(journal: Journal, simulated: dict | None = None, simulated_about: dict | None = None) -> Scorecard:
    """The scorecard of a drill. `simulated` maps metric keys to arrays of simulated times
    (minutes, NaN where never reached) from the same scenario and staffing, and
    `outage_cost` to each simulated team's outage cost (drills.baseline)."""
    scenario: Scenario = journal.document("scenario").document
    playbook: Playbook = journal.document("playbook").document
    roster_doc = journal.document("roster")
    roster: Roster | None = roster_doc.document if roster_doc else None
    events = journal.events
    timeline = Timeline.of(events)
    milestones = milestones_of(events)
    targets = scenario.all_targets
    weights = scenario.score_weights
    metrics = metrics_of(milestones, targets, timeline)
    facts = _Facts(events, scenario, milestones, timeline)
    policy_doc = journal.document("classification")
    if policy_doc is None:   # drills from before policies were stored
        from .session import default_policy

        policy_doc = default_policy()
    policy = policy_doc.document
    judged = judge_classification(events, scenario, policy, timeline, milestones)
    steps = playbook_steps(events, playbook, scenario, milestones, metrics, stand_ins(roster, playbook, scenario))
    checks = _checks(facts, scenario, playbook, milestones, steps, weights, judged, policy)
    for key, m in metrics.items():
        m["evidence"] = list(dict.fromkeys(facts.metric(key, m)))
        m["value"] = None if m["target_min"] is None else round(credit(m["scored_min"], m["target_min"]), 4)

    # Credit: metric and check weights, normalised over what applies and was measured.
    credited = []
    for key, weight in weights.items():
        if weight <= 0:
            continue
        if key in _DECLARED_METRICS and key in metrics and not judged.major_needed:
            credited.append((key, "metric", weight, None, f"{METRIC_TITLES.get(key, key)}: not a major incident by "
                             f"the policy ({policy.name}), so no declaration was expected", "not_applicable"))
        elif key in metrics and metrics[key]["target_min"] is not None:
            m = metrics[key]
            credited.append((key, "metric", weight, None if m["assumed"] else m["value"], _metric_sentence(m),
                             "assumed" if m["assumed"] else "scored"))
        elif key in checks:
            c = checks[key]
            if not c["applies"]:
                credited.append((key, "check", weight, None, c["detail"], "not_applicable"))
            else:
                credited.append((key, "check", weight, None if c["assumed"] else c["value"], c["detail"],
                                 "assumed" if c["assumed"] else "scored"))
    shares = _shares({key: weight for key, _, weight, _, _, status in credited if status == "scored"})
    points: list[dict] = []
    components: dict[str, dict] = {}
    for key, kind, weight, value, sentence, status in credited:
        if status == "scored":
            of = shares[key]
            earned = round(of * value, 1)
            points.append(_entry(key, kind, earned, of, sentence))
            components[key] = {"kind": kind, "weight": weight, "value": round(value, 4), "of": of, "points": earned,
                               "status": status}
        else:
            if status == "assumed":
                why = (metrics.get(key) or checks.get(key))["assumptions"]
                sentence += f" (assumed: {'; '.join(why)})"
            points.append(_entry(key, kind, 0.0, None, sentence, status))
            components[key] = {"kind": kind, "weight": weight, "value": None, "of": None, "points": 0.0,
                               "status": status}

    # Harm: points off.
    harms = _harms(facts, scenario, milestones, timeline, weights, simulated, points, components, judged)

    subtotal = round(sum(p["points"] for p in points), 1)
    if subtotal < 0:
        points.append(_entry("floor", "floor", round(-subtotal, 1), None, "the score does not go below 0"))
        subtotal = 0.0

    # HSEEP ratings, computed, then any evaluator's override (the last one wins).
    overrides = {}
    for e in events:
        if e.kind == "rating":
            overrides[e.name] = {"rating": e.detail["rating"], "reason": e.detail["reason"], "by": e.actor}
    ratings = {}
    for objective in scenario.objectives:
        parts = [None if metrics[m]["assumed"] else metrics[m]["met"] for m in objective.metrics]
        parts += [None if checks[c]["assumed"] else checks[c]["passed"] for c in objective.checks]
        checks_failed = [checks[c]["passed"] is False for c in objective.checks]
        never = any(metrics[m]["actual_min"] is None for m in objective.metrics) or (
            not objective.metrics and bool(checks_failed) and all(checks_failed))
        computed = _rating(parts, never, scenario.scoring.satisfactory_from)
        override = overrides.get(objective.id)
        rating = override["rating"] if override else computed
        ratings[objective.id] = {
            "title": objective.title,
            "rating": rating,
            "rating_title": RATING_TITLES.get(rating) if rating else None,
            "rated_by": "evaluator" if override else ("computed" if computed else None),
            "computed": computed,
            "override": override,
            "metrics": list(objective.metrics),
            "checks": list(objective.checks),
        }

    caps = []
    rules = scenario.scoring
    for objective_id, r in ratings.items():
        if r["rating"] in ("M", "U"):
            by = (f"{r['override']['by']}: {r['override']['reason']}" if r["override"] else "computed")
            caps.append({"grade": getattr(rules.caps, r["rating"]), "objective": objective_id,
                         "why": f"objective '{r['title']}' rated {r['rating']} ({by})"})
    if "restored" not in milestones:
        caps.append({"grade": rules.caps.never_restored, "objective": None, "why": "service was never restored"})
    for cap in caps:
        cap["max_score"] = rules.ceiling(cap["grade"])
    final = subtotal
    if caps:
        ceiling = min(c["max_score"] for c in caps)
        binding = [c for c in caps if c["max_score"] == ceiling]
        for cap in caps:
            cap["binding"] = cap in binding and subtotal > ceiling
        if subtotal > ceiling:
            grade = binding[0]["grade"]
            points.append(_entry("cap", "cap", round(ceiling - subtotal, 1), None,
                                 f"{' and '.join(c['why'] for c in binding)} caps the score at {ceiling:g} (grade {grade})"))
            final = ceiling
    final = round(sum(p["points"] for p in points), 1) + 0.0  # never "-0.0"

    percentiles = _percentiles(metrics, simulated)
    strengths, improvements = _observations(scenario, facts, milestones, metrics, checks, harms, percentiles)
    who = contributions(events, scenario, roster, timeline)
    end = next((e for e in reversed(events) if e.kind == "control" and e.name == "end"), None)
    record = journal.record
    content = {
        "format": SCORECARD_FORMAT,
        "tool_version": TOOL_VERSION,
        "drill": {
            "id": record.id, "scenario": record.scenario, "title": record.title, "team": record.team,
            "mode": record.mode, "seed": record.seed, "status": record.status, "created": record.created,
            "start_minute_of_week_utc": record.start_minute, "ended_at_min": end.t if end else None,
            "inputs": [{k: d[k] for k in ("kind", "name", "source", "sha256")} for d in record.documents],
            **({"responses": record.extra["responses"]} if "responses" in record.extra else {}),
        },
        "score": final,
        "grade": rules.grade_of(final),
        "points": points,
        "caps": caps,
        "weights": dict(weights),
        "components": components,
        "metrics": metrics,
        "restore_stages": _restore_stages(events, scenario, timeline),
        "classification": {"policy": policy.name, **judged.to_dict()},
        "milestones": {k: {"t": v.t, "role": v.role, "actor": v.actor, "assumed": v.assumed}
                       for k, v in milestones.items()},
        "jumps": [{"from": lo, "to": hi} for lo, hi in timeline.jumps],
        "checks": checks,
        "harms": harms,
        "ratings": ratings,
        "percentiles": percentiles,
        "simulated": simulated_about or {},
        "steps": steps,
        "participants": who["participants"],
        "roles": who["roles"],
        "expected_actions": who["expected"],
        "strengths": strengths,
        "improvements": improvements,
        "outage_cost": end.detail.get("outage_cost") if end is not None else None,
        "mttr_note": "MTTR in warroom is mean time to restore service (time_to_restore).",
    }
    return Scorecard(content)


def _restore_stages(events, scenario: Scenario, timeline: Timeline) -> dict[str, dict]:
    """The scenario's extra restore metrics (SPEC 3.1), in scored minutes from impact start:
    each restore stage reached, and each service back when the scenario names several."""
    out: dict[str, dict] = {}
    several = len(scenario.affected) > 1
    down = {s.id for s in scenario.affected if s.depends_on is None}   # hit from impact start
    services = {s.id: s for s in scenario.affected}
    for e in events:
        if e.kind != "world":
            continue
        assumed = bool(e.detail.get("assumed"))
        if e.name == "stage_reached":
            out.setdefault(e.detail["metric"], {"minute": timeline.scored(e.t), "assumed": assumed})
        levels = e.detail.get("levels")
        if several and isinstance(levels, dict):
            for sid, lost in levels.items():
                service = services.get(sid)
                if service is None:
                    continue
                if lost > service.acceptable * service.share + 1e-12:
                    down.add(sid)
                elif sid in down:           # back (at its acceptable level), having been hit
                    out.setdefault(service_restore_name(sid), {"minute": timeline.scored(e.t), "assumed": assumed})
    return out


def _harms(facts: _Facts, scenario: Scenario, milestones, timeline: Timeline, weights: dict, simulated: dict | None,
           points: list, components: dict, judged: ClassificationJudgement) -> dict:
    harms: dict[str, dict] = {}
    weight = weights.get("misclassification", 0)
    minutes = judged.over_minutes + judged.under_minutes
    full_after = scenario.scoring.misclassified_full_after
    off = round(weight * min(1.0, minutes / full_after), 1)
    detail = (f"{_m(judged.over_minutes)} over-classified and {_m(judged.under_minutes)} under-classified against "
              f"the policy; all {_points_text(weight).lstrip('+')} points at {_m(full_after)}")
    if minutes > 0 and weight > 0:
        points.append(_entry("misclassification", "harm", -off, round(weight, 1), detail))
    harms["misclassification"] = {"title": HARMS["misclassification"], "over_min": judged.over_minutes,
                                  "under_min": judged.under_minutes, "points": (-off if minutes > 0 and weight > 0
                                                                                else 0.0) + 0.0,
                                  "detail": detail, "evidence": list(judged.verdicts)}
    weight = weights.get("over_declaration", 0)
    off = round(weight, 1) if judged.over_declared and weight > 0 else 0.0
    detail = (f"declared a major incident at {_at(judged.declared_at)}; by the policy it never was one (highest: "
              f"{judged.peak.text()})"
              if judged.over_declared else "no major incident declared without the policy's criteria")
    if off:
        points.append(_entry("over_declaration", "harm", -off, round(weight, 1), detail))
    harms["over_declaration"] = {"title": HARMS["over_declaration"], "declared_at": judged.declared_at,
                                 "points": -off + 0.0, "detail": detail,
                                 "evidence": [detail] if judged.over_declared else []}
    weight = weights.get("worse_workaround", 0)
    worse = [{"workaround": w.workaround, "title": w.title, "t": w.t, "applied_at": w.applied_at, "role": w.role,
              "actor": w.actor, "lost_share": w.lost_share} for w in facts.worse]
    lost = 0.0
    for w in facts.worse:
        if weight > 0:
            points.append(_entry("worse_workaround", "harm", -round(weight, 1), None, facts.worse_text(w)))
            lost += round(weight, 1)
    harms["worse_workaround"] = {"title": HARMS["worse_workaround"], "count": len(worse), "events": worse,
                                 "points": -lost + 0.0, "evidence": [facts.worse_text(w) for w in facts.worse]}

    weight = weights.get("wrong_cause", 0)
    minutes = wrong_cause_minutes(facts.wrong, timeline)
    full_after = scenario.scoring.wrong_cause_full_after
    share = min(1.0, minutes / full_after)
    off = round(weight * share, 1)
    names = sorted({w.title for w in facts.wrong})
    if facts.wrong and weight > 0:
        points.append(_entry("wrong_cause", "harm", -off, round(weight, 1),
                             f"{_m(minutes)} on wrong causes ({'; '.join(names)}); all {_points_text(weight).lstrip('+')} "
                             f"points at {_m(full_after)}"))
    harms["wrong_cause"] = {
        "title": HARMS["wrong_cause"], "minutes": minutes, "points": (-off if facts.wrong and weight > 0 else 0.0) + 0.0,
        "causes": [{"cause": w.cause, "title": w.title, "action": w.action, "role": w.role, "actor": w.actor,
                    "named_at": w.named_at, "until": w.until, "ended_by": w.ended_by, "minutes": w.minutes}
                   for w in facts.wrong],
        "evidence": [facts.wrong_text(w) for w in facts.wrong]}

    weight = weights.get("outage_cost", 0)
    restored = milestones.get("restored")
    until = restored.t if restored else facts.end_t
    cost = outage_cost(facts.events, scenario, timeline, until)
    harm = {"title": HARMS["outage_cost"], "cost": cost, "until_min": until, "restored": restored is not None,
            "points": 0.0, "evidence": []}
    values = (simulated or {}).get("outage_cost")
    if scenario.full_cost_per_minute <= 0:
        harm["detail"] = "the scenario puts no cost on an outage minute"
    elif values is None or len(values) == 0:
        harm["detail"] = "no simulated teams to compare the outage cost with"
    elif restored is not None and restored.assumed:
        harm["detail"] = f"outage cost {cost:,.0f} rests on an assumed restoration (assumed: {restored.assumed})"
        harm["assumed"] = True
        if weight > 0:
            points.append(_entry("outage_cost", "harm", 0.0, None, harm["detail"], "assumed"))
    else:
        costlier, reached = _share_above(cost, values)
        costlier = 1.0 - costlier  # share of simulated teams whose outage cost less
        median = float(np.median(reached)) if reached.size else None
        off = round(weight * max(0.0, (costlier - 0.5) / 0.5), 1)
        harm.update(costlier_than_share=round(costlier, 4), simulated_median=median, points=-off if weight > 0 else 0.0)
        median_text = f", median {median:,.0f}" if median is not None else ""
        harm["detail"] = (f"outage cost {cost:,.0f} until {'restoration' if restored else 'the end of the drill'}; "
                          f"{costlier:.0%} of simulated teams cost less{median_text}")
        if weight > 0:
            points.append(_entry("outage_cost", "harm", -off, round(weight, 1), harm["detail"]))
    if restored is not None:
        harm["evidence"].append(facts.milestone("restored"))
    if facts.worse:
        harm["evidence"].append(f"the share of service lost rose to {facts.worse[-1].lost_share:.0%} "
                                f"at {_at(facts.worse[-1].t)}" if facts.worse[-1].lost_share is not None
                                else f"the outage was made worse at {_at(facts.worse[-1].t)}")
    harms["outage_cost"] = harm
    for key, h in harms.items():
        components[key] = {"kind": "harm", "weight": weights.get(key, 0), "points": h["points"] + 0.0,
                           "status": "assumed" if h.get("assumed") else "scored"}
    return harms


def _observations(scenario, facts: _Facts, milestones, metrics, checks, harms, percentiles) -> tuple[list, list]:
    strengths, improvements = [], []
    quick = {k: p for k, p in percentiles.items() if k in _STRENGTH_PERCENTILES and p["faster_than_share"] >= 0.75}
    for metric, m in metrics.items():
        if m["assumed"]:
            continue
        if m["target_min"] is None:
            if metric in quick:
                strengths.append(quick[metric]["sentence"] + ".")
            continue
        faster = f", faster than {quick[metric]['faster_than_share']:.0%} of simulated teams" if metric in quick else ""
        if m["met"]:
            strengths.append(f"{m['title']}: {_m(m['scored_min'])} within the {_m(m['target_min'])} target{faster}.")
        elif m["actual_min"] is None:
            improvements.append(f"{m['title']}: never reached (target {_m(m['target_min'])}).")
        else:
            improvements.append(f"{m['title']}: {_m(m['scored_min'])} against a {_m(m['target_min'])} target.")
    for check in checks.values():
        if check["assumed"]:
            continue
        if check["passed"] is True:
            strengths.append(_sentence(check["detail"]) + ".")
        elif check["passed"] is False:
            improvements.append(_sentence(check["detail"]) + ".")
    if facts.wrong:
        improvements.append(f"{_m(harms['wrong_cause']['minutes'])} went on wrong causes: "
                            f"{'; '.join(sorted({w.title for w in facts.wrong}))}.")
    for w in facts.worse:
        improvements.append(_sentence(facts.worse_text(w)) + ".")
    if facts.no_change:
        improvements.append("Workarounds that changed nothing: " + "; ".join(
            f"'{facts.workaround_title(e)}' at {_at(e.t)}" for e in facts.no_change) + ".")
    if harms["outage_cost"]["points"] < 0:
        improvements.append(_sentence(harms["outage_cost"]["detail"]) + ".")
    resolved = milestones.get("resolved")
    if resolved is not None:
        if "restored" not in milestones or milestones["restored"].t > resolved.t:
            improvements.append("The incident was closed while the service was still degraded.")
        if scenario.fix is not None and ("fixed" not in milestones or milestones["fixed"].t > resolved.t):
            improvements.append("The incident was closed before the permanent fix was in place.")
        if "problem_recorded" not in milestones and checks["problem_record"]["applies"]:
            improvements.append("The incident was closed without a problem record for the underlying cause.")
    if not strengths:
        strengths.append("The drill ran to its end; see the improvements below.")
    return list(dict.fromkeys(strengths)), list(dict.fromkeys(improvements))
