"""Delay distributions fitted to real incident history, ready to feed the simulator.

The history's milestones are cut into stages, each one the span between two canonical
milestones, chosen so that each maps onto a parameter of the model where it can:

| stage | span | feeds |
|---|---|---|
| `detect` | impact_started -> detected | scenario detection (all detection paths together) |
| `acknowledge` | detected -> acknowledged | staffing: every role's acknowledgement delay |
| `declare` | acknowledged -> declared | reported only (in the model: the incident manager's page plus the declare step) |
| `assemble` | declared -> assembled | reported only (in the model: the slowest of several parallel pages) |
| `restore` | acknowledged -> mitigated | scenario diagnosis time (wrong turns and the workaround folded in) |
| `close` | mitigated -> resolved | scenario fix duration (change approval and closing folded in) |
| `classify` | classified_at -> raised_at | classification `triage.corrected_after`, of the major incidents first classified below the major line |

Beside the stages, `classification` holds `first_wrong`: the share of major incidents whose
export says how they were classified that were first classified below the major line
(null when no incident's export says: not in this export). With `classify` it is the
classification policy's `triage` block.

Each stage is fitted only on incidents that have both ends. Three kinds of observation
enter the likelihood: a duration; a duration below the timestamps' resolution (an end in
the same second as its start: left-censored, not zero); and an incident still open at the
end of the history (no end, and no later milestone or resolution either: right-censored at
`as_of - start`). `as_of`, when the history was taken, is given or else the latest time
recorded among the incidents actually used (drills and other services left out do not move
it). An incident still open whose start is that time itself is censored at 0, which tells
nothing: it is counted and reported as such (`open_at_as_of`), neither fitted nor called
missing. A missing end on an incident that went on to later milestones was simply not
recorded: missing, not censored. An end before its start is bad data: counted, named and
left out.

Drills are left out unless asked for (`drills`: "include" them with the real incidents, or
fit "only" them: a team's rehearsed delays). A drill records every milestone it reaches, so
a drill that ended (`closed`) before a stage's end is right-censored at its end, not
missing. Drills never enter `detect`: in a drill, detection is when the scenario's injects
say, not something the team did.

Lognormal, gamma and Weibull are fitted by maximum likelihood (scipy), compared by AIC
(all have two parameters, so AIC ranks them as likelihood does) and checked by the
Kolmogorov-Smirnov statistic on the uncensored durations. Its p-value is the plain one: with
parameters estimated from the same data it is too high (conservative), so a small p-value
is a real misfit while a large one proves little. Confidence intervals are Wald intervals
from the observed Fisher information on the log scale of each parameter (so they stay
positive), carried to the median, p90 and mean (and a gamma's sd) by the delta method; below
about 20 incidents they are somewhat too narrow. The intervals of the parameters a document
writes become the fitted delay's `range:` there (`FamilyFit.range`), so that `compare
--input-uncertainty` can carry them into a comparison. The rate of incidents a year comes with
its exact Poisson (Garwood) interval (`HistoryFit.rate`), which becomes a fitted scenario's
`frequency` and `frequency_range`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from scenarios.history.table import MILESTONE_COLUMNS, canonical_frame
from scenarios.units import MINUTES_PER_AVERAGE_YEAR, SECONDS_PER_MINUTE
from scenarios.version import TOOL_VERSION

from .kpi import SCRIPTED_IN_DRILLS, history_kpis, select_incidents

__all__ = ["STAGES", "classification_durations", "first_wrong", "under_classified", "Stage", "FAMILIES", "FamilyFit", "StageFit", "HistoryFit", "StageDurations", "FittedDelays",
           "fit_family", "fit_durations", "stage_durations", "fit_history", "latest_time", "synthetic_history",
           "FIT_FORMAT"]

FIT_FORMAT = "warroom.history-fit/1"
FAMILIES = ("lognormal", "gamma", "weibull")
_Z90 = 1.2815515655446004
MIN_INCIDENTS = 5
_QQ_POINTS = 200


@dataclass(frozen=True)
class Stage:
    name: str
    start: str
    end: str
    feeds: str


STAGES = (
    Stage("detect", "impact_started", "detected",
          "scenario detection: monitoring fires with certainty after this delay (the history does not say which "
          "path detected each incident, so all paths are taken together and user reports are dropped)"),
    Stage("acknowledge", "detected", "acknowledged",
          "staffing: every role's and resolver group's acknowledgement delay, in and out of hours; escalation is "
          "dropped because the observed delays already include it"),
    Stage("declare", "acknowledged", "declared",
          "reported only: in the model this is the incident manager's page plus the playbook's declare step"),
    Stage("assemble", "declared", "assembled",
          "reported only: in the model this is the slowest of the parallel pages to the resolver groups"),
    Stage("restore", "acknowledged", "mitigated",
          "scenario diagnosis time, with the wrong first hypothesis dropped and the workaround made instant "
          "(the history has no cause-identified or workaround times, so the whole stretch is one delay)"),
    Stage("close", "mitigated", "resolved",
          "scenario fix duration, with change approval made instant (the playbook's closing step still adds "
          "a few minutes)"),
    Stage("classify", "classified_at", "raised_at",
          "classification triage.corrected_after: of the major incidents first classified below the major line, "
          "the time until they were raised to it (with first_wrong, the share of them, the policy's triage block)"),
)
_STAGES = {s.name: s for s in STAGES}


# -- the three families, on unconstrained parameters theta -----------------------------------
# lognormal: (mu, log sigma); gamma: (log shape, log scale); weibull: (log shape, log scale)

def _natural(family: str, theta) -> dict[str, float]:
    a, b = float(theta[0]), float(theta[1])
    if family == "lognormal":
        return {"mu": a, "sigma": math.exp(b)}
    return {"shape": math.exp(a), "scale": math.exp(b)}


def _logpdf(family: str, theta, x: np.ndarray) -> np.ndarray:
    a, b = theta
    if family == "lognormal":
        sigma = math.exp(b)
        z = (np.log(x) - a) / sigma
        return -np.log(x) - b - 0.5 * math.log(2 * math.pi) - 0.5 * z * z
    shape, scale = math.exp(a), math.exp(b)
    if family == "gamma":
        return (shape - 1) * np.log(x) - x / scale - special.gammaln(shape) - shape * b
    u = x / scale
    return a - b + (shape - 1) * np.log(u) - u**shape


def _logcdf(family: str, theta, x: np.ndarray, upper: bool) -> np.ndarray:
    """log P(X <= x), or log P(X > x) when `upper`."""
    a, b = theta
    if family == "lognormal":
        z = (np.log(x) - a) / math.exp(b)
        return special.log_ndtr(-z if upper else z)
    shape, scale = math.exp(a), math.exp(b)
    if family == "gamma":
        p = special.gammaincc(shape, x / scale) if upper else special.gammainc(shape, x / scale)
        return np.log(np.maximum(p, 1e-300))
    h = (x / scale) ** shape
    return -h if upper else np.log(np.maximum(-np.expm1(-h), 1e-300))


def _ppf(family: str, theta, q) -> np.ndarray:
    q = np.asarray(q, dtype=float)
    a, b = theta
    if family == "lognormal":
        return np.exp(a + math.exp(b) * special.ndtri(q))
    shape, scale = math.exp(a), math.exp(b)
    if family == "gamma":
        return special.gammaincinv(shape, q) * scale
    return scale * (-np.log1p(-q)) ** (1 / shape)


def _mean(family: str, theta) -> float:
    a, b = theta
    if family == "lognormal":
        return math.exp(a + math.exp(2 * b) / 2)
    shape, scale = math.exp(a), math.exp(b)
    if family == "gamma":
        return shape * scale
    return scale * math.exp(special.gammaln(1 + 1 / shape))


def _cdf(family: str, theta):
    return lambda x: np.exp(_logcdf(family, theta, np.asarray(x, dtype=float), upper=False))


def _start(family: str, x: np.ndarray) -> np.ndarray:
    logs = np.log(x)
    m, s = float(logs.mean()), float(max(logs.std(), 1e-3))
    if family == "lognormal":
        return np.array([m, math.log(s)])
    if family == "gamma":
        mean, var = float(x.mean()), float(max(x.var(), 1e-12))
        return np.array([math.log(mean * mean / var), math.log(var / mean)])
    shape = math.pi / (s * math.sqrt(6))
    return np.array([math.log(shape), m + 0.5772156649 / shape])


@dataclass(frozen=True)
class StageDurations:
    """A stage's data: durations (minutes), those below resolution, those still running."""

    observed: np.ndarray                  # durations at or above the resolution
    below_resolution: int                 # ended within the timestamps' resolution: 0 <= d < resolution
    resolution: float                     # minutes (1/60: timestamps to the second)
    censored: np.ndarray                  # still open: lasted at least this long
    missing: int = 0                      # a start or an end was not recorded
    negative: int = 0                     # end before start: bad data, left out
    negative_ids: tuple[str, ...] = ()
    open_at_as_of: int = 0                # still open, started at (or after) as_of: censored at 0, no information

    @property
    def n(self) -> int:
        return int(self.observed.size + self.below_resolution + self.censored.size)


