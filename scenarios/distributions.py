"""Delay distributions stated the way practitioners think about them.

A distribution is written as a plain duration (`5m`, meaning always five minutes) or as a
mapping with `dist:` naming the family:

    {dist: exponential, mean: 10m}
    {dist: lognormal, median: 12m, p90: 40m}
    {dist: triangular, min: 5m, mode: 10m, max: 30m}
    {dist: gamma, mean: 20m, sd: 10m}
    {dist: weibull, shape: 1.5, scale: 30m}
    {dist: empirical, samples: [4m, 7m, 12m, 30m]}

Each knows its own mean and variance (tests compare samples against them) and draws with a
generator passed in by the caller, never global randomness.

A delay is an estimate; `range:` says how uncertain it is, as the low and high ends of
any of its parameters (stated by you, or the 95% intervals `warroom history fit` writes):

    {dist: lognormal, median: 9m, p90: 20m, range: {median: [6m, 13m], p90: [14m, 30m]}}

The parameters' low ends make one delay and their high ends another, each valid on its
own; `at(u)` gives the delay a share `u` of the way from the first to the second (on a log
scale), every ranged parameter moving together (`compare --input-uncertainty` draws `u`).
"""

from __future__ import annotations

import math
from typing import Annotated, Literal, Union

import numpy as np
from pydantic import BeforeValidator, Field, ValidationError, model_validator

from .base import Frozen, Minutes, PositiveMinutes

__all__ = [
    "Distribution",
    "Ranged",
    "between",
    "Fixed",
    "Exponential",
    "LogNormal",
    "Triangular",
    "Gamma",
    "Weibull",
    "Empirical",
    "ZERO",
]

# z such that P(Z <= z) = 0.9 for a standard normal.
_Z90 = 1.2815515655446004

Span = tuple[Minutes, Minutes]
"""A parameter's low and high ends, in minutes."""

RANGE_DESCRIPTION = ("How uncertain this estimate is: the low and high ends of any of its parameters, e.g. "
                     "{median: [6m, 13m], p90: [14m, 30m]}. The low ends together and the high ends together must "
                     "each make a valid delay, and each range must contain the parameter's value. Used by "
                     "`compare --input-uncertainty`; `warroom history fit` writes the fit's 95% intervals here.")


def between(low: float, high: float, share: float, ends: dict | None = None) -> float:
    """The point `share` of the way from `low` to `high`: geometric when every end in `ends`
    (default: these two) is above zero, so that points of several parameters keep their
    order; linear otherwise."""
    ends = ends if ends is not None else {"": (low, high)}
    if all(a > 0 and b > 0 for a, b in ends.values()):
        return low * (high / low) ** share
    return low + share * (high - low)


class Ranged:
    """What every family with a `range` shares: checks of the range, and the delay at a
    point between its ends."""

    def ranged(self) -> dict[str, tuple[float, float]]:
        """Parameter -> (low, high), for the parameters the range names."""
        if self.range is None:
            return {}
        return {name: tuple(span) for name, span in self.range.model_dump().items() if span is not None}

    def at(self, share: float):
        """This delay with every ranged parameter `share` of the way from its low end (0) to
        its high end (1), on a log scale when every end is above zero (delays are uncertain
        by factors: half-way from 5m to 20m is 10m), else on a straight one; the delay
        itself, without its range, when none is stated."""
        ranged = self.ranged()
        changes = {name: between(low, high, share, ranged) for name, (low, high) in ranged.items()}
        return type(self)(**{**self.model_dump(exclude={"range"}), **changes})

    def _check_range(self):
        if self.range is None:
            return self
        for name, (low, high) in self.ranged().items():
            value = getattr(self, name)
            if low > high:
                raise ValueError(f"range.{name}: give the low end first, got [{low:g}, {high:g}]")
            if not low - 1e-9 * abs(low) <= value <= high + 1e-9 * abs(high):
                raise ValueError(f"range.{name}: must contain {name} ({value:g}), got [{low:g}, {high:g}]")
        for share, end in ((0.0, "low"), (1.0, "high")):
            try:
                self.at(share)
            except ValidationError as exc:
                reason = "; ".join((".".join(map(str, e["loc"])) + ": " if e["loc"] else "")
                                   + e["msg"].removeprefix("Value error, ") for e in exc.errors())
                raise ValueError(f"range: its {end} ends do not make a valid delay: {reason}") from None
        return self


