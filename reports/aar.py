"""The after-action report and improvement plan (HSEEP AAR/IP) of a drill: exercise
overview, objectives with their ratings, an analysis per objective, strengths, the hot
wash (participants' feedback), and the improvement plan.

The plan has one item for every objective finally rated S, M or U, every missed metric,
every failed check and every harm that cost points, each with an observation, an
analysis from the journal (the scorecard's evidence), a recommended corrective action,
its capability element, and an owner and dates from a small improvement-plan document the
team edits (scenarios/improvement.py). Read from the scorecard (format 2) and the journal.
"""

from __future__ import annotations

import yaml

from scenarios import load_text
from scenarios.improvement import ImprovementPlan

from .scorecard import current_scorecard
from .templating import markdown_text as _md
from .templating import minutes as _fmt
from .templating import render

__all__ = ["improvement_items", "hot_wash", "render_aar", "plan_template"]


SUGGESTIONS = {
    "time_to_detect": ("Alert on the symptom users feel (errors, traffic drop), not only on causes.", "equipment"),
    "time_to_acknowledge": ("Check paging routes, escalation timeouts and the backup on-call so pages are answered.",
                            "organization"),
    "time_to_declare": ("Put the major-incident criteria in the on-call runbook and practise the declaration call.",
                        "planning"),
    "time_to_first_update": ("Prepare stakeholder update templates and name who sends the first one.", "planning"),
    "time_to_assemble": ("Define paging groups for every resolver group the service needs.", "organization"),
    "time_to_identify": ("Add diagnostics for this failure mode and rehearse ruling out the likely red herrings.",
                         "equipment"),
    "time_to_workaround": ("Document and test the emergency workaround path, credentials included.", "equipment"),
    "time_to_restore": ("Make the workaround faster to apply: a documented, tested emergency path.", "equipment"),
    "time_to_fix": ("Pre-approve a standard change for the permanent fix of this failure mode.", "planning"),
    "time_to_resolve": ("Agree who confirms restoration with the business and closes the incident.", "planning"),
    "update_cadence": ("Keep the update cadence with a timer, and give updates to a communications lead.",
                       "organization"),
    "problem_record": ("Make raising the problem record part of the declaration checklist.", "planning"),
    "review_scheduled": ("Schedule the post-incident review before the incident is closed.", "planning"),
    "separate_milestones": ("Track the workaround and the permanent fix separately; implement the fix as a change.",
                            "planning"),
    "raci": ("Walk the playbook's RACI with the team and assign roles at declaration.", "training"),
    "playbook_steps": ("Rehearse the skipped playbook steps; turn them into a checklist each role sees.", "training"),
    "worse_workaround": ("Before applying a workaround, check which cause it answers and what it can break; "
                         "write the risky ones into the runbook with their preconditions.", "planning"),
    "wrong_cause": ("Rehearse ruling causes in and out against the evidence; give each hypothesis a time box "
                    "and a test that would refute it.", "training"),
    "outage_cost": ("Shorten the outage where the cost accrues: a faster, tested workaround and an earlier "
                    "decision to apply it.", "equipment"),
    "classification": ("Review the classification policy with the people who make the first call: put its "
                       "severity criteria and priority matrix on the first page of the on-call runbook and "
                       "check the call against them within the policy's time.", "planning"),
    "misclassification": ("Re-classify as the impact changes: check the policy's criteria at each update, and "
                          "say in the update what the classification is and why.", "training"),
    "over_declaration": ("Check the policy's major-incident criteria (share of users, cost, exposure) before "
                         "declaring; a loud alert or a senior question is not one of them.", "planning"),
}
_RATED = ("S", "M", "U")


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:] if text else text


def _metric_observation(m: dict) -> str:
    target = f" (target {_fmt(m['target_min'])} min)" if m["target_min"] is not None else ""
    if m["actual_min"] is None:
        return f"{m['title']}: never reached{target}"
    jumped = f"; {_fmt(m['jumped_min'])} min jumped over not counted" if m.get("jumped_min") else ""
    if m["target_min"] is None:
        return f"{m['title']}: {_fmt(m['scored_min'])} min{jumped}"
    return f"{m['title']}: {_fmt(m['scored_min'])} min against a {_fmt(m['target_min'])} min target{jumped}"


