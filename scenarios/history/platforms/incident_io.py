"""incident.io IncidentV2 (a list, or one incident): the organisation's named timestamps;
`mode` test or tutorial marks a drill. A drill is written as one IncidentV2 in test mode."""

from __future__ import annotations

from typing import Any

from ..mapping import DEFAULT_MILESTONES, HistoryMapping, name_key
from ..records import ReadContext, direct, text_of
from ..times import iso_z
from .base import Extracted, Platform, _items, _mention, _not_an_object, _offer_fields, _record
from .drill_journal import MILESTONE_COLUMNS_OF_DRILL, _summary, _title, drill_milestones, drill_start

__all__ = ["PLATFORM"]

_IIO_MARKS = {"incident_status", "incident_timestamp_values", "reference", "incident_role_assignments"}


def _incident_io_shape(document: Any) -> str | None:
    incidents = _items(document, "incidents")
    if incidents is not None and (_mention(incidents, _IIO_MARKS) or (not incidents and "pagination_meta" in document)):
        return "incidents"
    if isinstance(document, dict) and isinstance(document.get("incident"), dict) \
            and (_IIO_MARKS | {"mode"}) & document["incident"].keys() and "incidentID" not in document["incident"]:
        return "incident"
    return None


def _incident_io_service(item: dict) -> str:
    for entry in item.get("custom_field_entries") or []:
        if not isinstance(entry, dict):
            continue
        if "service" in text_of(entry.get("custom_field"), ("name",)).casefold():
            names = []
            for value in entry.get("values") or []:
                if isinstance(value, dict):
                    names.append(text_of(value.get("value_catalog_entry"), ("name",))
                                 or text_of(value.get("value_option"), ("value",)) or text_of(value.get("value_text")))
            return ", ".join(n for n in names if n)
    return ""


def _incident_io_extract(document: Any, shape: str, context: ReadContext) -> Extracted:
    items = document["incidents"] if shape == "incidents" else [document["incident"]]
    records = []
    for row, item in enumerate(items, 1):
        if not isinstance(item, dict):
            records.append(_not_an_object(context, row, item, "an incident"))
            continue
        id_field = "reference" if text_of(item.get("reference")) else "id"
        record = _record(context, row, item, id_field, title=text_of(item.get("name")))
        record.severity_raw = text_of(item.get("severity"), ("name",))
        record.service = _incident_io_service(item)
        mode = text_of(item.get("mode")).casefold()
        record.drill_flag = mode in ("test", "tutorial")
        record.retrospective = mode == "retrospective"
        record.creation_names = frozenset({name_key("created_at")})
        # Timestamp names are the organisation's own; they win over same-named fields.
        for entry in item.get("incident_timestamp_values") or []:
            if not isinstance(entry, dict):
                continue
            name = text_of(entry.get("incident_timestamp"), ("name",))
            value = entry.get("value")
            raw = value.get("value") if isinstance(value, dict) else value
            if name:
                record.offer(name, direct(f'incident_timestamp_values["{name}"]', raw, context.zone))
        _offer_fields(record, item, context.zone)
        records.append(record)
    return records, []


PLATFORM = Platform("incident.io", {"incidents": "IncidentV2 list", "incident": "one IncidentV2"},
                    _incident_io_shape, _incident_io_extract)


# -- writer: a drill as an IncidentV2 in test mode ------------------------------------

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
