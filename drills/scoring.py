"""Scoring: a drill's journal, the scenario's targets and (optionally) simulated responses
in, a scorecard out. Pure: no clock, no store, no randomness; the simulated distribution
is an input, so the same journal always gets the same scorecard.

Times are scenario minutes, so a drill run at four times speed is scored like one run
in real time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scenarios import METRIC_SPANS, METRIC_TITLES, Playbook, Roster, Scenario
from scenarios.exercise import CHECKS
from scenarios.formats import SCORECARD_FORMAT
from scenarios.responses import RATING_TITLES
from scenarios.units import MINUTES_PER_DAY
from scenarios.version import TOOL_VERSION

from .checklist import metrics_of, milestones_of, playbook_steps, stand_ins
from .engine import REVIEW_WITHIN
from .journal import Journal

__all__ = ["score", "Scorecard", "SCORECARD_FORMAT", "grade_of", "TIMING_METRICS"]

TIMING_METRICS = tuple(METRIC_SPANS)
_STRENGTH_PERCENTILES = TIMING_METRICS[:TIMING_METRICS.index("time_to_restore") + 1]


def grade_of(score: float) -> str:
    for floor, grade in ((90, "A"), (80, "B"), (70, "C"), (60, "D")):
        if score >= floor:
            return grade
    return "F"


@dataclass(frozen=True)
class Scorecard:
    """The scorecard artifact; `to_dict()` is its JSON form (docs/reference/drills.md)."""

    content: dict

    def to_dict(self) -> dict:
        return self.content

    @property
    def score(self) -> float:
        return self.content["score"]


def _update_cadence(events, milestones, cadence: float, end_t: float) -> dict:
    """Stakeholders must never wait longer than the cadence between the declaration and
    restoration (or the end of the drill): the first gap runs from the declaration."""
    updates = [e.t for e in events if e.kind == "action" and e.name == "update"]
    if "declared" not in milestones:
        return {"passed": None, "detail": "no major incident was declared, so no cadence applied"}
    start = milestones["declared"].t
    stop = milestones["restored"].t if "restored" in milestones else end_t
    if stop < start:
        return {"passed": None, "detail": "service was restored before the declaration, so no cadence applied"}
    during = [t for t in updates if start <= t <= stop]
    points = [start, *during, stop]
    largest = max(b - a for a, b in zip(points, points[1:]))
    passed = largest <= cadence + 1e-9
    until = "restoration" if "restored" in milestones else "the end of the drill"
    if not updates:
        detail = f"no stakeholder update was sent in the {stop - start:.0f}m from declaring to {until}"
    else:
        detail = f"longest wait for an update between declaring and {until}: {largest:.0f}m against a {cadence:.0f}m cadence"
    return {"passed": passed, "detail": detail, "largest_gap_min": round(largest, 4), "cadence_min": cadence,
            "updates": len(updates)}


def _rating(components: list[bool | None], never: bool) -> str | None:
    judged = [c for c in components if c is not None]
    if not judged:
        return None
    share = sum(judged) / len(judged)
    if share == 1:
        return "P"
    if share >= 0.5:
        return "S"
    if share > 0 or not never:
        return "M"
    return "U"


def _percentiles(metrics: dict, simulated: dict | None) -> dict:
    out = {}
    if not simulated:
        return out
    for metric in TIMING_METRICS:
        actual = metrics[metric]["actual_min"]
        values = simulated.get(metric)
        if actual is None or values is None or len(values) == 0:
            continue
        values = np.asarray(values, dtype=float)
        reached = values[~np.isnan(values)]
        slower = float(np.sum(reached > actual + 1e-9)) + float(np.isnan(values).sum())
        ties = float(np.sum(np.abs(reached - actual) <= 1e-9))
        faster_than = (slower + ties / 2) / values.size
        out[metric] = {
            "faster_than_share": round(faster_than, 4),
            "percentile": round(100 * faster_than, 1),
            "simulated_p50": round(float(np.percentile(reached, 50)), 3) if reached.size else None,
            "simulated_p90": round(float(np.percentile(reached, 90)), 3) if reached.size else None,
            "simulated_n": int(values.size),
            "sentence": f"{METRIC_TITLES[metric]}: {actual:g}m, faster than {faster_than:.0%} of simulated teams",
        }
    return out


def score(journal: Journal, simulated: dict | None = None, simulated_about: dict | None = None) -> Scorecard:
    """The scorecard of a drill. `simulated` maps metric keys to arrays of simulated times
    (minutes, NaN where never reached) from the same scenario and staffing."""
    scenario: Scenario = journal.document("scenario").document
    playbook: Playbook = journal.document("playbook").document
    roster_doc = journal.document("roster")
    roster: Roster | None = roster_doc.document if roster_doc else None
    events = journal.events
    end_t = max((e.t for e in events), default=0.0)
    milestones = milestones_of(events)
    targets = scenario.all_targets
    metrics = metrics_of(milestones, targets)
    steps = playbook_steps(events, playbook, scenario, milestones, metrics, stand_ins(roster, playbook, scenario))

    checks: dict[str, dict] = {}
    checks["update_cadence"] = _update_cadence(events, milestones, playbook.update_cadence, end_t)
    checks["problem_record"] = {"passed": "problem_recorded" in milestones,
                                "detail": "a problem record was raised" if "problem_recorded" in milestones
                                else "no problem record was raised"}
    review = next((e for e in events if e.kind == "milestone" and e.name == "review_held"), None)
    if review is None:
        checks["review_scheduled"] = {"passed": False, "detail": "no post-incident review was scheduled"}
    else:
        within = float(review.detail.get("scheduled_in", 0))
        checks["review_scheduled"] = {"passed": within <= REVIEW_WITHIN,
                                      "detail": f"review scheduled {within / MINUTES_PER_DAY:.1f} days out (at most 5 business days)"}
    if scenario.fix is None or not any(w.effective for w in scenario.workarounds):
        checks["separate_milestones"] = {"passed": None, "detail": "this scenario has no separate workaround and fix"}
    else:
        wa, fx = milestones.get("workaround_applied"), milestones.get("fixed")
        passed = wa is not None and fx is not None and wa.t < fx.t
        detail = ("workaround and permanent fix recorded separately" if passed
                  else "workaround and permanent fix were not both recorded as separate milestones")
        checks["separate_milestones"] = {"passed": passed, "detail": detail}
    judged = [s for s in steps if s["raci_ok"] is not None]
    wrong_role = [s for s in judged if not s["raci_ok"]]
    checks["raci"] = {
        "passed": None if not judged else not wrong_role,
        "share": round(1 - len(wrong_role) / len(judged), 4) if judged else None,
        "detail": (f"{len(judged) - len(wrong_role)} of {len(judged)} steps done by the role the RACI names"
                   if judged else "no step could be attributed to a role"),
        "wrong_role": [{"step": s["id"], "by": s["by"]} for s in wrong_role],
    }
    for key in checks:
        checks[key]["title"] = CHECKS[key]

    # The 0-100 score, with the scenario's weights.
    components = {}
    for key, weight in scenario.score_weights.items():
        if key in metrics:
            m = metrics[key]
            if m["target_min"] is None:
                continue
            if m["actual_min"] is None:
                value = 0.0
            elif m["met"]:
                value = 1.0
            else:
                target = m["target_min"] or 1.0
                value = max(0.0, 1.0 - (m["actual_min"] - m["target_min"]) / target)
        else:
            check = checks[key]
            if check["passed"] is None:
                continue
            value = check["share"] if key == "raci" else float(check["passed"])
        components[key] = {"weight": weight, "value": round(value, 4)}
    total = sum(c["weight"] for c in components.values())
    points = 100.0 * sum(c["weight"] * c["value"] for c in components.values()) / total if total else 0.0
    points = round(points, 1)

    # HSEEP ratings, computed, then any evaluator's override (the last one wins).
    overrides = {}
    for e in events:
        if e.kind == "rating":
            overrides[e.name] = {"rating": e.detail["rating"], "reason": e.detail["reason"], "by": e.actor}
    ratings = {}
    for objective in scenario.objectives:
        parts = [metrics[m]["met"] for m in objective.metrics] + [checks[c]["passed"] for c in objective.checks]
        checks_failed = [checks[c]["passed"] is False for c in objective.checks]
        never = any(metrics[m]["actual_min"] is None for m in objective.metrics) or (
            not objective.metrics and bool(checks_failed) and all(checks_failed))
        computed = _rating(parts, never)
        override = overrides.get(objective.id)
        rating = override["rating"] if override else computed
        ratings[objective.id] = {
            "title": objective.title,
            "rating": rating,
            "rating_title": RATING_TITLES.get(rating) if rating else None,
            "computed": computed,
            "override": override,
            "metrics": list(objective.metrics),
            "checks": list(objective.checks),
        }

    percentiles = _percentiles(metrics, simulated)
    strengths, improvements = _observations(scenario, events, milestones, metrics, checks, steps, percentiles)
    end = next((e for e in reversed(events) if e.kind == "control" and e.name == "end"), None)
    outage_cost = end.detail.get("outage_cost") if end is not None else None
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
        "score": points,
        "grade": grade_of(points),
        "components": components,
        "metrics": metrics,
        "milestones": {k: {"t": v.t, "role": v.role, "actor": v.actor, "assumed": v.assumed}
                       for k, v in milestones.items()},
        "checks": checks,
        "ratings": ratings,
        "percentiles": percentiles,
        "simulated": simulated_about or {},
        "steps": steps,
        "strengths": strengths,
        "improvements": improvements,
        "outage_cost": outage_cost,
        "mttr_note": "MTTR in warroom is mean time to restore service (time_to_restore).",
    }
    return Scorecard(content)


def _observations(scenario, events, milestones, metrics, checks, steps, percentiles) -> tuple[list, list]:
    strengths, improvements = [], []
    for metric, m in metrics.items():
        if m["target_min"] is None:
            continue
        title = m["title"]
        note = " (assumed)" if m["assumed"] else ""
        if m["met"]:
            strengths.append(f"{title}: {m['actual_min']:.3g}m within the {m['target_min']:g}m target{note}.")
        elif m["actual_min"] is None:
            improvements.append(f"{title}: never reached (target {m['target_min']:g}m).")
        else:
            improvements.append(f"{title}: {m['actual_min']:.4g}m against a {m['target_min']:g}m target{note}.")
    for key, check in checks.items():
        if check["passed"] is True:
            strengths.append(check["detail"][0].upper() + check["detail"][1:] + ".")
        elif check["passed"] is False:
            improvements.append(check["detail"][0].upper() + check["detail"][1:] + ".")
    for row in steps:
        if row["status"] == "skipped":
            improvements.append(f"Playbook step '{row['name']}' was skipped.")
        elif row["status"] == "out_of_order":
            improvements.append(f"Playbook step '{row['name']}' was done before {', '.join(row['ahead_of'])}.")
    wrong = [e for e in events if e.kind == "action" and e.name in ("hypothesis", "identify")
             and e.detail.get("cause") and scenario.cause_by_id(e.detail["cause"]) is not None
             and not scenario.cause_by_id(e.detail["cause"]).correct]
    if wrong:
        causes = sorted({scenario.cause_by_id(e.detail["cause"]).title for e in wrong})
        improvements.append(f"Time went on wrong causes: {'; '.join(causes)}.")
    resolved = milestones.get("resolved")
    if resolved is not None:
        if "restored" in milestones and milestones["restored"].t > resolved.t or "restored" not in milestones:
            improvements.append("The incident was closed while the service was still degraded.")
        if scenario.fix is not None and ("fixed" not in milestones or milestones["fixed"].t > resolved.t):
            improvements.append("The incident was closed before the permanent fix was in place.")
        if "problem_recorded" not in milestones:
            improvements.append("The incident was closed without a problem record for the underlying cause.")
    wrong_fixes = [e for e in events if e.kind == "world" and e.name in ("no_change", "worse")]
    if wrong_fixes:
        parts = []
        for e in wrong_fixes:
            workaround = scenario.workaround_by_key(e.detail.get("workaround", ""))
            title = workaround.name if workaround else e.detail.get("workaround")
            parts.append(f"{title} ({'made it worse' if e.name == 'worse' else 'no change'}, at {e.t:.0f}m)")
        improvements.append(f"Workarounds that did not help: {'; '.join(parts)}.")
    # Being quick only counts up to restoration: closing or 'fixing' early is not a strength.
    for metric, p in percentiles.items():
        if metric in _STRENGTH_PERCENTILES and p["faster_than_share"] >= 0.75:
            strengths.append(p["sentence"] + ".")
    if not strengths:
        strengths.append("The drill ran to its end; see the improvements below.")
    return strengths, improvements
