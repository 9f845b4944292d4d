"""A drill's journal (a `warroom.journal/1` or `/2` dict, docs/reference/drills.md) as
history, both ways: the writers (`warroom drill export --as PLATFORM`) take its start,
milestones, title, summary, service and severity from here; the `drill` source's reader
(`warroom history import --source drill`) reads a journal, or a folder of them, as
incidents flagged as drills, with every SPEC 3.1 milestone the team reached and how it
classified the incident.

Times: the journal counts scenario minutes from impact start (t = 0). They are laid out from
the drill's real start (the wall-clock time of its `start` control event, minus that event's
minute; the drill's creation time if it never started) on the scored clock
(scenarios/timeline.py: less the minutes the facilitator jumped over, as the scorecard counts
them), so durations are the team's own whatever the drill's speed, pauses or jumps. Wall
times are used for nothing else.

What a drill measures and what it does not, on import:

- a milestone whose time the script assumed (`assumed` in its detail: a replay of a
  published incident that never gave that time) is left out, as missing: an assumption is
  not a measurement (SPEC 3.7), and history never fills in a time;
- `closed` is when the drill ended (its `end` control; the last event for a drill exported
  before it ended): a drill records every milestone it reaches, so one it lacks was not
  reached before the drill ended, which is what fitting needs to know (right-censoring);
- how each paged role joined the bridge is drawn by the drill's world from the staffing
  document (the simulator's rule), not measured, so it is not read. What people did is:
  the per-role responses to the injects that expected an action, from the scorecard the
  journal carries (`drill.extra.scorecard`, see `inject_responses`).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ...errors import DocumentError, WarroomError
from ...formats import JOURNAL_FORMATS_READ, SCORECARD_FORMATS_READ
from ...loader import load_text
from ...timeline import Timeline
from ..classification import ClassificationLog, SeverityChange
from ..mapping import DEFAULT_MILESTONES
from ..records import Candidate, ReadContext, SourceRecord, shown
from ..table import HistoryError, RowProblem
from ..times import iso_z
from .base import Extracted, Platform

__all__ = ["DrillPayloadError", "SEVERITIES", "MAJOR_SEVERITIES", "JOURNAL_MILESTONE_COLUMNS",
           "MILESTONE_COLUMNS_OF_DRILL", "JournalFolder", "JournalFacts", "PLATFORM", "drill_start",
           "drill_milestones", "inject_responses", "RESPONSE_COLUMNS"]

# The severities a drill can be given; sev1 and sev2 are major (the history default `major`
# is sev0-sev2, and sev0 is not a severity a drill is run at).
SEVERITIES = ("sev1", "sev2", "sev3", "sev4", "sev5")
MAJOR_SEVERITIES = ("sev1", "sev2")

# SPEC 3.1 milestone (journal) -> canonical column, as the `drill` source reads them by default.
JOURNAL_MILESTONE_COLUMNS = {names[0]: column for column, names in DEFAULT_MILESTONES["drill"].items()}
# The ones the platform payloads carry (`warroom drill export --as`).
MILESTONE_COLUMNS_OF_DRILL = {
    milestone: column for milestone, column in JOURNAL_MILESTONE_COLUMNS.items()
    if column in ("impact_started", "detected", "acknowledged", "declared", "assembled", "mitigated", "resolved")
}
RESPONSE_COLUMNS = ("drill", "team", "scenario", "role", "inject", "expect_action", "delivered_min", "answered",
                    "response_min")
"""The per-role inject responses `inject_responses` gives, one row per role an inject expected an action from."""


class DrillPayloadError(HistoryError):
    """A drill journal that cannot be written as a platform's payload as asked: not a
    journal, a time in it that is not a time, an unknown platform or severity. Its message
    is that one problem, which `problems` also holds (as in every HistoryError)."""

    def __init__(self, message: str):
        self.problems = [RowProblem("journal", None, "", "", message)]
        WarroomError.__init__(self, message)  # the message alone: the journal has no file name here


def _checked(journal: dict) -> dict:
    if not isinstance(journal, dict) or journal.get("format") not in JOURNAL_FORMATS_READ:
        found = journal.get("format") if isinstance(journal, dict) else type(journal).__name__
        raise DrillPayloadError(f"not a warroom journal (expected format {' or '.join(JOURNAL_FORMATS_READ)}, "
                                f"got {found!r})")
    return journal


def _wall(text: str, what: str) -> pd.Timestamp:
    try:
        moment = pd.Timestamp(text)
    except (TypeError, ValueError):
        raise DrillPayloadError(f"the journal's {what} is not a time: {text!r}") from None
    return moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")


def drill_start(journal: dict) -> pd.Timestamp:
    """The wall-clock UTC time of scenario minute 0 of this drill."""
    journal = _checked(journal)
    timeline = Timeline.of(journal["events"])
    for event in journal["events"]:
        if event.get("kind") == "control" and event.get("name") == "start" and event.get("wall"):
            minute = timeline.scored(float(event.get("t") or 0))
            return (_wall(event["wall"], "start time") - pd.Timedelta(minutes=minute)).round("ms")
    return _wall(journal["drill"]["created"], "creation time").round("ms")


def drill_milestones(journal: dict) -> dict[str, pd.Timestamp]:
    """Canonical column -> absolute UTC time of each milestone the drill reached (first
    occurrence) that the platform payloads carry (MILESTONE_COLUMNS_OF_DRILL), on the scored clock."""
    anchor = drill_start(journal)
    timeline = Timeline.of(journal["events"])
    reached: dict[str, pd.Timestamp] = {}
    for event in journal["events"]:
        column = MILESTONE_COLUMNS_OF_DRILL.get(event.get("name")) if event.get("kind") == "milestone" else None
        if column and column not in reached:
            reached[column] = (anchor + pd.Timedelta(minutes=timeline.scored(float(event["t"])))).round("ms")
    return reached


def _service(journal: dict) -> str:
    stored = next((d for d in journal["drill"].get("documents", ()) if isinstance(d, dict)
                   and d.get("kind") == "scenario"), None)
    if stored is None or not isinstance(stored.get("text"), str):
        return ""
    return _service_of(stored["text"], str(stored.get("source", "scenario")))


@functools.lru_cache(maxsize=32)
def _service_of(text: str, source: str) -> str:
    """The service a stored scenario names (a team's drills share a few scenarios: each read once)."""
    try:
        return load_text(text, source, expect="scenario").document.service.name
    except (DocumentError, AttributeError):
        return ""  # the title still says what was drilled; neither export nor import fails on it


def _title(journal: dict) -> str:
    drill = journal["drill"]
    return f"[DRILL] {drill.get('title') or drill.get('scenario')}"


def _summary(journal: dict, start: pd.Timestamp) -> str:
    drill = journal["drill"]
    return (f"warroom drill {drill['id']} of scenario {drill['scenario']} by team {drill.get('team') or '-'} "
            f"(seed {drill.get('seed')}). Times are the drill's scenario minutes laid out from its start at "
            f"{iso_z(start)}; this is an exercise, not a real incident.")


def _severity(severity: str) -> str:
    if severity not in SEVERITIES:
        raise DrillPayloadError(f"unknown severity {severity!r} (expected one of {', '.join(SEVERITIES)})")
    return severity


# -- reader: journals as history -------------------------------------------------------

@dataclass(frozen=True, eq=False)
class JournalFolder:
    """The drill journals of a folder, in file-name order: (file, its parsed JSON) each.
    Reading the files is the importer's (`readers.py`); this only carries them."""

    folder: str
    journals: tuple[tuple[str, Any], ...]
    problems: tuple[RowProblem, ...] = ()        # files that could not be read as JSON at all


@dataclass(frozen=True)
class JournalFacts:
    """What the import says about one drill beside its row: where it came from, who drilled
    what, what of it was not taken as a measurement, and how each role answered the injects."""

    id: str
    file: str
    scenario: str
    team: str
    mode: str
    status: str
    started: str                                  # UTC ISO 8601 of scenario minute 0
    ended: bool                                   # it has its `end` control
    jumped_min: float = 0.0                       # minutes the facilitator jumped over (not counted)
    assumed: tuple[str, ...] = ()                 # milestones whose time the script assumed: left out
    scored: bool = False                          # carries a scorecard, hence `responses`
    responses: tuple[dict, ...] = ()              # inject_responses of the journal

    def to_dict(self) -> dict:
        return {"id": self.id, "file": self.file, "scenario": self.scenario, "team": self.team, "mode": self.mode,
                "status": self.status, "started": self.started, "ended": self.ended, "jumped_min": self.jumped_min,
                "assumed": list(self.assumed), "scored": self.scored}


def _drill_shape(document: Any) -> str | None:
    if isinstance(document, JournalFolder):
        return "folder"
    if isinstance(document, dict) and str(document.get("format", "")).startswith("warroom.journal/"):
        return "journal"
    if (isinstance(document, list) and document
            and all(isinstance(d, dict) and str(d.get("format", "")).startswith("warroom.journal/") for d in document)):
        return "journals"
    return None


def _journals_of(document: Any, shape: str, file: str) -> list[tuple[str, Any]]:
    """(file, journal) of each journal of a `drill` export, in order."""
    if shape == "folder":
        return list(document.journals)
    if shape == "journal":
        return [(file, document)]
    return [(file, journal) for journal in document]


class _Reading:
    """One journal being read: where its problems go (its own file; in a list of journals,
    its place in the list), and each event's scenario minute, checked once."""

    def __init__(self, file: str, row: int | None, events: list):
        self.file, self.row, self.problems = file, row, []
        self.events: list[tuple[int, dict, float | None]] = []
        for index, event in enumerate(events):
            if not isinstance(event, dict):
                self.problem(f"events[{index}]", event, "expected an event (an object)")
                continue
            self.events.append((index, event, self._minute(index, event)))

    def problem(self, path: str, value: Any, message: str) -> None:
        self.problems.append(RowProblem(self.file, self.row, path, shown(value), message))

    def _minute(self, index: int, event: dict) -> float | None:
        t = event.get("t")
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t) or t < 0:
            if event.get("kind") in ("milestone", "control", "action"):  # the events the import reads
                self.problem(f"events[{index}].t", t, "expected the event's scenario minute (a number >= 0)")
            return None
        return float(t)


