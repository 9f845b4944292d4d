"""What a history of real incidents can show at all: the smallest change in time to restore
(MTTR, mean time to restore service) that comparing one period's incidents with the next
would detect, and how often chance alone looks like an improvement.

Incident durations are taken as lognormal with the history's spread on the log scale
(`sigma`). A period "before" and a period "after", each with `incidents` incidents, are
compared with a two-sided two-sample t-test on log durations. With the same spread on both
sides a change by a factor r moves the median and the mean alike (both scale by r), so one
relative change answers for either. Power comes from the noncentral t distribution, so it
stays honest for the small counts real histories have.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["Detectability", "detectability", "detectability_of_durations", "log_spread"]


@dataclass(frozen=True)
class Detectability:
    """The numbers behind one plain sentence about what a history can detect."""

    incidents: float                     # per period, on each side of the comparison
    period: str                          # "a year"
    sigma: float                         # sd of log durations
    alpha: float
    power: float
    minimum_detectable_change: float | None  # relative cut (0.45 = 45%) found with `power`; None: no test possible
    minimum_detectable_rise: float | None    # the same log-ratio as a rise (0.82 = +82%)
    improvement: float                   # the "real improvement" the sentence asks about (0.10)
    miss_chance: float | None            # chance that real improvement is missed (1 - power at it)
    false_improvement_chance: float      # chance that no change at all shows an apparent improvement this big
    metric: str
    sentence: str

    def to_dict(self) -> dict:
        return asdict(self)


def log_spread(durations) -> tuple[float, int]:
    """(sd of log durations, how many positive durations it used); NaN and <= 0 are left out."""
    values = np.asarray(durations, dtype=float)
    values = values[np.isfinite(values) & (values > 0)]
    if values.size < 2:
        return math.nan, int(values.size)
    return float(np.std(np.log(values), ddof=1)), int(values.size)


def _power(delta: float, sigma: float, n: float, alpha: float) -> float:
    """Power of the two-sided two-sample t-test on logs to see a log-ratio `delta`."""
    from scipy import stats  # loaded only when history is in play

    df = 2 * n - 2
    se = sigma * math.sqrt(2 / n)
    critical = stats.t.ppf(1 - alpha / 2, df)
    nc = abs(delta) / se
    return float(stats.nct.sf(critical, df, nc) + stats.nct.cdf(-critical, df, nc))


def detectability(sigma: float, incidents: float, *, alpha: float = 0.05, power: float = 0.8,
                  improvement: float = 0.10, period: str = "a year", metric: str = "MTTR") -> Detectability:
    """What comparing two periods of `incidents` incidents each can detect, for durations whose
    logs have standard deviation `sigma`."""
    from scipy import optimize, stats

    if not (sigma >= 0 and math.isfinite(sigma)):
        raise ValueError(f"sigma must be a finite number >= 0, got {sigma!r}")
    if not 0 < alpha < 1 or not 0 < power < 1 or not 0 < improvement < 1:
        raise ValueError(f"alpha, power and improvement must lie in (0, 1), got {alpha}, {power}, {improvement}")
    shown = f"{incidents:.0f}" if abs(incidents - round(incidents)) < 0.05 else f"{incidents:.1f}"
    lead = f"With {shown} incident{'s' if shown != '1' else ''} {period} and this spread (log-scale sd {sigma:.2f})"
    step = -math.log(1 - improvement)
    if incidents < 2:
        sentence = (f"{lead}, no change in {metric} could be shown by comparing one period with the next: "
                    "a comparison needs at least two incidents on each side.")
        return Detectability(incidents, period, sigma, alpha, power, None, None, improvement, None, math.nan, metric,
                             sentence)
    se = sigma * math.sqrt(2 / incidents)
    false_improvement = float(stats.norm.cdf(-step / se)) if se > 0 else 0.0
    if se == 0:
        mdc, rise, miss = 0.0, 0.0, 0.0
    else:
        high = (stats.t.ppf(1 - alpha / 2, 2 * incidents - 2) + 3) * se
        while _power(high, sigma, incidents, alpha) < power:
            high *= 2
        delta = optimize.brentq(lambda d: _power(d, sigma, incidents, alpha) - power, 0.0, high)
        mdc, rise = 1 - math.exp(-delta), math.exp(delta) - 1
        miss = 1 - _power(step, sigma, incidents, alpha)
    sentence = (f"{lead}, only a cut of {_percent(mdc)} or more in {metric} would reliably show up "
                f"({power:.0%} power, {alpha:g} significance); a real {improvement:.0%} improvement would be missed "
                f"{_percent(miss)} of the time, and with no change at all the next period would still look "
                f"{improvement:.0%} better or more {_percent(false_improvement)} of the time.")
    return Detectability(incidents, period, sigma, alpha, power, mdc, rise, improvement, miss, false_improvement,
                         metric, sentence)


def _percent(share: float) -> str:
    """Whole percent, except near 0 and 100 where rounding would say something false."""
    if 0 < share < 0.005 or 0.995 <= share < 1:
        return f"{share:.1%}"
    return f"{share:.0%}"


def detectability_of_durations(durations, incidents_per_year: float, **kwargs) -> Detectability:
    """`detectability` with the spread estimated from observed durations (minutes)."""
    sigma, used = log_spread(durations)
    if not math.isfinite(sigma):
        raise ValueError(f"need at least two positive durations to estimate their spread, got {used}")
    return detectability(sigma, incidents_per_year, **kwargs)
