"""A drill's journal (a `warroom.journal/1` or `/2` dict) as the platform writers read it: its
start and milestones in UTC, its title, summary, service and severity.

Times: the journal counts scenario minutes from impact start (t = 0). They are laid out
from the drill's real start (the wall-clock time of its `start` control event, minus that
event's minute; the drill's creation time if it never started), so durations are the
drill's own whatever its speed, pauses or jumps.
"""

from __future__ import annotations

import pandas as pd

from ...errors import DocumentError, WarroomError
from ...formats import JOURNAL_FORMATS_READ
from ...loader import load_text
from ..table import HistoryError, RowProblem
from ..times import iso_z

__all__ = ["DrillPayloadError", "SEVERITIES", "MAJOR_SEVERITIES", "MILESTONE_COLUMNS_OF_DRILL", "drill_start",
           "drill_milestones"]

# The severities a drill can be given; sev1 and sev2 are major (the history default `major`
# is sev0-sev2, and sev0 is not a severity a drill is run at).
SEVERITIES = ("sev1", "sev2", "sev3", "sev4", "sev5")
MAJOR_SEVERITIES = ("sev1", "sev2")

# SPEC 3.1 milestone (journal) -> canonical column. `restored` is what platforms call mitigated.
MILESTONE_COLUMNS_OF_DRILL = {
    "impact_start": "impact_started", "detected": "detected", "acknowledged": "acknowledged",
    "declared": "declared", "assembled": "assembled", "restored": "mitigated", "resolved": "resolved",
}


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
    for event in journal["events"]:
        if event.get("kind") == "control" and event.get("name") == "start" and event.get("wall"):
            anchor = _wall(event["wall"], "start time") - pd.Timedelta(minutes=float(event.get("t") or 0))
            return anchor.round("ms")
    return _wall(journal["drill"]["created"], "creation time").round("ms")


def drill_milestones(journal: dict) -> dict[str, pd.Timestamp]:
    """Canonical column -> absolute UTC time of each milestone the drill reached (first occurrence)."""
    anchor = drill_start(journal)
    reached: dict[str, pd.Timestamp] = {}
    for event in journal["events"]:
        column = MILESTONE_COLUMNS_OF_DRILL.get(event.get("name")) if event.get("kind") == "milestone" else None
        if column and column not in reached:
            reached[column] = (anchor + pd.Timedelta(minutes=float(event["t"]))).round("ms")
    return reached


def _service(journal: dict) -> str:
    stored = next((d for d in journal["drill"].get("documents", ()) if d.get("kind") == "scenario"), None)
    if stored is None:
        return ""
    try:
        return load_text(stored["text"], stored.get("source", "scenario"), expect="scenario").document.service.name
    except DocumentError:
        return ""  # the title still says what was drilled; the export must not fail on it


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