def _flag(value: Any) -> bool | None:
    text = str(value).strip().casefold() if value is not None else ""
    return True if text in ("yes", "true", "1", "y") else False if text in ("no", "false", "0", "n") else None


def _wall_time(reading: _Reading, path: str, value: Any) -> pd.Timestamp | None:
    """A wall-clock time of the journal in UTC (written with an offset; without one, UTC)."""
    try:
        moment = pd.Timestamp(value) if isinstance(value, str) and value.strip() else None
    except (TypeError, ValueError):
        moment = None
    if moment is None or pd.isna(moment):
        reading.problem(path, value, "expected a date and time (ISO 8601)")
        return None
    return moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")


def _anchor(reading: _Reading, drill: dict, timeline: Timeline) -> pd.Timestamp | None:
    """The wall-clock UTC time of scenario minute 0 (as `drill_start`), or None with a problem."""
    for index, event, t in reading.events:
        if event.get("kind") == "control" and event.get("name") == "start" and event.get("wall"):
            wall = _wall_time(reading, f"events[{index}].wall", event["wall"])
            return None if wall is None or t is None else (wall - pd.Timedelta(minutes=timeline.scored(t))).round("ms")
    created = _wall_time(reading, "drill.created", drill.get("created"))
    return None if created is None else created.round("ms")


