"""Grafana Incident incidents (a list, or one incident): `isDrill` marks a drill."""

from __future__ import annotations

from typing import Any

from ..records import ReadContext, text_of
from .base import Extracted, Platform, _items, _mention, _not_an_object, _offer_fields, _record

__all__ = ["PLATFORM"]


def _grafana_shape(document: Any) -> str | None:
    incidents = _items(document, "incidents")
    if incidents is not None and (_mention(incidents, {"incidentID", "isDrill"}) or (not incidents and "cursor" in document)):
        return "incidents"
    if isinstance(document, dict) and isinstance(document.get("incident"), dict) \
            and {"incidentID", "isDrill"} & document["incident"].keys():
        return "incident"
    return None


def _grafana_extract(document: Any, shape: str, context: ReadContext) -> Extracted:
    items = document["incidents"] if shape == "incidents" else [document["incident"]]
    records = []
    for row, item in enumerate(items, 1):
        if not isinstance(item, dict):
            records.append(_not_an_object(context, row, item, "an incident"))
            continue
        record = _record(context, row, item, "incidentID", title=text_of(item.get("title")))
        record.severity_raw = text_of(item.get("severity")) or text_of(item.get("severityLabel"))
        record.tags = tuple(text_of(label, ("label", "key", "value")) for label in item.get("labels") or [])
        if isinstance(item.get("isDrill"), bool):
            record.drill_flag = item["isDrill"]
        _offer_fields(record, item, context.zone)
        records.append(record)
    return records, []


PLATFORM = Platform("grafana", {"incidents": "incidents", "incident": "one incident"}, _grafana_shape,
                    _grafana_extract)
