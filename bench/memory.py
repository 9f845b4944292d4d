"""Peak memory of `warroom simulate` as the run grows 10x and 100x (run by hand, not in CI).

    python bench/memory.py                  # 100k, 1M and 10M incidents (about 10 minutes)
    python bench/memory.py --sizes 1e5 1e6  # a shorter check

Each size runs the real command in its own process (stream mode, the incident process of
bench/incident/, one-year horizons of about 2,920 incidents each) and reads that process's
peak resident set size from the kernel. Summaries merge as chunks finish, so the peak
should stay flat however many incidents are simulated; with --out the per-incident table
is written in chunks and does not grow the peak either.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

from measured import run_measured  # noqa: E402  (bench/ is the script's folder)

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench" / "incident"
PER_YEAR = 8 * 365  # the bench scenario's frequency


def measure(incidents: int, jobs: int, out: bool) -> dict:
    horizons = max(1, math.ceil(incidents / PER_YEAR))
    command = [str(Path(sys.executable).parent / "warroom"), "simulate", str(BENCH / "scenario.yaml"),
               "--staffing", str(BENCH / "staffing.yaml"), "--playbook", str(BENCH / "playbook.yaml"),
               "--mode", "stream", "--horizon", "365d", "-n", str(horizons), "--seed", "1", "--jobs", str(jobs),
               "-q", "--json"]
    with tempfile.TemporaryDirectory() as folder:
        if out:
            command += ["--out", folder]
        measured = run_measured(command)
        summary = json.loads(measured["stdout"]) if measured["code"] == 0 else {}
        found = {"code": measured["code"], "wall_s": measured["wall_s"], "peak_kib": measured["peak_kib"],
                 "incidents": sum(summary.get("detection_paths", {}).values()), "error": measured["stderr"][-500:]}
        if out:
            found["table_bytes"] = sum(p.stat().st_size for p in Path(folder).iterdir())
    if found["code"] != 0:
        raise SystemExit(f"warroom failed: {found['error']}")
    found.update({"asked": incidents, "horizons": horizons, "jobs": jobs, "with_out": out})
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e5, 1e6, 1e7])
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--out", action="store_true", help="also write the per-incident table (--out)")
    parser.add_argument("--save", type=Path, default=Path("/tmp/warroom-memory.json"))
    args = parser.parse_args()
    rows = []
    for size in args.sizes:
        row = measure(int(size), args.jobs, args.out)
        rows.append(row)
        print(f"{row['incidents']:>12,} incidents ({row['horizons']} horizons, --jobs {row['jobs']}"
              f"{', --out' if row['with_out'] else ''}): peak {row['peak_kib'] / 1024:,.0f} MiB, "
              f"{row['wall_s']:,.0f} s, {row['incidents'] / row['wall_s']:,.0f} incidents/s", flush=True)
    base = rows[0]["peak_kib"]
    print("peak relative to the smallest run: " + ", ".join(f"{r['peak_kib'] / base:.2f}x" for r in rows))
    args.save.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    started = time.time()
    main()