def _at(anchor: pd.Timestamp, timeline: Timeline, t: float) -> Candidate:
    moment = (anchor + pd.Timedelta(minutes=timeline.scored(t))).round("ms")
    return Candidate("", t, lambda: moment)


def _read_journal(row: int, file: str, journal: Any, one_per_file: bool) -> SourceRecord:
    """The journal as one record (`details`: its JournalFacts), its problems in `problems`."""
    record = SourceRecord(row=row, id="", id_field="", drill_flag=True)
    if not isinstance(journal, dict) or journal.get("format") not in JOURNAL_FORMATS_READ:
        found = journal.get("format") if isinstance(journal, dict) else type(journal).__name__
        record.problems.append(RowProblem(file, None if one_per_file else row, "format", shown(found),
                                          f"not a warroom drill journal this version reads (expected format "
                                          f"{' or '.join(JOURNAL_FORMATS_READ)}, as warroom drill export ID writes)"))
        return record
    events = journal.get("events")
    reading = _Reading(file, None if one_per_file else row, events if isinstance(events, list) else [])
    if not isinstance(events, list):
        reading.problem("events", type(events).__name__, "expected the journal's event log (a list)")
    drill = journal.get("drill")
    if not isinstance(drill, dict):
        reading.problem("drill", "", "missing: the journal's drill record (id, scenario, team...)")
        drill = {}
    record.id = str(drill.get("id") or "").strip()
    if record.id:
        record.id_field = "drill.id"  # where the importer's duplicate-id problem points
    else:
        reading.problem("drill.id", drill.get("id"), "missing: every drill has an id")
    timeline = Timeline.of([e for _, e, t in reading.events if t is not None])
    anchor = _anchor(reading, drill, timeline)
    team = str(drill.get("team") or "")
    record.title = f"[DRILL] {drill.get('title') or drill.get('scenario') or record.id}" + (f" ({team})" if team else "")
    record.service = _service(journal) if isinstance(drill.get("documents"), list) else ""

    assumed, seen, classified = [], set(), []
    declared, last, end_at = False, 0.0, None
    for index, event, t in reading.events:
        kind, name = event.get("kind"), event.get("name")
        detail = event.get("detail") if isinstance(event.get("detail"), dict) else {}
        if t is None:
            continue
        last = max(last, t)
        if kind == "control" and name == "end" and end_at is None:
            end_at = t
        elif kind == "action" and name == "classify" and str(detail.get("severity") or "").strip():
            classified.append((t, index, detail))
        elif kind == "milestone" and isinstance(name, str) and name not in seen:
            seen.add(name)  # the first occurrence is the milestone
            declared = declared or name == "declared"
            if detail.get("assumed"):
                assumed.append(name)
            elif anchor is not None:
                candidate = _at(anchor, timeline, t)
                record.offer(name, Candidate(f"events[{index}].t", t, candidate.compute))
    if anchor is not None:
        ended = _at(anchor, timeline, end_at if end_at is not None else last)
        record.offer("end", Candidate("end" if end_at is not None else "events (the last)", ended.raw,
                                      ended.compute))
    # How the team classified it: each classify action a change, the first the first classification.
    classified.sort(key=lambda c: (c[0], c[1]))
    if classified and anchor is not None:
        changes, previous = [], ""
        for t, index, detail in classified:
            severity = str(detail["severity"]).strip()
            changes.append(SeverityChange(Candidate(f"events[{index}].detail.severity", severity,
                                                    _at(anchor, timeline, t).compute), previous, severity))
            previous = severity
        record.classification = ClassificationLog(changes=changes, severity_field="classify severity")
        record.severity_raw = previous
        record.major_flag = _flag(classified[-1][2].get("major"))
    if record.major_flag is None:
        record.major_flag = declared  # never classified: major if the team declared it
    record.problems += reading.problems
    responses = inject_responses(journal)
    record.details = JournalFacts(
        id=record.id, file=file, scenario=str(drill.get("scenario") or ""), team=team,
        mode=str(drill.get("mode") or ""), status=str(drill.get("status") or ""),
        started=iso_z(anchor) if anchor is not None else "", ended=end_at is not None,
        jumped_min=round(timeline.jumped(0.0, math.inf), 4), assumed=tuple(assumed),
        scored=_expected_actions(_scorecard(journal)) is not None, responses=tuple(responses))
    return record