class FixedRange(Frozen):
    """Low and high ends of a fixed delay's parameters."""

    value: Span


class Fixed(Ranged, Frozen):
    """Always the same duration."""

    dist: Literal["fixed"] = "fixed"
    value: Minutes
    range: FixedRange | None = Field(None, description=RANGE_DESCRIPTION)

    @model_validator(mode="after")
    def _range_holds(self):
        return self._check_range()

    @property
    def mean(self) -> float:
        return self.value

    @property
    def variance(self) -> float:
        return 0.0

    def sample(self, rng: np.random.Generator, size) -> np.ndarray:
        return np.full(size, self.value, dtype=float)

    def scaled(self, factor: float) -> Fixed:
        """The same delay `factor` times as long."""
        return Fixed(value=self.value * _factor(factor))


class ExponentialRange(Frozen):
    """Low and high ends of an exponential delay's parameters."""

    mean: Span


class Exponential(Ranged, Frozen):
    """Memoryless delay given by its mean (the M in M/M/c)."""

    dist: Literal["exponential"]
    mean: PositiveMinutes
    range: ExponentialRange | None = Field(None, description=RANGE_DESCRIPTION)

    @model_validator(mode="after")
    def _range_holds(self):
        return self._check_range()

    @property
    def variance(self) -> float:
        return self.mean**2

    def sample(self, rng: np.random.Generator, size) -> np.ndarray:
        return rng.exponential(self.mean, size)

    def scaled(self, factor: float) -> Exponential:
        """Every draw `factor` times as long (the mean scales)."""
        return Exponential(dist="exponential", mean=self.mean * _factor(factor))


class LogNormalRange(Frozen):
    """Low and high ends of a lognormal delay's parameters."""

    median: Span | None = None
    p90: Span | None = None


class LogNormal(Ranged, Frozen):
    """Skewed human delay given by its median and 90th percentile."""

    dist: Literal["lognormal"]
    median: PositiveMinutes
    p90: PositiveMinutes
    range: LogNormalRange | None = Field(None, description=RANGE_DESCRIPTION)

    @model_validator(mode="after")
    def _p90_not_below_median(self):
        if self.p90 < self.median:
            raise ValueError(
                f"p90 must be >= median, got p90 {self.p90:g}m below median {self.median:g}m"
            )
        return self._check_range()

    @property
    def sigma(self) -> float:
        return math.log(self.p90 / self.median) / _Z90

    @property
    def mean(self) -> float:
        return self.median * math.exp(self.sigma**2 / 2)

    @property
    def variance(self) -> float:
        s2 = self.sigma**2
        return (math.exp(s2) - 1) * self.median**2 * math.exp(s2)

    def sample(self, rng: np.random.Generator, size) -> np.ndarray:
        return self.median * np.exp(self.sigma * rng.standard_normal(size))

    def scaled(self, factor: float) -> LogNormal:
        """Every draw `factor` times as long (median and p90 scale; the spread stays)."""
        factor = _factor(factor)
        return LogNormal(dist="lognormal", median=self.median * factor, p90=self.p90 * factor)


class TriangularRange(Frozen):
    """Low and high ends of a triangular delay's parameters."""

    min: Span | None = None
    mode: Span | None = None
    max: Span | None = None


class Triangular(Ranged, Frozen):
    """Three-point estimate: shortest, most likely, longest."""

    dist: Literal["triangular"]
    min: Minutes
    mode: Minutes
    max: Minutes
    range: TriangularRange | None = Field(None, description=RANGE_DESCRIPTION)

    @model_validator(mode="after")
    def _ordered(self):
        if not (self.min <= self.mode <= self.max) or self.min == self.max:
            raise ValueError(
                "need min <= mode <= max with min < max, got "
                f"min {self.min:g}m, mode {self.mode:g}m, max {self.max:g}m"
            )
        return self._check_range()

    @property
    def mean(self) -> float:
        return (self.min + self.mode + self.max) / 3

    @property
    def variance(self) -> float:
        a, c, b = self.min, self.mode, self.max
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18

    def sample(self, rng: np.random.Generator, size) -> np.ndarray:
        return rng.triangular(self.min, self.mode, self.max, size)

    def scaled(self, factor: float) -> Triangular:
        """Every draw `factor` times as long (all three points scale)."""
        factor = _factor(factor)
        return Triangular(dist="triangular", min=self.min * factor, mode=self.mode * factor, max=self.max * factor)