@dataclass(frozen=True)
class FamilyFit:
    """One family fitted to one stage by maximum likelihood."""

    family: str
    theta: tuple[float, float]
    covariance: tuple[tuple[float, float], tuple[float, float]] | None
    log_likelihood: float
    ks_statistic: float | None
    ks_pvalue: float | None
    confidence: float = 0.95

    @property
    def parameters(self) -> dict[str, float]:
        return _natural(self.family, self.theta)

    @property
    def aic(self) -> float:
        return 2 * 2 - 2 * self.log_likelihood

    def quantile(self, q) -> np.ndarray:
        return _ppf(self.family, self.theta, q)

    @property
    def median(self) -> float:
        return float(self.quantile(0.5))

    @property
    def p90(self) -> float:
        return float(self.quantile(0.9))

    @property
    def mean(self) -> float:
        return _mean(self.family, self.theta)

    def cdf(self, x) -> np.ndarray:
        return _cdf(self.family, self.theta)(x)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return self.quantile(rng.random(size))

    def ci(self) -> dict[str, list[float] | None]:
        """Confidence intervals of the parameters and of the median, p90 and mean."""
        names = list(self.parameters)
        if self.covariance is None:
            return {k: None for k in [*names, "median", "p90", "mean"]}
        z = stats.norm.ppf(0.5 + self.confidence / 2)
        cov = np.asarray(self.covariance)
        theta = np.asarray(self.theta)
        out: dict[str, list[float] | None] = {}
        for k, name in enumerate(names):
            low, high = theta[k] - z * math.sqrt(cov[k, k]), theta[k] + z * math.sqrt(cov[k, k])
            out[name] = [float(low), float(high)] if name == "mu" else [math.exp(low), math.exp(high)]
        derived = [("median", lambda t: _ppf(self.family, t, 0.5)), ("p90", lambda t: _ppf(self.family, t, 0.9)),
                   ("mean", lambda t: _mean(self.family, t))]
        if self.family == "gamma":  # the sd a gamma delay is written with: sqrt(shape) x scale
            derived.append(("sd", lambda t: math.exp(t[0] / 2 + t[1])))
        for name, of in derived:
            value = float(of(theta))
            grad = np.array([(math.log(float(of(theta + e))) - math.log(float(of(theta - e)))) / (2 * 1e-5)
                             for e in np.eye(2) * 1e-5])
            se = math.sqrt(max(float(grad @ cov @ grad), 0.0))
            out[name] = [value * math.exp(-z * se), value * math.exp(z * se)]
        return out

    def distribution(self) -> dict:
        """The fit as a warroom distribution (minutes), as documents write it."""
        p = self.parameters
        if self.family == "lognormal":
            return {"dist": "lognormal", "median": self.median, "p90": self.p90}
        if self.family == "gamma":
            return {"dist": "gamma", "mean": p["shape"] * p["scale"], "sd": math.sqrt(p["shape"]) * p["scale"]}
        return {"dist": "weibull", "shape": p["shape"], "scale": p["scale"]}

    def range(self) -> dict | None:
        """The 95% intervals of the parameters `distribution()` writes, as a delay's `range:`
        (low and high ends per parameter), or None when the fit has no intervals or their ends
        would not make valid delays."""
        ci = self.ci()
        names = {"lognormal": ("median", "p90"), "gamma": ("mean", "sd"), "weibull": ("shape", "scale")}[self.family]
        if any(ci.get(name) is None for name in names):
            return None
        found = {name: [float(ci[name][0]), float(ci[name][1])] for name in names}
        from pydantic import TypeAdapter, ValidationError

        from scenarios.distributions import Distribution

        try:
            TypeAdapter(Distribution).validate_python({**self.distribution(), "range": found})
        except ValidationError:
            return None
        return found

    def to_dict(self) -> dict:
        return {"family": self.family, "parameters": self.parameters, "ci95": self.ci(), "range": self.range(),
                "median": self.median, "p90": self.p90, "mean": self.mean,
                "log_likelihood": self.log_likelihood, "aic": self.aic,
                "ks_statistic": self.ks_statistic, "ks_pvalue": self.ks_pvalue,
                "distribution": self.distribution()}


