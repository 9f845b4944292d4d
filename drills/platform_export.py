"""A drill's journal as incident-platform payloads, marked as drills the way each platform
marks them (incident.io `mode: test`, Grafana `isDrill: true`, Rootly `kind: test`,
canonical `is_drill: true`), so that drills recorded there stay out of real-incident
statistics.

Times: the journal counts scenario minutes from impact start (t = 0). They are laid out
from the drill's real start (the wall-clock time of its `start` control event, minus that
event's minute; the drill's creation time if it never started), so durations are the
drill's own whatever its speed, pauses or jumps. Milestones the drill never reached are
left out (incident.io, Grafana) or null (Rootly, canonical), never invented. Not every
payload can carry every milestone: `ROUND_TRIP` lists what each gives back on import.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from scenarios import DocumentError, load_text
from scenarios.history import DEFAULT_MILESTONES, HistoryMapping, canonical_frame, iso_z
from scenarios.history.canonical_io import canonical_document

from .errors import DrillError
from .journal import JOURNAL_FORMAT

__all__ = ["PLATFORMS", "SEVERITIES", "MAJOR_SEVERITIES", "MILESTONE_COLUMNS_OF_DRILL", "ROUND_TRIP",
           "platform_payload", "drill_start", "drill_milestones", "drill_canonical_table"]

PLATFORMS = ("canonical", "incident.io", "grafana", "rootly")
# The severities a drill can be given; sev1 and sev2 are major (the history default `major`
# is sev0-sev2, and sev0 is not a severity a drill is run at).
SEVERITIES = ("sev1", "sev2", "sev3", "sev4", "sev5")
MAJOR_SEVERITIES = ("sev1", "sev2")

# SPEC 3.1 milestone (journal) -> canonical column. `restored` is what platforms call mitigated.
MILESTONE_COLUMNS_OF_DRILL = {
    "impact_start": "impact_started", "detected": "detected", "acknowledged": "acknowledged",
    "declared": "declared", "assembled": "assembled", "restored": "mitigated", "resolved": "resolved",
}
# The canonical milestones `warroom history import --source PLATFORM` reads back from each
# payload with the default mapping; the others travel only as text (Grafana activity items)
# or not at all (Rootly has no declared or assembled field; declared would come from
# created_at, which a drill export does not invent).
ROUND_TRIP = {
    "canonical": tuple(MILESTONE_COLUMNS_OF_DRILL.values()),
    "incident.io": tuple(MILESTONE_COLUMNS_OF_DRILL.values()),
    "rootly": ("impact_started", "detected", "acknowledged", "mitigated", "resolved"),
    "grafana": ("impact_started", "resolved"),
}
_ROOTLY_FIELDS = {"impact_started": "started_at", "detected": "detected_at", "acknowledged": "acknowledged_at",
                  "mitigated": "mitigated_at", "resolved": "resolved_at"}
_GRAFANA_SEVERITY = {"sev1": "critical", "sev2": "major"}


def _checked(journal: dict) -> dict:
    if not isinstance(journal, dict) or journal.get("format") != JOURNAL_FORMAT:
        found = journal.get("format") if isinstance(journal, dict) else type(journal).__name__
        raise DrillError(f"not a warroom journal (expected format {JOURNAL_FORMAT}, got {found!r})")
    return journal


def _wall(text: str, what: str) -> pd.Timestamp:
    try:
        moment = pd.Timestamp(text)
    except (TypeError, ValueError):
        raise DrillError(f"the journal's {what} is not a time: {text!r}") from None
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
        raise DrillError(f"unknown severity {severity!r} (expected one of {', '.join(SEVERITIES)})")
    return severity


def drill_canonical_table(journal: dict, *, severity: str = "sev1") -> pd.DataFrame:
    """The drill as one row of the canonical incident table, `is_drill` true, `is_major` for sev1 and sev2."""
    journal = _checked(journal)
    severity = _severity(severity)
    row: dict[str, Any] = {"id": journal["drill"]["id"], "source": "warroom", "title": _title(journal),
                           "service": _service(journal), "severity": severity,
                           "is_major": severity in MAJOR_SEVERITIES, "is_drill": True}
    row.update(drill_milestones(journal))
    return canonical_frame([row])


def _incident_io(journal: dict, severity: str, mapping: HistoryMapping | None) -> dict:
    reached = drill_milestones(journal)
    names = dict(DEFAULT_MILESTONES["incident.io"])
    if mapping is not None and mapping.source == "incident.io":
        names.update({column: given for column, given in mapping.milestones.items() if given})
    values = [
        {"incident_timestamp": {"name": names[column][0], "rank": rank}, "value": {"value": iso_z(reached[column])}}
        for rank, column in enumerate(MILESTONE_COLUMNS_OF_DRILL.values(), 1)
        if column in reached and names.get(column)
    ]
    resolved = "resolved" in reached
    return {"incident": {
        "id": journal["drill"]["id"],
        "idempotency_key": journal["drill"]["id"],
        "name": _title(journal),
        "summary": _summary(journal, drill_start(journal)),
        "mode": "test",
        "severity": {"name": severity.upper()},
        "incident_status": {"name": "Closed" if resolved else "Investigating",
                            "category": "closed" if resolved else "live"},
        "incident_timestamp_values": values,
    }}


def _activity(journal: dict, start: pd.Timestamp) -> list[dict]:
    """The drill's timeline as notes: milestones, actions, injects (subject only: the
    facilitator's notes stay private) and what the world did."""
    items = []
    for event in journal["events"]:
        kind, name, detail = event.get("kind"), event.get("name", ""), event.get("detail") or {}
        who = ", ".join(p for p in (event.get("role"), event.get("actor")) if p)
        if kind == "milestone":
            body = f"Milestone reached: {name.replace('_', ' ')}"
        elif kind == "action":
            said = detail.get("text") or detail.get("cause") or detail.get("workaround") or detail.get("target") or ""
            body = f"{who}: {name.replace('_', ' ')}" + (f": {said}" if said else "")
        elif kind == "inject":
            body = f"Inject ({detail.get('channel', '')}) to {', '.join(detail.get('to') or [])}: {detail.get('subject', '')}"
        elif kind == "world" and detail.get("message"):
            body = detail["message"]
        elif kind == "control" and name in ("start", "end"):
            body = f"Drill {'started' if name == 'start' else 'ended'}"
        else:
            continue
        items.append({"activityKind": "userNote",
                      "eventTime": iso_z((start + pd.Timedelta(minutes=float(event["t"]))).round("ms")),
                      "body": body})
    return items


