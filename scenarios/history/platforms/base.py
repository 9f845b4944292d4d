"""What every platform reader shares: the `Platform` entry a reader registers, and the
helpers for finding an export's records and offering their fields as times."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable
from zoneinfo import ZoneInfo

from ..records import ReadContext, SourceRecord, direct, text_of
from ..table import RowProblem

__all__ = ["Platform", "Extracted"]

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