def _neg_log_likelihood(family: str, theta, data: StageDurations) -> float:
    total = float(np.sum(_logpdf(family, theta, data.observed)))
    if data.censored.size:
        total += float(np.sum(_logcdf(family, theta, data.censored, upper=True)))
    if data.below_resolution:
        total += data.below_resolution * float(_logcdf(family, theta, np.array([data.resolution]), upper=False)[0])
    return -total if math.isfinite(total) else 1e300


def _hessian(f, theta: np.ndarray, h: float = 1e-4) -> np.ndarray:
    H = np.zeros((2, 2))
    for i in range(2):
        for j in range(2):
            ei, ej = np.eye(2)[i] * h, np.eye(2)[j] * h
            H[i, j] = (f(theta + ei + ej) - f(theta + ei - ej) - f(theta - ei + ej) + f(theta - ei - ej)) / (4 * h * h)
    return H


def fit_family(family: str, data: StageDurations, confidence: float = 0.95) -> FamilyFit:
    """Maximum-likelihood fit of one family to a stage's durations (censoring included)."""
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r} (families: {', '.join(FAMILIES)})")
    if data.observed.size < 2:
        raise ValueError(f"need at least 2 durations to fit, got {data.observed.size}")
    if np.unique(data.observed).size < 2:
        raise ValueError(f"every duration is the same ({data.observed[0]:g} minutes): there is no spread to fit")
    f = lambda t: _neg_log_likelihood(family, t, data)  # noqa: E731
    best = optimize.minimize(f, _start(family, data.observed), method="Nelder-Mead",
                             options={"xatol": 1e-9, "fatol": 1e-11, "maxiter": 4000})
    refined = optimize.minimize(f, best.x, method="BFGS")
    theta = refined.x if refined.fun <= best.fun else best.x
    covariance = None
    try:
        hessian = _hessian(f, theta)
        cov = np.linalg.inv(hessian)
        if np.all(np.linalg.eigvalsh(hessian) > 0):
            covariance = (tuple(map(float, cov[0])), tuple(map(float, cov[1])))
    except np.linalg.LinAlgError:
        pass
    ks = stats.kstest(data.observed, _cdf(family, theta)) if data.observed.size else None
    return FamilyFit(family, (float(theta[0]), float(theta[1])), covariance, -float(f(theta)),
                     None if ks is None else float(ks.statistic), None if ks is None else float(ks.pvalue),
                     confidence)


