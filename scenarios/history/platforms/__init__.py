"""One module per incident platform: its reader, which recognises the export's shape and
turns each incident into a `SourceRecord`.

A reader only knows its platform's layout: where the records are, which field is the id,
the title, the severity, the drill flag, and which times the record offers under which
names. Mapping names to canonical milestones, checking times and building the table are
common work (`readers.py`).

Field names follow the platforms' public API documentation; see docs/reference/history.md.
"""

from __future__ import annotations

from ...formats import INCIDENTS_FORMAT, JOURNAL_FORMAT
from . import canonical, firehydrant, grafana, incident_io, opsgenie, pagerduty, rootly, servicenow, statuspage
from .base import Platform

__all__ = ["Platform", "PLATFORMS", "JOURNAL_MARKER", "INCIDENTS_FORMAT"]

JOURNAL_MARKER = JOURNAL_FORMAT  # a warroom journal is recognised by its format

PLATFORMS: dict[str, Platform] = {
    platform.name: platform
    for platform in (canonical.PLATFORM, pagerduty.PLATFORM, servicenow.PLATFORM, opsgenie.PLATFORM,
                     incident_io.PLATFORM, firehydrant.PLATFORM, rootly.PLATFORM, statuspage.PLATFORM,
                     grafana.PLATFORM)
}
