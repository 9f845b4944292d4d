"""Simulated responses to compare a drill with: the same scenario, staffing and playbook
run through the simulator, giving each metric's distribution for the scorecard's
percentiles ("you declared faster than 78% of simulated teams") and the outage cost each
simulated team ran up.

A baseline is computed once per (scenario, staffing, playbook, seed, replications, start)
in a process and reused: scoring a drill again, or another drill of the same scenario and
staffing, costs nothing. Documents are told apart by their text's sha256.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

from scenarios.calendar import REFERENCE_MONDAY
from scenarios.units import MINUTES_PER_DAY, MINUTES_PER_WEEK

if TYPE_CHECKING:
    from scenarios import Loaded

__all__ = ["simulated_responses", "drill_baseline", "warm_baseline", "BASELINE_REPLICATIONS", "LIVE_REPLICATIONS",
           "BASELINE_CACHE_SIZE", "clear_baselines"]

BASELINE_REPLICATIONS = 2000
LIVE_REPLICATIONS = 500
"""Simulated responses behind the live server's scorecards: computed while the drill runs
(warm_baseline), so the scorecard is on screen within a second of the end."""
BASELINE_CACHE_SIZE = 16
"""Baselines kept per process (least recently used dropped first)."""

_cache: OrderedDict[tuple, tuple[dict, dict]] = OrderedDict()
_running: dict[tuple, threading.Event] = {}   # baselines being computed: a second caller waits for the first
_lock = threading.Lock()


def clear_baselines() -> None:
    """Forget every cached baseline."""
    with _lock:
        _cache.clear()


def simulated_responses(scenario: Loaded, staffing: Loaded | None, playbook: Loaded, *, seed: int = 1,
                        replications: int = BASELINE_REPLICATIONS,
                        start_minute: float | None = None, anchor=None) -> tuple[dict, dict]:
    """(metric -> array of simulated minutes, plus `outage_cost` -> each simulated team's
    outage cost, and a description of the run) or ({}, reason). The arrays are read-only
    and shared between callers.

    With `start_minute` (minutes from the drill's calendar `anchor`, a Monday 00:00 UTC;
    default the reference week) every simulated incident starts when the drill's did, so
    on-call cover is the same for the team and the simulated teams."""
    if replications <= 0:
        return {}, {"skipped": "no simulated comparison was asked for"}
    if staffing is None:
        return {}, {"skipped": "no staffing given and the scenario names no reference staffing"}
    minute = None if start_minute is None else int(start_minute) % MINUTES_PER_WEEK
    day = None
    if minute is not None and anchor is not None and anchor != REFERENCE_MONDAY:
        day = (anchor + dt.timedelta(minutes=minute)).date()
    key = (scenario.sha256, staffing.sha256, playbook.sha256, seed, replications, minute, day)
    while True:
        with _lock:
            if key in _cache:
                _cache.move_to_end(key)
                values, about = _cache[key]
                return dict(values), copy.deepcopy(about)
            running = _running.get(key)
            if running is None:
                running = _running[key] = threading.Event()
                break
        running.wait()   # another thread is computing it; if it failed, compute it here
    try:
        values, about = _simulate(scenario, staffing, playbook, seed, replications, minute, day)
        for array in values.values():
            array.flags.writeable = False
        with _lock:
            _cache[key] = (values, about)
            _cache.move_to_end(key)
            while len(_cache) > BASELINE_CACHE_SIZE:
                _cache.popitem(last=False)
    finally:
        with _lock:
            _running.pop(key, None)
        running.set()
    return dict(values), copy.deepcopy(about)


def drill_baseline(record, documents, replications: int = LIVE_REPLICATIONS) -> tuple[dict, dict]:
    """The simulated responses for a drill (its record and DrillDocuments): its scenario,
    staffing and playbook, its seed, starting when the drill's incident did."""
    from .session import calendar_of

    return simulated_responses(documents.scenario, documents.staffing, documents.playbook, seed=record.seed,
                               replications=replications, start_minute=record.start_minute,
                               anchor=calendar_of(record))


def warm_baseline(record, documents, replications: int = LIVE_REPLICATIONS) -> threading.Thread:
    """Compute the drill's baseline in the background (a daemon thread), so that scoring at
    the end finds it ready. A failure here is left for the scorecard to meet and report."""
    def work():
        try:
            drill_baseline(record, documents, replications)
        except Exception:  # noqa: BLE001 - reported when the scorecard asks for it
            pass

    thread = threading.Thread(target=work, name=f"baseline-{record.id}", daemon=True)
    thread.start()
    return thread


def _simulate(scenario: Loaded, staffing: Loaded, playbook: Loaded, seed: int, replications: int,
              minute: int | None, day=None) -> tuple[dict, dict]:
    import numpy as np

    from scenarios import (  # the models and the simulator load only when asked
        METRICS,
        check_together,
    )
    from scenarios.calendar import WEEKDAYS
    from scenarios.scenario import FixedStart
    from simulator import SimulationError, simulate

    problems = check_together(scenario, staffing, playbook)
    if problems:
        return {}, {"skipped": f"staffing {staffing.document.name!r} cannot run this scenario: {problems[0].message}"}
    start = None
    if minute is not None:
        start = FixedStart(policy="fixed", weekday=WEEKDAYS[minute // int(MINUTES_PER_DAY)], date=day,
                           time=f"{minute % int(MINUTES_PER_DAY) // 60:02d}:{minute % 60:02d}")
    try:
        result = simulate(scenario, staffing, playbook, replications=replications, seed=seed, start=start,
                          keep_incidents=True)
    except SimulationError as exc:
        return {}, {"skipped": str(exc)}
    frame = result.options[0].incidents
    values = {m: frame[m].to_numpy(dtype=float) for m in METRICS}
    values["outage_cost"] = frame["outage_cost"].to_numpy(dtype=float)
    about = {"staffing": staffing.document.name, "staffing_sha256": staffing.sha256,
             "playbook": playbook.document.name, "replications": replications, "seed": seed,
             "start": "the scenario's policy" if start is None else
             f"{start.date.isoformat() if start.date else start.weekday} {start.time} UTC, as the drill",
             "medians": {m: (float(np.nanmedian(values[m])) if np.isfinite(values[m]).any() else None)
                         for m in METRICS}}
    return values, about
