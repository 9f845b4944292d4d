"""warroom's benchmarks, measured against the shared SimPy reference models in the same run.

    python bench/run.py            # full run (a few minutes)
    python bench/run.py --quick    # smaller sizes, for a smoke check

Ratios, not seconds, are the figures that matter: each is warroom's time per incident
divided by the reference's, measured back to back on the same machine. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scenarios import load, load_text, resolve  # noqa: E402
from simulator import compare, simulate  # noqa: E402

BENCH = ROOT / "bench" / "incident"
VALIDATION = ROOT / "docs" / "validation"


def reference(shared: Path, script: str, *args: str) -> dict:
    """Run a reference script unchanged; it prints one JSON line."""
    out = subprocess.run([sys.executable, script, *args], cwd=shared / "bench", check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def incident_benchmark(shared: Path, n: int, rounds: int) -> dict:
    """The incident process of incident_reference.py, in warroom's stream mode (the user path:
    documents compiled, SimPy run, per-incident table and statistics built)."""
    docs = [load(BENCH / f) for f in ("scenario.yaml", "staffing.yaml", "playbook.yaml")]
    horizon = n * 180.0
    ours, theirs = [], []
    for _ in range(rounds):
        ref = reference(shared, "incident_reference.py", "single", "--n", str(n), "--seed", "1")
        theirs.append(ref["wall_s"] / ref["n"])
        seconds, result = timed(lambda: simulate(docs[0], docs[1], docs[2], mode="stream", replications=1,
                                                 horizon=horizon, seed=1))
        ours.append(seconds / result.options[0].incident_count)
    per_ours, per_theirs = statistics.median(ours), statistics.median(theirs)
    return {"incidents": n, "warroom_incidents_per_s": 1 / per_ours, "reference_incidents_per_s": 1 / per_theirs,
            "ratio": per_ours / per_theirs, "target": 1.5}


def mmc_benchmark(shared: Path, n: int, rounds: int, servers: int = 4, utilisation: float = 0.9) -> dict:
    """M/M/c through warroom's documents vs mmc_reference.py --variant min."""
    rate = servers * utilisation
    scenario = load_text((VALIDATION / "mmc-scenario.yaml").read_text().replace("0.9/minute", f"{rate}/minute"), "mmc")
    staffing = load_text((VALIDATION / "mmc-staffing.yaml").read_text().replace("on_call: 1", f"on_call: {servers}"), "mmc")
    playbook = load(VALIDATION / "mmc-playbook.yaml")
    ours, theirs = [], []
    for _ in range(rounds):
        ref = reference(shared, "mmc_reference.py", "--c", str(servers), "--n", str(n), "--warmup", "0",
                        "--seed", "1", "--variant", "min")
        theirs.append(ref["wall_s"] / ref["n"])
        seconds, result = timed(lambda: simulate(scenario, staffing, playbook, mode="stream", replications=1,
                                                 horizon=n / rate, seed=1))
        ours.append(seconds / result.options[0].incident_count)
    per_ours, per_theirs = statistics.median(ours), statistics.median(theirs)
    return {"customers": n, "servers": servers, "utilisation": utilisation,
            "warroom_per_s": 1 / per_ours, "reference_per_s": 1 / per_theirs, "ratio": per_ours / per_theirs,
            "ciw_estimate_ratio": 1 / 0.45}


def jobs_benchmark(replications: int, rounds: int) -> dict:
    """Single-incident replications at --jobs 1 and --jobs 2: speed-up, identical numbers."""
    scenario = resolve("cloudflare-2019-waf", "scenario")
    options = [resolve("cloudflare-2019-sre", "staffing"), resolve("follow-the-sun", "staffing")]
    walls = {1: [], 2: []}
    results = {}
    for _ in range(rounds):
        for jobs in (1, 2):
            seconds, result = timed(lambda: compare(scenario, options, replications=replications, seed=3, jobs=jobs))
            walls[jobs].append(seconds)
            results[jobs] = result
    one, two = statistics.median(walls[1]), statistics.median(walls[2])
    return {"replications_per_option": replications, "jobs1_s": one, "jobs2_s": two, "speedup": one / two,
            "incidents_per_s_jobs1": 2 * replications / one,
            "identical": [o.metrics for o in results[1].options] == [o.metrics for o in results[2].options]
            and results[1].differences == results[2].differences}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, one round")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="folder holding bench/ references")
    parser.add_argument("--out", type=Path, default=Path("/tmp/warroom-bench.json"))
    args = parser.parse_args()
    rounds = 1 if args.quick else 3
    report = {
        "incident": incident_benchmark(args.shared, 3000 if args.quick else 20000, rounds),
        "mmc": mmc_benchmark(args.shared, 20000 if args.quick else 200000, rounds),
        "jobs": jobs_benchmark(2000 if args.quick else 20000, rounds),
    }
    inc, mmc, jobs = report["incident"], report["mmc"], report["jobs"]
    print(f"incident process: warroom {inc['warroom_incidents_per_s']:,.0f}/s, reference {inc['reference_incidents_per_s']:,.0f}/s, "
          f"ratio {inc['ratio']:.2f}x time per incident (target <= {inc['target']}x)")
    print(f"M/M/{mmc['servers']} at {mmc['utilisation']:.0%}: warroom {mmc['warroom_per_s']:,.0f}/s, reference {mmc['reference_per_s']:,.0f}/s, "
          f"ratio {mmc['ratio']:.2f}x (Ciw is about {mmc['ciw_estimate_ratio']:.1f}x per bench/README)")
    print(f"--jobs 1 vs 2 ({jobs['replications_per_option']} replications x 2 options): {jobs['jobs1_s']:.1f}s vs "
          f"{jobs['jobs2_s']:.1f}s, speed-up {jobs['speedup']:.2f}x, identical numbers: {jobs['identical']}")
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
