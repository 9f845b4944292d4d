"""Result artifacts on disk (SPEC 3.6): `summary.json` plus the per-incident table.

Written by the CLI after a run and read back by reports; the formats are documented in
docs/reference/results.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["IncidentWriter", "write_summary", "write_results", "read_results", "SUMMARY", "INCIDENTS_PARQUET",
           "INCIDENTS_CSV"]

SUMMARY = "summary.json"
INCIDENTS_PARQUET = "incidents.parquet"
INCIDENTS_CSV = "incidents.csv"


class IncidentWriter:
    """Writes the per-incident table chunk by chunk as the run hands it over (Parquet row
    groups, CSV appended), so a long run never holds the whole table in memory."""

    def __init__(self, out_dir: str | Path, csv: bool = True):
        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self.paths = [self.out / INCIDENTS_PARQUET] + ([self.out / INCIDENTS_CSV] if csv else [])
        self._parquet = None
        self._schema = None
        self._csv = None
        self.rows = 0

    def __call__(self, frame: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self._parquet is None:
            self._schema = table.schema
            self._parquet = pq.ParquetWriter(self.paths[0], self._schema)
        self._parquet.write_table(table.cast(self._schema))
        if len(self.paths) > 1:
            if self._csv is None:
                self._csv = open(self.paths[1], "w", encoding="utf-8", newline="")
                frame.to_csv(self._csv, index=False, float_format="%.6g")
            else:
                frame.to_csv(self._csv, index=False, header=False, float_format="%.6g")
        self.rows += len(frame)

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if self._csv is not None:
            self._csv.close()
        self._parquet = self._csv = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def write_summary(summary: dict, out_dir: str | Path, files: list[Path] = ()) -> Path:
    """Write summary.json, listing the files written beside it."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / SUMMARY
    summary = dict(summary, files=[SUMMARY, *(Path(f).name for f in files)])
    path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return path


def write_results(result, out_dir: str | Path, csv: bool = True) -> list[Path]:
    """Write summary.json and, when the run kept its rows, incidents.parquet (and .csv)."""
    files: list[Path] = []
    if any(o.kept is not None for o in result.options):
        with IncidentWriter(out_dir, csv=csv) as writer:
            writer(result.incidents)
        files = writer.paths
    return [write_summary(result.to_dict(), out_dir, files), *files]


def read_results(out_dir: str | Path) -> tuple[dict, pd.DataFrame | None]:
    """The summary of a results folder (a folder or its summary.json) and its per-incident
    table if it has one."""
    out = Path(out_dir)
    if out.is_file():
        out = out.parent
    summary = json.loads((out / SUMMARY).read_text(encoding="utf-8"))
    parquet = out / INCIDENTS_PARQUET
    if not parquet.exists():
        return summary, None
    import pandas as pd  # only when there is a table to read

    return summary, pd.read_parquet(parquet)
