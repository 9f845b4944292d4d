"""Service level over time (SPEC 3.1, 3.4), worked out after the run from each incident's
workaround effect and fix times: when each service is back, when each extra stage of the
traffic is back, and the outage cost (each service's lost share integrated over time).

Each service loses `share` of its users at full impact, reached over the onset's ramp.
The simulated team's workaround takes away `restores` of each service's loss when its
effect arrives; the fix takes away whatever is left. A service is restored when no more
of its loss is left than its `acceptable` share (nothing, by default); `restored` (the
engine's milestone) is when every critical one is. What is left still costs until gone.
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
           fixed: np.ndarray, cascade: dict | None = None, wears_off: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Per incident: `outage_cost`, `restored` (when every critical service is back), and
    each name of `level_names(scenarios)` (NaN where the incident's scenario has no such
    stage or service, or the service was never hit). `effect` is when the workaround's
    effect arrived, `fixed` when the fix was in (NaN when never), both in minutes from impact
    start; `cascade` has, per service hit through another, rows of (hit 0/1, minute
    reached, recovery after its dependency) as the engine drew them; `wears_off`, when a
    temporary workaround's effect wore off (its loss is back until the fix; the times
    services were first restored stand)."""
    n = scenario_index.size
    cascade = cascade or {}
    out = {name: np.full(n, np.nan) for name in level_names(scenarios)}
    out["outage_cost"] = np.full(n, np.nan)
    out["restored"] = np.full(n, np.nan)
    for k, sc in enumerate(scenarios):
        rows = scenario_index == k
        if not rows.any():
            continue
        e, f = effect[rows], fixed[rows]
        count = int(rows.sum())
        w = sc.workaround
        shares = {s.id: (sc.restored_share(w, s) if w is not None else 0.0) for s in sc.affected}
        e_before = np.where(np.isnan(f) | (e < f), e, np.nan)   # an effect after the fix changes nothing
        f_or_never = np.where(np.isnan(f), np.inf, f)
        e_or_never = np.where(np.isnan(e_before), np.inf, e_before)
        hit: dict[str, np.ndarray] = {}
        reach: dict[str, np.ndarray] = {}
        back: dict[str, np.ndarray] = {}    # at its acceptable level: restored
        clear: dict[str, np.ndarray] = {}   # nothing of its loss left
        for s in sc.affected:                      # services hit first: from impact start
            if s.depends_on is not None:
                continue
            r = shares[s.id]
            hit[s.id], reach[s.id] = np.ones(count, dtype=bool), np.zeros(count)
            back[s.id] = np.fmin(e_or_never if sc.restores_enough(w, s) else np.inf, f_or_never)
            clear[s.id] = np.fmin(e_or_never if r >= 1.0 else np.inf, f_or_never)
        for s in sc.affected:                      # services hit through them
            if s.depends_on is None:
                continue
            drawn = cascade.get(s.id)
            drawn = drawn[rows] if drawn is not None else np.zeros((count, 3))
            source = back[s.depends_on.service]
            hit[s.id] = (drawn[:, 0] > 0.5) & (drawn[:, 1] < source)
            reach[s.id] = drawn[:, 1]
            effect_after_reach = np.where(e_or_never >= reach[s.id], e_or_never, np.inf)
            recovered = source + drawn[:, 2]
            own_back = effect_after_reach if sc.restores_enough(w, s) else np.inf
            own_clear = effect_after_reach if shares[s.id] >= 1.0 else np.inf
            back[s.id] = np.where(hit[s.id], np.fmin(np.fmin(own_back, recovered), f_or_never), np.nan)
            clear[s.id] = np.where(hit[s.id], np.fmin(np.fmin(own_clear, recovered), f_or_never), np.nan)
        worn = wears_off[rows] if wears_off is not None else np.full(count, np.nan)
        relapse = np.where(~np.isnan(e_before) & (worn < f_or_never), f_or_never - worn, 0.0)
        cost = np.zeros(count)
        for s in sc.affected:
            r, b, start = shares[s.id], clear[s.id], reach[s.id]
            if s.depends_on is None and r > 0:
                # A temporary workaround: what it took away is lost again from when it wears off to the fix.
                cost += s.cost_per_minute * s.share * r * np.where(np.isinf(relapse), np.nan, relapse)
                b = np.where(relapse > 0, f_or_never, b)
            if s.depends_on is None:
                eff = np.where(~np.isnan(e_before) & (e_before < b), e_before, b)
                full = _ramped(eff, sc.onset.ramp)
            else:
                eff = np.where(~np.isnan(e_before) & (e_before > start) & (e_before < b), e_before, b)
                full = eff - start
            partial = (b - eff) * (1.0 - r)
            cost += np.where(hit[s.id], s.cost_per_minute * s.share * (full + partial), 0.0)
        out["outage_cost"][rows] = np.where(np.isinf(cost), np.nan, cost)
        critical = np.vstack([np.where(hit[s.id], back[s.id], 0.0) for s in sc.affected if s.critical])
        worst = critical.max(axis=0)
        out["restored"][rows] = np.where(np.isinf(worst), np.nan, worst)
        if len(sc.affected) > 1:
            for s in sc.affected:
                out[service_restore_name(s.id)][rows] = np.where(np.isinf(back[s.id]), np.nan, back[s.id])
        if sc.restore_stages:
            _stages(sc, shares, hit, reach, clear, e_before, rows, out)
    return out


def _stages(sc: Scenario, shares, hit, reach, clear, e_before, rows, out) -> None:
    """When each restore stage's share of the lost traffic is back: the first moment, once
    every service that will be hit has been, when the lost traffic (users x share) is down
    to 1 - stage of its peak."""
    ids = [s.id for s in sc.affected]
    weight = {s.id: (s.users or 1) * s.share for s in sc.affected}
    peak = sum(np.where(hit[sid], weight[sid], 0.0) for sid in ids)
    last_hit = np.max(np.vstack([np.where(hit[sid], reach[sid], 0.0) for sid in ids]), axis=0)
    candidates = [e_before] + [clear[sid] for sid in ids]

    def lost_at(tau):
        lost = np.zeros(tau.size)
        for s in sc.affected:
            sid = s.id
            gone = tau >= clear[sid]
            eased = ~np.isnan(e_before) & (e_before <= tau) & (e_before > reach[sid])
            share = np.where(gone, 0.0, np.where(eased, 1.0 - shares[sid], 1.0))
            lost += np.where(hit[sid] & (tau >= reach[sid]), weight[sid] * share, 0.0)
        return lost

    for stage in sc.restore_stages:
        best = np.full(peak.size, np.inf)
        for tau in candidates:
            tau = np.where(np.isnan(tau), np.inf, tau)
            ok = (tau >= last_hit) & (lost_at(tau) <= (1.0 - stage) * peak + 1e-12)
            best = np.where(ok, np.fmin(best, tau), best)
        out[stage_name(stage)][rows] = np.where(np.isinf(best), np.nan, best)
