"""Small interval formulas shared by the summaries and the validation tests.

Quantiles, intervals across replications and paired differences live with the mergeable
summaries (summary.py); what is here works on plain values or counts."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

__all__ = ["t_interval", "breach"]


def t_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t interval of independent values."""
    values = np.asarray(values, dtype=float)
    n = values.size
    mean = float(values.mean())
    if n < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * values.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half


def breach(above: int, n: int, target: float) -> dict:
    """Probability of exceeding a target from counts, with a Wilson 95% interval (incidents
    without the metric are not counted)."""
    if n == 0:
        return {"target": target, "probability": None, "ci95": [None, None], "n": 0}
    p = above / n
    z = 1.959963984540054
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return {"target": target, "probability": p, "ci95": [max(0.0, centre - half), min(1.0, centre + half)], "n": n}
