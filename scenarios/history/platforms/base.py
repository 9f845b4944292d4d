"""What every platform reader shares: the `Platform` entry a reader registers, and the
helpers for finding an export's records and offering their fields as times."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable
from zoneinfo import ZoneInfo

from ...textfile import cell_count_problem, cell_size_problem
from ..records import ReadContext, SourceColumns, SourceRecord, direct, text_of
from ..table import RowProblem

__all__ = ["Platform", "Extracted", "ExtractedColumns"]

Extracted = tuple[list[SourceRecord], list[RowProblem]]
ExtractedColumns = tuple[SourceColumns | None, list[RowProblem]]


@dataclass(frozen=True)
class Platform:
    """A platform's reader: `shape(document)` names the export's layout (None: not this
    platform's); `extract(document, shape, context)` gives its records and any problems
    with the file as a whole. `columns`, for platforms with a flat layout, gives the same
    records column by column (None for a layout it does not read that way), which is how
    large exports are read quickly."""

    name: str
    shapes: dict[str, str]                       # shape -> what it is, for messages
    shape: Callable[[Any], str | None]
    extract: Callable[[Any, str, ReadContext], Extracted]
    columns: Callable[[Any, str, ReadContext], ExtractedColumns] | None = None


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


def _line_problems(context: ReadContext, line: int, row: dict, extra: tuple[str, ...]) -> list[RowProblem]:
    """A CSV line with more or fewer cells than the header (truncated, or a stray comma), or
    with a cell too long to be a field, cannot be trusted cell by cell: problems of that
    line, for every CSV source."""
    found = []
    if extra:
        found.append(context.problem(line, "", ",".join(extra), cell_count_problem(len(row) + len(extra), len(row))))
    else:
        missing = sum(1 for value in row.values() if value is None)
        if missing:
            found.append(context.problem(line, "", "", cell_count_problem(len(row) - missing, len(row))))
    for column, value in row.items():
        if value is not None and cell_size_problem(value):
            found.append(context.problem(line, column, value, cell_size_problem(value)))
    return found


def _not_an_object(context: ReadContext, row: int, item: Any, what: str) -> SourceRecord:
    record = SourceRecord(row=row, id="", id_field="")
    record.problems.append(context.problem(row, "", item, f"expected {what} (an object)"))
    return record


def _record(context: ReadContext, row: int, item: dict, id_field: str, *, title: str) -> SourceRecord:
    return SourceRecord(row=row, id=text_of(item.get(id_field)), id_field=id_field, title=title)
