"""`read_history`: an incident platform's export in, the canonical incident table out.

The common work after a platform reader has found the records: pick each milestone by the
mapping, check that the times are possible, reject duplicate ids, and either raise every
problem at once or (with `skip_bad_rows`) keep the good rows and list the bad ones. Rows
are never dropped silently and missing times are never filled in.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .mapping import SOURCE_TITLES, SOURCES, EffectiveMapping, HistoryMapping, effective_mapping, load_mapping
from .platforms import INCIDENTS_FORMAT, JOURNAL_MARKERS, PLATFORMS
from .records import Candidate, CsvTable, ReadContext, SourceRecord
from .table import MILESTONE_COLUMNS, HistoryError, RowProblem, canonical_frame
from .times import iso_z, zone_named

__all__ = ["HistoryImport", "read_history", "read_history_document", "SOURCES", "ORDER_RULES"]

# (earlier, later): a record whose `later` milestone comes before its `earlier` one is impossible.
ORDER_RULES = (
    ("impact_started", "detected"), ("impact_started", "mitigated"), ("impact_started", "resolved"),
    ("detected", "acknowledged"),
    ("created", "resolved"), ("created", "closed"),
    ("mitigated", "resolved"), ("resolved", "closed"),
    ("postmortem_started", "postmortem_completed"),
)


@dataclass(frozen=True, eq=False)
class HistoryImport:
    """What one export gave: the canonical table (every good row, drills included and
    flagged) and the problems of the rows left out (only with `skip_bad_rows`)."""

    table: pd.DataFrame
    problems: list[RowProblem]
    source: str
    file: str
    shape: str = ""                       # which layout of the source, e.g. "Analytics raw incidents"
    skipped_rows: tuple[int, ...] = field(default=())

    @property
    def drills(self) -> int:
        return int(self.table["is_drill"].sum())

    def coverage(self) -> dict[str, int]:
        """How many rows have each milestone (the rest are missing, not zero)."""
        return {column: int(self.table[column].notna().sum()) for column in MILESTONE_COLUMNS}


def read_history(path: str | Path, source: str, *, mapping: HistoryMapping | str | Path | None = None,
                 skip_bad_rows: bool = False, assume_timezone: str | None = None) -> HistoryImport:
    """Read the export at `path`, made by `source` (one of SOURCES), into the canonical table.

    `mapping` is a HistoryMapping or the path of a mapping file (overrides of the built-in
    field mapping). `assume_timezone` (an IANA name) is the zone of times written without an
    offset, for formats that do not define one: required for a ServiceNow CSV export (the
    exporting user's zone), refused for ServiceNow Table API JSON (UTC by definition). A
    time beyond 2262 (a "never" placeholder) is a problem of its row. Raises HistoryError
    with every problem found; with `skip_bad_rows` bad rows are left out and listed in `problems` instead
    (problems with the file as a whole still raise). A bad mapping file raises
    DocumentError.
    """
    file = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise HistoryError([RowProblem(file, None, "", "", "no such file")]) from None
    except OSError as exc:
        raise HistoryError([RowProblem(file, None, "", "", f"cannot read: {exc.strerror or exc}")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HistoryError([RowProblem(file, None, "", "", f"not UTF-8 text ({exc.reason} at byte {exc.start})")]) from None
    return read_history_document(_parse(text, file), source, file=file, mapping=mapping,
                                 skip_bad_rows=skip_bad_rows, assume_timezone=assume_timezone)


def read_history_document(document: Any, source: str, *, file: str = "<data>",
                          mapping: HistoryMapping | str | Path | None = None, skip_bad_rows: bool = False,
                          assume_timezone: str | None = None) -> HistoryImport:
    """Like `read_history`, for an export already parsed from JSON (or a CsvTable)."""
    if source not in SOURCES:
        raise HistoryError([RowProblem(file, None, "source", source,
                                       f"unknown source (expected one of {', '.join(SOURCES)})")])
    if isinstance(mapping, (str, Path)):
        mapping = load_mapping(mapping)
    if mapping is not None and mapping.source != source:
        raise HistoryError([RowProblem(file, None, "mapping", mapping.source,
                                       f"the mapping is for source {mapping.source}, not {source}")])
    zone = None
    if assume_timezone is not None:
        try:
            zone = zone_named(assume_timezone)
        except ValueError as exc:
            raise HistoryError([RowProblem(file, None, "assume_timezone", assume_timezone, str(exc))]) from None
    context = ReadContext(file, zone, effective_mapping(source, mapping))
    platform = PLATFORMS[source]
    shape = _shape_or_fail(document, source, file)
    records, fatal = platform.extract(document, shape, context)
    rows, problems, skipped = _rows(records, source, context)
    if fatal or (problems and not skip_bad_rows):
        raise HistoryError(fatal + problems)
    return HistoryImport(canonical_frame(rows), problems, source, file, platform.shapes[shape], tuple(skipped))


# -- the file -------------------------------------------------------------------------

def _parse(text: str, file: str) -> Any:
    stripped = text.lstrip()
    if not stripped:
        raise HistoryError([RowProblem(file, None, "", "", "the file is empty")])
    if stripped[0] in "{[":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise HistoryError([RowProblem(file, None, "", "",
                                           f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})")]) from None
    return _csv_table(text, file)


def _csv_table(text: str, file: str) -> CsvTable:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
        rows = []
        for cells in reader:
            if not cells or all(not c.strip() for c in cells):
                continue
            # line_num is where the record ends; a quoted cell may span lines.
            line = reader.line_num - sum(cell.count("\n") for cell in cells)
            row = {column: (cells[i] if i < len(cells) else None) for i, column in enumerate(header)}
            rows.append((line, row, tuple(cells[len(header):])))
    except csv.Error as exc:
        raise HistoryError([RowProblem(file, reader.line_num, "", "", f"not valid CSV: {exc}")]) from None
    return CsvTable(tuple(header), tuple(rows))


def _looks_like(document: Any) -> list[str]:
    """The sources whose layout `document` has (canonical only by its own marker)."""
    found = [name for name, platform in PLATFORMS.items() if name != "canonical" and platform.shape(document)]
    if isinstance(document, dict) and document.get("format") == INCIDENTS_FORMAT:
        found.append("canonical")
    if isinstance(document, CsvTable) and "id" in {h.strip() for h in document.header}:
        found.append("canonical")
    return found


def _shape_or_fail(document: Any, source: str, file: str) -> str:
    platform = PLATFORMS[source]
    shape = platform.shape(document)
    others = [name for name in _looks_like(document) if name != source]
    if source == "canonical" and shape is not None and others and "canonical" not in _looks_like(document):
        shape = None  # a list of incident objects of some platform is not a canonical file
    if shape is not None:
        return shape
    expected = " or ".join(platform.shapes.values())
    if isinstance(document, dict) and document.get("format") in JOURNAL_MARKERS:
        hint = ("it is a warroom drill journal: export the drill with "
                "`warroom drill export ID --as canonical` and read that")
    elif others:
        hint = " or ".join(_a(f"{SOURCE_TITLES[o]} export") for o in others)
        hint = f"it looks like {hint}: read it with --source {others[0]}"
    else:
        hint = "its layout matches no source warroom reads"
    kind = "CSV" if isinstance(document, CsvTable) else "JSON"
    raise HistoryError([RowProblem(file, None, "", "",
                                   f"this {kind} does not look like {_a(SOURCE_TITLES[source] + ' export')} "
                                   f"({expected}); {hint}")])


def _a(phrase: str) -> str:
    return ("an " if phrase[:1].casefold() in "aeiou" else "a ") + phrase


# -- records to rows ------------------------------------------------------------------

_FAILED = object()


def _pick(record: SourceRecord, context: ReadContext, problems: list[RowProblem]) -> dict[str, tuple[pd.Timestamp, Candidate]]:
    """Each milestone column from the first of its candidate names that has a time."""
    results: dict[str, Any] = {}
    picked: dict[str, tuple[pd.Timestamp, Candidate]] = {}
    for column, names in context.mapping.milestones.items():
        for name in names:
            candidate = record.times.get(name)
            if candidate is None:
                continue
            if record.retrospective and name in record.creation_names:
                # Written up afterwards: the record's creation says nothing about the incident,
                # and kept as `created` it would come after the resolution.
                continue
            if name not in results:
                try:
                    results[name] = candidate.compute()
                except ValueError as exc:
                    results[name] = _FAILED
                    problems.append(context.problem(record.row, candidate.field, candidate.raw, str(exc)))
            if results[name] is _FAILED:
                break  # a broken first choice is reported, not quietly replaced by the next
            if results[name] is not None:
                picked[column] = (results[name], candidate)
                break
    return picked


def _order_problems(record: SourceRecord, picked: dict, context: ReadContext) -> list[RowProblem]:
    found = []
    for earlier, later in ORDER_RULES:
        if earlier not in picked or later not in picked:
            continue
        (first, first_from), (then, then_from) = picked[earlier], picked[later]
        if then < first:
            named = f"{earlier}, {first_from.field}," if first_from.field != earlier else earlier
            found.append(context.problem(
                record.row, then_from.field, then_from.raw,
                f"impossible: {later} at {iso_z(then)} comes before {named} at {iso_z(first)}"))
    return found


def _rows(records: list[SourceRecord], source: str, context: ReadContext) -> tuple[list[dict], list[RowProblem], list[int]]:
    mapping: EffectiveMapping = context.mapping
    first_row_of: dict[str, int] = {}
    rows, problems, skipped = [], [], []
    for record in records:
        found = list(record.problems)
        picked = _pick(record, context, found)
        found += _order_problems(record, picked, context)
        if not record.id and record.id_field:
            found.append(context.problem(record.row, record.id_field, "", "missing: every incident needs an id"))
        elif record.id:
            if record.id in first_row_of:
                found.append(context.problem(record.row, record.id_field, record.id,
                                             f"duplicate id (first at row {first_row_of[record.id]})"))
            else:
                first_row_of[record.id] = record.row
        if found:
            problems += found
            skipped.append(record.row)
            continue
        severity = mapping.severity_of(record.severity_raw)
        row = {
            "id": record.id, "source": record.source_label or source, "title": record.title,
            "service": record.service, "severity": severity,
            "is_major": record.major_flag if record.major_flag is not None else mapping.is_major(severity),
            "is_drill": bool(record.drill_flag) or mapping.marks_drill(record.title, record.tags),
        }
        row.update({column: moment for column, (moment, _) in picked.items()})
        rows.append(row)
    return rows, problems, skipped

