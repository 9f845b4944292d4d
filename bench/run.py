"""warroom's benchmarks, measured against the shared SimPy reference models in the same run.

    python bench/run.py            # full run (a few minutes)
    python bench/run.py --quick    # smaller sizes, for a smoke check
    python bench/memory.py         # peak memory for 100k, 1M, 10M incidents (by hand)
    python bench/startup.py        # how long --help, list and simulate -n 1000 take (also part of run.py)

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

sys.path.insert(0, str(ROOT / "bench"))
from drill_end import drill_end_benchmark  # noqa: E402

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
            "ratio": per_ours / per_theirs, "target": 1.2}


def mmc_benchmark(shared: Path, n: int, rounds: int, servers: int = 4, utilisation: float = 0.9) -> dict:
    """M/M/c through warroom's documents vs mmc_reference.py --variant min."""
    rate = servers * utilisation
    scenario = load_text((VALIDATION / "mmc-scenario.yaml").read_text().replace("0.9/minute", f"{rate}/minute"), "mmc")
    staffing = load_text((VALIDATION / "mmc-staffing.yaml").read_text().replace("on_call: 1", f"on_call: {servers}"), "mmc")
    playbook = load(VALIDATION / "mmc-playbook.yaml")
    ours, theirs, ciws = [], [], []
    for _ in range(rounds):
        ref = reference(shared, "mmc_reference.py", "--c", str(servers), "--n", str(n), "--warmup", "0",
                        "--seed", "1", "--variant", "min")
        theirs.append(ref["wall_s"] / ref["n"])
        seconds, result = timed(lambda: simulate(scenario, staffing, playbook, mode="stream", replications=1,
                                                 horizon=n / rate, seed=1))
        ours.append(seconds / result.options[0].incident_count)
        ciws.append(ciw_per_customer(servers, rate, max(n // 4, 5000)))
    per_ours, per_theirs, per_ciw = statistics.median(ours), statistics.median(theirs), statistics.median(ciws)
    return {"customers": n, "servers": servers, "utilisation": utilisation,
            "warroom_per_s": 1 / per_ours, "reference_per_s": 1 / per_theirs, "ciw_per_s": 1 / per_ciw,
            "ratio": per_ours / per_theirs, "ciw_ratio": per_ciw / per_theirs, "faster_than_ciw": per_ours < per_ciw}


def ciw_per_customer(servers: int, rate: float, n: int) -> float:
    """Ciw's M/M/c (service rate 1), seconds per customer, in this process."""
    import ciw

    network = ciw.create_network(arrival_distributions=[ciw.dists.Exponential(rate=rate)],
                                 service_distributions=[ciw.dists.Exponential(rate=1.0)],
                                 number_of_servers=[servers])
    ciw.seed(1)
    simulation = ciw.Simulation(network)
    start = time.perf_counter()
    simulation.simulate_until_max_customers(n, method="Finish")
    wall = time.perf_counter() - start
    return wall / len(simulation.get_all_records())


def _numbers(result) -> dict:
    out = result.to_dict()
    for key in ("started", "finished", "settings"):
        out.pop(key)
    return out


def parallel_benchmark(replications: int, rounds: int) -> dict:
    """The same compare at --jobs 1, --jobs 2 and on a 2-worker Dask LocalCluster: speed-ups
    and identical numbers. The cluster is started once, outside the timing (its start-up is
    reported separately)."""
    from simulator import DaskExecutor

    scenario = resolve("cloudflare-2019-waf", "scenario")
    options = [resolve("cloudflare-2019-sre", "staffing"), resolve("follow-the-sun", "staffing")]
    walls: dict[str, list[float]] = {"jobs1": [], "jobs2": [], "dask2": []}
    numbers = {}
    startup, cluster = timed(lambda: DaskExecutor(workers=2).__enter__())
    try:
        compare(scenario, options, replications=1000, seed=3, executor=cluster)  # workers import warroom
        runs = {"jobs1": {"jobs": 1}, "jobs2": {"jobs": 2}, "dask2": {"executor": cluster}}
        for _ in range(rounds):
            for name, how in runs.items():
                seconds, result = timed(lambda: compare(scenario, options, replications=replications, seed=3, **how))
                walls[name].append(seconds)
                numbers[name] = _numbers(result)
    finally:
        cluster.__exit__()
    one = statistics.median(walls["jobs1"])
    return {"replications_per_option": replications, "jobs1_s": one, "jobs2_s": statistics.median(walls["jobs2"]),
            "dask2_s": statistics.median(walls["dask2"]), "dask_startup_s": startup,
            "speedup_jobs2": one / statistics.median(walls["jobs2"]),
            "speedup_dask2": one / statistics.median(walls["dask2"]),
            "incidents_per_s_per_core": 2 * replications / one,
            "identical": numbers["jobs1"] == numbers["jobs2"] == numbers["dask2"]}


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
        "parallel": parallel_benchmark(2000 if args.quick else 20000, rounds),
        "drill_end": drill_end_benchmark(1 if args.quick else 3),
        "startup": json.loads(subprocess.run([sys.executable, str(ROOT / "bench" / "startup.py"), "--rounds",
                                              str(3 if args.quick else 5)], check=True, capture_output=True,
                                             text=True).stdout),
    }
    inc, mmc, par = report["incident"], report["mmc"], report["parallel"]
    print(f"incident process: warroom {inc['warroom_incidents_per_s']:,.0f}/s, reference {inc['reference_incidents_per_s']:,.0f}/s, "
          f"ratio {inc['ratio']:.2f}x time per incident (target <= {inc['target']}x)")
    print(f"M/M/{mmc['servers']} at {mmc['utilisation']:.0%}: warroom {mmc['warroom_per_s']:,.0f}/s, reference "
          f"{mmc['reference_per_s']:,.0f}/s, Ciw {mmc['ciw_per_s']:,.0f}/s; ratio to the reference: warroom "
          f"{mmc['ratio']:.2f}x, Ciw {mmc['ciw_ratio']:.2f}x (faster than Ciw: {mmc['faster_than_ciw']})")
    print(f"compare, {par['replications_per_option']} replications x 2 options: --jobs 1 {par['jobs1_s']:.1f}s "
          f"({par['incidents_per_s_per_core']:,.0f} incidents/s on one core), --jobs 2 {par['jobs2_s']:.1f}s "
          f"(speed-up {par['speedup_jobs2']:.2f}x), Dask LocalCluster of 2 {par['dask2_s']:.1f}s "
          f"(speed-up {par['speedup_dask2']:.2f}x; cluster start-up {par['dask_startup_s']:.1f}s); "
          f"identical numbers: {par['identical']}")
    end = report["drill_end"]
    print(f"live drill, end to scorecard: {end['warm_s']:.2f}s (target <= {end['target_s']:g}s; "
          f"{end['cold_s']:.2f}s with the baseline computed at the end, ratio {end['ratio']:.2f}x)")
    start = report["startup"]["seconds"]
    print(f"start-up: --help {start['warroom --help']:.2f}s, list {start['warroom list']:.2f}s, simulate -n 1000 "
          f"{start['warroom simulate -n 1000']:.2f}s (bare interpreter {start['python -c pass']:.2f}s)")
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
