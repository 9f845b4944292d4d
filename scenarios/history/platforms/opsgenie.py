"""Opsgenie alerts (a list, or one alert): times from `createdAt` and the report's
acknowledge and close offsets."""

from __future__ import annotations

from typing import Any

from ..records import ReadContext, direct, offset, text_of
from .base import Extracted, Platform, _items, _mention, _not_an_object, _offer_fields, _record

__all__ = ["PLATFORM"]

_OG_MARKS = {"tinyId", "alias", "isSeen", "lastOccurredAt"}


def _opsgenie_shape(document: Any) -> str | None:
    items = document if isinstance(document, list) else _items(document, "data")
    if items is not None and (_mention(items, _OG_MARKS) or (not items and "requestId" in document)):
        return "alerts"
    if isinstance(document, dict) and isinstance(document.get("data"), dict) and _OG_MARKS & document["data"].keys():
        return "alerts"
    return None


def _opsgenie_extract(document: Any, shape: str, context: ReadContext) -> Extracted:
    items = document if isinstance(document, list) else document["data"]
    records = []
    for row, item in enumerate(items if isinstance(items, list) else [items], 1):
        if not isinstance(item, dict):
            records.append(_not_an_object(context, row, item, "an alert"))
            continue
        record = _record(context, row, item, "id", title=text_of(item.get("message")))
        record.tags = tuple(str(t) for t in item.get("tags") or [])
        tagged = [t.split(":", 1)[1].strip() for t in record.tags if t.casefold().startswith("service:")]
        record.service = tagged[0] if tagged else text_of(item.get("integration"), ("name",)) or text_of(item.get("source"))
        record.severity_raw = text_of(item.get("priority"))
        created = direct("createdAt", item.get("createdAt"), context.zone)
        report = item.get("report") if isinstance(item.get("report"), dict) else {}
        # ackTime and closeTime are milliseconds after createdAt.
        for name in ("ackTime", "closeTime"):
            if name in report:
                record.offer(f"report.{name}", offset(f"report.{name}", report[name], created, "ms"))
        _offer_fields(record, item, context.zone)
        records.append(record)
    return records, []


PLATFORM = Platform("opsgenie", {"alerts": "alerts"}, _opsgenie_shape, _opsgenie_extract)
