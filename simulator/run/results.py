"""What a run produces: tidy per-incident rows, per-metric summaries, breach
probabilities, costs, paired differences and a plain-language verdict.

The JSON form (`to_dict`) is the `summary.json` artifact (format in docs/reference).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from scenarios import METRIC_SPANS, METRICS, MILESTONES
from scenarios.calendar import WEEKDAYS
from scenarios.currency import DEFAULT_CURRENCY, format_money
from scenarios.formats import RESULT_FORMAT
from scenarios.units import MINUTES_PER_DAY
from simulator.errors import SimulationError
from simulator.model.engine import DETECTION_PATHS
from simulator.model.levels import levels

from .decision import recommend
from .risk import IncidentRate, cheapest_by_rate, yearly_risk
from .summary import BINS, OptionSummary, interval_methods

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["OptionResult", "SimulationResult", "RESULT_FORMAT", "incident_table", "HEADLINE"]

HEADLINE = "time_to_restore"


def incident_table(option: str, scenarios: list, raw: dict, update_cadence: float) -> pd.DataFrame:
    """One row per incident: where it started, how it was detected, milestones and metrics
    (minutes), stakeholder updates sent while service was down, and the outage cost."""
    m = raw["milestones"]
    start = raw["start_minute"]
    minute_of_day = np.floor(start % MINUTES_PER_DAY).astype(int)
    columns = {
        "option": option,
        "replication": raw["replication"],
        "incident": raw["incident"],
        "scenario": np.array([s.name for s in scenarios], dtype=object)[raw["scenario_index"]],
        "arrival": raw["arrival"],
        "start_weekday": np.array(WEEKDAYS, dtype=object)[(start // MINUTES_PER_DAY).astype(int) % 7],
        "start_time_utc": [f"{v // 60:02d}:{v % 60:02d}" for v in minute_of_day],
        "detection_path": np.array(DETECTION_PATHS, dtype=object)[raw["path"]],
    }
    for j, name in enumerate(MILESTONES):
        columns[name] = m[:, j]
    import pandas as pd  # per-incident tables only when asked for

    frame = pd.DataFrame(columns)
    for metric, (begin, end) in METRIC_SPANS.items():
        frame[metric] = frame[end] - frame[begin]
    # The first update, then one per cadence until service is restored.
    during = (frame["restored"] - frame["first_update"]).clip(lower=0)
    frame["updates_sent"] = np.where(frame["first_update"].isna(), 0, 1 + np.floor(during / update_cadence))
    frame["trigger"] = -np.array([s.onset.trigger_before for s in scenarios])[raw["scenario_index"]]
    frame["workaround_effect"] = raw["effect"]
    for name, values in levels(scenarios, raw["scenario_index"], raw["effect"], frame["fixed"].to_numpy(),
                               raw.get("cascade"), raw.get("wears_off")).items():
        if name != "restored":
            frame[name] = values
    return frame


@dataclass
class OptionResult:
    """One staffing option's run: its merged summary, and its per-incident rows if kept."""

    name: str
    title: str
    summary: OptionSummary
    independent: bool
    targets: dict
    staffing_cost_per_year: float
    incidents_per_year: float
    kept: pd.DataFrame | None = None
    rate: IncidentRate | None = None        # the rate and its plausible range, for the yearly risk
    horizon_years: float | None = None      # stream mode: years counted per horizon (warm-up left out)
    metrics: dict = field(default_factory=dict)
    breaches: dict = field(default_factory=dict)
    stages: dict = field(default_factory=dict)   # extra restore metrics: staged traffic, each service

    def __post_init__(self):
        for metric in METRICS:
            self.metrics[metric] = self.summary.metrics[metric].describe(self.independent)
        for metric in self.summary.metrics:
            if metric not in METRICS:
                self.stages[metric] = self.summary.metrics[metric].describe(self.independent)
        for metric, target in self.targets.items():
            self.breaches[metric] = self.summary.breaches[metric].describe(target, self.independent)

    @property
    def incidents(self) -> pd.DataFrame:
        """One row per incident; only when the run was asked to keep them."""
        if self.kept is None:
            raise SimulationError("per-incident rows were not kept: pass keep_incidents=True "
                                  "(or --out on the command line)")
        return self.kept

    @property
    def incident_count(self) -> int:
        return self.summary.incidents

    @property
    def missing(self) -> dict:
        return {m: self.summary.metrics[m].missing for m in METRICS}

    @property
    def outage_cost_per_incident(self) -> float:
        return self.summary.outage_cost.mean

    @property
    def outage_cost_per_year(self) -> float:
        return self.outage_cost_per_incident * self.incidents_per_year

    @property
    def outage_cost_interval(self) -> tuple[float, float] | None:
        """95% interval of the mean outage cost of an incident: over incidents in single mode;
        in stream mode from the spread of the horizons' totals (incidents within a horizon are
        correlated), put per incident. None when there are too few to tell."""
        if self.independent:
            low, high = self.summary.outage_cost.t_interval()
        else:
            horizons = self.summary.horizon_outage_cost
            if not self.horizon_years or not self.incidents_per_year:
                return None
            low, high = (end / self.horizon_years / self.incidents_per_year for end in horizons.t_interval())
        return None if math.isnan(low) or math.isnan(high) else (low, high)

    def risk(self) -> dict | None:
        """The yearly risk figures (`simulator.run.risk.yearly_risk`), None without a rate."""
        if self.rate is None:
            return None
        return yearly_risk(self.breaches, self.rate, self.outage_cost_per_incident, self.outage_cost_interval,
                           self.staffing_cost_per_year)

    def to_dict(self) -> dict:
        counts = self.summary.paths
        return {
            "name": self.name,
            "title": self.title,
            "metrics": self.metrics,
            "missing": self.missing,
            "targets": {m: {"target": t, "breach": self.breaches[m]} for m, t in self.targets.items()},
            "detection_paths": {p: int(c) for p, c in zip(DETECTION_PATHS, counts) if c},
            "costs": {
                "incidents_per_year": self.incidents_per_year,
                "outage_cost_per_incident": self.outage_cost_per_incident,
                "outage_cost_per_year": self.outage_cost_per_year,
                "staffing_cost_per_year": self.staffing_cost_per_year,
                "total_cost_per_year": self.outage_cost_per_year + self.staffing_cost_per_year,
            },
            "risk": self.risk(),
            "histograms": {m: self.summary.metrics[m].histogram.to_dict() for m in METRICS},
            # Extra restore metrics (SPEC 3.1): time_to_restore_50... for the scenario's
            # restore_stages, time_to_restore.<service> for each service of a scenario with several.
            "restore_stages": self.stages,
        }


