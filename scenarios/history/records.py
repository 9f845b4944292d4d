"""What a platform reader hands to the common importer: one `SourceRecord` per incident
or, for a flat export (a CSV, a canonical JSON list), the same records column by column
(`SourceColumns`), which the importer maps and checks a column at a time.

A record keeps every time it *could* use under the platform's own names (`Candidate`s,
parsed only when the mapping asks for them, so a broken field nobody maps is no problem),
plus the few text fields and flags the canonical table needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterator
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..textfile import MAX_CELL_CHARS
from .mapping import EffectiveMapping, name_key
from .table import RowProblem
from .times import after_offset, parse_time

__all__ = ["Candidate", "SourceRecord", "ReadContext", "CsvTable", "SourceColumns", "direct", "offset", "earliest",
           "text_of", "texts", "each_distinct", "shown"]


@dataclass(frozen=True)
class Candidate:
    """One time a record offers: the source field it comes from, its raw value, and how to read it."""

    field: str
    raw: Any
    compute: Callable[[], pd.Timestamp | None]


@dataclass
class SourceRecord:
    """One incident of an export, before mapping."""

    row: int                       # 1-based record number (CSV: line number)
    id: str
    id_field: str                  # the source's name for the id, for messages
    title: str = ""
    service: str = ""
    severity_raw: str = ""
    major_flag: bool | None = None  # the platform's own "major" marker, when it has one
    drill_flag: bool | None = None  # the platform's own drill/test marker, when it has one
    tags: tuple[str, ...] = ()
    # Written up after the fact (incident.io retrospective, Rootly backfilled): the record's
    # creation time (`creation_names`) says nothing about the incident and is not used.
    retrospective: bool = False
    source_label: str = ""         # canonical files keep the platform a row came from
    times: dict[str, Candidate] = field(default_factory=dict)
    creation_names: frozenset[str] = frozenset()
    problems: list[RowProblem] = field(default_factory=list)
    # How it was classified over time (a ClassificationLog or, in a canonical file, a
    # GivenClassification); None: the export does not say.
    classification: Any = None
    # What the reader knows about the incident beyond the table's columns (a drill journal's
    # team, scenario and per-role responses), handed back with the import; None for most.
    details: Any = None

    def offer(self, name: str, candidate: Candidate) -> None:
        """Add a time under `name` unless one of that name is already there (first wins)."""
        self.times.setdefault(name_key(name), candidate)


@dataclass(frozen=True)
class ReadContext:
    file: str
    zone: ZoneInfo | None          # the zone assumed for times without an offset (None: they are errors)
    mapping: EffectiveMapping

    def problem(self, row: int | None, field_name: str, value: Any, message: str) -> RowProblem:
        return RowProblem(self.file, row, field_name, shown(value), message)


@dataclass(frozen=True, eq=False)
class CsvTable:
    """A CSV export column by column: its header, the line each record starts on, each
    header column's cells (null where a line has fewer cells than the header) and, by
    record position, the cells beyond the header of the lines that have more."""

    header: tuple[str, ...]
    lines: np.ndarray                       # int64, one per record
    columns: tuple[pa.StringArray, ...]     # one per header cell, in header order
    extra: dict[int, tuple[str, ...]]

    def rows(self, positions: np.ndarray | None = None) -> Iterator[tuple[int, dict[str, str | None], tuple[str, ...]]]:
        """(line, cells by header name, extra cells) of each record, or of those at `positions`;
        where the header repeats a name, its last column wins."""
        chosen = np.arange(len(self.lines)) if positions is None else np.asarray(positions, dtype=np.int64)
        for start in range(0, len(chosen), 4096):
            part = chosen[start:start + 4096]
            cells = [column.take(pa.array(part)).to_pylist() for column in self.columns]
            for offset, position in enumerate(part.tolist()):
                values = dict(zip(self.header, (column[offset] for column in cells)))
                yield int(self.lines[position]), values, self.extra.get(position, ())

    def flawed(self) -> np.ndarray:
        """Which records cannot be trusted cell by cell: more or fewer cells than the header,
        or a cell longer than MAX_CELL_CHARS."""
        found = np.zeros(len(self.lines), dtype=bool)
        found[list(self.extra)] = True
        for column in self.columns:
            found |= pc.fill_null(pc.greater(pc.utf8_length(column), MAX_CELL_CHARS), True).to_numpy(
                zero_copy_only=False)
        return found


@dataclass(frozen=True, eq=False)
class SourceColumns:
    """The records of a flat export (a CSV) column by column, as a platform reader hands
    them to the common importer, which maps and checks them all at once. The records it
    cannot accept that way (`unsure`, and those with a bad time, an impossible order or a
    missing or repeated id) are read one by one as `records(positions)` gives them, so that
    each problem is worded in one place."""

    rows: np.ndarray                       # int64: each record's row number (CSV: its line)
    ids: pa.StringArray                    # each record's id as text ('' when missing)
    id_fields: pa.StringArray              # the source's name for each record's id
    titles: pa.StringArray                 # these four and the label as in SourceRecord
    services: pa.StringArray
    severities: pa.StringArray
    source_labels: pa.StringArray
    major_flags: np.ndarray                # int8: 1 true, 0 false, -1 not said
    drill_flags: np.ndarray
    times: dict[str, tuple[str, pa.StringArray]]  # name_key -> (source field, texts)
    zone: ZoneInfo | None
    unsure: np.ndarray                     # bool: records to read one by one whatever their columns say
    records: Callable[[np.ndarray], list[SourceRecord]]


def shown(value: Any) -> str:
    """A raw value as text for a message ('' when absent)."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def direct(field_name: str, raw: Any, zone: ZoneInfo | None) -> Candidate:
    """A time written as text in the record."""
    return Candidate(field_name, raw, lambda: parse_time(raw, zone))