def _shortfalls(card: dict) -> dict[str, dict]:
    """Every missed metric, failed check and harm that cost points, as plan items by id."""
    out = {}
    for key, m in card["metrics"].items():
        if m["met"] is False and not m["assumed"]:
            out[key] = {"id": key, "observation": _metric_observation(m), "analysis": m.get("evidence", [])}
    for key, check in card["checks"].items():
        if check["passed"] is False and not check.get("assumed"):
            out[key] = {"id": key, "observation": _sentence(check["detail"]), "analysis": check.get("evidence", [])}
    for key, harm in card.get("harms", {}).items():
        if harm.get("points", 0) < 0:
            if key == "worse_workaround":
                observation = f"{harm['count']} workaround{'s' if harm['count'] != 1 else ''} made the outage worse"
            elif key == "wrong_cause":
                observation = f"{_fmt(harm['minutes'])} min went on wrong causes"
            else:
                observation = _sentence(harm["detail"])
            out[key] = {"id": key, "observation": observation, "analysis": harm.get("evidence", [])}
    return out


def improvement_items(card: dict) -> list[dict]:
    """The improvement plan's items: one per objective rated S, M or U, then one per missed
    metric, failed check and costly harm not already an objective's own, each with `id`
    (what the improvement-plan document names), `observation`, `analysis` (sentences from
    the journal), `action`, `element`, `objective`, and empty owner and dates."""
    card = current_scorecard(card)
    shortfalls = _shortfalls(card)
    items: list[dict] = []
    for key, r in card.get("ratings", {}).items():
        if r["rating"] not in _RATED:
            continue
        mine = [shortfalls[k] for k in (*r["metrics"], *r["checks"]) if k in shortfalls]
        by = (f"by {r['override']['by']}: {r['override']['reason']}" if r["override"]
              else "computed from its metrics and checks")
        analysis = [f"{s['observation']} (item {s['id']})" for s in mine]
        if r["override"] and r["computed"] and r["computed"] != r["rating"]:
            analysis.append(f"its metrics and checks alone rate it {r['computed']}; the evaluator's rating stands")
        if not mine:
            analysis += [_metric_observation(card["metrics"][k]) for k in r["metrics"]]
            analysis += [_sentence(card["checks"][k]["detail"]) for k in r["checks"]]
        ids = [s["id"] for s in mine]
        follow = ("" if not ids else f" once item {ids[0]} is done" if len(ids) == 1
                  else f" once items {', '.join(ids[:-1])} and {ids[-1]} are done")
        items.append({"id": f"objective.{key}", "objective": r["title"],
                      "observation": f"{r['title']}: rated {r['rating']} ({r['rating_title']}), {by}",
                      "analysis": analysis,
                      "action": f"Exercise '{r['title']}' again in the next drill{follow}, with the evaluator "
                                "briefed on this observation.",
                      "element": "exercises"})
    for key, shortfall in shortfalls.items():
        action, element = SUGGESTIONS.get(key, ("Decide a corrective action.", "planning"))
        items.append({**shortfall, "objective": _objective_of(card, key), "action": action, "element": element})
    unique, seen = [], set()
    for item in items:
        if item["id"] in seen or item["observation"] in seen:
            continue
        seen.update((item["id"], item["observation"]))
        item["analysis"] = list(dict.fromkeys(item["analysis"]))
        item.update(owner="", start=None, complete=None)
        unique.append(item)
    return unique


def _objective_of(card: dict, key: str) -> str | None:
    for r in card.get("ratings", {}).values():
        if key in r["metrics"] or key in r["checks"]:
            return r["title"]
    return None


