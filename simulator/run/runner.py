"""Replications as units of work (chunks), each summarised where it ran, merged exactly.

A chunk is a fixed block of replications (single mode) or one replication (stream mode),
run for every staffing option side by side so options share common random numbers. Chunks
never depend on the executor or the worker count; their summaries are integers that merge
in any order (see summary.py), so the numbers are bit-for-bit the same however the work
is spread. Per-incident rows travel back only when the caller asks for them, and are
handed over in replication order.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from scenarios.calendar import REFERENCE_MONDAY
from scenarios.metrics import METRIC_SPANS, METRICS, MILESTONES
from scenarios.units import MINUTES_PER_WEEK, MINUTES_PER_YEAR
from simulator.model.engine import DETECTION_PATHS, run_single_block, run_stream
from simulator.model.levels import level_names, levels
from simulator.model.plan import Plan, compile_plan

from .summary import OptionSummary, PairSummary, RunSummary

__all__ = ["BLOCK_SIZE", "SECTION", "Progress", "RunSpec", "Job", "ChunkResult", "run_chunk", "run_job"]

BLOCK_SIZE = 500   # replications per chunk in single mode (also the unit of the random streams)
SECTION = 50       # replications per section, for quantile-difference intervals in single mode

_SPAN_INDEX = {m: (MILESTONES.index(a), MILESTONES.index(b)) for m, (a, b) in METRIC_SPANS.items()}


class Progress(Protocol):
    """Observer told how many more replications have been simulated."""

    def __call__(self, replications: int) -> None: ...


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
    horizon: float = MINUTES_PER_YEAR
    warmup: float = 0.0
    anchor: dt.datetime = REFERENCE_MONDAY   # the run's calendar: minute 0 is this UTC instant (a Monday 00:00)
    policy: object = None   # the classification policy (its triage may delay the declaration)

    def plans(self) -> list[Plan]:
        return [compile_plan(s, self.staffing, self.playbook, self.anchor, self.policy) for s in self.scenarios]

    def tasks(self) -> list[tuple[int, int]]:
        """(first replication, count) per chunk."""
        if self.mode == "stream":
            return [(r, 1) for r in range(self.replications)]
        return [(b * BLOCK_SIZE, min(BLOCK_SIZE, self.replications - b * BLOCK_SIZE))
                for b in range(math.ceil(self.replications / BLOCK_SIZE))]


@dataclass(frozen=True)
class Job:
    """One run's work: the options side by side, the targets to count breaches of, whether
    per-incident rows come back, and a token naming the job in workers' plan caches."""

    specs: tuple
    targets: tuple = ()          # (metric, target minutes) pairs
    keep_rows: bool = False
    token: str = ""

    @property
    def mode(self) -> str:
        return self.specs[0].mode

    def chunks(self) -> list[tuple[int, int]]:
        return self.specs[0].tasks()

    def empty_summary(self) -> RunSummary:
        targets = dict(self.targets)
        scenarios = len(self.specs[0].scenarios)
        names = list(METRICS) + level_names(list(self.specs[0].scenarios))
        return RunSummary(
            options=[OptionSummary.empty(names, targets, len(DETECTION_PATHS), scenarios) for _ in self.specs],
            pairs=[{m: PairSummary() for m in METRICS} for _ in self.specs[1:]],
        )


@dataclass
class ChunkResult:
    first: int
    count: int
    summary: RunSummary
    rows: list | None  # per option, the raw arrays of this chunk's incidents (when kept)


_PLANS: dict[str, list[list[Plan]]] = {}
_PLANS_LOCK = threading.Lock()


def _plans(job: Job) -> list[list[Plan]]:
    """Compiled plans per option, compiled once per worker process and job."""
    with _PLANS_LOCK:
        plans = _PLANS.get(job.token)
        if plans is None:
            plans = [spec.plans() for spec in job.specs]
            _PLANS.clear()
            _PLANS[job.token] = plans
        return plans


def _execute(spec: RunSpec, plans: list[Plan], first: int, count: int) -> dict:
    if spec.mode == "stream":
        out = run_stream(plans, spec.seed, first, spec.horizon, spec.warmup)
        out["replication"] = np.full(out["arrival"].size, first, dtype=np.int64)
        out["incident"] = np.arange(out["arrival"].size, dtype=np.int64)
        out["start_minute"] = out["arrival"] % float(MINUTES_PER_WEEK)
        return out
    milestones, paths, starts, effects, cascades, wear = run_single_block(plans[0], spec.seed, first // BLOCK_SIZE, count,
                                                                    spec.start_minute)
    return {
        "replication": np.arange(first, first + count, dtype=np.int64),
        "incident": np.zeros(count, dtype=np.int64),
        "scenario_index": np.zeros(count, dtype=np.int64),
        "arrival": np.zeros(count),
        "start_minute": starts,
        "milestones": milestones,
        "path": paths,
        "effect": effects,
        "wears_off": wear,
        "cascade": cascades,
    }


