"""One module per incident platform: its reader, which recognises the export's shape and
turns each incident into a `SourceRecord`, and for canonical, incident.io, Grafana and
Rootly its writer, which turns a drill's journal into that platform's payload.

A reader only knows its platform's layout: where the records are, which field is the id,
the title, the severity, the drill flag, and which times the record offers under which
names. Mapping names to canonical milestones, checking times and building the table are
common work (`readers.py`).

A writer marks the drill as a drill the way each platform marks them (incident.io `mode:
test`, Grafana `isDrill: true`, Rootly `kind: test`, canonical `is_drill: true`), so that
drills recorded there stay out of real-incident statistics. Its times are the drill's own,
laid out from its real start (`drill_journal.py`). Milestones the drill never reached are
left out (incident.io, Grafana) or null (Rootly, canonical), never invented. Not every
payload can carry every milestone: `ROUND_TRIP` lists what each gives back on import.

Field names follow the platforms' public API documentation; see docs/reference/history.md.
"""

from __future__ import annotations

from ...formats import INCIDENTS_FORMAT, JOURNAL_FORMATS_READ
from ..canonical_io import canonical_document
from ..mapping import HistoryMapping
from . import canonical, firehydrant, grafana, incident_io, opsgenie, pagerduty, rootly, servicenow, statuspage
from .base import Platform
from .canonical import drill_canonical_table
from .drill_journal import (
    MAJOR_SEVERITIES,
    MILESTONE_COLUMNS_OF_DRILL,
    SEVERITIES,
    DrillPayloadError,
    _checked,
    _severity,
    drill_milestones,
    drill_start,
)
from .grafana import _grafana
from .incident_io import _incident_io
from .rootly import _rootly

__all__ = ["Platform", "PLATFORMS", "JOURNAL_MARKERS", "INCIDENTS_FORMAT",
           "EXPORT_PLATFORMS", "SEVERITIES", "MAJOR_SEVERITIES", "MILESTONE_COLUMNS_OF_DRILL", "ROUND_TRIP",
           "DrillPayloadError", "platform_payload", "drill_start", "drill_milestones", "drill_canonical_table"]

JOURNAL_MARKERS = JOURNAL_FORMATS_READ  # a warroom journal is recognised by its format

PLATFORMS: dict[str, Platform] = {
    platform.name: platform
    for platform in (canonical.PLATFORM, pagerduty.PLATFORM, servicenow.PLATFORM, opsgenie.PLATFORM,
                     incident_io.PLATFORM, firehydrant.PLATFORM, rootly.PLATFORM, statuspage.PLATFORM,
                     grafana.PLATFORM)
}

# The platforms a drill can be written for (`warroom drill export --as`).
EXPORT_PLATFORMS = ("canonical", "incident.io", "grafana", "rootly")
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


def platform_payload(journal: dict, platform: str, *, severity: str = "sev1",
                     mapping: HistoryMapping | None = None) -> dict | list:
    """The drill journal (a `warroom.journal/1` or `/2` dict) as `platform`'s payload (one of EXPORT_PLATFORMS).

    `severity` is the canonical severity to give the drill, one of SEVERITIES (drills
    rehearse major incidents: sev1 by default). `mapping` (incident.io only) names the
    timestamps as the organisation does; by default the first built-in name of each
    milestone. Raises DrillPayloadError (a HistoryError) for an unknown platform or severity,
    or something that is not a journal. ROUND_TRIP says which milestones each payload gives
    back when imported.
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
    raise DrillPayloadError(f"unknown platform {platform!r} (expected one of {', '.join(EXPORT_PLATFORMS)})")
