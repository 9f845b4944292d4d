"""Replications as units of work, run here or in a process pool, merged in order.

Work is split into fixed blocks of replications (single mode) or one replication per
task (stream mode). Blocks never depend on `--jobs`, and results are merged in block
order, so the numbers are bit-for-bit the same for any number of processes.
"""

from __future__ import annotations

import math
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .engine import run_single_block, run_stream
from .plan import Plan, compile_plan

__all__ = ["BLOCK_SIZE", "Progress", "RunSpec", "run_options", "progress_total"]

BLOCK_SIZE = 500


class Progress(Protocol):
    """Observer told how many more incidents have been simulated."""

    def __call__(self, incidents: int) -> None: ...


@dataclass(frozen=True)
class RunSpec:
    """What to run for one staffing option: documents, mode and sizes."""

    scenarios: tuple  # Scenario models (one in single mode; the mix in stream mode)
    staffing: object
    playbook: object
    mode: str
    replications: int
    seed: int
    start_minute: float | None = None
    horizon: float = 525600.0
    warmup: float = 0.0

    def plans(self) -> list[Plan]:
        return [compile_plan(s, self.staffing, self.playbook) for s in self.scenarios]

    def tasks(self) -> list[tuple[int, int]]:
        """(first replication, count) per unit of work."""
        if self.mode == "stream":
            return [(r, 1) for r in range(self.replications)]
        return [(b * BLOCK_SIZE, min(BLOCK_SIZE, self.replications - b * BLOCK_SIZE))
                for b in range(math.ceil(self.replications / BLOCK_SIZE))]


_WORKER_PLANS: dict = {}


def _init_worker(specs):
    _WORKER_PLANS.clear()
    for k, spec in enumerate(specs):
        _WORKER_PLANS[k] = (spec, spec.plans())


def _run_task(args):
    option, first, count = args
    spec, plans = _WORKER_PLANS[option]
    return option, first, _execute(spec, plans, first, count)


def _execute(spec: RunSpec, plans: list[Plan], first: int, count: int) -> dict:
    if spec.mode == "stream":
        out = run_stream(plans, spec.seed, first, spec.horizon, spec.warmup)
        out["replication"] = np.full(out["arrival"].size, first, dtype=np.int64)
        out["incident"] = np.arange(out["arrival"].size, dtype=np.int64)
        out["start_minute"] = out["arrival"] % 10080.0
        return out
    milestones, paths, starts = run_single_block(plans[0], spec.seed, first // BLOCK_SIZE, count, spec.start_minute)
    return {
        "replication": np.arange(first, first + count, dtype=np.int64),
        "incident": np.zeros(count, dtype=np.int64),
        "scenario_index": np.zeros(count, dtype=np.int64),
        "arrival": np.zeros(count),
        "start_minute": starts,
        "milestones": milestones,
        "path": paths,
    }


def run_options(specs: list[RunSpec], jobs: int = 1, progress: Progress | None = None) -> list[dict]:
    """Run every option's tasks; per option, arrays concatenated in replication order."""
    work = [(k, first, count) for k, spec in enumerate(specs) for first, count in spec.tasks()]
    results: dict[tuple[int, int], dict] = {}

    def note(spec_index, first, count, out):
        results[(spec_index, first)] = out
        if progress is not None:
            progress(count if specs[spec_index].mode == "single" else 1)

    if jobs <= 1 or len(work) == 1:
        plans = [spec.plans() for spec in specs]
        for k, first, count in work:
            note(k, first, count, _execute(specs[k], plans[k], first, count))
    else:
        with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(specs,)) as pool:
            counts = {(k, first): count for k, first, count in work}
            for k, first, out in pool.map(_run_task, work, chunksize=1):
                note(k, first, counts[(k, first)], out)

    merged = []
    for k, spec in enumerate(specs):
        parts = [results[(k, first)] for first, _ in spec.tasks()]
        merged.append({key: np.concatenate([p[key] for p in parts]) for key in parts[0]})
    return merged


def progress_total(specs: list[RunSpec]) -> int:
    return sum(spec.replications for spec in specs)

