"""Time and peak memory of `warroom history import` as the export grows 10x and 100x (run by hand, not in CI).

    python bench/history_import.py                          # 10k, 100k and 1M incidents (some minutes)
    python bench/history_import.py --sizes 1e4 1e5          # a shorter check
    python bench/history_import.py --exports canonical-csv  # only the canonical CSV
    python bench/history_import.py --out                    # also write the canonical table (-o history.csv)

For each size and export, a valid export is generated in a temporary folder: the canonical
table as CSV and as JSON (warroom.incidents/1), every milestone column, some missing, some
times with an offset or fractions of a second; and a ServiceNow CSV list export in local
time, read with --assume-timezone Europe/London. Each is imported by the real command in
its own process, whose wall time and peak resident set size (from the kernel) are printed
as a markdown table and saved as JSON (--save).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

from measured import run_measured  # noqa: E402  (bench/ is the script's folder)

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = ("id", "source", "title", "service", "severity", "is_major", "is_drill", "impact_started", "detected",
           "created", "acknowledged", "declared", "assembled", "mitigated", "resolved", "closed",
           "postmortem_started", "postmortem_completed")
SERVICES = ("payments-api", "search", "identity", "orders-db", "checkout", "edge")


def _moments(rng: random.Random, number: int, count: int) -> list[datetime]:
    """`count` increasing times for incident `number`: about one incident an hour from 2021."""
    moment = datetime(2021, 1, 1, tzinfo=timezone.utc) + timedelta(hours=number, seconds=rng.randrange(3600))
    found = []
    for _ in range(count):
        moment += timedelta(seconds=rng.randrange(30, 5400))
        found.append(moment)
    return found


def canonical_incidents(rows: int, seed: int = 1) -> Iterator[list[str]]:
    """Rows of the canonical table as text, in COLUMNS order."""
    rng = random.Random(seed)
    for number in range(rows):
        cells = [f"INC-{number:07d}", rng.choice(("", "pagerduty")),
                 rng.choice(("Error rate above 5%, checkout", "Latency p99 above 2s", "Login failures",
                             "[DRILL] Failover exercise", "Disk full on replica")),
                 rng.choice(SERVICES), rng.choice(("sev1", "sev2", "sev2", "sev3", "sev3", "sev4")),
                 rng.choice(("", "true", "false")), "false"]
        for moment in _moments(rng, number, len(COLUMNS) - 7):
            if rng.random() < 0.15:
                cells.append("")  # a milestone the platform did not record
            elif rng.random() < 0.1:
                cells.append(moment.astimezone(timezone(timedelta(hours=1))).isoformat())
            elif rng.random() < 0.1:
                cells.append(moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{rng.randrange(1000):03d}Z")
            else:
                cells.append(moment.strftime("%Y-%m-%dT%H:%M:%SZ"))
        yield cells


def write_canonical_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(canonical_incidents(rows))


def write_canonical_json(path: Path, rows: int) -> None:
    """As `warroom history import -o history.json` writes it (flags as booleans, missing
    times null), one incident a line rather than indented: 1M incidents stay under the
    512 MiB a JSON export may be."""
    with path.open("w", encoding="utf-8") as out:
        out.write('{"format": "warroom.incidents/1", "source": "canonical", "incidents": [')
        for number, cells in enumerate(canonical_incidents(rows)):
            incident = dict(zip(COLUMNS, cells))
            incident.update(is_major=cells[5] == "true", is_drill=False,
                            **{column: value or None for column, value in zip(COLUMNS[7:], cells[7:])})
            out.write(("," if number else "") + "\n" + json.dumps(incident, separators=(",", ":")))
        out.write("\n]}\n")


def write_servicenow(path: Path, rows: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
        writer.writerow(("number", "short_description", "priority", "state", "opened_at", "sys_created_on",
                         "promoted_on", "resolved_at", "closed_at", "major_incident_state", "business_service"))
        for number in range(rows):
            # Local times in London, where January to March 2021 is on UTC.
            opened, created, promoted, resolved, closed = (
                m.strftime("%Y-%m-%d %H:%M:%S") for m in _moments(rng, number % 2000, 5))
            major = rng.random() < 0.1
            writer.writerow((f"INC{number:07d}", "Shared drive unavailable, Leeds office",
                             rng.choice(("1 - Critical", "2 - High", "3 - Moderate", "4 - Low")), "Closed",
                             opened, created, promoted if major else "", resolved, closed,
                             "Accepted" if major else "", rng.choice(SERVICES)))


EXPORTS = {  # name: (writer, file name, source, options, title)
    "canonical-csv": (write_canonical_csv, "history.csv", "canonical", [], "canonical CSV"),
    "canonical-json": (write_canonical_json, "history.json", "canonical", [], "canonical JSON"),
    "servicenow-csv": (write_servicenow, "incidents.csv", "servicenow", ["--assume-timezone", "Europe/London"],
                       "ServiceNow CSV"),
}


def measure(export: str, rows: int, out: bool) -> dict:
    write, name, source, options, _ = EXPORTS[export]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        write(path, rows)
        command = [sys.executable, "-c", "import sys; from cli import main; sys.exit(main())",
                   "history", "import", str(path), "--source", source, *options]
        if out:
            command += ["-o", str(Path(folder) / "out.csv")]
        environment = dict(os.environ, PYTHONPATH=str(ROOT))  # this checkout's warroom, whatever is installed
        measured = run_measured(command, environment)
        found = {"code": measured["code"], "wall_s": measured["wall_s"], "peak_kib": measured["peak_kib"],
                 "output": measured["stdout"][:300], "error": measured["stderr"][-500:]}
        found["file_bytes"] = path.stat().st_size
    if found["code"] != 0 or f"Read {rows} incident" not in found["output"]:
        raise SystemExit(f"warroom failed on {rows} rows of {export}: {found['output']} {found['error']}")
    found.update({"export": export, "rows": rows, "with_out": out})
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e4, 1e5, 1e6])
    parser.add_argument("--exports", nargs="+", choices=EXPORTS, default=list(EXPORTS))
    parser.add_argument("--out", action="store_true", help="also write the canonical table (-o history.csv)")
    parser.add_argument("--save", type=Path, default=Path("/tmp/warroom-history-import.json"))
    args = parser.parse_args()
    rows = []
    print("| export | incidents | file | wall time | peak memory | incidents / s |")
    print("|---|---|---|---|---|---|")
    for export in args.exports:
        for size in args.sizes:
            row = measure(export, int(size), args.out)
            rows.append(row)
            print(f"| {EXPORTS[export][4]}{' (+ -o)' if row['with_out'] else ''} | {row['rows']:,} | "
                  f"{row['file_bytes'] / 2**20:,.1f} MiB | {row['wall_s']:,.1f} s | "
                  f"{row['peak_kib'] / 1024:,.0f} MiB | {row['rows'] / row['wall_s']:,.0f} |", flush=True)
    args.save.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