def fit_durations(data: StageDurations, families=FAMILIES, confidence: float = 0.95) -> tuple[FamilyFit, ...]:
    """Every family fitted; best (lowest AIC) first."""
    return tuple(sorted((fit_family(f, data, confidence) for f in families), key=lambda fit: fit.aic))


@dataclass(frozen=True)
class StageFit:
    """One stage of the history: its data, every candidate fit (best AIC first), a note."""

    stage: Stage
    data: StageDurations
    candidates: tuple[FamilyFit, ...]
    note: str = ""

    @property
    def chosen(self) -> FamilyFit | None:
        return self.candidates[0] if self.candidates else None

    def candidate(self, family: str) -> FamilyFit:
        return next(c for c in self.candidates if c.family == family)

    def qq(self) -> dict | None:
        """Observed durations against each candidate's quantiles at the same plotting
        positions (Kaplan-Meier positions when some incidents are still open)."""
        if not self.candidates or self.data.observed.size == 0:
            return None
        positions, observed = _plotting_positions(self.data)
        if observed.size > _QQ_POINTS:
            keep = np.unique(np.linspace(0, observed.size - 1, _QQ_POINTS).round().astype(int))
            positions, observed = positions[keep], observed[keep]
        return {"probability": positions.tolist(), "observed": observed.tolist(),
                "fitted": {c.family: c.quantile(positions).tolist() for c in self.candidates}}

    def to_dict(self) -> dict:
        d = self.data
        best = self.chosen.aic if self.chosen else None
        finished = np.concatenate([np.zeros(d.below_resolution), d.observed])  # still-open ones are not known yet
        return {
            "stage": self.stage.name, "from": self.stage.start, "to": self.stage.end, "feeds": self.stage.feeds,
            "n": d.n, "observed": int(d.observed.size), "below_resolution": d.below_resolution,
            "resolution_minutes": d.resolution, "censored": int(d.censored.size),
            "open_at_as_of": d.open_at_as_of, "missing": d.missing, "negative": d.negative, "negative_ids": list(d.negative_ids),
            "empirical": {"p50": _percentile(finished, 50), "p90": _percentile(finished, 90),
                          "mean": float(finished.mean()) if finished.size else None},
            "candidates": [{**c.to_dict(), "delta_aic": c.aic - best} for c in self.candidates],
            "chosen": self.chosen.family if self.chosen else None,
            "qq": self.qq(),
            "note": self.note,
        }


def _percentile(values: np.ndarray, q: float) -> float | None:
    return float(np.percentile(values, q)) if values.size else None


def _plotting_positions(data: StageDurations) -> tuple[np.ndarray, np.ndarray]:
    observed = np.sort(data.observed)
    if data.censored.size == 0:
        n = observed.size + data.below_resolution
        ranks = data.below_resolution + np.arange(1, observed.size + 1)
        return (ranks - 0.5) / n, observed
    # Kaplan-Meier over every incident; the position of each duration is the middle of its step.
    times = np.concatenate([np.full(data.below_resolution, data.resolution / 2), observed, data.censored])
    event = np.concatenate([np.ones(data.below_resolution + observed.size, bool), np.zeros(data.censored.size, bool)])
    order = np.lexsort((~event, times))
    times, event = times[order], event[order]
    at_risk = times.size - np.arange(times.size)
    survival = np.cumprod(np.where(event, 1 - 1 / at_risk, 1.0))
    before = np.concatenate([[1.0], survival[:-1]])
    mid = 1 - (before + survival) / 2
    keep = event & (times >= data.resolution)
    return mid[keep], times[keep]


