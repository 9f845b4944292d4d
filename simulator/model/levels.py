"""Service level over time (SPEC 3.1, 3.4), worked out after the run from each incident's
workaround effect and fix times: when each service is back, when each extra stage of the
traffic is back, and the outage cost (each service's lost share integrated over time).

Each service loses `share` of its users at full impact, reached over the onset's ramp.
The simulated team's workaround takes away `restores` of each service's loss when its
effect arrives; the fix takes away whatever is left. A service is restored when nothing
of its loss is left; `restored` (the engine's milestone) is when every critical one is.
Pure and vectorised: arrays in, arrays out.
"""

from __future__ import annotations

import numpy as np

from scenarios import Scenario

__all__ = ["level_names", "levels", "stage_name", "service_restore_name"]


def stage_name(stage: float) -> str:
    """`time_to_restore_50` for 0.5 (SPEC 3.1)."""
    return f"time_to_restore_{stage * 100:g}".replace(".", "_")


def service_restore_name(service_id: str) -> str:
    """Each service's own restore time, when a scenario names several."""
    return f"time_to_restore.{service_id}"


def level_names(scenarios: list[Scenario]) -> list[str]:
    """The extra restore metrics these scenarios define, in a stable order."""
    names: list[str] = []
    for sc in scenarios:
        for stage in sorted(sc.restore_stages):
            names.append(stage_name(stage))
        if len(sc.affected) > 1:
            names.extend(service_restore_name(s.id) for s in sc.affected)
    return list(dict.fromkeys(names))


def _ramped(until: np.ndarray, ramp: float) -> np.ndarray:
    """Minutes of full impact equivalent in [0, until) when impact ramps up over `ramp`."""
    if ramp <= 0:
        return until
    return np.where(until >= ramp, until - ramp / 2, until * until / (2 * ramp))


def levels(scenarios: list[Scenario], scenario_index: np.ndarray, effect: np.ndarray,
           fixed: np.ndarray) -> dict[str, np.ndarray]:
    """Per incident: `outage_cost`, `restored` (when every critical service is back), and
    each name of `level_names(scenarios)` (NaN where the incident's scenario has no such
    stage or service). `effect` is when the workaround's effect arrived, `fixed` when the
    fix was in (NaN when never), both in minutes from impact start."""
    n = scenario_index.size
    out = {name: np.full(n, np.nan) for name in level_names(scenarios)}
    out["outage_cost"] = np.full(n, np.nan)
    out["restored"] = np.full(n, np.nan)
    for k, sc in enumerate(scenarios):
        rows = scenario_index == k
        if not rows.any():
            continue
        e, f = effect[rows], fixed[rows]
        w = sc.workaround
        shares = {s.id: (sc.restored_share(w, s) if w is not None else 0.0) for s in sc.affected}
        # A workaround's effect that comes after the fix changes nothing.
        e_before = np.where(np.isnan(f) | (e < f), e, np.nan)
        cost = np.zeros(int(rows.sum()))
        back: dict[str, np.ndarray] = {}
        for s in sc.affected:
            r = shares[s.id]
            back[s.id] = np.where(~np.isnan(e_before) & (r >= 1.0), e_before, f) if r >= 1.0 else f
            first_step = np.where(np.isnan(e_before), back[s.id], np.fmin(e_before, back[s.id]))
            partial = (back[s.id] - first_step) * (1.0 - r)
            cost += s.cost_per_minute * s.share * (_ramped(first_step, sc.onset.ramp) + partial)
        out["outage_cost"][rows] = cost
        critical = np.vstack([back[s.id] for s in sc.affected if s.critical])
        out["restored"][rows] = np.where(np.isnan(critical).any(axis=0), np.nan, critical.max(axis=0))
        if len(sc.affected) > 1:
            for s in sc.affected:
                out[service_restore_name(s.id)][rows] = back[s.id]
        if sc.restore_stages:
            weights = {s.id: (s.users or 1) * s.share for s in sc.affected}
            total = sum(weights.values())
            at_effect = sum(weights[s.id] * shares[s.id] for s in sc.affected) / total if total else 1.0
            everything = np.vstack([back[s.id] for s in sc.affected]).max(axis=0)
            for stage in sc.restore_stages:
                reached = ~np.isnan(e_before) & (at_effect >= stage)
                out[stage_name(stage)][rows] = np.where(reached, e_before, everything)
    return out
