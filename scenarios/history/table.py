"""The canonical incident table every importer produces and every history consumer reads.

One row per incident. Milestone columns are pandas `datetime64[ns, UTC]` (NaT when the
source does not record that milestone: never imputed). The table is a pandas DataFrame
with exactly these columns in this order; `canonical_frame` builds and checks one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import WarroomError

__all__ = ["TEXT_COLUMNS", "FLAG_COLUMNS", "MILESTONE_COLUMNS", "CLASSIFICATION_COLUMNS", "CLASSIFICATION_TIMES",
           "CANONICAL_COLUMNS", "RowProblem", "HistoryError", "canonical_frame", "canonical_table"]

TEXT_COLUMNS = ("id", "source", "title", "service", "severity")
FLAG_COLUMNS = ("is_major", "is_drill")
# In lifecycle order. `mitigated` is SPEC 3.1's `restored` (service back to an acceptable level).
# `first_update`, `identified`, `workaround_applied` and `fixed` are SPEC 3.1 milestones few
# platforms export: a canonical file may give them, and a drill journal records them.
MILESTONE_COLUMNS = (
    "impact_started", "detected", "created", "acknowledged", "declared", "first_update", "assembled",
    "identified", "workaround_applied", "mitigated", "fixed", "resolved", "closed", "postmortem_started",
    "postmortem_completed",
)
# How the incident was classified over time, where the export carries it (a log of priority
# or severity changes): the first classification and when, whether it was at or above the
# major line, how many times it changed and when the last change and the raise to the major
# line happened. `first_severity` "" means the export does not say (then the others are
# missing too): never read as "never changed".
CLASSIFICATION_TIMES = ("classified_at", "reclassified_at", "raised_at")
CLASSIFICATION_COLUMNS = ("first_severity", "first_major", "reclassifications") + CLASSIFICATION_TIMES
CANONICAL_COLUMNS = TEXT_COLUMNS + FLAG_COLUMNS + MILESTONE_COLUMNS + CLASSIFICATION_COLUMNS
_TEXT = pd.Series([""]).dtype  # the dtype pandas gives a list of text


@dataclass(frozen=True, order=True)
class RowProblem:
    """One bad row of an export: where it is and why it was not used."""

    file: str
    row: int | None          # 1-based record number in the file (CSV: the line number), None for the whole file
    field: str               # the source's own field name, or "" for the whole row/file
    value: str               # the offending value as written ("" when absent)
    message: str

    def __str__(self) -> str:
        where = self.file if self.row is None else f"{self.file}: row {self.row}"
        what = f"{self.field}: " if self.field else ""
        shown = f" (got {self.value!r})" if self.value != "" else ""
        return f"{where}: {what}{self.message}{shown}"


class HistoryError(WarroomError):
    """An export that cannot be read as given: every problem found, not just the first."""

    def __init__(self, problems: list[RowProblem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.row or 0, p.field))
        super().__init__("\n".join(str(p) for p in self.problems))


def canonical_frame(rows: list[dict]) -> pd.DataFrame:
    """The canonical table from importer rows (dicts keyed by canonical column; missing
    keys become empty text, False or NaT). Timestamps must already be timezone-aware and no
    later than 2262-04-11 (ValueError otherwise)."""
    return canonical_table({column: [row.get(column) for row in rows] for column in CANONICAL_COLUMNS}, len(rows))


def canonical_table(columns: dict[str, Any], length: int) -> pd.DataFrame:
    """The canonical table from whole columns of `length` values each, as `canonical_frame`
    builds it from rows (a missing column: empty text, False or NaT throughout). Besides
    lists: a text column may be an Arrow string array without nulls, a flag column a
    boolean array, a milestone column a UTC datetime64 array."""
    frame = pd.DataFrame(index=pd.RangeIndex(length))  # built in CANONICAL_COLUMNS order
    missing = [None] * length
    for column in TEXT_COLUMNS:
        values = columns.get(column, missing)
        frame[column] = (pd.array(values, dtype=_TEXT) if isinstance(values, pa.Array)
                         else [("" if v is None or v != v else str(v)) for v in values])
    for column in FLAG_COLUMNS:
        values = columns.get(column, missing)
        frame[column] = (values if isinstance(values, np.ndarray) and values.dtype == bool
                         else np.array([bool(v) if v is not None and v == v else False for v in values], dtype=bool))
    for column in MILESTONE_COLUMNS:
        frame[column] = _times(columns.get(column, missing), column)
    values = columns.get("first_severity", missing)
    frame["first_severity"] = (pd.array(values, dtype=_TEXT) if isinstance(values, pa.Array)
                               else [("" if v is None or v != v else str(v)) for v in values])
    values = columns.get("first_major", missing)
    frame["first_major"] = (values if isinstance(values, np.ndarray) and values.dtype == bool
                            else np.array([bool(v) if v is not None and v == v else False for v in values], dtype=bool))
    values = columns.get("reclassifications", missing)
    frame["reclassifications"] = (values if isinstance(values, pd.arrays.IntegerArray) else
                                  pd.array([None if v is None or v is pd.NA or v != v else int(v) for v in values],
                                           dtype="Int64"))
    for column in CLASSIFICATION_TIMES:
        frame[column] = _times(columns.get(column, missing), column)
    return frame


def _times(values: Any, column: str) -> pd.Series:
    try:
        return pd.to_datetime(values, utc=True).astype("datetime64[ns, UTC]")
    except (OverflowError, pd.errors.OutOfBoundsDatetime):
        # The importers report such times per row; this is for tables built in Python.
        raise ValueError(f"{column}: a time beyond 2262, which the table's nanosecond times cannot hold "
                         "(a placeholder for 'never'? leave it missing)") from None
