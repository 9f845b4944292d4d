"""The canonical table written out: CSV (one row per incident, empty cells for missing
times) or JSON (`warroom.incidents/1`, null for missing times). Times are UTC ISO 8601
with Z. `read_history(..., "canonical")` reads both back."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import TextIO

import pandas as pd

from ..formats import INCIDENTS_FORMAT
from ..version import TOOL_VERSION
from .table import CANONICAL_COLUMNS, CLASSIFICATION_TIMES, FLAG_COLUMNS, MILESTONE_COLUMNS
from .times import iso_z_column

__all__ = ["INCIDENTS_FORMAT", "canonical_records", "canonical_document", "canonical_csv", "write_canonical"]

_TIMES = MILESTONE_COLUMNS + CLASSIFICATION_TIMES
_FLAGS = FLAG_COLUMNS + ("first_major",)


def canonical_records(table: pd.DataFrame) -> list[dict]:
    """One plain dict per row: text, booleans, and times as ISO 8601 Z strings (None if missing)."""
    columns = []
    for column in CANONICAL_COLUMNS:
        if column in _TIMES:
            columns.append([text or None for text in iso_z_column(table[column])])
        elif column in _FLAGS:
            columns.append([bool(value) for value in table[column].tolist()])
        elif column == "reclassifications":
            columns.append([None if value is pd.NA else int(value) for value in table[column].tolist()])
        else:
            columns.append(["" if value is None else str(value) for value in table[column].tolist()])
    return [dict(zip(CANONICAL_COLUMNS, values)) for values in zip(*columns)]


def canonical_document(table: pd.DataFrame, *, source: str = "", source_file: str = "") -> dict:
    """The JSON document: format, tool version, where the rows came from, the rows."""
    return {
        "format": INCIDENTS_FORMAT,
        "tool_version": TOOL_VERSION,
        "source": source,
        "source_file": source_file,
        "columns": list(CANONICAL_COLUMNS),
        "incidents": canonical_records(table),
    }


def canonical_csv(table: pd.DataFrame) -> str:
    buffer = io.StringIO(newline="")
    _write_csv(table, buffer)
    return buffer.getvalue()


def _write_csv(table: pd.DataFrame, out: TextIO, chunk: int = 65_536) -> None:
    """The table as CSV into `out`, a chunk of rows at a time (never all rows as text at once)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CANONICAL_COLUMNS)
    for start in range(0, len(table), chunk):
        part = table.iloc[start:start + chunk]
        columns = []
        for column in CANONICAL_COLUMNS:
            if column in _TIMES:
                columns.append(iso_z_column(part[column]))
            elif column in _FLAGS:
                columns.append(["true" if value else "false" for value in part[column].tolist()])
            elif column == "reclassifications":
                columns.append(["" if value is pd.NA else str(int(value)) for value in part[column].tolist()])
            else:
                columns.append(["" if value is None else str(value) for value in part[column].tolist()])
        writer.writerows(zip(*columns))


def write_canonical(table: pd.DataFrame, path: str | Path, *, source: str = "", source_file: str = "") -> str:
    """Write `table` to `path` as CSV or JSON by its extension (.csv, .json); returns the format.
    ValueError for another extension; OSError when the file cannot be written."""
    suffix = Path(path).suffix.casefold()
    if suffix == ".csv":
        with Path(path).open("w", encoding="utf-8") as out:
            _write_csv(table, out)
    elif suffix == ".json":
        text = json.dumps(canonical_document(table, source=source, source_file=source_file), indent=2) + "\n"
        Path(path).write_text(text, encoding="utf-8")
    else:
        raise ValueError(f"{path}: write the canonical table to a .csv or .json file, got {suffix or 'no extension'!r}")
    return suffix[1:]
