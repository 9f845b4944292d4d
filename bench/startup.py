"""How long people wait on short commands: `warroom --help`, `warroom list`, and
`warroom simulate -n 1000`, each a fresh process, against the bare interpreter's start-up
(`python -c pass`) measured in the same run. For `simulate`, the share of the wall time
spent simulating (the run's own timing, in-process) says whether start-up or the model
dominates.

    .venv/bin/python bench/startup.py [--rounds 5] [--out FILE]
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
WARROOM = str(Path(sys.executable).with_name("warroom"))
SIMULATE = ["simulate", "cloudflare-2019-waf", "--staffing", "cloudflare-2019-sre", "-n", "1000", "--seed", "1",
            "--quiet"]


def wall(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - start


def simulation_seconds() -> float:
    """The same simulation in this process, documents already loaded: the model's own time."""
    sys.path.insert(0, str(ROOT))
    from scenarios import resolve
    from simulator import simulate

    docs = resolve("cloudflare-2019-waf", "scenario"), resolve("cloudflare-2019-sre", "staffing"), \
        resolve("itil-major-incident", "playbook")
    simulate(*docs, replications=100, seed=1)  # warm imports
    start = time.perf_counter()
    simulate(*docs, replications=1000, seed=1)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    commands = {"python -c pass": [sys.executable, "-c", "pass"], "warroom --help": [WARROOM, "--help"],
                "warroom list": [WARROOM, "list"], "warroom simulate -n 1000": [WARROOM, *SIMULATE]}
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.rounds):  # interleaved, so a busy moment hits every command alike
        for name, argv in commands.items():
            times[name].append(wall(argv))
    median = {name: statistics.median(t) for name, t in times.items()}
    base = median["python -c pass"]
    simulating = simulation_seconds()
    out = {
        "rounds": args.rounds,
        "seconds": {name: round(s, 3) for name, s in median.items()},
        "over_bare_interpreter": {name: round(s / base, 2) for name, s in median.items() if name != "python -c pass"},
        "simulate_share_simulating": round(simulating / median["warroom simulate -n 1000"], 2),
        "targets": "--help and list well under a second; simulate dominated by simulation",
    }
    text = json.dumps(out, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
