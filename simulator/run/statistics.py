"""Small interval formulas shared by the summaries and the validation tests.

Quantiles, intervals across replications and paired differences live with the mergeable
summaries (summary.py); what is here works on plain values or counts."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["t_interval", "wilson_interval", "breach", "t_quantile", "binomial_quantile", "Z95"]

Z95 = 1.959963984540054   # the standard normal's 97.5% quantile


def t_quantile(p: float, df: float) -> float:
    """Student's t quantile: the number scipy.stats.t.ppf(p, df) gives (it calls the same
    function), without loading scipy.stats, whose import takes longer than a small run."""
    from scipy.special import stdtrit

    return float(stdtrit(df, p))


def binomial_quantile(p: float, n: int, q: float) -> int:
    """The smallest k with P(Binomial(n, q) <= k) >= p, as scipy.stats.binom.ppf(p, n, q)
    gives it for 0 < p < 1 (the same Boost function, reached without scipy.stats)."""
    try:
        from scipy.special._ufuncs import _binom_ppf
    except ImportError:  # a SciPy that moved it: the public path gives the same number
        from scipy.stats import binom

        return int(binom.ppf(p, n, q))
    return int(_binom_ppf(p, n, q))


def t_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t interval of independent values."""
    values = np.asarray(values, dtype=float)
    n = values.size
    mean = float(values.mean())
    if n < 2:
        return mean, math.nan, math.nan
    half = float(t_quantile(0.5 + level / 2, n - 1) * values.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a probability from `successes` of `n` independent trials
    (95% with the default z); informative at 0 and n, unlike p +- z*se."""
    if n == 0:
        return math.nan, math.nan
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def breach(above: int, n: int, target: float) -> dict:
    """Probability of exceeding a target from counts of independent incidents, with a Wilson
    95% interval (incidents without the metric are not counted). Stream mode's incidents are
    not independent: summary.TargetBreaches.describe chooses the interval for a run."""
    if n == 0:
        return {"target": target, "probability": None, "ci95": [None, None], "n": 0}
    return {"target": target, "probability": above / n, "ci95": list(wilson_interval(above, n)), "n": n}
