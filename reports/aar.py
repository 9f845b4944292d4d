"""The after-action report and improvement plan (HSEEP AAR/IP) of a drill: exercise
overview, objectives with their ratings, an analysis per objective, and the improvement
plan (issue, corrective action, capability element, owner, start and completion dates),
whose owners and dates come from a small improvement-plan document the team edits."""

from __future__ import annotations

import yaml

from scenarios import METRIC_TITLES, load_text
from scenarios.improvement import ImprovementPlan

from .templating import markdown_text as _md
from .templating import minutes as _fmt
from .templating import render

__all__ = ["improvement_items", "render_aar", "plan_template"]


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
}


def improvement_items(card: dict) -> list[dict]:
    """Issues found by the scorecard, each with an id the improvement plan can refer to."""
    items = []
    for key, m in card["metrics"].items():
        if m["met"] is False:
            actual = "never reached" if m["actual_min"] is None else f"{_fmt(m['actual_min'])} min"
            items.append({"id": key, "issue": f"{m['title']}: {actual} against a {_fmt(m['target_min'])}-minute target",
                          "objective": _objective_of(card, metric=key)})
    for key, check in card["checks"].items():
        if check["passed"] is False:
            items.append({"id": key, "issue": check["detail"][0].upper() + check["detail"][1:],
                          "objective": _objective_of(card, check=key)})
    skipped = [s["name"] for s in card["steps"] if s["status"] in ("skipped", "out_of_order")]
    if skipped:
        items.append({"id": "playbook_steps", "issue": "Playbook steps skipped or out of order: " + "; ".join(skipped),
                      "objective": None})
    for item in items:
        action, element = SUGGESTIONS.get(item["id"], ("Decide a corrective action.", "planning"))
        item.update(action=action, element=element, owner="", start=None, complete=None)
    return items


def _objective_of(card: dict, metric: str | None = None, check: str | None = None) -> str | None:
    for key, r in card.get("ratings", {}).items():
        if (metric and metric in r["metrics"]) or (check and check in r["checks"]):
            return r["title"]
    return None


def plan_template(card: dict) -> str:
    """An improvement-plan document to fill in, one entry per issue found."""
    items = {i["id"]: {"owner": "", "start": None, "complete": None, "action": i["action"], "element": i["element"]}
             for i in improvement_items(card)}
    doc = {"kind": "improvement_plan", "version": 1, "name": f"{card['drill']['id']}-plan",
           "title": f"Improvement plan after drill {card['drill']['id']}", "items": items}
    return "# Fill in owners and dates (YYYY-MM-DD), then: warroom report aar DRILL --plan THIS_FILE\n" + \
        yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


def _context(card: dict, journal: dict, plan: ImprovementPlan | None) -> dict:
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
            outcome = "met" if m["met"] else ("missed" if m["met"] is False else "no target")
            findings.append(f"{METRIC_TITLES[metric]}: {_fmt(m['actual_min'])} min ({outcome}"
                            f"{', target ' + _fmt(m['target_min']) + ' min' if m['target_min'] is not None else ''})")
        for check in r["checks"]:
            c = card["checks"][check]
            findings.append(f"{c['detail'][0].upper() + c['detail'][1:]} ({'passed' if c['passed'] else 'failed' if c['passed'] is False else 'n/a'})")
        analysis.append({"title": r["title"], "rating": r["rating"], "rating_title": r["rating_title"],
                         "override": r["override"], "findings": findings,
                         "issues": [i for i in items if i["objective"] == r["title"]]})
    participants = {}
    for person in roster.participants:
        participants.setdefault(person.role.replace("_", " "), []).append(person.name)
    return {"card": card, "drill": card["drill"], "scenario": scenario, "roster": roster, "participants": participants,
            "analysis": analysis, "items": items, "unknown": unknown, "plan": plan, "fmt": _fmt, "md": _md}


def render_aar(card: dict, journal: dict, plan: ImprovementPlan | None = None, fmt: str = "html") -> str | bytes:
    return render("aar", _context(card, journal, plan), fmt)
