"""Statuspage `incidents.json`: the first update of each status is when that status began."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ..records import ReadContext, earliest, text_of
from .base import Extracted, Platform, _items, _mention, _not_an_object, _offer_fields, _record

__all__ = ["PLATFORM"]

_SP_MARKS = {"incident_updates", "shortlink", "page_id", "monitoring_at"}


def _statuspage_shape(document: Any) -> str | None:
    incidents = _items(document, "incidents")
    if incidents is not None and (_mention(incidents, _SP_MARKS) or "page" in document):
        return "incidents.json"
    return None


def _statuspage_extract(document: Any, shape: str, context: ReadContext) -> Extracted:
    records = []
    for row, item in enumerate(document["incidents"], 1):
        if not isinstance(item, dict):
            records.append(_not_an_object(context, row, item, "an incident"))
            continue
        record = _record(context, row, item, "id", title=text_of(item.get("name")))
        record.severity_raw = text_of(item.get("impact"))
        record.service = text_of([c for c in item.get("components") or [] if isinstance(c, dict)], ("name",))
        # The first update of each status: "identified update" is when the cause was posted.
        by_status: dict[str, list] = defaultdict(list)
        for update in item.get("incident_updates") or []:
            if isinstance(update, dict) and text_of(update.get("status")):
                by_status[text_of(update["status"])].append(update.get("created_at"))
        for status, times in by_status.items():
            record.offer(f"{status} update",
                         earliest(f"incident_updates[status={status}].created_at", times, context.zone))
        _offer_fields(record, item, context.zone)
        records.append(record)
    return records, []


PLATFORM = Platform("statuspage", {"incidents.json": "incidents.json"}, _statuspage_shape,
                    _statuspage_extract)