def _grafana(journal: dict, severity: str) -> dict:
    start = drill_start(journal)
    reached = drill_milestones(journal)
    drill = journal["drill"]
    incident = {
        "incidentID": drill["id"],
        "title": _title(journal),
        "isDrill": True,
        "status": "resolved" if "resolved" in reached else "active",
        "severity": _GRAFANA_SEVERITY.get(severity.casefold(), "minor"),
        "labels": [{"label": "drill"}, {"label": "warroom"}, {"label": drill["scenario"]}],
        "incidentStart": iso_z(reached.get("impact_started")),
        "incidentEnd": iso_z(reached.get("resolved")),
    }
    if "resolved" in reached:
        incident["closedTime"] = iso_z(reached["resolved"])
    return {"incident": incident, "activityItems": _activity(journal, start)}


def _rootly(journal: dict, severity: str) -> dict:
    reached = drill_milestones(journal)
    attributes: dict[str, Any] = {
        "title": _title(journal),
        "summary": _summary(journal, drill_start(journal)),
        "kind": "test",
        "severity": severity,
        "status": "resolved" if "resolved" in reached else "started",
    }
    attributes.update({field: iso_z(reached[column]) if column in reached else None
                       for column, field in _ROOTLY_FIELDS.items()})
    return {"data": {"id": journal["drill"]["id"], "type": "incidents", "attributes": attributes}}


def platform_payload(journal: dict, platform: str, *, severity: str = "sev1",
                     mapping: HistoryMapping | None = None) -> dict | list:
    """The drill journal (a `warroom.journal/1` dict) as `platform`'s payload (one of PLATFORMS).

    `severity` is the canonical severity to give the drill, one of SEVERITIES (drills
    rehearse major incidents: sev1 by default). `mapping` (incident.io only) names the
    timestamps as the organisation does; by default the first built-in name of each
    milestone. Raises DrillError for an unknown platform or severity, or something that is
    not a journal. ROUND_TRIP says which milestones each payload gives back when imported.
    """
    journal = _checked(journal)
    severity = _severity(severity)
    if platform == "canonical":
        document = canonical_document(drill_canonical_table(journal, severity=severity), source="warroom",
                                      source_file=f"drill {journal['drill']['id']}")
        return document
    if platform == "incident.io":
        return _incident_io(journal, severity, mapping)
    if platform == "grafana":
        return _grafana(journal, severity)
    if platform == "rootly":
        return _rootly(journal, severity)
    raise DrillError(f"unknown platform {platform!r} (expected one of {', '.join(PLATFORMS)})")
