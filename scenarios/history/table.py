"""The canonical incident table every importer produces and every history consumer reads.

One row per incident. Milestone columns are pandas `datetime64[ns, UTC]` (NaT when the
source does not record that milestone: never imputed). The table is a pandas DataFrame
with exactly these columns in this order; `canonical_frame` builds and checks one.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..errors import WarroomError

__all__ = ["TEXT_COLUMNS", "FLAG_COLUMNS", "MILESTONE_COLUMNS", "CANONICAL_COLUMNS", "RowProblem", "HistoryError",
           "canonical_frame"]

TEXT_COLUMNS = ("id", "source", "title", "service", "severity")
FLAG_COLUMNS = ("is_major", "is_drill")
# In lifecycle order. `mitigated` is SPEC 3.1's `restored` (service back to an acceptable level).
MILESTONE_COLUMNS = (
    "impact_started", "detected", "created", "acknowledged", "declared", "assembled",
    "mitigated", "resolved", "closed", "postmortem_started", "postmortem_completed",
)
CANONICAL_COLUMNS = TEXT_COLUMNS + FLAG_COLUMNS + MILESTONE_COLUMNS


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
    frame = pd.DataFrame(rows, columns=list(CANONICAL_COLUMNS))
    for column in TEXT_COLUMNS:
        frame[column] = [("" if v is None or v != v else str(v)) for v in frame[column]]
    for column in FLAG_COLUMNS:
        frame[column] = [bool(v) if v is not None and v == v else False for v in frame[column]]
    frame = frame.astype({c: bool for c in FLAG_COLUMNS})
    for column in MILESTONE_COLUMNS:
        try:
            frame[column] = pd.to_datetime(frame[column], utc=True).astype("datetime64[ns, UTC]")
        except (OverflowError, pd.errors.OutOfBoundsDatetime):
            # The importers report such times per row; this is for tables built in Python.
            raise ValueError(f"{column}: a time beyond 2262, which the table's nanosecond times cannot hold "
                             "(a placeholder for 'never'? leave it missing)") from None
    return frame