# -- the history, stage by stage -----------------------------------------------------------

def _resolution(values: list[pd.Series]) -> float:
    """1/60 minute when timestamps carry seconds, 1 minute when every one is on the minute."""
    stamps = pd.concat([v.dropna() for v in values])
    if stamps.empty or (stamps.dt.second != 0).any() or (stamps.dt.microsecond != 0).any():
        return 1 / 60
    return 1.0


def latest_time(table: pd.DataFrame) -> pd.Timestamp | None:
    """The latest milestone anywhere in `table` (None when it has none): the best guess of
    when a history was taken."""
    if table.empty:
        return None
    latest = table[list(MILESTONE_COLUMNS)].max().max()
    return None if pd.isna(latest) else pd.Timestamp(latest)


def _utc(moment) -> pd.Timestamp:
    moment = pd.Timestamp(moment)
    return moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")


def stage_durations(table: pd.DataFrame, stage: str | Stage, as_of: pd.Timestamp | None = None) -> StageDurations:
    """A stage's durations from a canonical table (already filtered to the incidents used). An
    incident with the start but no end, and no later milestone at all, is still open:
    right-censored at `as_of` (default: the latest time anywhere in `table`). One that started
    at `as_of` (or after it) would be censored at 0, which carries no information: it is
    counted in `open_at_as_of`, not fitted and not called missing. A drill that ended
    (`closed`) with neither the stage's end nor a later milestone did not reach it before the
    drill ended: censored at its end (counted in `open_at_as_of` if that is its start)."""
    stage = _STAGES[stage] if isinstance(stage, str) else stage
    if stage.name == "classify":
        return classification_durations(table)
    start, end = table[stage.start], table[stage.end]
    minutes = (end - start).dt.total_seconds() / SECONDS_PER_MINUTE
    resolution = _resolution([start, end])
    negative = minutes < 0
    ok = minutes.notna() & ~negative
    observed = minutes[ok & (minutes >= resolution)].to_numpy(dtype=float)
    below = int((ok & (minutes < resolution)).sum())
    later = list(MILESTONE_COLUMNS[MILESTONE_COLUMNS.index(stage.end) + 1:])
    later = [c for c in later if not c.startswith("postmortem")] + ["closed"]
    # A drill records every milestone it reaches, so one that ended with neither this end nor a
    # later milestone stopped short of it (a later one without this end: its time was left out).
    ended_drill = table["is_drill"].astype(bool) & table["closed"].notna()
    nothing_later = table[[c for c in later if c != "closed"]].isna().all(axis=1)
    drill_unreached = ended_drill & start.notna() & end.isna() & nothing_later
    still_open = ~ended_drill & start.notna() & end.isna() & nothing_later & table["closed"].isna()
    lasted = pd.Series(dtype=float)
    if still_open.any():
        as_of = latest_time(table) if as_of is None else _utc(as_of)
        lasted = (as_of - start[still_open]).dt.total_seconds() / SECONDS_PER_MINUTE
    if drill_unreached.any():
        lasted = pd.concat([lasted, (table["closed"] - start)[drill_unreached].dt.total_seconds() / SECONDS_PER_MINUTE])
    censored = lasted[lasted > 0].to_numpy(dtype=float)
    at_as_of = int((lasted <= 0).sum())
    missing = int(len(table) - ok.sum() - negative.sum() - still_open.sum() - drill_unreached.sum())
    return StageDurations(observed, below, resolution, censored, missing, int(negative.sum()),
                          tuple(str(i) for i in table.loc[negative, "id"].head(10)), at_as_of)


def under_classified(table: pd.DataFrame) -> pd.Series:
    """The major incidents whose export says how they were classified and that were first
    classified below the major line."""
    return (table["first_severity"] != "") & table["is_major"].astype(bool) & ~table["first_major"].astype(bool)


