"""Simulated responses to compare a drill with: the same scenario, staffing and playbook
run through the simulator, giving each metric's distribution for the scorecard's
percentiles ("you declared faster than 78% of simulated teams")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scenarios.units import MINUTES_PER_DAY, MINUTES_PER_WEEK

if TYPE_CHECKING:
    from scenarios import Loaded

__all__ = ["simulated_responses", "BASELINE_REPLICATIONS"]

BASELINE_REPLICATIONS = 2000


def simulated_responses(scenario: Loaded, staffing: Loaded | None, playbook: Loaded, *, seed: int = 1,
                        replications: int = BASELINE_REPLICATIONS,
                        start_minute: float | None = None) -> tuple[dict, dict]:
    """(metric -> array of simulated minutes, a description of the run) or ({}, reason).

    With `start_minute` (UTC minute of the week) every simulated incident starts when the
    drill's did, so on-call cover is the same for the team and the simulated teams."""
    import numpy as np

    from scenarios import (  # the models and the simulator load only when asked
        METRICS,
        check_together,
    )
    from scenarios.scenario import FixedStart
    from scenarios.staffing import WEEKDAYS
    from simulator import SimulationError, simulate

    if replications <= 0:
        return {}, {"skipped": "no simulated comparison was asked for"}
    if staffing is None:
        return {}, {"skipped": "no staffing given and the scenario names no reference staffing"}
    problems = check_together(scenario, staffing, playbook)
    if problems:
        return {}, {"skipped": f"staffing {staffing.document.name!r} cannot run this scenario: {problems[0].message}"}
    start = None
    if start_minute is not None:
        minute = int(start_minute) % MINUTES_PER_WEEK
        start = FixedStart(policy="fixed", weekday=WEEKDAYS[minute // int(MINUTES_PER_DAY)],
                           time=f"{minute % int(MINUTES_PER_DAY) // 60:02d}:{minute % 60:02d}")
    try:
        result = simulate(scenario, staffing, playbook, replications=replications, seed=seed, start=start,
                          keep_incidents=True)
    except SimulationError as exc:
        return {}, {"skipped": str(exc)}
    frame = result.options[0].incidents
    values = {m: frame[m].to_numpy(dtype=float) for m in METRICS}
    about = {"staffing": staffing.document.name, "staffing_sha256": staffing.sha256,
             "playbook": playbook.document.name, "replications": replications, "seed": seed,
             "start": "the scenario's policy" if start is None else f"{start.weekday} {start.time} UTC, as the drill",
             "medians": {m: (float(np.nanmedian(v)) if np.isfinite(v).any() else None)
                                                      for m, v in values.items()}}
    return values, about
