"""Risk in the units leadership uses: how many times a year each target will be missed, the
chance of missing it at least once this year, and what outages cost a year.

Incidents arrive as a Poisson process at `rate` a year, and each misses a target with the
simulated probability p; the misses then arrive as a Poisson process at rate x p a year
(thinning), so a year expects rate x p of them and has at least one with probability
1 - exp(-rate x p). Outage cost a year is rate x the mean outage cost of an incident.

Every figure is given three ways (`figure`): its `value` at the rate the scenario states;
its `ci95`, the simulation's 95% interval at that rate (from the interval of p, or of the
mean cost); and its `range`, the lowest and highest it could be across the scenario's
`frequency_range` with the interval's matching end (the low rate with the interval's low
end, the high rate with its high end), or None when no range of rates is stated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["IncidentRate", "incident_rate", "chance_of_any", "figure", "yearly_risk", "cheapest_by_rate"]


@dataclass(frozen=True)
class IncidentRate:
    """Incidents a year: the rate the figures use, the plausible `low` and `high` ends
    (equal to it when no range is stated), and a sentence saying where they come from."""

    per_year: float
    low: float
    high: float
    basis: str

    @property
    def stated_range(self) -> bool:
        return self.low != self.per_year or self.high != self.per_year

    def to_dict(self) -> dict:
        return {"value": self.per_year, "range": [self.low, self.high] if self.stated_range else None,
                "basis": self.basis}


def _rate_text(value: float) -> str:
    return f"{value:.3g} incident{'' if f'{value:.3g}' == '1' else 's'} a year"


def incident_rate(scenarios: list, per_year: float, stream: bool = False) -> IncidentRate:
    """The rate a run's yearly figures use: `per_year` (the scenario's `frequency` in single
    mode; the rate the stream simulated, the mix's frequencies together, in stream mode),
    with the plausible range the scenarios' `frequency_range` give (a scenario without one
    counts its frequency at both ends), scaled to `per_year` in stream mode."""
    stated = sum(s.frequency for s in scenarios)
    low = sum(s.frequency_bounds[0] for s in scenarios)
    high = sum(s.frequency_bounds[1] for s in scenarios)
    scale = per_year / stated if stated > 0 else 1.0
    ranged = [s for s in scenarios if s.frequency_range is not None]
    names = ", ".join(s.name for s in scenarios)
    basis = (f"{_rate_text(per_year)} ({'simulated from the frequencies of' if stream else 'the frequency of'} "
             f"scenario {names})")
    if ranged:
        fitted = [s.name for s in ranged if s.calibrated_from is not None and s.calibrated_from.incidents_per_year]
        where = ("the 95% interval of the rate in the incident history it was fitted to" if fitted
                 and len(fitted) == len(ranged) else "its frequency_range" if len(ranged) == 1
                 else "their frequency_range")
        basis += f", plausibly {low * scale:.3g} to {high * scale:.3g} a year ({where})"
        if stream:
            basis += "; across that range only the arithmetic moves: the stream was simulated at the stated rate"
    else:
        basis += "; no frequency_range is stated, so the rate's own uncertainty is not shown"
    return IncidentRate(per_year, low * scale, high * scale, basis)


def chance_of_any(expected: float | None) -> float | None:
    """P(at least one) of a Poisson count with this mean: 1 - exp(-expected)."""
    if expected is None or math.isnan(expected):
        return None
    return -math.expm1(-expected)


def _known(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def figure(per_incident: float | None, ci: tuple | list | None, rate: IncidentRate, *,
           then=None, plus: float = 0.0) -> dict:
    """A yearly figure from a per-incident one: `rate x per_incident` (then `then` of that,
    plus `plus`), with its 95% interval at the stated rate and its range across rates."""
    def at(per_year: float, x) -> float | None:
        if not _known(x):
            return None
        value = per_year * x
        return (then(value) if then is not None else value) + plus

    low, high = (ci or (None, None))[:2]
    interval = [at(rate.per_year, low), at(rate.per_year, high)]
    span = [at(rate.low, low), at(rate.high, high)] if rate.stated_range else None
    return {"value": at(rate.per_year, per_incident),
            "ci95": None if None in interval else interval,
            "range": None if span is None or None in span else span}


def yearly_risk(breaches: dict, rate: IncidentRate, outage_per_incident: float | None,
                outage_ci: tuple | None, staffing_per_year: float) -> dict:
    """One option's risk a year: per target metric, the chance an incident misses it (with
    its interval, as the run estimated it), the expected misses a year and the chance of at
    least one this year; the outage cost and the total (staffing plus outage) cost a year.
    `breaches` is metric -> `statistics.breach`'s dict; `outage_ci` the 95% interval of the
    mean outage cost of an incident."""
    targets = {}
    for metric, found in breaches.items():
        p = found.get("probability")
        ci = found.get("ci95") or [None, None]
        targets[metric] = {
            "target": found["target"],
            "breach_probability": p,
            "breach_ci95": ci,
            "expected_breaches_per_year": figure(p, ci, rate),
            "chance_of_breach_this_year": figure(p, ci, rate, then=chance_of_any),
        }
    return {
        "incidents_per_year": rate.to_dict(),
        "targets": targets,
        "outage_cost_per_year": figure(outage_per_incident, outage_ci, rate),
        "total_cost_per_year": figure(outage_per_incident, outage_ci, rate, plus=staffing_per_year),
    }


def cheapest_by_rate(options: list[tuple[str, float, float]], low: float, high: float) -> list[dict]:
    """Which option has the lowest yearly staffing plus expected outage cost, as the incident
    rate runs from `low` to `high`: `options` are (name, staffing cost a year, mean outage
    cost of an incident). Each option's total is a straight line in the rate, so the answer
    changes only where two lines cross; returns the stretches in order, each `{"from", "to",
    "option"}` (one stretch when the same option is cheapest throughout; ties go to the
    option listed first)."""
    def total(option, rate: float) -> float:
        return option[1] + rate * option[2]

    def best(rate: float):
        return min(options, key=lambda o: (total(o, rate), options.index(o)))

    if not options:
        return []
    crossings = sorted({(a[1] - b[1]) / (b[2] - a[2]) for a in options for b in options
                        if a[2] != b[2] and low < (a[1] - b[1]) / (b[2] - a[2]) < high})
    edges = [low, *crossings, high]
    stretches: list[dict] = []
    for start, end in zip(edges, edges[1:]) if high > low else [(low, high)]:
        name = best((start + end) / 2)[0]
        if stretches and stretches[-1]["option"] == name:
            stretches[-1]["to"] = end
        else:
            stretches.append({"from": start, "to": end, "option": name})
    return stretches
