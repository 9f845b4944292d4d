"""The canonical incident table as an export: warroom's own CSV or JSON
(`warroom.incidents/1`, or a plain list of incident objects), read column by column; and a
drill written as one canonical row, `is_drill` true."""

from __future__ import annotations

import difflib
from typing import Any

import pandas as pd

from ...formats import INCIDENTS_FORMAT
from ..records import CsvTable, ReadContext, SourceRecord, direct, text_of
from ..table import CANONICAL_COLUMNS, MILESTONE_COLUMNS, RowProblem, canonical_frame
from .base import Extracted, Platform, _cell_count_problems, _items, _not_an_object
from .drill_journal import MAJOR_SEVERITIES, _checked, _service, _severity, _title, drill_milestones

__all__ = ["PLATFORM", "drill_canonical_table"]

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


PLATFORM = Platform("canonical", {"csv": "canonical CSV", "json": "canonical JSON"},
                    _canonical_shape, _canonical_extract)


# -- writer: a drill as one canonical row ---------------------------------------------

def drill_canonical_table(journal: dict, *, severity: str = "sev1") -> pd.DataFrame:
    """The drill as one row of the canonical incident table, `is_drill` true, `is_major` for sev1 and sev2."""
    journal = _checked(journal)
    severity = _severity(severity)
    row: dict[str, Any] = {"id": journal["drill"]["id"], "source": "warroom", "title": _title(journal),
                           "service": _service(journal), "severity": severity,
                           "is_major": severity in MAJOR_SEVERITIES, "is_drill": True}
    row.update(drill_milestones(journal))
    return canonical_frame([row])
