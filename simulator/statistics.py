"""Honest statistics over replications: quantiles with intervals, breach probabilities,
paired differences under common random numbers.

`groups` is the replication each value came from. In single-incident mode every
replication is one incident, so values are independent; in stream mode incidents of one
replication are correlated, so intervals are computed across replications.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

__all__ = ["QUANTILES", "describe", "breach", "paired_difference", "t_interval"]

QUANTILES = {"p50": 0.50, "p90": 0.90, "p95": 0.95}
BOOTSTRAP_RESAMPLES = 400


def t_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t interval of independent values."""
    values = np.asarray(values, dtype=float)
    n = values.size
    mean = float(values.mean())
    if n < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * values.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half


def _order_statistic_interval(sorted_values: np.ndarray, q: float, level: float = 0.95) -> tuple[float, float]:
    """Distribution-free interval for a quantile of independent values (binomial order statistics)."""
    n = sorted_values.size
    if n < 2:
        return math.nan, math.nan
    lo = int(stats.binom.ppf((1 - level) / 2, n, q))
    hi = int(stats.binom.ppf(0.5 + level / 2, n, q))
    return float(sorted_values[max(lo - 1, 0)]), float(sorted_values[min(hi, n - 1)])


def _per_group(values: np.ndarray, groups: np.ndarray, fn) -> np.ndarray:
    order = np.argsort(groups, kind="stable")
    g = groups[order]
    v = values[order]
    cuts = np.flatnonzero(np.diff(g)) + 1
    return np.array([fn(chunk) for chunk in np.split(v, cuts) if chunk.size])


def describe(values: np.ndarray, groups: np.ndarray | None = None) -> dict | None:
    """mean, p50, p90, p95 with 95% intervals; None when the metric never occurred."""
    values = np.asarray(values, dtype=float)
    present = ~np.isnan(values)
    x = values[present]
    missing = int((~present).sum())
    if x.size == 0:
        return None
    independent = groups is None or np.unique(groups[present]).size == x.size
    out: dict = {"n": int(x.size), "missing": missing}
    sorted_x = np.sort(x)
    if independent:
        mean, lo, hi = t_interval(x)
        out["mean"], out["ci95"] = mean, [lo, hi]
        for name, q in QUANTILES.items():
            out[name] = float(np.quantile(sorted_x, q))
            out[f"{name}_ci95"] = list(_order_statistic_interval(sorted_x, q))
    else:
        g = groups[present]
        rep_means = _per_group(x, g, np.mean)
        _, lo, hi = t_interval(rep_means)
        mean = float(x.mean())
        half = (hi - lo) / 2
        out["mean"], out["ci95"] = mean, [mean - half, mean + half]
        for name, q in QUANTILES.items():
            point = float(np.quantile(sorted_x, q))
            _, qlo, qhi = t_interval(_per_group(x, g, lambda c: np.quantile(c, q)))
            qhalf = (qhi - qlo) / 2
            out[name], out[f"{name}_ci95"] = point, [point - qhalf, point + qhalf]
    return out


def breach(values: np.ndarray, target: float) -> dict:
    """Probability of exceeding a target, with a Wilson 95% interval; missing values excluded."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = x.size
    if n == 0:
        return {"target": target, "probability": None, "ci95": [None, None], "n": 0}
    k = int((x > target).sum())
    p = k / n
    z = 1.959963984540054
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return {"target": target, "probability": p, "ci95": [max(0.0, centre - half), min(1.0, centre + half)], "n": n}


def _paired_bootstrap_quantiles(a: np.ndarray, b: np.ndarray, qs: np.ndarray, seed: int) -> np.ndarray:
    """Quantile differences b - a over paired bootstrap resamples (resamples x quantiles).

    A resample is a vector of counts per pair; its quantile is read off the counts'
    running sum in each side's sorted order, which is linear per resample instead of a
    sort. The resamples are seeded from the run's seed, so intervals are reproducible.
    """
    n = a.size
    order_a, order_b = np.argsort(a, kind="stable"), np.argsort(b, kind="stable")
    sorted_a, sorted_b = a[order_a], b[order_b]
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0xB007,)))
    thresholds = np.maximum(np.ceil(qs * n), 1)
    out = np.empty((BOOTSTRAP_RESAMPLES, qs.size))
    for r in range(BOOTSTRAP_RESAMPLES):
        counts = np.bincount(rng.integers(0, n, n), minlength=n)
        qa = sorted_a[np.searchsorted(np.cumsum(counts[order_a]), thresholds)]
        qb = sorted_b[np.searchsorted(np.cumsum(counts[order_b]), thresholds)]
        out[r] = qb - qa
    return out


def paired_difference(
    baseline: np.ndarray,
    option: np.ndarray,
    groups: np.ndarray,
    seed: int,
) -> dict | None:
    """option - baseline, paired by replication (common random numbers).

    Independent pairs (single mode): t interval for the mean difference; paired bootstrap
    (seeded) for quantile differences. Stream mode: per-replication differences, t interval.
    """
    a = np.asarray(baseline, dtype=float)
    b = np.asarray(option, dtype=float)
    both = ~np.isnan(a) & ~np.isnan(b)
    if both.sum() < 2:
        return None
    a, b, g = a[both], b[both], groups[both]
    out: dict = {"n_pairs": int(both.sum())}
    independent = np.unique(g).size == a.size
    if independent:
        mean, lo, hi = t_interval(b - a)
        out["mean_diff"], out["ci95"] = mean, [lo, hi]
        qs = np.array(list(QUANTILES.values()))
        boot = _paired_bootstrap_quantiles(a, b, qs, seed)
        for j, (name, q) in enumerate(QUANTILES.items()):
            out[f"{name}_diff"] = float(np.quantile(b, q) - np.quantile(a, q))
            out[f"{name}_ci95"] = [float(np.quantile(boot[:, j], 0.025)), float(np.quantile(boot[:, j], 0.975))]
    else:
        mean, lo, hi = t_interval(_per_group(b, g, np.mean) - _per_group(a, g, np.mean))
        out["mean_diff"], out["ci95"] = float(b.mean() - a.mean()), [lo, hi]
        for name, q in QUANTILES.items():
            diffs = _per_group(b, g, lambda c: np.quantile(c, q)) - _per_group(a, g, lambda c: np.quantile(c, q))
            _, qlo, qhi = t_interval(diffs)
            point = float(np.quantile(b, q) - np.quantile(a, q))
            half = (qhi - qlo) / 2
            out[f"{name}_diff"], out[f"{name}_ci95"] = point, [point - half, point + half]
    return out
