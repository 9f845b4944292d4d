"""Scripted drills: a responses file played instantly through the engine.

Used by tests, demos and replays of real incidents. The responses are rehearsed first
on a throwaway engine so that every action the drill would refuse is reported at once,
located in the file, before anything is written to the journal. An action the script
marks `refused: expected` is one the drill must refuse: play journals it as a
`rejection` and goes on.
"""

from __future__ import annotations

from scenarios import DocumentError, Loaded, Problem, check_drill
from scenarios.calendar import REFERENCE_MONDAY

from .engine import Drill, DrillSetup
from .errors import ActionRejected
from .session import DEFAULT_START_MINUTE, DrillDocuments, DrillSession
from .store import DrillStore

__all__ = ["play", "rehearse"]


def _actor(documents: DrillDocuments, action) -> str:
    if action.by:
        return action.by
    people = documents.roster.document.people_in(action.role)
    return people[0] if people else action.role


def rehearse(documents: DrillDocuments, responses: Loaded, seed: int = 1,
             start_minute: float | None = None, anchor=None) -> list[Problem]:
    """Every problem with these responses: cross-document ones, then each action the drill
    would refuse at its minute (with file, line and the reason)."""
    problems = check_drill(documents.scenario, documents.roster, responses)
    if problems:
        return problems
    scenario = documents.scenario.document
    anchor = anchor or REFERENCE_MONDAY   # an explicit start minute counts from `anchor`
    if start_minute is None:
        start_minute = getattr(scenario.start, "minute_of_week", DEFAULT_START_MINUTE)
        anchor = scenario.start.anchor
    drill = Drill(DrillSetup(scenario, documents.playbook.document, documents.roster.document,
                             documents.staffing.document if documents.staffing else None, seed, start_minute,
                             anchor, documents.policy))
    for i, action in enumerate(responses.document.actions):
        drill.advance_to(action.at)
        expected = action.refused == "expected"
        try:
            drill.act(action.role, action.action, action.fields(), actor=_actor(documents, action),
                      assumed=action.assumed, note=action.note, pins=action.pins)
        except ActionRejected as exc:
            if not expected:
                problems.append(Problem(responses.source, responses.line_of(("actions", i)), f"actions[{i}]",
                                        f"{action.action} by {action.role} at {action.at:g}m is refused: {exc}"))
        else:
            if expected:
                problems.append(Problem(responses.source, responses.line_of(("actions", i, "refused")),
                                        f"actions[{i}].refused",
                                        f"{action.action} by {action.role} at {action.at:g}m is expected to be "
                                        f"refused, but the drill takes it, got refused: expected"))
    for i, rating in enumerate(responses.document.ratings):
        try:
            drill.rate(rating.objective, rating.rating, rating.reason, actor=rating.by)
        except ActionRejected as exc:
            problems.append(Problem(responses.source, responses.line_of(("ratings", i)), f"ratings[{i}]",
                                    f"the rating is refused: {exc}"))
    return problems


def play(store: DrillStore, documents: DrillDocuments, responses: Loaded, *, seed: int = 1,
         start_minute: float | None = None, drill_id: str | None = None, anchor=None) -> DrillSession:
    """Create a drill, play every response at its minute (journaling each refused one as a
    rejection), apply the ratings, end it. Raises DocumentError, before anything is
    written, if the drill would refuse an action the script does not expect it to."""
    problems = rehearse(documents, responses, seed, start_minute, anchor)
    if problems:
        raise DocumentError(problems)
    rs = responses.document
    session = DrillSession.create(store, documents, seed=seed, mode="scripted", start_minute=start_minute,
                                  drill_id=drill_id, anchor=anchor)
    session.record = store.update(session.record.id, status="created",
                                  extra={**session.record.extra, "responses": {"name": rs.name, "source": responses.source,
                                                       "sha256": responses.sha256}})
    session.start()
    for action in rs.actions:
        actor = _actor(documents, action)
        try:
            session.act(action.role, action.action, action.fields(), actor=actor, assumed=action.assumed,
                        note=action.note, at=action.at, pins=action.pins)
        except ActionRejected as exc:
            session.reject(action.role, action.action, action.fields(), str(exc),
                           expected=action.refused == "expected", actor=actor, at=action.at)
    end = rs.end if rs.end is not None else rs.actions[-1].at
    session.advance_to(end)
    for rating in rs.ratings:
        session.rate(rating.objective, rating.rating, rating.reason, actor=rating.by)
    session.end(end)
    return session