def hot_wash(journal: dict) -> list[dict]:
    """Participants' feedback (journal events of kind `feedback`), in the order given:
    `person`, `role`, `t`, `answers` as (question, answer) pairs."""
    out = []
    for e in journal.get("events", []):
        if e["kind"] != "feedback":
            continue
        answers = (e.get("detail") or {}).get("answers") or {}
        pairs = [(str(q), str(a)) for q, a in answers.items() if str(a).strip()] if isinstance(answers, dict) else []
        if pairs:
            out.append({"person": e.get("actor") or e.get("role") or "", "role": e.get("role", ""), "t": e["t"],
                        "answers": pairs})
    return out


def plan_template(card: dict) -> str:
    """An improvement-plan document to fill in, one entry per item."""
    items = {i["id"]: {"owner": "", "start": None, "complete": None, "action": i["action"], "element": i["element"]}
             for i in improvement_items(card)}
    doc = {"kind": "improvement_plan", "version": 1, "name": f"{card['drill']['id']}-plan",
           "title": f"Improvement plan after drill {card['drill']['id']}", "items": items}
    return "# Fill in owners and dates (YYYY-MM-DD), then: warroom report aar DRILL --plan THIS_FILE\n" + \
        yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


def _participants(card: dict, feedback: list[dict]) -> dict[str, list[str]]:
    """Role -> the people who joined, acted or gave feedback in it."""
    out: dict[str, list[str]] = {}
    for p in card.get("participants", []):
        for role in p["roles"]:
            out.setdefault(role.replace("_", " "), []).append(p["person"])
    for f in feedback:
        people = out.setdefault(f["role"].replace("_", " "), [])
        if f["person"] not in people:
            people.append(f["person"])
    return {role: list(dict.fromkeys(people)) for role, people in out.items()}


def _context(card: dict, journal: dict, plan: ImprovementPlan | None) -> dict:
    card = current_scorecard(card)
    items = improvement_items(card)
    unknown = []
    if plan is not None:
        known = {i["id"] for i in items}
        unknown = sorted(set(plan.items) - known)
        for item in items:
            entry = plan.items.get(item["id"])
            if entry is not None:
                item.update(owner=entry.owner, start=entry.start, complete=entry.complete,
                            action=entry.action or item["action"], element=entry.element or item["element"])
    documents = {d["kind"]: d for d in journal["drill"]["documents"]}
    roster = load_text(documents["roster"]["text"], documents["roster"]["source"]).document
    scenario = load_text(documents["scenario"]["text"], documents["scenario"]["source"]).document
    analysis = []
    for key, r in card.get("ratings", {}).items():
        findings = []
        for metric in r["metrics"]:
            m = card["metrics"][metric]
            outcome = ("assumed, not scored" if m["assumed"] else
                       "met" if m["met"] else ("missed" if m["met"] is False else "no target"))
            findings.append(f"{_metric_observation(m)} ({outcome})")
        for check in r["checks"]:
            c = card["checks"][check]
            outcome = ("assumed, not scored" if c.get("assumed") else
                       "passed" if c["passed"] else "failed" if c["passed"] is False else "not applicable")
            findings.append(f"{_sentence(c['detail'])} ({outcome})")
        analysis.append({"title": r["title"], "rating": r["rating"], "rating_title": r["rating_title"],
                         "override": r["override"], "findings": list(dict.fromkeys(findings)),
                         "item": next((i for i in items if i["id"] == f"objective.{key}"), None)})
    feedback = hot_wash(journal)
    return {"card": card, "drill": card["drill"], "scenario": scenario, "roster": roster,
            "participants": _participants(card, feedback), "analysis": analysis, "items": items,
            "strengths": list(dict.fromkeys(card["strengths"])), "hot_wash": feedback, "unknown": unknown,
            "plan": plan, "fmt": _fmt, "md": _md}


def render_aar(card: dict, journal: dict, plan: ImprovementPlan | None = None, fmt: str = "html") -> str | bytes:
    """The AAR/IP as html, md or pdf (bytes). `card` must be a current scorecard (format 2)."""
    return render("aar", _context(card, journal, plan), fmt)
