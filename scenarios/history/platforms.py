"""One reader per platform: recognise the export's shape, turn each incident into a `SourceRecord`.

A reader only knows its platform's layout: where the records are, which field is the id,
the title, the severity, the drill flag, and which times the record offers under which
names. Mapping names to canonical milestones, checking times and building the table are
common work (`readers.py`).

Field names follow the platforms' public API documentation; see docs/reference/history.md.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable
from zoneinfo import ZoneInfo

from ..formats import INCIDENTS_FORMAT, JOURNAL_FORMAT
from .mapping import name_key
from .records import CsvTable, ReadContext, SourceRecord, direct, earliest, offset, text_of
from .table import CANONICAL_COLUMNS, MILESTONE_COLUMNS, RowProblem
from .times import zone_named

__all__ = ["Platform", "PLATFORMS", "JOURNAL_MARKER", "INCIDENTS_FORMAT"]

JOURNAL_MARKER = JOURNAL_FORMAT  # a warroom journal is recognised by its format

Extracted = tuple[list[SourceRecord], list[RowProblem]]


@dataclass(frozen=True)
class Platform:
    """A platform's reader: `shape(document)` names the export's layout (None: not this
    platform's); `extract(document, shape, context)` gives its records and any problems
    with the file as a whole."""

    name: str
    shapes: dict[str, str]                       # shape -> what it is, for messages
    shape: Callable[[Any], str | None]
    extract: Callable[[Any, str, ReadContext], Extracted]


# -- helpers --------------------------------------------------------------------------

def _items(document: Any, key: str) -> list | None:
    if isinstance(document, dict) and isinstance(document.get(key), list):
        return document[key]
    return None


def _mention(items: list, keys: set[str], sample: int = 5) -> bool:
    """Do the first few records carry any of `keys`?"""
    return any(isinstance(item, dict) and keys & item.keys() for item in items[:sample])


def _offer_fields(record: SourceRecord, item: dict, zone: ZoneInfo | None, prefix: str = "") -> None:
    """Offer every text field of `item` as a time under its own name (parsed only if mapped)."""
    for key, value in item.items():
        if isinstance(value, str) or value is None:
            record.offer(str(key), direct(prefix + str(key), value, zone))


def _cell_count_problems(context: ReadContext, line: int, row: dict, extra: tuple[str, ...]) -> list[RowProblem]:
    """A CSV line with more or fewer cells than the header (truncated, or a stray comma)
    cannot be trusted cell by cell: a problem of that line, for every CSV source."""
    if extra:
        return [context.problem(line, "", ",".join(extra), f"{len(extra)} more cell(s) than the header has columns")]
    missing = sum(1 for value in row.values() if value is None)
    if missing:
        return [context.problem(line, "", "", f"{missing} cell(s) fewer than the header has columns")]
    return []


def _not_an_object(context: ReadContext, row: int, item: Any, what: str) -> SourceRecord:
    record = SourceRecord(row=row, id="", id_field="")
    record.problems.append(context.problem(row, "", item, f"expected {what} (an object)"))
    return record


def _record(context: ReadContext, row: int, item: dict, id_field: str, *, title: str) -> SourceRecord:
    return SourceRecord(row=row, id=text_of(item.get(id_field)), id_field=id_field, title=title)


# -- canonical ------------------------------------------------------------------------

_TRUE = {"true", "1", "yes", "y"}
_FALSE = {"false", "0", "no", "n", ""}


def _unknown(what: str, name: str, known: str) -> str:
    close = difflib.get_close_matches(name.casefold(), CANONICAL_COLUMNS, n=1)
    guess = f"did you mean {close[0]}? " if close else ""
    return f"unknown {what}; {guess}the canonical columns are: {known}"


def _canonical_shape(document: Any) -> str | None:
    if isinstance(document, CsvTable):
        return "csv"
    if isinstance(document, dict) and document.get("format") == INCIDENTS_FORMAT:
        return "json"
    records = document if isinstance(document, list) else _items(document, "incidents")
    # One stray entry among incident objects is a bad row (skippable), not another layout.
    if records is not None and (not records or any(isinstance(r, dict) for r in records)):
        return "json"
    return None


def _canonical_flag(context: ReadContext, record: SourceRecord, column: str, value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().casefold()
    if text == "":
        return None
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    record.problems.append(context.problem(record.row, column, value, "expected true or false"))
    return None


def _canonical_record(context: ReadContext, row: int, values: dict) -> SourceRecord:
    record = SourceRecord(row=row, id=text_of(values.get("id")), id_field="id",
                          title=text_of(values.get("title")), service=text_of(values.get("service")),
                          severity_raw=text_of(values.get("severity")), source_label=text_of(values.get("source")))
    record.major_flag = _canonical_flag(context, record, "is_major", values.get("is_major"))
    record.drill_flag = _canonical_flag(context, record, "is_drill", values.get("is_drill"))
    for column in MILESTONE_COLUMNS:
        if column in values:
            record.offer(column, direct(column, values[column], context.zone))
    return record


def _canonical_extract(document: Any, shape: str, context: ReadContext) -> Extracted:
    known = ", ".join(CANONICAL_COLUMNS)
    fatal: list[RowProblem] = []
    records: list[SourceRecord] = []
    if shape == "csv":
        header = [h.strip() for h in document.header]
        for column in header:
            if column not in CANONICAL_COLUMNS:
                fatal.append(context.problem(1, column, "", _unknown("column", column, known)))
        for column in {c for c in header if header.count(c) > 1}:
            fatal.append(context.problem(1, column, "", "column appears more than once"))
        if "id" not in header:
            fatal.append(context.problem(1, "id", "", "required column is missing"))
        for line, row, extra in document.rows:
            values = {k.strip(): v for k, v in row.items() if k is not None}
            record = _canonical_record(context, line, values)
            record.problems += _cell_count_problems(context, line, row, extra)
            records.append(record)
        return records, fatal
    items = document if isinstance(document, list) else document.get("incidents")
    if not isinstance(items, list):
        return [], [context.problem(None, "incidents", items, "expected a list of incident objects")]
    for row, item in enumerate(items, 1):
        if not isinstance(item, dict):
            records.append(_not_an_object(context, row, item, "an incident"))
            continue
        for key in item:
            if key not in CANONICAL_COLUMNS:
                fatal.append(context.problem(row, str(key), "", _unknown("field", str(key), known)))
        records.append(_canonical_record(context, row, item))
    return records, fatal


# -- PagerDuty ------------------------------------------------------------------------

_PD_REST_MARKS = {"incident_number", "html_url", "escalation_policy", "acknowledgements", "incident_key"}
_PD_ANALYTICS_MARKS = {"seconds_to_first_ack", "seconds_to_resolve", "seconds_to_mobilize", "priority_name",
                       "escalation_policy_name"}
_PD_OFFSETS = ("seconds_to_first_ack", "seconds_to_engage", "seconds_to_mobilize", "seconds_to_resolve")
_TO_PRIORITY = re.compile(r"\bto\s+(\S+?)\.?\s*$", re.I)


def _pagerduty_shape(document: Any) -> str | None:
    incidents = _items(document, "incidents")
    if incidents is not None and (_mention(incidents, _PD_REST_MARKS) or (not incidents and "more" in document)):
        return "rest"
    data = _items(document, "data")
    if data is not None and ("time_zone" in document or _mention(data, _PD_ANALYTICS_MARKS)):
        if not _mention(data, {"attributes", "tinyId", "milestones"}):
            return "analytics"
    return None


def _log_type(entry: dict) -> str:
    return str(entry.get("type") or "").removesuffix("_reference")


def _new_priority(entry: dict) -> str:
    channel = entry.get("channel") if isinstance(entry.get("channel"), dict) else {}
    for holder in (channel.get("new_priority"), entry.get("priority")):
        name = text_of(holder, ("name", "summary"))
        if name:
            return name
    said = _TO_PRIORITY.search(str(entry.get("summary") or ""))
    return said[1] if said else ""


def _pagerduty_extract(document: Any, shape: str, context: ReadContext) -> Extracted:
    if shape == "analytics":
        return _pagerduty_analytics(document, context)
    zone = context.zone
    shared_logs: dict[str, list[dict]] = defaultdict(list)
    for entry in document.get("log_entries") or []:
        if isinstance(entry, dict) and isinstance(entry.get("incident"), dict):
            shared_logs[text_of(entry["incident"].get("id"))].append(entry)
    records = []
    for row, item in enumerate(document["incidents"], 1):
        if not isinstance(item, dict):
            records.append(_not_an_object(context, row, item, "an incident"))
            continue
        record = _record(context, row, item, "id", title=text_of(item.get("title") or item.get("summary")))
        record.service = text_of(item.get("service"), ("summary", "name"))
        record.severity_raw = text_of(item.get("priority"), ("name", "summary")) or text_of(item.get("urgency"))
        record.tags = tuple(text_of(t, ("summary", "name")) for t in item.get("teams") or [])
        entries = [e for e in item.get("log_entries") or [] if isinstance(e, dict)] + shared_logs.get(record.id, [])
        by_type: dict[str, list[dict]] = defaultdict(list)
        for entry in entries:
            by_type[_log_type(entry)].append(entry)
        # acknowledgements[] empties once an incident resolves: the log keeps the history.
        for kind in ("acknowledge_log_entry", "resolve_log_entry", "trigger_log_entry"):
            if by_type[kind]:
                record.offer(kind, earliest(f"log_entries[type={kind}].created_at",
                                            [e.get("created_at") for e in by_type[kind]], zone))
        raised = [e for e in by_type["priority_change_log_entry"]
                  if context.mapping.is_major(context.mapping.severity_of(_new_priority(e)))]
        if raised:
            record.offer("priority_change_log_entry",
                         earliest("log_entries[type=priority_change_log_entry].created_at",
                                  [e.get("created_at") for e in raised], zone))
        acks = [a.get("at") for a in item.get("acknowledgements") or [] if isinstance(a, dict)]
        if acks:
            record.offer("acknowledgements", earliest("acknowledgements[].at", acks, zone))
        _offer_fields(record, item, zone)
        records.append(record)
    return records, []


def _pagerduty_analytics(document: dict, context: ReadContext) -> Extracted:
    zone = context.zone
    named = document.get("time_zone")
    if named not in (None, ""):
        try:
            zone = zone_named(named)
        except ValueError as exc:
            return [], [context.problem(None, "time_zone", named, str(exc))]
    records = []
    for row, item in enumerate(document["data"], 1):
        if not isinstance(item, dict):
            records.append(_not_an_object(context, row, item, "an incident"))
            continue
        record = _record(context, row, item, "id", title=text_of(item.get("description") or item.get("title")))
        record.service = text_of(item.get("service_name"))
        record.severity_raw = text_of(item.get("priority_name")) or text_of(item.get("urgency"))
        record.tags = tuple(t for t in [text_of(item.get("team_name"))] if t)
        if isinstance(item.get("major"), bool):
            record.major_flag = item["major"]
        created = direct("created_at", item.get("created_at"), zone)
        for name in _PD_OFFSETS:
            if name in item:
                record.offer(name, offset(name, item[name], created, "s"))
        _offer_fields(record, item, zone)
        records.append(record)
    return records, []


# -- ServiceNow -----------------------------------------------------------------------

_SN_MARKS = {"number", "sys_id", "opened_at", "sys_created_on", "short_description"}


def _servicenow_shape(document: Any) -> str | None:
    if isinstance(document, CsvTable):
        header = {h.strip() for h in document.header}
        return "csv" if "number" in header and header & {"opened_at", "sys_id", "sys_created_on"} else None
    for key in ("result", "records"):
        items = _items(document, key)
        if items is not None and (not items or _mention(items, _SN_MARKS)):
            return "table-api"
        if isinstance(document, dict) and isinstance(document.get(key), dict) and _SN_MARKS & document[key].keys():
            return "table-api"
    return None


SERVICENOW_CSV_ZONE = ("a ServiceNow CSV export has its times in the exporting user's time zone, which the file "
                       "does not say: pass --assume-timezone ZONE (assume_timezone= from Python) with that user's "
                       "zone, e.g. Europe/London, or UTC if the user was set to UTC")
SERVICENOW_API_ZONE = ("ServiceNow Table API JSON is in UTC by definition: --assume-timezone would shift every time; "
                       "leave it out")


def _servicenow_time(value: Any) -> Any:
    # With sysparm_display_value=all a field is {display_value, value}: the display value is
    # in the requesting user's zone, the value in UTC. Only the value is safe.
    return value.get("value") if isinstance(value, dict) else value


def _servicenow_extract(document: Any, shape: str, context: ReadContext) -> Extracted:
    if shape == "csv":
        # A list exported as CSV is in the exporting user's display zone, which the file does
        # not say: reading it as UTC would shift every time by that user's offset.
        if context.zone is None:
            return [], [context.problem(None, "assume_timezone", "", SERVICENOW_CSV_ZONE)]
        zone = context.zone
        rows = [(line, {k.strip(): v for k, v in row.items() if k is not None},
                 _cell_count_problems(context, line, row, extra)) for line, row, extra in document.rows]
    else:
        # The Table API returns UTC without saying so; another zone would shift every time.
        if context.zone is not None:
            return [], [context.problem(None, "assume_timezone", context.zone.key, SERVICENOW_API_ZONE)]
        zone = ZoneInfo("UTC")
        items = document.get("result", document.get("records"))
        rows = [(row, item, []) for row, item in enumerate(items if isinstance(items, list) else [items], 1)]
    records = []
    for row, item, cell_problems in rows:
        if not isinstance(item, dict):
            records.append(_not_an_object(context, row, item, "an incident record"))
            continue
        prefer = ("display_value", "value")
        id_field = "number" if text_of(item.get("number"), prefer) else "sys_id"
        record = SourceRecord(row=row, id=text_of(item.get(id_field), prefer), id_field=id_field,
                              title=text_of(item.get("short_description"), prefer))
        record.service = text_of(item.get("business_service"), prefer) or text_of(item.get("cmdb_ci"), prefer)
        record.severity_raw = text_of(item.get("priority"), prefer)
        if "major_incident_state" in item:
            state = text_of(item["major_incident_state"], ("value", "display_value")).casefold()
            record.major_flag = state == "accepted"
        for key, value in item.items():
            record.offer(key, direct(key, _servicenow_time(value), zone))
        record.problems += cell_problems
        records.append(record)
    return records, []


# -- Opsgenie -------------------------------------------------------------------------

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


# -- incident.io ----------------------------------------------------------------------

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


# -- FireHydrant ----------------------------------------------------------------------

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


# -- Rootly ---------------------------------------------------------------------------

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


# -- Statuspage -----------------------------------------------------------------------

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


# -- Grafana Incident -----------------------------------------------------------------

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


PLATFORMS: dict[str, Platform] = {
    "canonical": Platform("canonical", {"csv": "canonical CSV", "json": "canonical JSON"},
                          _canonical_shape, _canonical_extract),
    "pagerduty": Platform("pagerduty", {"rest": "REST incidents", "analytics": "Analytics raw incidents"},
                          _pagerduty_shape, _pagerduty_extract),
    "servicenow": Platform("servicenow", {"table-api": "Table API JSON", "csv": "CSV export"},
                           _servicenow_shape, _servicenow_extract),
    "opsgenie": Platform("opsgenie", {"alerts": "alerts"}, _opsgenie_shape, _opsgenie_extract),
    "incident.io": Platform("incident.io", {"incidents": "IncidentV2 list", "incident": "one IncidentV2"},
                            _incident_io_shape, _incident_io_extract),
    "firehydrant": Platform("firehydrant", {"incidents": "incidents", "incident": "one incident"},
                            _firehydrant_shape, _firehydrant_extract),
    "rootly": Platform("rootly", {"json-api": "JSON:API incidents"}, _rootly_shape, _rootly_extract),
    "statuspage": Platform("statuspage", {"incidents.json": "incidents.json"}, _statuspage_shape,
                           _statuspage_extract),
    "grafana": Platform("grafana", {"incidents": "incidents", "incident": "one incident"}, _grafana_shape,
                        _grafana_extract),
}