def classification_durations(table: pd.DataFrame) -> StageDurations:
    """The `classify` stage's data: first classification to the raise to the major line, of
    the under-classified major incidents. One never raised (the platform marked it major
    without raising its severity or priority) or without the times is missing; nothing is
    censored (an open incident not raised yet is not known to be under-classified)."""
    chosen = table[under_classified(table)]
    start, end = chosen["classified_at"], chosen["raised_at"]
    minutes = (end - start).dt.total_seconds() / SECONDS_PER_MINUTE
    resolution = _resolution([start, end]) if len(chosen) else 1 / 60
    negative = minutes < 0
    ok = minutes.notna() & ~negative
    return StageDurations(minutes[ok & (minutes >= resolution)].to_numpy(dtype=float),
                          int((ok & (minutes < resolution)).sum()), resolution, np.array([], dtype=float),
                          int(minutes.isna().sum()), int(negative.sum()),
                          tuple(str(i) for i in chosen.loc[negative, "id"].head(10)))


def first_wrong(table: pd.DataFrame) -> dict:
    """Share of major incidents first classified below the major line, among those whose
    export says how they were classified (`first_wrong` None when none does)."""
    known = table["first_severity"] != ""
    majors = known & table["is_major"].astype(bool)
    wrong = int(under_classified(table).sum())
    return {"first_wrong": (wrong / int(majors.sum())) if majors.any() else None, "first_wrong_count": wrong,
            "major_with_classification": int(majors.sum()), "with_classification": int(known.sum()),
            "not_in_export": int((~known).sum())}


@dataclass(frozen=True)
class HistoryFit:
    """Every requested stage of one history fitted, with where the data came from."""

    stages: tuple[StageFit, ...]
    selection: dict
    filters: dict
    as_of: str | None
    confidence: float
    detectability: dict | None = None
    source: dict = field(default_factory=dict)
    as_of_from: str = "latest"            # "given", or "latest": the latest time among the incidents used
    fitted_at: str = ""
    classification: dict = field(default_factory=dict)  # first_wrong and its counts (see `first_wrong`)

    def stage(self, name: str) -> StageFit:
        found = next((s for s in self.stages if s.stage.name == name), None)
        if found is None:
            raise KeyError(f"stage {name!r} was not fitted (fitted: {', '.join(s.stage.name for s in self.stages)})")
        return found

    def fitted_delays(self) -> FittedDelays:
        """Stage -> what `scenarios.history.fitted` substitutes: the chosen distribution and its
        provenance (n, missing, censored, open at as_of, AIC of every family, KS). Stages not
        fitted are absent. Its `calibrated_from` attribute is `self.calibrated_from()`, which
        `fitted_document` writes into the document."""
        out = FittedDelays()
        for s in self.stages:
            chosen = s.chosen
            if chosen is None:
                continue
            found = chosen.range()
            out[s.stage.name] = {
                "distribution": {**chosen.distribution(), **({"range": found} if found else {})},
                "family": chosen.family, "n": s.data.n,
                "missing": s.data.missing, "censored": int(s.data.censored.size),
                "open_at_as_of": s.data.open_at_as_of, "aic": chosen.aic,
                "ks_statistic": chosen.ks_statistic, "ks_pvalue": chosen.ks_pvalue,
                "others": {c.family: c.aic for c in s.candidates[1:]},
                "span": f"{s.stage.start} -> {s.stage.end}",
            }
            if s.stage.name == "classify":
                out["classify"].update(self.classification)
        out.calibrated_from = self.calibrated_from()
        out.rate = self.rate()
        return out

    def rate(self, confidence: float = 0.95) -> dict | None:
        """Incidents a year over the history and the exact (Garwood) Poisson interval of that
        rate: `per_year`, `low`, `high`, `incidents`, `years`; None when the history spans
        under three months (too short to say how often incidents come), or when drills are
        among the incidents used (how often drills are run says nothing of how often incidents
        happen)."""
        years = self.selection.get("span_years")
        count = int(self.selection.get("used", 0)) - int(self.selection.get("without_start", 0))
        if not years or years < 0.25 or count < 2 or self.selection.get("drills_used"):
            return None
        tail = (1 - confidence) / 2
        return {"per_year": count / years, "low": float(stats.chi2.ppf(tail, 2 * count)) / 2 / years,
                "high": float(stats.chi2.ppf(1 - tail, 2 * count + 2)) / 2 / years, "incidents": count,
                "years": years, "confidence": confidence}

    def calibrated_from(self) -> dict:
        """Where a document fitted from this history came from, in the form of the documents'
        `calibrated_from` field: the history file and system, incidents used, incidents a year,
        the period, the spread of log restore times (what the detectability sentence needs),
        the stages fitted, as_of and when it was fitted."""
        found = self.detectability or {}
        drills = int(self.selection.get("drills_used", 0))
        # How often drills are run says nothing of how often incidents happen.
        per_year = found.get("incidents") if found.get("period") == "a year" and not drills else None
        first, last = self.selection.get("first_start"), self.selection.get("last_start")
        out = {
            "file": str(self.source.get("file") or ""),
            "source": str(self.source.get("system") or ""),
            "sha256": str(self.source.get("sha256") or ""),
            "incidents": int(self.selection.get("used", 0)),
            "drills": drills,
            "incidents_per_year": None if per_year is None else float(f"{per_year:.6g}"),
            "period": f"{first[:10]} to {last[:10]}" if first and last else "",
            "log_sd": None if found.get("sigma") is None else float(f"{found['sigma']:.6g}"),
            "log_sd_of": found.get("based_on", "time_to_restore"),
            "stages": [s.stage.name for s in self.stages if s.chosen is not None],
            "as_of": self.as_of,
            "fitted_at": self.fitted_at,
        }
        return out

    def to_dict(self) -> dict:
        return {"format": FIT_FORMAT, "tool_version": TOOL_VERSION, "source": self.source, "filters": self.filters, "incidents": self.selection,
                "as_of": self.as_of, "as_of_from": _AS_OF_FROM[self.as_of_from], "fitted_at": self.fitted_at,
                "confidence": self.confidence,
                "method": {"fit": "maximum likelihood (scipy), right-censoring for incidents still open, "
                                  "left-censoring below the timestamps' resolution",
                           "choice": "lowest AIC", "ci": "Wald, observed Fisher information on the log scale, "
                                                         "delta method for median, p90 and mean",
                           "ks": "on uncensored durations; p-value conservative (parameters from the same data)"},
                "stages": [s.to_dict() for s in self.stages], "classification": self.classification,
                "detectability": self.detectability}


