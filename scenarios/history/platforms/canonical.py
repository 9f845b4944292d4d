"""The canonical incident table as an export: warroom's own CSV or JSON
(`warroom.incidents/1`, or a plain list of incident objects), read column by column; and a
drill written as one canonical row, `is_drill` true."""

from __future__ import annotations

import difflib
import itertools
from typing import Any, Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ...formats import INCIDENTS_FORMAT
from ..classification import GivenClassification
from ..mapping import name_key
from ..records import CsvTable, ReadContext, SourceColumns, SourceRecord, direct, each_distinct, text_of, texts
from ..table import (
    CANONICAL_COLUMNS,
    CLASSIFICATION_COLUMNS,
    CLASSIFICATION_TIMES,
    FLAG_COLUMNS,
    MILESTONE_COLUMNS,
    RowProblem,
    canonical_frame,
)
from .base import Extracted, ExtractedColumns, Platform, _items, _line_problems, _not_an_object
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


def _flag_value(value: Any) -> bool | None:
    """A canonical flag: true/false, 1/0, yes/no, y/n in any case; None when empty. ValueError otherwise."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().casefold()
    if text == "":
        return None
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValueError("expected true or false")


def _canonical_flag(context: ReadContext, record: SourceRecord, column: str, value: Any) -> bool | None:
    try:
        return _flag_value(value)
    except ValueError as exc:
        record.problems.append(context.problem(record.row, column, value, str(exc)))
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
    if any(column in values for column in CLASSIFICATION_COLUMNS):
        record.classification = GivenClassification(
            first_severity=text_of(values.get("first_severity")),
            first_major=_canonical_flag(context, record, "first_major", values.get("first_major")),
            reclassifications=text_of(values.get("reclassifications")),
            times={column: direct(column, values[column], context.zone)
                   for column in CLASSIFICATION_TIMES if values.get(column) not in (None, "")})
    return record


def _header_problems(document: CsvTable, context: ReadContext) -> list[RowProblem]:
    known = ", ".join(CANONICAL_COLUMNS)
    fatal: list[RowProblem] = []
    header = [h.strip() for h in document.header]
    for column in header:
        if column not in CANONICAL_COLUMNS:
            fatal.append(context.problem(1, column, "", _unknown("column", column, known)))
    for column in {c for c in header if header.count(c) > 1}:
        fatal.append(context.problem(1, column, "", "column appears more than once"))
    if "id" not in header:
        fatal.append(context.problem(1, "id", "", "required column is missing"))
    return fatal


def _csv_records(document: CsvTable, context: ReadContext, positions: np.ndarray | None = None) -> list[SourceRecord]:
    records = []
    for line, row, extra in document.rows(positions):
        values = {k.strip(): v for k, v in row.items() if k is not None}
        record = _canonical_record(context, line, values)
        record.problems += _line_problems(context, line, row, extra)
        records.append(record)
    return records


def _json_record(context: ReadContext, row: int, item: Any) -> SourceRecord:
    if not isinstance(item, dict):
        return _not_an_object(context, row, item, "an incident")
    return _canonical_record(context, row, item)


def _field_problems(items: list, context: ReadContext) -> list[RowProblem]:
    if set().union(*(item for item in items if isinstance(item, dict))) <= set(CANONICAL_COLUMNS):
        return []
    known = ", ".join(CANONICAL_COLUMNS)
    return [context.problem(row, str(key), "", _unknown("field", str(key), known))
            for row, item in enumerate(items, 1) if isinstance(item, dict)
            for key in item if key not in CANONICAL_COLUMNS]


def _json_items(document: Any) -> Any:
    return document if isinstance(document, list) else document.get("incidents")


def _canonical_extract(document: Any, shape: str, context: ReadContext) -> Extracted:
    if shape == "csv":
        return _csv_records(document, context), _header_problems(document, context)
    items = _json_items(document)
    if not isinstance(items, list):
        return [], [context.problem(None, "incidents", items, "expected a list of incident objects")]
    return [_json_record(context, row, item) for row, item in enumerate(items, 1)], _field_problems(items, context)


def _flag_codes(cells: pa.StringArray | None, count: int) -> tuple[np.ndarray, np.ndarray]:
    """A flag column as codes (1 true, 0 false, -1 not said) and which cells are unreadable."""
    if cells is None:
        return np.full(count, -1, dtype=np.int8), np.zeros(count, dtype=bool)

    def code(value: str | None) -> int:
        try:
            flag = _flag_value(value)
        except ValueError:
            return -2
        return -1 if flag is None else int(flag)

    codes = each_distinct(cells, code).astype(np.int8)
    return np.maximum(codes, -1), codes == -2


def _canonical_columns(document: Any, shape: str, context: ReadContext) -> ExtractedColumns:
    if shape == "csv":
        return _csv_columns(document, context), _header_problems(document, context)
    items = _json_items(document)
    if not isinstance(items, list):
        return None, []
    return _json_columns(items, context), _field_problems(items, context)


def _csv_columns(document: CsvTable, context: ReadContext) -> SourceColumns:
    where = {name.strip(): position for position, name in enumerate(document.header)}  # the last of a name

    def cells(column: str) -> pa.StringArray | None:
        return document.columns[where[column]] if column in where else None

    times = {name_key(column): (column, cells(column)) for column in MILESTONE_COLUMNS if column in where}
    return _source_columns(context, document.lines, cells, times, document.flawed(),
                           lambda positions: _csv_records(document, context, positions))


def _json_columns(items: list, context: ReadContext) -> SourceColumns:
    objects = [item if isinstance(item, dict) else {} for item in items]
    present = set().union(*objects)
    unsure = np.array([not isinstance(item, dict) for item in items], dtype=bool)

    def column_of(column: str, other: Callable[[Any], str | None]) -> tuple[pa.StringArray, list[int]]:
        """The field's values as text, `other(value)` for a value that is neither text nor
        null, and where those were."""
        values = list(map(dict.get, objects, itertools.repeat(column)))
        try:
            return pa.array(values, type=pa.string()), []
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            others = [position for position, value in enumerate(values) if value is not None and type(value) is not str]
            for position in others:
                values[position] = other(values[position])
            return pa.array(values, type=pa.string()), others

    def cells(column: str) -> pa.StringArray | None:
        """A text field or a flag as the record reads it (a number as its text)."""
        return column_of(column, str if column in FLAG_COLUMNS else text_of)[0] if column in present else None

    times = {}
    for column in MILESTONE_COLUMNS:
        if column in present:
            raws, others = column_of(column, lambda value: None)
            unsure[others] = True  # a time that is not text: its record says so, read alone
            times[name_key(column)] = (column, raws)
    return _source_columns(context, np.arange(1, len(items) + 1, dtype=np.int64), cells, times, unsure,
                           lambda positions: [_json_record(context, int(position) + 1, items[position])
                                              for position in positions])


def _source_columns(context: ReadContext, rows: np.ndarray, cells: Callable[[str], pa.StringArray | None],
                    times: dict, unsure: np.ndarray, records: Callable) -> SourceColumns:
    count = len(rows)
    major, unreadable_major = _flag_codes(cells("is_major"), count)
    drill, unreadable_drill = _flag_codes(cells("is_drill"), count)
    # A row that says how it was classified is read alone (the classification columns are
    # few and checked together); a file without them keeps the column-at-a-time path.
    classified = np.zeros(count, dtype=bool)
    for column in CLASSIFICATION_COLUMNS:
        given = cells(column)
        if given is None:
            continue
        if column == "first_major":
            codes, unreadable = _flag_codes(given, count)
            classified |= (codes == 1) | unreadable
        else:
            classified |= pc.not_equal(texts(given, count), "").to_numpy(zero_copy_only=False)
    return SourceColumns(
        rows=rows, ids=texts(cells("id"), count), id_fields=pa.repeat(pa.scalar("id", pa.string()), count),
        titles=texts(cells("title"), count), services=texts(cells("service"), count),
        severities=texts(cells("severity"), count), source_labels=texts(cells("source"), count),
        major_flags=major, drill_flags=drill, times=times, zone=context.zone,
        unsure=unsure | unreadable_major | unreadable_drill | classified, records=records)


PLATFORM = Platform("canonical", {"csv": "canonical CSV", "json": "canonical JSON"},
                    _canonical_shape, _canonical_extract, _canonical_columns)


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
