"""ServiceNow incident records: Table API JSON (in UTC) or a list exported as CSV (in the
exporting user's time zone, which has to be given)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..classification import ClassificationLog, SeverityChange
from ..mapping import name_key
from ..records import CsvTable, ReadContext, SourceColumns, SourceRecord, direct, each_distinct, text_of, texts
from ..table import RowProblem
from .base import Extracted, ExtractedColumns, Platform, _items, _line_problems, _mention, _not_an_object

__all__ = ["PLATFORM", "SERVICENOW_CSV_ZONE", "SERVICENOW_API_ZONE"]

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


_AUDITED = "priority"  # the field `severity` is read from: its audit rows are the classification changes


def _audit_rows(document: dict) -> dict[str, list[dict]] | None:
    """`sys_audit` rows beside the incidents, by the incident's sys_id (`documentkey`); None
    when the export has none."""
    rows = document.get("sys_audit")
    if not isinstance(rows, list):
        return None
    found: dict[str, list[dict]] = {}
    for row in rows:
        if isinstance(row, dict) and text_of(row.get("tablename"), ("value",)) in ("", "incident"):
            found.setdefault(text_of(row.get("documentkey"), ("value", "display_value")), []).append(row)
    return found


def _classification_log(rows: list, item: dict, zone: ZoneInfo) -> ClassificationLog:
    changes = []
    for position, row in enumerate(rows):
        if not isinstance(row, dict) or text_of(row.get("fieldname"), ("value",)) != _AUDITED:
            continue
        name = f"sys_audit[{text_of(row.get('sys_id'), ('value',)) or position}].sys_created_on"
        changes.append(SeverityChange(direct(name, _servicenow_time(row.get("sys_created_on")), zone),
                                      text_of(row.get("oldvalue"), ("value", "display_value")),
                                      text_of(row.get("newvalue"), ("value", "display_value"))))
    return ClassificationLog(changes, direct("opened_at", _servicenow_time(item.get("opened_at")), zone), _AUDITED)


def _servicenow_record(row: int, item: dict, zone: ZoneInfo, cell_problems: list[RowProblem]) -> SourceRecord:
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
    return record


def _csv_records(document: CsvTable, context: ReadContext, positions: np.ndarray | None = None) -> list[SourceRecord]:
    return [_servicenow_record(line, {k.strip(): v for k, v in row.items() if k is not None}, context.zone,
                               _line_problems(context, line, row, extra))
            for line, row, extra in document.rows(positions)]


def _servicenow_extract(document: Any, shape: str, context: ReadContext) -> Extracted:
    if shape == "csv":
        # A list exported as CSV is in the exporting user's display zone, which the file does
        # not say: reading it as UTC would shift every time by that user's offset.
        if context.zone is None:
            return [], [context.problem(None, "assume_timezone", "", SERVICENOW_CSV_ZONE)]
        return _csv_records(document, context), []
    # The Table API returns UTC without saying so; another zone would shift every time.
    if context.zone is not None:
        return [], [context.problem(None, "assume_timezone", context.zone.key, SERVICENOW_API_ZONE)]
    items = document.get("result", document.get("records"))
    utc = ZoneInfo("UTC")
    audit = _audit_rows(document)
    records = []
    for row, item in enumerate(items if isinstance(items, list) else [items], 1):
        if not isinstance(item, dict):
            records.append(_not_an_object(context, row, item, "an incident record"))
            continue
        record = _servicenow_record(row, item, utc, [])
        # With its audit rows (beside the list, by sys_id, or inside the record) the record
        # says how its priority changed, or that it never did.
        own = item.get("sys_audit")
        if isinstance(own, list) or audit is not None:
            rows = (own if isinstance(own, list) else []) + (audit or {}).get(text_of(item.get("sys_id"), ("value",)), [])
            record.classification = _classification_log(rows, item, utc)
        records.append(record)
    return records, []


def _servicenow_columns(document: Any, shape: str, context: ReadContext) -> ExtractedColumns:
    if shape != "csv" or context.zone is None:
        return None, []
    count = len(document.lines)
    where = {name.strip(): position for position, name in enumerate(document.header)}  # the last of a repeated name

    def cells(field: str) -> pa.StringArray:
        return texts(document.columns[where[field]] if field in where else None, count)

    numbers = cells("number")
    numbered = pc.not_equal(numbers, "")
    business_services = cells("business_service")
    if "major_incident_state" in where:
        accepted = each_distinct(cells("major_incident_state"), lambda state: state.casefold() == "accepted")
        major = accepted.astype(np.int8)
    else:
        major = np.full(count, -1, dtype=np.int8)
    times: dict = {}
    for field, position in where.items():  # the first of names alike wins, as in a record
        times.setdefault(name_key(field), (field, document.columns[position]))
    columns = SourceColumns(
        rows=document.lines, ids=pc.if_else(numbered, numbers, cells("sys_id")),
        id_fields=pc.if_else(numbered, "number", "sys_id"), titles=cells("short_description"),
        services=pc.if_else(pc.not_equal(business_services, ""), business_services, cells("cmdb_ci")),
        severities=cells("priority"), source_labels=texts(None, count), major_flags=major,
        drill_flags=np.full(count, -1, dtype=np.int8), times=times, zone=context.zone, unsure=document.flawed(),
        records=lambda positions: _csv_records(document, context, positions))
    return columns, []


PLATFORM = Platform("servicenow", {"table-api": "Table API JSON", "csv": "CSV export"},
                    _servicenow_shape, _servicenow_extract, _servicenow_columns)
