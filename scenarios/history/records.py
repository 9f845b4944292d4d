"""What a platform reader hands to the common importer: one `SourceRecord` per incident.

A record keeps every time it *could* use under the platform's own names (`Candidate`s,
parsed only when the mapping asks for them, so a broken field nobody maps is no problem),
plus the few text fields and flags the canonical table needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable
from zoneinfo import ZoneInfo

import pandas as pd

from .mapping import EffectiveMapping, name_key
from .table import RowProblem
from .times import after_offset, parse_time

__all__ = ["Candidate", "SourceRecord", "ReadContext", "CsvTable", "direct", "offset", "earliest", "text_of",
           "shown"]


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


@dataclass(frozen=True)
class CsvTable:
    """A CSV export: its header and its rows with the line each starts on."""

    header: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str | None], tuple[str, ...]], ...]  # (line, row, extra cells)


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
