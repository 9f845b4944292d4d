"""Summaries that merge exactly and in any order, so ten million incidents need the memory
of a few thousand.

Each unit of work summarises its own incidents where it ran; the summaries are then added
up. Every part of a summary is an integer or a min/max: sums of values on a grid of
2**-20 minute (exact, however they are split), counts in a fixed histogram of log-spaced
bins, and section statistics for intervals. Adding integers gives the same total in any
order, so every executor and worker count gives the same numbers, bit for bit.

Quantiles are read off the histogram by the results format's rule
(scenarios.formats): within 0.5% of the exact sample quantile.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from scenarios.formats import (
    BINS,
    LOW,
    QUANTILES,
    RATIO,
    bin_index,
    bin_value,
    quantile_bin,
)

from .statistics import binomial_quantile, breach, t_quantile, wilson_interval

__all__ = [
    "QUANTILES", "BINS", "Moments", "Histogram", "MetricSummary", "PairSummary", "TargetBreaches",
    "OptionSummary", "RunSummary", "bin_index", "section_quantiles", "interval_methods", "PROBABILITY_INTERVALS",
]

GRID_BITS = 20          # values are summed on a grid of 2**-20 minute (about 57 microseconds)
_SPLIT = 26
_LOW_MASK = (1 << _SPLIT) - 1
_CHUNK = 1024
_LIMIT = float(1 << (49 - GRID_BITS))  # |value| below this keeps every partial product inside int64


def _grid(values: np.ndarray, bits: int) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    if x.size and float(np.abs(x).max()) >= float(1 << (49 - bits)):
        raise OverflowError(f"value {float(np.abs(x).max()):g} is too large to sum exactly")
    return np.rint(np.ldexp(x, bits)).astype(np.int64)


def _exact_sums(q: np.ndarray) -> tuple[int, int]:
    """Sum and sum of squares of int64 grid values as Python ints, with no overflow: each value
    is split into high and low parts so that every partial product and partial sum fits."""
    s1 = s2 = 0
    for start in range(0, q.size, _CHUNK):
        c = q[start:start + _CHUNK]
        hi, lo = c >> _SPLIT, c & _LOW_MASK
        s1 += (int(hi.sum()) << _SPLIT) + int(lo.sum())
        s2 += (int((hi * hi).sum()) << (2 * _SPLIT)) + (int((hi * lo).sum()) << (_SPLIT + 1)) + int((lo * lo).sum())
    return s1, s2


@dataclass
class Moments:
    """Count, weighted sum and weighted sum of squares, exact (integers on a 2**-bits grid).

    Used unweighted for values, and weighted by section size for the sectioning intervals,
    where `sections` counts the contributions."""

    bits: int = GRID_BITS
    n: int = 0
    s1: int = 0
    s2: int = 0
    sections: int = 0

    def add_values(self, values: np.ndarray) -> None:
        q = _grid(values, self.bits)
        s1, s2 = _exact_sums(q)
        self.n += int(q.size)
        self.s1 += s1
        self.s2 += s2
        self.sections += int(q.size)

    def add(self, value: float, weight: int = 1) -> None:
        q = int(_grid(np.array([value]), self.bits)[0])
        self.n += weight
        self.s1 += weight * q
        self.s2 += weight * q * q
        self.sections += 1

    def merge(self, other: Moments) -> None:
        self.n += other.n
        self.s1 += other.s1
        self.s2 += other.s2
        self.sections += other.sections

    @property
    def mean(self) -> float:
        return self.s1 / (self.n << self.bits) if self.n else math.nan

    def variance(self) -> float:
        """Sample variance of unweighted values."""
        if self.n < 2:
            return math.nan
        return (self.n * self.s2 - self.s1 * self.s1) / ((self.n * (self.n - 1)) << (2 * self.bits))

    def t_interval(self, level: float = 0.95) -> tuple[float, float]:
        """Student-t interval for the mean of independent values."""
        if self.n < 2:
            return math.nan, math.nan
        half = t_quantile(0.5 + level / 2, self.n - 1) * math.sqrt(max(self.variance(), 0.0) / self.n)
        return self.mean - half, self.mean + half

    def section_half_width(self, level: float = 0.95) -> float:
        """Half-width of the sectioning interval: spread of section estimates (weighted by
        section size) around their mean, scaled to the whole sample, t with sections-1 df."""
        if self.sections < 2 or self.n == 0:
            return math.nan
        spread = (self.n * self.s2 - self.s1 * self.s1) / (self.n << (2 * self.bits))
        variance = max(spread, 0.0) / (self.sections - 1) / self.n
        return t_quantile(0.5 + level / 2, self.sections - 1) * math.sqrt(variance)


@dataclass
class Histogram:
    """Integer counts over the fixed bins, stored from the first to the last occupied bin."""

    first: int = 0
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @classmethod
    def of(cls, values: np.ndarray) -> Histogram:
        if values.size == 0:
            return cls()
        k = bin_index(values)
        first = int(k.min())
        return cls(first, np.bincount(k - first).astype(np.int64))

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    def merge(self, other: Histogram) -> None:
        if other.counts.size == 0:
            return
        if self.counts.size == 0:
            self.first, self.counts = other.first, other.counts.copy()
            return
        first = min(self.first, other.first)
        last = max(self.first + self.counts.size, other.first + other.counts.size)
        merged = np.zeros(last - first, dtype=np.int64)
        merged[self.first - first:self.first - first + self.counts.size] += self.counts
        merged[other.first - first:other.first - first + other.counts.size] += other.counts
        self.first, self.counts = first, merged

    def at_rank(self, rank: int) -> int:
        """Bin of the rank-th smallest value (1-based)."""
        cumulative = np.cumsum(self.counts)
        return self.first + int(np.searchsorted(cumulative, max(rank, 1)))

    def cdf(self) -> tuple[np.ndarray, np.ndarray]:
        """(upper edge of each occupied bin's range, share of values at or below it)."""
        bins = np.arange(self.first, self.first + self.counts.size)
        edges = np.where(bins == 0, LOW, LOW * RATIO ** bins.astype(float))
        return edges, np.cumsum(self.counts) / max(self.total, 1)

    def to_dict(self) -> dict:
        return {"first_bin": self.first, "counts": self.counts.tolist()}


def section_quantiles(values: np.ndarray, qs: list[float]) -> tuple[int, list[float]]:
    """(count, inverted-CDF quantiles) of one section's present values, the same definition
    the histogram approximates."""
    x = np.sort(values[~np.isnan(values)])
    n = int(x.size)
    if n == 0:
        return 0, [math.nan] * len(qs)
    return n, [float(x[max(math.ceil(q * n) - 1, 0)]) for q in qs]


@dataclass
class MetricSummary:
    """One metric of one option: everything its description and intervals need."""

    values: Moments = field(default_factory=Moments)
    missing: int = 0
    low: float = math.inf
    high: float = -math.inf
    histogram: Histogram = field(default_factory=Histogram)
    section_mean: Moments = field(default_factory=Moments)
    section_quantile: dict = field(default_factory=lambda: {name: Moments() for name in QUANTILES})

    def add(self, values: np.ndarray, sections: list[slice]) -> None:
        present = values[~np.isnan(values)]
        self.missing += int(values.size - present.size)
        if present.size:
            self.values.add_values(present)
            self.low = min(self.low, float(present.min()))
            self.high = max(self.high, float(present.max()))
            self.histogram.merge(Histogram.of(present))
        for section in sections:
            n, qs = section_quantiles(values[section], list(QUANTILES.values()))
            if n:
                chunk = values[section]
                self.section_mean.add(float(np.nanmean(chunk)), n)
                for name, q in zip(QUANTILES, qs):
                    self.section_quantile[name].add(q, n)

    def merge(self, other: MetricSummary) -> None:
        self.values.merge(other.values)
        self.missing += other.missing
        self.low = min(self.low, other.low)
        self.high = max(self.high, other.high)
        self.histogram.merge(other.histogram)
        self.section_mean.merge(other.section_mean)
        for name in QUANTILES:
            self.section_quantile[name].merge(other.section_quantile[name])

    def quantile(self, q: float) -> float:
        return self._value(quantile_bin(self.histogram.counts, self.histogram.first, q))

    def _value(self, k: int) -> float:
        return min(max(bin_value(k), self.low), self.high)

    def describe(self, independent: bool) -> dict | None:
        """mean, p50, p90, p95 with 95% intervals; None when the metric never occurred.

        Independent values (single mode): t interval for the mean, binomial order statistics
        for quantiles. Stream mode (incidents of one horizon are correlated): intervals from
        the spread across replications (sectioning), centred on the pooled estimate."""
        n = self.values.n
        if n == 0:
            return None
        out: dict = {"n": n, "missing": self.missing, "mean": self.values.mean}
        if independent:
            out["ci95"] = list(self.values.t_interval())
        else:
            half = self.section_mean.section_half_width()
            out["ci95"] = [out["mean"] - half, out["mean"] + half]
        for name, q in QUANTILES.items():
            point = self.quantile(q)
            out[name] = point
            if independent:
                out[f"{name}_ci95"] = list(self.quantile_interval(q))
            else:
                half = self.section_quantile[name].section_half_width()
                out[f"{name}_ci95"] = [point - half, point + half]
        out["min"], out["max"] = self.low, self.high
        return out

    def quantile_interval(self, q: float, level: float = 0.95) -> tuple[float, float]:
        """Distribution-free interval for a quantile of independent values (binomial ranks)."""
        n = self.values.n
        if n < 2:
            return math.nan, math.nan
        lo = binomial_quantile((1 - level) / 2, n, q)
        hi = binomial_quantile(0.5 + level / 2, n, q)
        # A bound whose rank falls outside the sample is unknown, not the sample's min or max:
        # with too few values the data cannot bound a tail quantile at this level.
        low = self._value(self.histogram.at_rank(lo)) if lo >= 1 else math.nan
        high = self._value(self.histogram.at_rank(hi + 1)) if hi + 1 <= n else math.nan
        return low, high


@dataclass
class PairSummary:
    """One metric, option against the baseline, paired by replication (common random numbers)."""

    diff: Moments = field(default_factory=Moments)
    section_mean: Moments = field(default_factory=Moments)
    section_quantile: dict = field(default_factory=lambda: {name: Moments() for name in QUANTILES})

    def add(self, baseline: np.ndarray, option: np.ndarray, sections: list[slice]) -> None:
        both = ~np.isnan(baseline) & ~np.isnan(option)
        self.diff.add_values(option[both] - baseline[both])
        for section in sections:
            a, b = baseline[section], option[section]
            paired = both[section]
            pairs = int(paired.sum())
            if pairs == 0:
                continue
            self.section_mean.add(float(b[paired].mean() - a[paired].mean()), pairs)
            _, qa = section_quantiles(a, list(QUANTILES.values()))
            _, qb = section_quantiles(b, list(QUANTILES.values()))
            for name, x, y in zip(QUANTILES, qa, qb):
                self.section_quantile[name].add(y - x, pairs)

    def merge(self, other: PairSummary) -> None:
        self.diff.merge(other.diff)
        self.section_mean.merge(other.section_mean)
        for name in QUANTILES:
            self.section_quantile[name].merge(other.section_quantile[name])

    def describe(self, baseline: MetricSummary, option: MetricSummary, independent: bool) -> dict | None:
        """option - baseline. The mean difference is over pairs where both have the metric
        (t interval for independent pairs, sectioning in stream mode); a quantile difference
        is the difference of the two options' own quantiles, as their tables show, with a
        sectioning interval from sections of replications."""
        if self.diff.n < 2 or baseline.values.n == 0 or option.values.n == 0:
            return None
        out: dict = {"n_pairs": self.diff.n, "mean_diff": self.diff.mean}
        if independent:
            out["ci95"] = list(self.diff.t_interval())
        else:
            half = self.section_mean.section_half_width()
            out["ci95"] = [out["mean_diff"] - half, out["mean_diff"] + half]
        for name, q in QUANTILES.items():
            point = option.quantile(q) - baseline.quantile(q)
            half = self.section_quantile[name].section_half_width()
            out[f"{name}_diff"] = point
            out[f"{name}_ci95"] = [point - half, point + half]
        return out


PROBABILITY_INTERVALS = {
    "wilson": "Wilson score interval over incidents: single-incident mode, where each replication is one "
              "independent incident",
    "across_replications": "across replications, as for means: the share is the ratio of all breaches to all "
                           "incidents; its variance comes from how far each replication's breaches stray from that "
                           "share times its incidents (delta method for a ratio estimator), with a Student t on "
                           "replications - 1 degrees of freedom; never narrower than the Wilson interval the same "
                           "counts would get if incidents were independent. Stream mode: incidents within one "
                           "horizon share responders, so they are correlated and cannot be counted as independent "
                           "trials",
}
"""How a probability's 95% interval is computed, by name (`interval` of each target breach)."""


def interval_methods(independent: bool) -> dict:
    """The interval method of each kind of figure in a run's results (summary.json `intervals`)."""
    if independent:
        return {
            "mean": "Student t over incidents (each replication is one independent incident)",
            "quantile": "distribution-free, from binomial ranks of the incidents",
            "probability": PROBABILITY_INTERVALS["wilson"],
            "paired_mean_difference": "Student t over the paired incidents",
            "paired_quantile_difference": "sectioning: sections of replications, weighted by size, Student t on "
                                          "sections - 1 degrees of freedom",
        }
    across = "across replications (sectioning: each horizon's own figure, weighted by its incidents, Student t " \
             "on replications - 1 degrees of freedom), centred on the pooled figure"
    return {"mean": across, "quantile": across, "probability": PROBABILITY_INTERVALS["across_replications"],
            "paired_mean_difference": across, "paired_quantile_difference": across}


@dataclass
class TargetBreaches:
    """Incidents above one target, counted so that they merge exactly (integers only): the
    totals, and per section (a replication's horizon in stream mode) the sums of squares and
    products that an interval across replications needs."""

    n: int = 0            # incidents with the metric
    above: int = 0        # of them, above the target
    sections: int = 0     # sections counted, those with no incident included
    n_squares: int = 0    # sum over sections of n_r**2
    above_squares: int = 0  # sum of above_r**2
    products: int = 0     # sum of above_r * n_r

    def add(self, n: int, above: int) -> None:
        """One section's counts (stream mode: one replication's)."""
        self.n += n
        self.above += above
        self.sections += 1
        self.n_squares += n * n
        self.above_squares += above * above
        self.products += above * n

    def merge(self, other: TargetBreaches) -> None:
        self.n += other.n
        self.above += other.above
        self.sections += other.sections
        self.n_squares += other.n_squares
        self.above_squares += other.above_squares
        self.products += other.products

    def ratio_interval(self, level: float = 0.95) -> tuple[float, float]:
        """Interval of the share above target with sections (replications) as the independent
        units: the ratio estimator p = sum(above_r) / sum(n_r), whose delta-method variance
        is sum((above_r - p n_r)**2) / (k (k - 1) nbar**2) over k sections with nbar incidents
        on average, and a Student t on k - 1 degrees of freedom. NaN below two sections."""
        k, total, above = self.sections, self.n, self.above
        if k < 2 or total == 0:
            return math.nan, math.nan
        p = above / total
        # sum((a_r N - A n_r)**2) in exact integers, divided by N**2 once, at the end.
        scatter = total * total * self.above_squares - 2 * total * above * self.products + above * above * self.n_squares
        variance = max(scatter, 0) * k / ((k - 1) * total ** 4)
        half = t_quantile(0.5 + level / 2, k - 1) * math.sqrt(variance)
        return max(0.0, p - half), min(1.0, p + half)

    def describe(self, target: float, independent: bool) -> dict:
        """The share of incidents above `target` with a 95% interval, and the interval's
        method by name (PROBABILITY_INTERVALS): Wilson over incidents when they are
        independent (single mode), across replications otherwise (stream mode)."""
        if independent:
            return {**breach(self.above, self.n, target), "interval": "wilson"}
        out = {**breach(self.above, self.n, target), "interval": "across_replications", "replications": self.sections}
        low, high = self.ratio_interval()
        if not math.isnan(low):
            wilson_low, wilson_high = wilson_interval(self.above, self.n)
            # Correlated incidents are never more informative than independent ones: the
            # Wilson interval is the floor (it also keeps a run with no breach at all, where
            # replications do not vary, from claiming certainty).
            out["ci95"] = [min(low, wilson_low), max(high, wilson_high)]
        elif self.n:
            out["ci95"] = [math.nan, math.nan]   # one replication: nothing to vary across
        return out


@dataclass
class OptionSummary:
    """One staffing option: its metrics, target breaches, detection paths, outage cost."""

    metrics: dict
    breaches: dict            # metric -> TargetBreaches
    paths: np.ndarray         # incidents per detection path
    scenarios: np.ndarray     # incidents per scenario of the mix
    outage_cost: Moments = field(default_factory=lambda: Moments(bits=7))
    # Stream mode: each horizon's total outage cost (incidents within one are correlated,
    # so the yearly cost's interval comes from the spread between horizons).
    horizon_outage_cost: Moments = field(default_factory=lambda: Moments(bits=0))

    @classmethod
    def empty(cls, metrics: list[str], targets: dict, paths: int, scenarios: int) -> OptionSummary:
        return cls({m: MetricSummary() for m in metrics}, {m: TargetBreaches() for m in targets},
                   np.zeros(paths, dtype=np.int64), np.zeros(scenarios, dtype=np.int64))

    @property
    def incidents(self) -> int:
        return int(self.scenarios.sum())

    def merge(self, other: OptionSummary) -> None:
        for name, metric in self.metrics.items():
            metric.merge(other.metrics[name])
        for name, counts in self.breaches.items():
            counts.merge(other.breaches[name])
        self.paths += other.paths
        self.scenarios += other.scenarios
        self.outage_cost.merge(other.outage_cost)
        self.horizon_outage_cost.merge(other.horizon_outage_cost)


@dataclass
class RunSummary:
    """Every option of a run, and each later option paired with the first (the baseline)."""

    options: list
    pairs: list               # per later option: metric -> PairSummary

    def merge(self, other: RunSummary) -> None:
        for mine, theirs in zip(self.options, other.options):
            mine.merge(theirs)
        for mine, theirs in zip(self.pairs, other.pairs):
            for name, pair in mine.items():
                pair.merge(theirs[name])
