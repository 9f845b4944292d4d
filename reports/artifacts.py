"""Result artifacts on disk (SPEC 3.6): `summary.json` plus the per-incident table.

Written by the CLI after a run and read back by reports; the formats are documented in
docs/reference/results.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

__all__ = ["write_results", "read_results", "SUMMARY", "INCIDENTS_PARQUET", "INCIDENTS_CSV"]

SUMMARY = "summary.json"
INCIDENTS_PARQUET = "incidents.parquet"
INCIDENTS_CSV = "incidents.csv"


def write_results(result, out_dir: str | Path, csv: bool = True) -> list[Path]:
    """Write summary.json, incidents.parquet (and incidents.csv); return the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = result.to_dict()
    paths = [out / SUMMARY, out / INCIDENTS_PARQUET]
    table = result.incidents
    table.to_parquet(paths[1], index=False)
    if csv:
        paths.append(out / INCIDENTS_CSV)
        table.to_csv(paths[2], index=False, float_format="%.6g")
    summary["files"] = [p.name for p in paths]
    paths[0].write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return paths


def read_results(out_dir: str | Path) -> tuple[dict, pd.DataFrame]:
    """The summary and the per-incident table of a results folder."""
    out = Path(out_dir)
    summary = json.loads((out / SUMMARY).read_text(encoding="utf-8"))
    return summary, pd.read_parquet(out / INCIDENTS_PARQUET)