def metric_values(milestones: np.ndarray) -> dict[str, np.ndarray]:
    """Each metric (minutes) of each incident, from its milestones; NaN where a milestone is missing."""
    return {m: milestones[:, b] - milestones[:, a] for m, (a, b) in _SPAN_INDEX.items()}


def _sections(mode: str, first: int, count: int, size: int) -> list[slice]:
    """Sections of a chunk's rows: SECTION replications aligned to the replication index in
    single mode (the same sections however the work is split); the whole horizon in stream mode."""
    if mode == "stream":
        return [slice(0, size)]
    edges = sorted({first, first + count, *range((first // SECTION + 1) * SECTION, first + count, SECTION)})
    return [slice(a - first, b - first) for a, b in zip(edges, edges[1:])]


def incident_values(scenarios: list, raw: dict) -> dict[str, np.ndarray]:
    """Each metric of each incident (SPEC 3.1 and the scenarios' extra restore stages) and
    its outage cost (SPEC 3.4), from its milestones and workaround effect."""
    milestones = raw["milestones"]
    out = metric_values(milestones)
    found = levels(scenarios, raw["scenario_index"], raw["effect"], milestones[:, MILESTONES.index("fixed")],
                   raw.get("cascade"), raw.get("wears_off"))
    out.update({name: value for name, value in found.items() if name != "restored"})
    return out


def _summarise(job: Job, raws: list[dict], first: int, count: int) -> RunSummary:
    summary = job.empty_summary()
    values = [incident_values(list(spec.scenarios), raw) for spec, raw in zip(job.specs, raws)]
    sections = _sections(job.mode, first, count, raws[0]["milestones"].shape[0])
    targets = dict(job.targets)
    for spec, raw, metrics, option in zip(job.specs, raws, values, summary.options):
        for name, metric in option.metrics.items():
            metric.add(metrics[name], sections)
        for name, counts in option.breaches.items():
            # Counted per section (a horizon in stream mode): its interval is across them.
            reached = ~np.isnan(metrics[name])
            above = reached & (metrics[name] > targets[name])
            for section in sections:
                counts.add(int(reached[section].sum()), int(above[section].sum()))
        option.paths += np.bincount(raw["path"], minlength=len(DETECTION_PATHS))
        option.scenarios += np.bincount(raw["scenario_index"], minlength=len(spec.scenarios))
        outage = metrics["outage_cost"]
        option.outage_cost.add_values(outage[~np.isnan(outage)])
        if job.mode == "stream":  # a chunk is one horizon
            option.horizon_outage_cost.add(float(np.nansum(outage)))
    for later, pairs in zip(values[1:], summary.pairs):
        for name, pair in pairs.items():
            pair.add(values[0][name], later[name], sections)
    return summary


def run_chunk(job: Job, first: int, count: int) -> ChunkResult:
    """Run replications [first, first + count) for every option and summarise them."""
    plans = _plans(job)
    raws = [_execute(spec, plans[k], first, count) for k, spec in enumerate(job.specs)]
    return ChunkResult(first, count, _summarise(job, raws, first, count), raws if job.keep_rows else None)


class Executor(Protocol):
    """Runs chunks somewhere and yields their results as they finish, in any order; raises
    ChunkFailed (naming the replications) when a chunk cannot be run."""

    def run(self, job: Job, chunks: list[tuple[int, int]]) -> Iterable[ChunkResult]: ...


def run_job(job: Job, executor: Executor, progress: Progress | None = None,
            on_rows: Callable[[list], None] | None = None, chunks: list[tuple[int, int]] | None = None) -> RunSummary:
    """Run every chunk (or those given: a range of the job's chunks), merge the summaries as
    they arrive, hand rows over in replication order."""
    total = job.empty_summary()
    waiting: dict[int, list] = {}
    chunks = job.chunks() if chunks is None else chunks
    order: Iterator[int] = iter([first for first, _ in chunks])
    next_first = next(order, None)
    for result in executor.run(job, chunks):
        total.merge(result.summary)
        if on_rows is not None and result.rows is not None:
            waiting[result.first] = result.rows
            while next_first is not None and next_first in waiting:
                on_rows(waiting.pop(next_first))
                next_first = next(order, None)
        if progress is not None:
            progress(result.count)
    return total