def _extract(document: Any, shape: str, context: ReadContext) -> Extracted:
    journals = _journals_of(document, shape, context.file)
    unread = list(document.problems) if shape == "folder" else []
    if shape == "folder" and not journals and not unread:
        return [], [RowProblem(context.file, None, "", "", "no drill journals in this folder (*.json files, as "
                                                           "warroom drill export ID > FILE.json writes them)")]
    one_per_file = shape != "journals"
    return [_read_journal(row, file, journal, one_per_file) for row, (file, journal) in enumerate(journals, 1)], unread


def _scorecard(journal: dict) -> Any:
    drill = journal.get("drill") if isinstance(journal, dict) else None
    extra = drill.get("extra") if isinstance(drill, dict) else None
    return extra.get("scorecard") if isinstance(extra, dict) else None


def _expected_actions(scorecard: Any) -> list | None:
    if not isinstance(scorecard, dict) or scorecard.get("format") not in SCORECARD_FORMATS_READ:
        return None
    rows = scorecard.get("expected_actions")
    return rows if isinstance(rows, list) else None


def inject_responses(journal: dict) -> list[dict]:
    """How each role answered the injects that expected an action of it (RESPONSE_COLUMNS):
    answered, one row for the role that answered, with its response in scored minutes;
    never answered, one row for each role it was sent to (`answered` false, `response_min`
    None). From the scorecard the journal carries (the scorer decides what answers an
    inject, and an evaluator's mark overrides it); none when the drill was not scored."""
    drill = journal.get("drill") if isinstance(journal, dict) else None
    rows = _expected_actions(_scorecard(journal)) or []
    out = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        base = {"drill": str(drill.get("id") or ""), "team": str(drill.get("team") or ""),
                "scenario": str(drill.get("scenario") or ""), "inject": str(row.get("inject") or ""),
                "expect_action": str(row.get("expect_action") or ""), "delivered_min": row.get("delivered_at")}
        minutes = row.get("response_min")
        if row.get("met") and row.get("by_role"):
            timed = isinstance(minutes, (int, float)) and not isinstance(minutes, bool) and math.isfinite(minutes)
            out.append({**base, "role": str(row["by_role"]), "answered": True,
                        "response_min": float(minutes) if timed else None})
        elif not row.get("met"):
            for role in row.get("to") or ():
                out.append({**base, "role": str(role), "answered": False, "response_min": None})
    return out


PLATFORM = Platform("drill", {"journal": "drill journal", "journals": "list of drill journals",
                              "folder": "folder of drill journals"}, _drill_shape, _extract)