class GammaRange(Frozen):
    """Low and high ends of a gamma delay's parameters."""

    mean: Span | None = None
    sd: Span | None = None


class Gamma(Ranged, Frozen):
    """Delay given by mean and standard deviation (shape = (mean/sd)^2)."""

    dist: Literal["gamma"]
    mean: PositiveMinutes
    sd: PositiveMinutes
    range: GammaRange | None = Field(None, description=RANGE_DESCRIPTION)

    @model_validator(mode="after")
    def _range_holds(self):
        return self._check_range()

    @property
    def variance(self) -> float:
        return self.sd**2

    def sample(self, rng: np.random.Generator, size) -> np.ndarray:
        shape = (self.mean / self.sd) ** 2
        return rng.gamma(shape, self.sd**2 / self.mean, size)

    def scaled(self, factor: float) -> Gamma:
        """Every draw `factor` times as long (mean and sd scale; the shape stays)."""
        factor = _factor(factor)
        return Gamma(dist="gamma", mean=self.mean * factor, sd=self.sd * factor)


class WeibullRange(Frozen):
    """Low and high ends of a weibull delay's parameters."""

    shape: tuple[Annotated[float, Field(gt=0)], Annotated[float, Field(gt=0)]] | None = None
    scale: Span | None = None


class Weibull(Ranged, Frozen):
    """Delay given by shape and scale, as fitted to incident history: shape below 1 means
    most delays are short with a long tail, above 1 that they bunch around the scale."""

    dist: Literal["weibull"]
    shape: float = Field(gt=0, description="Below 1: mostly short with a long tail; 1: exponential; above 1: bunched.")
    scale: PositiveMinutes
    range: WeibullRange | None = Field(None, description=RANGE_DESCRIPTION)

    @model_validator(mode="after")
    def _range_holds(self):
        return self._check_range()

    @property
    def mean(self) -> float:
        return self.scale * math.gamma(1 + 1 / self.shape)

    @property
    def variance(self) -> float:
        return self.scale**2 * (math.gamma(1 + 2 / self.shape) - math.gamma(1 + 1 / self.shape) ** 2)

    def sample(self, rng: np.random.Generator, size) -> np.ndarray:
        return self.scale * rng.weibull(self.shape, size)

    def scaled(self, factor: float) -> Weibull:
        """Every draw `factor` times as long (the scale scales; the shape stays)."""
        return Weibull(dist="weibull", shape=self.shape, scale=self.scale * _factor(factor))


class Empirical(Frozen):
    """Observed delays, resampled with replacement."""

    dist: Literal["empirical"]
    samples: Annotated[list[Minutes], Field(min_length=1)]

    @property
    def mean(self) -> float:
        return float(np.mean(self.samples))

    @property
    def variance(self) -> float:
        return float(np.var(self.samples))

    def sample(self, rng: np.random.Generator, size) -> np.ndarray:
        values = np.asarray(self.samples, dtype=float)
        return values[rng.integers(0, len(values), size)]

    def scaled(self, factor: float) -> Empirical:
        """Every observed delay `factor` times as long."""
        factor = _factor(factor)
        return Empirical(dist="empirical", samples=[s * factor for s in self.samples])


def _factor(factor: float) -> float:
    """A scaling factor checked once for every family: finite and above zero."""
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not math.isfinite(factor) or factor <= 0:
        raise ValueError(f"a scaling factor must be a finite number above 0, got {factor!r}")
    return float(factor)


def _shorthand(value):
    """A bare duration means a fixed delay."""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return {"dist": "fixed", "value": value}
    return value


Distribution = Annotated[
    Union[Fixed, Exponential, LogNormal, Triangular, Gamma, Weibull, Empirical],
    Field(discriminator="dist"),
    BeforeValidator(_shorthand),
]

ZERO = Fixed(value=0)