def fit_history(table: pd.DataFrame, *, stages=None, include_drills: bool = False, service: str | None = None,
                families=FAMILIES, confidence: float = 0.95, as_of: pd.Timestamp | str | None = None,
                min_incidents: int = MIN_INCIDENTS, source: dict | None = None,
                drills: str | None = None) -> HistoryFit:
    """Fit `stages` (default: all of STAGES) of a canonical incident table. A stage with fewer
    than `min_incidents` durations is reported but not fitted.

    `drills` is "exclude" (the default), "include" (as `include_drills`: drills with the real
    incidents) or "only" (a team's rehearsed delays, from its drills alone). Drills never
    enter `detect`, and a drill that ended before a stage's end is censored at its end.

    `as_of` is when the history was taken: incidents still open are censored there. By
    default it is the latest time recorded among the incidents used (after drills and other
    services are left out, so those never move it); the result records which (`as_of`,
    `as_of_from`). Raises ValueError for an unknown stage or service, an unknown drills view
    (or "beside", which is for key figures), or an `as_of` before the latest time recorded
    among the incidents used."""
    names = [s.name for s in STAGES] if stages is None else list(stages)
    unknown = [n for n in names if n not in _STAGES]
    if unknown:
        raise ValueError(f"unknown stage {unknown[0]!r} (stages: {', '.join(_STAGES)})")
    if drills == "beside":
        raise ValueError("a fit is of one set of incidents: fit the drills (drills='only') and the real incidents "
                         "separately to compare them")
    frame, selection = select_incidents(table, include_drills=include_drills, service=service, drills=drills)
    view = "include" if include_drills else drills or "exclude"
    drilled = frame["is_drill"].astype(bool)
    selection["drills_used"] = int(drilled.sum())
    latest = latest_time(frame)  # the incidents used: the best guess of when the history was taken
    as_of_from = "latest"
    if as_of is not None:
        as_of, as_of_from = _utc(as_of), "given"
        if latest is not None and as_of < latest:
            raise ValueError(f"as_of {as_of.isoformat()} is before the latest time recorded among the incidents "
                             f"used ({latest.isoformat()}): give a time at or after it")
    else:
        as_of = latest
    fitted = []
    classification = first_wrong(frame)
    for name in names:
        if name == "detect" and drilled.any():
            data = stage_durations(frame[~drilled], name, as_of)
            if not (~drilled).any():
                fitted.append(StageFit(_STAGES[name], data, (), f"not fitted: {SCRIPTED_IN_DRILLS['time_to_detect']}, "
                                       "so drills never enter this stage"))
                continue
        else:
            data = stage_durations(frame, name, as_of)
        if name == "classify" and not classification["with_classification"]:
            fitted.append(StageFit(_STAGES[name], data, (), "not fitted: how the incidents were classified over time "
                                   "is not in this export (first_severity is empty throughout)"))
            continue
        if data.observed.size < min_incidents:
            note = (f"not fitted: {data.observed.size} incident(s) with both {_STAGES[name].start} and "
                    f"{_STAGES[name].end} (at least {min_incidents} needed)")
            if data.open_at_as_of:
                note += ". " + _open_at_as_of_note(data.open_at_as_of, as_of, _STAGES[name].start)
            fitted.append(StageFit(_STAGES[name], data, (), note))
            continue
        distinct = np.unique(data.observed).size
        if distinct < 3:
            note = (f"not fitted: the {data.observed.size} durations take only {distinct} distinct value(s), "
                    "too little spread to fit a distribution")
            fitted.append(StageFit(_STAGES[name], data, (), note))
            continue
        candidates = fit_durations(data, families, confidence)
        notes = []
        if data.censored.size:
            notes.append(f"{data.censored.size} incident(s) still open are counted as lasting at least until {as_of}.")
        if data.open_at_as_of:
            notes.append(_open_at_as_of_note(data.open_at_as_of, as_of, _STAGES[name].start))
        if data.observed.size < 20:
            notes.append(f"Only {data.observed.size} durations: the intervals are rough (too narrow below about 20) "
                         "and AIC can hardly tell the families apart.")
        if name == "detect" and drilled.any():
            notes.append(f"The {int(drilled.sum())} drill(s) are left out of this stage: "
                         f"{SCRIPTED_IN_DRILLS['time_to_detect']}.")
        if data.resolution >= 1:
            notes.append("Timestamps are on whole minutes, so short delays are coarse.")
        if data.below_resolution > 0.2 * data.n:
            notes.append(f"{data.below_resolution} of {data.n} incidents ended within the timestamps' resolution: "
                         "mostly a step recorded at the same moment as its start, which none of these families "
                         "describes well; read the KS and QQ plot before using this stage.")
        note = " ".join(notes)
        fitted.append(StageFit(_STAGES[name], data, candidates, note))
    kpis = history_kpis(table, service=service, drills=view)
    selection.update({k: kpis["incidents"][k] for k in ("first_start", "last_start", "span_years", "without_start")})
    fitted_at = pd.Timestamp.now(tz="UTC").floor("s").isoformat()
    return HistoryFit(tuple(fitted), selection, {"include_drills": view == "include", "drills": view,
                                                 "service": service},
                      None if as_of is None else as_of.isoformat(), confidence,
                      kpis["detectability"], source or {}, as_of_from, fitted_at, classification)


