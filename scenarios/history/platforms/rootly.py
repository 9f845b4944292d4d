"""Rootly incidents as JSON:API resources: times in their attributes; `kind` test marks a
drill, backfilled a retrospective record. A drill is written as an incident of kind test."""

from __future__ import annotations

from typing import Any

from ..mapping import name_key
from ..records import ReadContext, SourceRecord, text_of
from ..times import iso_z
from .base import Extracted, Platform, _not_an_object, _offer_fields
from .drill_journal import _summary, _title, drill_milestones, drill_start

__all__ = ["PLATFORM"]


def _rootly_shape(document: Any) -> str | None:
    if not isinstance(document, dict):
        return None
    data = document.get("data")
    resources = data if isinstance(data, list) else [data] if isinstance(data, dict) else None
    if resources is None:
        return None
    if not resources:
        return "json-api" if "meta" in document or "links" in document else None
    first = resources[0]
    if isinstance(first, dict) and isinstance(first.get("attributes"), dict):
        attributes = first["attributes"]
        if first.get("type") == "incidents" or {"kind", "started_at", "mitigated_at"} & attributes.keys():
            return "json-api"
    return None


def _rootly_name(value: Any) -> str:
    """A name out of a string, a resource, a relationship ({data: ...}) or a list of them."""
    if isinstance(value, list):
        return ", ".join(n for n in (_rootly_name(v) for v in value) if n)
    if isinstance(value, dict):
        if "data" in value:
            return _rootly_name(value["data"])
        if isinstance(value.get("attributes"), dict):
            return _rootly_name(value["attributes"])
        return text_of(value, ("name", "slug", "title"))
    return text_of(value)


def _rootly_extract(document: Any, shape: str, context: ReadContext) -> Extracted:
    data = document["data"]
    records = []
    for row, item in enumerate(data if isinstance(data, list) else [data], 1):
        if not isinstance(item, dict) or not isinstance(item.get("attributes"), dict):
            records.append(_not_an_object(context, row, item, "an incident resource with attributes"))
            continue
        attributes = item["attributes"]
        id_field = "id" if text_of(item.get("id")) else "attributes.slug"
        record = SourceRecord(row=row, id=text_of(item.get("id")) or text_of(attributes.get("slug")),
                              id_field=id_field, title=text_of(attributes.get("title")))
        record.severity_raw = _rootly_name(attributes.get("severity"))
        record.service = _rootly_name(attributes.get("services"))
        record.tags = tuple(str(label) for label in attributes.get("labels") or [] if isinstance(label, str))
        kind = text_of(attributes.get("kind")).casefold()
        record.drill_flag = kind.startswith("test") or kind == "example"
        record.retrospective = kind == "backfilled"
        record.creation_names = frozenset({name_key("created_at")})
        _offer_fields(record, attributes, context.zone, prefix="attributes.")
        records.append(record)
    return records, []


PLATFORM = Platform("rootly", {"json-api": "JSON:API incidents"}, _rootly_shape, _rootly_extract)


# -- writer: a drill as a Rootly incident of kind test --------------------------------

_ROOTLY_FIELDS = {"impact_started": "started_at", "detected": "detected_at", "acknowledged": "acknowledged_at",
                  "mitigated": "mitigated_at", "resolved": "resolved_at"}


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
