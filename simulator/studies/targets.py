"""A target a staffing must meet: `p90(time_to_restore) <= 60m` or `mean(time_to_acknowledge)
<= 5m`, a statistic (`mean` or a percentile `pNN`) of a SPEC 3.1 metric, at most a duration.
`optimize` searches for the cheapest staffing meeting one; an adaptive `compare` decides each
option against one (simulator.studies.sequential)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from scenarios import METRIC_TITLES, METRICS, format_duration, parse_duration
from simulator.errors import SimulationError
from simulator.run.results import OptionResult

__all__ = ["Target", "parse_target", "restore_target"]

_TARGET = re.compile(r"^\s*(?:(mean)|p(\d+(?:\.\d+)?))\s*\(\s*([A-Za-z_]+)\s*\)\s*(<=|=<|<|>=|>|=)?\s*(.*?)\s*$",
                     re.IGNORECASE)
_EXAMPLE = "'p90(time_to_restore) <= 60m' or 'mean(time_to_acknowledge) <= 5m'"


@dataclass(frozen=True)
class Target:
    """`statistic(metric) <= limit` minutes; `quantile` is set for a percentile (0.9 for p90)."""

    text: str
    statistic: str
    quantile: float | None
    metric: str
    limit: float

    def measure(self, option: OptionResult, confidence: float) -> tuple[float, float, float] | None:
        """(estimate, low, high) of the statistic for one simulated option; None when the
        metric never occurred (e.g. nothing was ever declared)."""
        summary = option.summary.metrics[self.metric]
        if summary.values.n < 2:
            return None
        if self.quantile is None:
            low, high = summary.values.t_interval(confidence)
            return summary.values.mean, low, high
        low, high = summary.quantile_interval(self.quantile, confidence)
        return summary.quantile(self.quantile), low, high

    @property
    def title(self) -> str:
        """In words, e.g. "p90 time to restore (MTTR)" or "mean time to acknowledge (MTTA)"."""
        name = METRIC_TITLES[self.metric]
        return f"{self.statistic} {name[0].lower()}{name[1:]}"

    def to_dict(self) -> dict:
        return {"text": self.text, "statistic": self.statistic, "metric": self.metric, "limit_minutes": self.limit}


def parse_target(text: str) -> Target:
    """A Target from `pNN(metric) <= DURATION` or `mean(metric) <= DURATION`; SimulationError
    saying what is wrong otherwise."""
    match = _TARGET.match(text or "")
    if not match:
        raise SimulationError(f"a target looks like {_EXAMPLE}, got {text!r}")
    is_mean, percent, metric, operator, limit_text = match.groups()
    metric = metric.lower()
    if metric not in METRICS:
        hint = " (MTTR is time_to_restore)" if metric in ("mttr", "restore") else ""
        raise SimulationError(f"unknown metric {metric!r} in target {text!r}{hint}; metrics: {', '.join(METRICS)}")
    if operator not in ("<=", "=<"):
        what = "no comparison" if operator is None else f"{operator!r}"
        raise SimulationError(f"a target is an upper limit written with <=, got {what} in {text!r} (e.g. {_EXAMPLE})")
    quantile = None
    statistic = "mean"
    if not is_mean:
        value = float(percent)
        if not 0 < value < 100:
            raise SimulationError(f"a percentile target needs pNN with NN above 0 and below 100, got p{percent} in {text!r}")
        quantile = value / 100
        statistic = f"p{percent}"
    try:
        limit = parse_duration(limit_text)
    except ValueError as exc:
        raise SimulationError(f"the limit of target {text!r}: {exc}") from None
    if limit <= 0:
        raise SimulationError(f"the limit of target {text!r} must be above zero, got {limit_text!r}")
    return Target(text=f"{statistic}({metric}) <= {format_duration(limit)}", statistic=statistic, quantile=quantile,
                  metric=metric, limit=limit)




def restore_target(scenario) -> Target | None:
    """The target a comparison decides on by default: p90 time to restore within the scenario's
    restore target (the verdict's headline), None when the scenario sets no restore target."""
    limit = scenario.all_targets.get("time_to_restore")
    if limit is None:
        return None
    return Target(text=f"p90(time_to_restore) <= {format_duration(limit)}", statistic="p90", quantile=0.9,
                  metric="time_to_restore", limit=float(limit))
