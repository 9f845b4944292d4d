"""Run a command in a fresh process and measure it: wall time, and peak resident memory
from the kernel (the command runs as the child of a small wrapper process, whose
RUSAGE_CHILDREN is then the command's own peak, whatever else this process holds)."""

from __future__ import annotations

import json
import subprocess
import sys

__all__ = ["run_measured"]

_WRAPPER = (
    "import json, resource, subprocess, sys, time\n"
    "start = time.perf_counter()\n"
    "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "wall = time.perf_counter() - start\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(json.dumps({'code': done.returncode, 'wall_s': wall, 'peak_kib': peak,\n"
    "                  'stdout': done.stdout, 'stderr': done.stderr}))\n"
)


def run_measured(command: list[str], env: dict | None = None) -> dict:
    """`code`, `wall_s`, `peak_kib` (KiB), `stdout`, `stderr` of `command`."""
    ran = subprocess.run([sys.executable, "-c", _WRAPPER, *command], capture_output=True, text=True, check=True,
                         env=env)
    return json.loads(ran.stdout)