def _open_at_as_of_note(count: int, as_of, start: str) -> str:
    return (f"{count} incident(s) still open have {start} at {as_of} itself, the end of the history: censored at 0, "
            "they carry no information, so they are counted here and neither fitted nor called missing.")


_AS_OF_FROM = {"given": "given", "latest": "the latest time recorded among the incidents used"}


class FittedDelays(dict):
    """Stage -> fitted delay (see `HistoryFit.fitted_delays`), with the history's provenance
    in `calibrated_from` and its incident rate in `rate` (`HistoryFit.rate`; None when built
    by hand or too short to tell)."""

    calibrated_from: dict | None = None
    rate: dict | None = None


# -- a history made by the simulator itself ---------------------------------------------------

_SIMULATED = {"impact_started": "impact_start", "detected": "detected", "created": "detected",
              "acknowledged": "acknowledged", "declared": "declared", "assembled": "assembled",
              "mitigated": "restored", "resolved": "resolved", "closed": "resolved",
              "postmortem_completed": "review_held"}


def synthetic_history(incidents: pd.DataFrame, *, start: str | pd.Timestamp, seed: int,
                      per_year: float | None = None, source: str = "warroom-simulation") -> pd.DataFrame:
    """A canonical incident table from the simulator's per-incident rows (`keep_incidents=True`):
    incident i starts at `start` plus Poisson arrivals at `per_year` a year (drawn from `seed`;
    default: one a week) and its milestones follow at their simulated minutes, rounded to the
    second as real platforms record them. Stream-mode rows keep their own arrival times."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    start = pd.Timestamp(start)
    start = start.tz_localize("UTC") if start.tzinfo is None else start.tz_convert("UTC")
    n = len(incidents)
    if incidents["arrival"].nunique() > 1:
        offsets = incidents["arrival"].to_numpy(dtype=float)
    else:
        gap = MINUTES_PER_AVERAGE_YEAR / (per_year or 52.0)
        offsets = np.cumsum(rng.exponential(gap, n))
    rows = []
    for k, (offset, row) in enumerate(zip(offsets, incidents.itertuples(index=False))):
        impact = start + pd.Timedelta(minutes=float(offset))
        record = {"id": f"SIM-{k + 1:05d}", "source": source, "title": f"{row.scenario} (simulated)",
                  "service": row.scenario, "severity": "sev1", "is_major": True, "is_drill": False}
        for column, milestone in _SIMULATED.items():
            minutes = getattr(row, milestone)
            record[column] = pd.NaT if pd.isna(minutes) else (impact + pd.Timedelta(minutes=float(minutes))).round("s")
        rows.append(record)
    return canonical_frame(rows)