def offset(field_name: str, amount: Any, start: Candidate, unit: str) -> Candidate:
    """A time written as a duration after another time of the record (ms or s)."""

    def compute() -> pd.Timestamp | None:
        if amount is None or amount == "":
            return None
        try:
            base = start.compute()
        except ValueError as exc:
            raise ValueError(f"cannot be added to {start.field}, which {exc}") from None
        if base is None:
            raise ValueError(f"is a duration after {start.field}, which is missing")
        return after_offset(base, amount, unit)

    return Candidate(field_name, amount, compute)


def earliest(field_name: str, raws: list[Any], zone: ZoneInfo | None) -> Candidate:
    """The earliest of several times (the first acknowledgement among many log entries)."""

    def compute() -> pd.Timestamp | None:
        moments = [m for m in (parse_time(raw, zone) for raw in raws) if m is not None]
        return min(moments) if moments else None

    return Candidate(field_name, raws[0] if len(raws) == 1 else raws, compute)


# Every character Python's str.strip() removes is in this class, so a cell that neither
# starts nor ends with one of them is already stripped; the few others are stripped by Python.
_EDGE_SPACE = r"^[\s\x0b\x1c-\x1f\x85\p{Z}]|[\s\x0b\x1c-\x1f\x85\p{Z}]$"


def texts(column: pa.StringArray | None, count: int) -> pa.StringArray:
    """`text_of` of each cell of a CSV column (a missing column: all '')."""
    if column is None:
        return pa.repeat(pa.scalar("", pa.string()), count)
    filled = pc.fill_null(column, "")
    edged = pc.match_substring_regex(filled, _EDGE_SPACE).to_numpy(zero_copy_only=False)
    if not edged.any():
        return filled
    stripped = [cell.strip() for cell in filled.filter(pa.array(edged)).to_pylist()]
    return pc.replace_with_mask(filled, pa.array(edged), pa.array(stripped, type=pa.string()))


def each_distinct(values: pa.StringArray, rule: Callable[[str | None], Any]) -> np.ndarray:
    """`rule` of each text of `values` (an object array), worked out once per distinct text
    (and once for null, if there is one)."""
    encoded = values.dictionary_encode()
    distinct = encoded.dictionary.to_pylist() + ([None] if encoded.null_count else [])
    results = np.empty(len(distinct), dtype=object)
    results[:] = [rule(value) for value in distinct]
    return results[pc.fill_null(encoded.indices, len(distinct) - 1).to_numpy(zero_copy_only=False)]


def text_of(value: Any, prefer: tuple[str, ...] = ("display_value", "name", "summary", "value")) -> str:
    """Readable text of a field that may be a plain value or a reference object."""
    if value is None:
        return ""
    if isinstance(value, dict):
        for key in prefer:
            if value.get(key) not in (None, ""):
                return text_of(value[key], prefer)
        return ""
    if isinstance(value, list):
        return ", ".join(t for t in (text_of(v, prefer) for v in value) if t)
    return str(value).strip()