@dataclass
class SimulationResult:
    """A simulate (one option) or compare (several options) run, self-describing."""

    mode: str
    seed: int
    replications: int
    tool_version: str
    inputs: list
    options: list
    started: str
    finished: str
    settings: dict = field(default_factory=dict)
    differences: list = field(default_factory=list)
    status: str = "ok"
    calibration: list = field(default_factory=list)  # documents fitted to history: see api.calibrations
    currency: str = DEFAULT_CURRENCY                 # of every cost (the documents agree: crosscheck)
    input_uncertainty: dict | None = None            # studies.uncertainty's answer, when it was asked for
    adaptive: dict | None = None  # how an adaptive run decided its replications: simulator.studies.sequential
    lever: dict | None = None     # what would close most of the gap when no option meets the target (a sweep's)

    @property
    def incidents(self) -> pd.DataFrame:
        """Every option's rows in one tidy table (options x replications), when kept."""
        import pandas as pd

        return pd.concat([o.incidents for o in self.options], ignore_index=True)

    def compute_differences(self, pairs: list) -> None:
        baseline = self.options[0]
        self.differences = []
        for option, by_metric in zip(self.options[1:], pairs):
            for metric in METRICS:
                diff = by_metric[metric].describe(baseline.summary.metrics[metric], option.summary.metrics[metric],
                                                  baseline.independent)
                if diff is not None:
                    self.differences.append({"baseline": baseline.name, "option": option.name, "metric": metric, **diff})

    def difference(self, option: str, metric: str) -> dict | None:
        return next((d for d in self.differences if d["option"] == option and d["metric"] == metric), None)

    def verdicts(self) -> list[str]:
        """One plain sentence per option against the baseline, on p90 time to restore (MTTR)."""
        out = []
        base = self.options[0]
        for option in self.options[1:]:
            d = self.difference(option.name, HEADLINE)
            if d is None:
                continue
            lo, hi = d["p90_ci95"]
            diff = d["p90_diff"]
            if math.isnan(lo) or math.isnan(hi):
                what = (f"changes p90 time to restore (MTTR) by {diff:+.1f} min, with too few replications "
                        f"for an interval (it needs at least 51, and a few hundred for a useful one)")
            elif hi < 0:
                what = f"cuts p90 time to restore (MTTR) by {-diff:.1f} min (95% CI {-hi:.1f} to {-lo:.1f})"
            elif lo > 0:
                what = f"adds {diff:.1f} min to p90 time to restore (MTTR) (95% CI {lo:.1f} to {hi:.1f})"
            else:
                what = (f"makes no clear difference to p90 time to restore (MTTR): {diff:+.1f} min "
                        f"(95% CI {lo:+.1f} to {hi:+.1f})")
            cost = option.staffing_cost_per_year - base.staffing_cost_per_year
            money = f"; staffing costs {self.money(abs(cost))} a year {'more' if cost >= 0 else 'less'}"
            out.append(f"{option.name} {what} against {base.name}{money}.")
        if len(self.options) > 1:
            fastest = min(self.options, key=lambda o: o.metrics[HEADLINE]["p90"] if o.metrics[HEADLINE] else math.inf)
            cheapest = min(self.options, key=lambda o: o.staffing_cost_per_year + o.outage_cost_per_year)
            total = cheapest.staffing_cost_per_year + cheapest.outage_cost_per_year
            restore = cheapest.breaches.get(HEADLINE) or {}
            misses = (f", though it misses the {restore['target']:g}-minute restore target in "
                      f"{restore['probability']:.0%} of incidents" if restore.get("probability") else "")
            out.append(
                f"Lowest p90 time to restore (MTTR): {fastest.name}. Lowest yearly staffing plus expected "
                f"outage cost: {cheapest.name} ({self.money(total)} a year, at "
                f"{_per_year(cheapest.incidents_per_year)}{misses}){self._across_rates()}."
            )
        return out

    def lowest_total_cost_by_rate(self) -> list[dict]:
        """Which option has the lowest staffing plus expected outage cost a year across the
        plausible incident rates (`risk.cheapest_by_rate`); [] without a stated range."""
        rate = self.options[0].rate
        if rate is None or not rate.stated_range:
            return []
        return cheapest_by_rate([(o.name, o.staffing_cost_per_year, o.outage_cost_per_incident)
                                 for o in self.options], rate.low, rate.high)

    def _across_rates(self) -> str:
        stretches = self.lowest_total_cost_by_rate()
        if not stretches:
            return ""
        rate = self.options[0].rate
        if len(stretches) == 1:
            return (f"; it stays lowest across the plausible {rate.low:.3g} to {rate.high:.3g} incidents a year")
        parts = [f"{s['option']} from {s['from']:.3g} to {s['to']:.3g}" for s in stretches]
        return "; across the plausible incidents a year the lowest is " + ", ".join(parts)

    def money(self, amount: float) -> str:
        """An amount in the run's currency, as every report writes it."""
        return format_money(amount, self.currency)

    def to_dict(self) -> dict:
        out = {
            "format": RESULT_FORMAT,
            "tool_version": self.tool_version,
            "status": self.status,
            "started": self.started,
            "finished": self.finished,
            "seed": self.seed,
            "replications": self.replications,
            "mode": self.mode,
            "settings": self.settings,
            "inputs": self.inputs,
            "headline": HEADLINE,
            "currency": self.currency,
            "histogram_bins": BINS,
            "intervals": interval_methods(self.mode == "single"),
            "calibrated_from": self.calibration,
        }
        if len(self.options) == 1:
            only = self.options[0].to_dict()
            out.update({k: only[k] for k in ("metrics", "missing", "targets", "detection_paths", "costs", "risk",
                                             "histograms", "restore_stages")})
            out["option"] = only["name"]
        else:
            out["options"] = [o.to_dict() for o in self.options]
            out["differences"] = self.differences
            out["recommendation"] = recommend(self)
            out["verdict"] = self.verdicts()
            out["lowest_total_cost_by_rate"] = self.lowest_total_cost_by_rate()
        if self.input_uncertainty is not None:
            out["input_uncertainty"] = self.input_uncertainty
        if self.adaptive is not None:
            out["adaptive"] = self.adaptive
        return json_safe(out)


def _per_year(count: float) -> str:
    return f"{count:.3g} incident{'' if count == 1 else 's'} a year"


def json_safe(value):
    """JSON-safe: NaN becomes null, numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value
