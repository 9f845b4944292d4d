"""FireHydrant incidents (a list, or one incident): each milestone's time under its slug."""

from __future__ import annotations

from typing import Any

from ..records import ReadContext, direct, text_of
from .base import Extracted, Platform, _items, _mention, _not_an_object, _offer_fields, _record

__all__ = ["PLATFORM"]

_FH_MARKS = {"milestones", "current_milestone", "lifecycle_phases", "incident_url"}


def _firehydrant_shape(document: Any) -> str | None:
    items = document if isinstance(document, list) else _items(document, "data")
    if items is not None and (_mention(items, _FH_MARKS) or (not items and "pagination" in document)):
        if not _mention(items, {"attributes"}):
            return "incidents"
    if isinstance(document, dict) and _FH_MARKS & document.keys() and "name" in document:
        return "incident"
    return None


def _firehydrant_extract(document: Any, shape: str, context: ReadContext) -> Extracted:
    if shape == "incident":
        items = [document]
    else:
        items = document if isinstance(document, list) else document["data"]
    records = []
    for row, item in enumerate(items, 1):
        if not isinstance(item, dict):
            records.append(_not_an_object(context, row, item, "an incident"))
            continue
        record = _record(context, row, item, "id", title=text_of(item.get("name")))
        record.severity_raw = text_of(item.get("severity"), ("slug", "name", "value"))
        services = [text_of(s, ("name",)) for s in item.get("services") or []]
        services += [text_of(i.get("impact"), ("name",)) for i in item.get("impacts") or []
                     if isinstance(i, dict) and str(i.get("type", "")).casefold() == "service"]
        record.service = ", ".join(s for s in services if s)
        record.tags = tuple(str(t) for t in item.get("tag_list") or [])
        for milestone in item.get("milestones") or []:
            if isinstance(milestone, dict):
                slug = text_of(milestone.get("type") or milestone.get("slug"))
                if slug:
                    record.offer(slug, direct(f"milestones[{slug}].occurred_at", milestone.get("occurred_at"),
                                              context.zone))
        _offer_fields(record, item, context.zone)
        records.append(record)
    return records, []


PLATFORM = Platform("firehydrant", {"incidents": "incidents", "incident": "one incident"},
                    _firehydrant_shape, _firehydrant_extract)
