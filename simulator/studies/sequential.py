"""As many replications as the decision needs: simulate in rounds until each option is known to
meet or miss a target, and the cheapest option that meets it is known, with stated confidence.

The procedure is the fully sequential feasibility check of Andradottir and Kim (2010) (as
written out for one constraint by Batur and Kim, 2010, with Fabian's triangular continuation
region and c = 1), followed, for a comparison, by the elimination of Kim and Nelson (2001) on
yearly cost among options that meet the target:

- Observations are batch means over sections of SECTION (50) replications, aligned to the
  replication index, so they are close to normal (the procedures assume normal data) and the
  same whoever simulated them. For a percentile target `pNN(metric) <= L` an observation is
  the share of the section's incidents whose metric is above L, and the constraint is
  E[share] <= 1 - NN/100 (p90 <= L is P(metric <= L) >= 0.9); for a mean target it is the
  section's mean of the metric, and the constraint is E[mean] <= L. Incidents that never
  reach the metric are left out, as the breach figures of a run leave them out.
- The margin (indifference zone) eps is what the user does not mind: an option whose true
  value is within eps of the threshold may be declared either way; any other is declared
  right with the stated confidence.
- After n0 observations (the first round) each option's sample variance S^2 fixes
  h^2 = 2 eta (n0 - 1), with eta solving 1/2 (1 + 2 eta)^(-(n0 - 1)/2) = beta. After r
  observations with D(r) = sum (Y - threshold) and R(r) = max(0, h^2 S^2 / (2 eps) - eps r / 2):
  D(r) <= -R(r) declares the option feasible, D(r) >= R(r) infeasible. R reaches 0 after at
  most h^2 S^2 / eps^2 observations, so every test ends, and that bound is what settling an
  undecided option would take at most.
- Yearly cost is staffing cost (exact) plus the incident rate times the section's mean outage
  cost; options are paired by section (common random numbers). For two options still in the
  running, the same region on the sum of their cost differences, with the cost margin as
  indifference zone, says which costs more; an option that costs more than one declared
  feasible is out.
- Errors are split by Bonferroni, since common random numbers make the options dependent:
  in a comparison of k options, half of 1 - confidence over the k feasibility tests, half
  over the k - 1 cost comparisons; in a staffing search each candidate's feasibility test
  gets all of it (each decision is right with the stated confidence, as each candidate's
  interval was without the adaptive mode).

Rounds are whole blocks of replications (BLOCK_SIZE, the unit of the random streams):
round one simulates replications [0, first_round) of every option, each later round the next
`round_size` of the options still needing them. An option stops when it is decided and no
comparison needs it, so options far from the target cost one round. Every decision is a
function of the observations in replication order, so a run is bit-identical for a seed on
any executor, and an option that ran N replications has exactly the figures of a fixed run of
N replications.

References: S. Andradottir and S.-H. Kim (2010), Fully sequential procedures for comparing
constrained systems via simulation, Naval Research Logistics 57(5), 403-421. D. Batur and
S.-H. Kim (2010), Finding feasible systems in the presence of constraints on multiple
performance measures, ACM TOMACS 20(3), article 13. S.-H. Kim and B. L. Nelson (2001), A
fully sequential procedure for indifference-zone selection in simulation, ACM TOMACS 11(3),
251-273. V. Fabian (1974), Note on Anderson's sequential procedures with triangular
boundary, Annals of Statistics 2(1), 170-176.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np

from scenarios import METRIC_TITLES, Loaded, format_duration
from scenarios.scenario import FixedStart, UniformWeek
from simulator.errors import SimulationError
from simulator.run.api import Comparison
from simulator.run.executors import make_executor
from simulator.run.results import SimulationResult
from simulator.run.runner import BLOCK_SIZE, SECTION, Progress, incident_values
from simulator.studies.targets import Target, restore_target

__all__ = ["Adaptive", "METHOD", "REFERENCES", "parse_margin", "fabian_h2", "feasibility", "ordering",
           "Sequential", "adaptive_compare", "points", "threshold"]

METHOD = ("fully sequential feasibility check (Andradottir and Kim 2010) on sections of 50 replications, then "
          "Kim-Nelson elimination on yearly cost among the options that meet the target")
REFERENCES = [
    "S. Andradottir and S.-H. Kim (2010), Fully sequential procedures for comparing constrained systems via "
    "simulation, Naval Research Logistics 57(5), 403-421",
    "D. Batur and S.-H. Kim (2010), Finding feasible systems in the presence of constraints on multiple "
    "performance measures, ACM TOMACS 20(3), article 13",
    "S.-H. Kim and B. L. Nelson (2001), A fully sequential procedure for indifference-zone selection in "
    "simulation, ACM TOMACS 11(3), 251-273",
]
DEFAULT_SHARE_MARGIN = 0.01      # at most 1 point of the share of incidents missing the limit
DEFAULT_MEAN_MARGIN = 0.02       # 2% of a mean target's limit
DEFAULT_COST_MARGIN = 0.01       # 1% of the cheapest option's yearly cost


@dataclass(frozen=True)
class Adaptive:
    """How an adaptive run proceeds. `margin`: the indifference zone in the target's units (a
    share of incidents for a percentile target, minutes for a mean), None for the default
    (see `margin_for`); `cost_margin`: yearly cost differences treated as ties, None for 1% of
    the cheapest option's estimated yearly cost. Round sizes are replications per option,
    multiples of BLOCK_SIZE."""

    confidence: float = 0.95
    margin: float | None = None
    cost_margin: float | None = None
    first_round: int = 1000
    round_size: int = 500
    max_replications: int = 20000

    def check(self) -> None:
        if not 0 < self.confidence < 1:
            raise SimulationError(f"confidence must be above 0 and below 1 (e.g. 0.95), got {self.confidence}")
        for name, value in (("first round", self.first_round), ("round size", self.round_size),
                            ("maximum replications", self.max_replications)):
            if value < BLOCK_SIZE or value % BLOCK_SIZE:
                raise SimulationError(f"the {name} must be a multiple of {BLOCK_SIZE} replications (they are simulated "
                                      f"in blocks of {BLOCK_SIZE}), got {value}")
        if self.max_replications < self.first_round:
            raise SimulationError(f"the maximum replications ({self.max_replications}) must be at least the first "
                                  f"round ({self.first_round})")
        if self.margin is not None and not self.margin > 0:
            raise SimulationError(f"the margin must be above zero, got {self.margin}")
        if self.cost_margin is not None and not self.cost_margin > 0:
            raise SimulationError(f"the cost margin must be above zero, got {self.cost_margin}")

    def margin_for(self, target: Target) -> float:
        """The margin in the target's units: as given, or by default a tenth of the share of
        incidents a percentile target allows to miss, at most 1 point (p90: 1 point, p95: half
        a point), and 2% of a mean target's limit."""
        if self.margin is not None:
            if target.quantile is not None and self.margin >= min(threshold(target), 1 - threshold(target)):
                raise SimulationError(
                    f"for {target.text} the margin is a share of incidents below {min(threshold(target), 1 - threshold(target)):g} "
                    f"(the share allowed to miss is {threshold(target):g}), got {self.margin:g}")
            return self.margin
        if target.quantile is None:
            return DEFAULT_MEAN_MARGIN * target.limit
        return min(DEFAULT_SHARE_MARGIN, threshold(target) / 10)


def threshold(target: Target) -> float:
    """The constraint's right-hand side: the share of incidents allowed above the limit
    (1 - NN/100 for pNN), or the mean target's limit in minutes."""
    return target.limit if target.quantile is None else round(1.0 - target.quantile, 12)


def parse_margin(text: str, target: Target) -> float:
    """A margin from the command line: for a percentile target a share of incidents (`2%` or
    `0.02`); for a mean target a duration (`30s`, `1m`) or a share of the limit (`2%`)."""
    from scenarios import parse_duration

    raw = (text or "").strip()
    try:
        if raw.endswith("%"):
            share = float(raw[:-1]) / 100
            return share if target.quantile is not None else share * target.limit
        if target.quantile is not None:
            return float(raw)
    except ValueError:
        pass
    else:
        try:
            return parse_duration(raw)
        except ValueError:
            pass
    if target.quantile is not None:
        raise SimulationError(f"for {target.text} the margin is a share of incidents, e.g. 2% or 0.02, got {text!r}")
    raise SimulationError(f"for {target.text} the margin is a duration or a share of the limit, e.g. 1m or 2%, "
                          f"got {text!r}")


# -- the statistics ---------------------------------------------------------------------

def fabian_h2(beta: float, n0: int) -> float:
    """h^2 = 2 eta (n0 - 1), eta solving 1/2 (1 + 2 eta)^(-(n0 - 1)/2) = beta (c = 1): the
    continuation region whose wrong-side exit has probability at most `beta`."""
    if n0 < 2:
        raise SimulationError(f"a sequential test needs at least 2 first observations, got {n0}")
    eta = 0.5 * ((2.0 * beta) ** (-2.0 / (n0 - 1)) - 1.0)
    return 2.0 * eta * (n0 - 1)


def _region(h2: float, s2: float, margin: float, r: int) -> float:
    return max(0.0, h2 * s2 / (2.0 * margin) - margin * r / 2.0)


def _most(h2: float, s2: float, margin: float) -> int:
    """Observations after which the region has closed: no test runs longer."""
    return max(math.ceil(h2 * s2 / (margin * margin)), 1)


@dataclass(frozen=True)
class Decision:
    """A sequential test's state: `decision` (for a feasibility test "feasible", "infeasible"
    or "undecided"; for a cost ordering "first", "second" for the one costing more, or
    "undecided"), `at` observations when decided, the first stage's variance and the
    observations after which it must have ended."""

    decision: str
    at: int | None
    s2: float
    most: int


def feasibility(observations, threshold_value: float, margin: float, h2: float, n0: int) -> Decision:
    """Andradottir and Kim's feasibility check on one option's observations in order: S^2 from
    the first n0, then a check after each observation from the n0-th on."""
    y = np.asarray(observations, dtype=float)
    s2 = float(np.var(y[:n0], ddof=1)) if y.size >= n0 else math.nan
    if y.size < n0:
        return Decision("undecided", None, s2, 0)
    sums = np.cumsum(y - threshold_value)
    for r in range(n0, y.size + 1):
        edge = _region(h2, s2, margin, r)
        if sums[r - 1] <= -edge:
            return Decision("feasible", r, s2, _most(h2, s2, margin))
        if sums[r - 1] >= edge:
            return Decision("infeasible", r, s2, _most(h2, s2, margin))
    return Decision("undecided", None, s2, _most(h2, s2, margin))


def ordering(differences, margin: float, h2: float, n0: int) -> Decision:
    """Kim and Nelson's elimination on paired differences (first minus second), in order: which
    of the two costs more, once the sum leaves the region. At the region's end an exact tie goes
    against the second."""
    d = np.asarray(differences, dtype=float)
    s2 = float(np.var(d[:n0], ddof=1)) if d.size >= n0 else math.nan
    if d.size < n0:
        return Decision("undecided", None, s2, 0)
    sums = np.cumsum(d)
    for r in range(n0, d.size + 1):
        edge = _region(h2, s2, margin, r)
        if sums[r - 1] > edge or (edge == 0 and sums[r - 1] > 0):
            return Decision("first", r, s2, _most(h2, s2, margin))
        if sums[r - 1] < -edge or edge == 0:
            return Decision("second", r, s2, _most(h2, s2, margin))
    return Decision("undecided", None, s2, _most(h2, s2, margin))


def section_observations(target: Target, values: np.ndarray) -> np.ndarray:
    """One observation per section of SECTION replications (NaN where no incident of the
    section reached the metric): the share above the limit, or the mean."""
    sections = values.reshape(-1, SECTION)
    present = ~np.isnan(sections)
    counts = present.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        if target.quantile is None:
            out = np.where(present, sections, 0.0).sum(axis=1) / counts
        else:
            out = (np.where(present, sections, -np.inf) > target.limit).sum(axis=1) / counts
    return np.where(counts > 0, out, np.nan)


def section_costs(staffing_cost: float, per_year: float, outage: np.ndarray) -> np.ndarray:
    """Yearly cost per section: staffing plus the incident rate times the section's mean outage
    cost per incident (incidents with no finite cost left out)."""
    sections = outage.reshape(-1, SECTION)
    present = ~np.isnan(sections)
    counts = present.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(counts > 0, np.where(present, sections, 0.0).sum(axis=1) / counts, 0.0)
    return staffing_cost + per_year * mean


# -- the procedure --------------------------------------------------------------------

@dataclass
class _Option:
    name: str
    staffing_cost: float
    replications: int = 0
    observations: list = field(default_factory=list)   # per section, NaN where nothing to observe
    costs: list = field(default_factory=list)           # per section, yearly cost
    test: Decision | None = None
    eliminated_by: int | None = None    # the option that meets the target and is known to cost less

    @property
    def present(self) -> np.ndarray:
        y = np.asarray(self.observations, dtype=float)
        return y[~np.isnan(y)]

    @property
    def estimate(self) -> float | None:
        y = self.present
        return float(y.mean()) if y.size else None


class Sequential:
    """One adaptive run over some options of a prepared Comparison: rounds of replications until
    every option is decided against `target` and, with `costs`, the cheapest option meeting it is
    known. `beta_feasibility` and `beta_cost` are each test's error; see the module docstring."""

    def __init__(self, comparison: Comparison, target: Target, settings: Adaptive, *, costs: bool):
        settings.check()
        if comparison.mode != "single":
            raise SimulationError("the adaptive mode runs single incidents (--mode single)")
        self.comparison, self.target, self.settings, self.costs = comparison, target, settings, costs
        self.options = [_Option(st.document.name, st.document.cost_per_year) for st in comparison.staffings]
        k = len(self.options)
        alpha = 1.0 - settings.confidence
        if costs and k > 1:
            self.beta_feasibility, self.beta_cost = alpha / 2 / k, alpha / 2 / (k - 1)
        else:
            self.beta_feasibility, self.beta_cost = alpha, None
        self.margin = settings.margin_for(target)
        self.cost_margin: float | None = settings.cost_margin
        self.per_year = comparison.scenarios[0].document.incidents_per_year
        self.rounds: list[dict] = []
        self.summaries: list = [None] * k
        self.pairs: list = [None] * max(k - 1, 0)     # each later option with the first, over shared replications
        self.n0: int | None = None
        self.h2: float | None = None
        self.h2_cost: float | None = None
        self.orders: dict[tuple[int, int], Decision] = {}

    # - running -
    def run(self, runner, progress: Progress | None = None) -> None:
        first, size = 0, self.settings.first_round
        sampling = list(range(len(self.options)))
        while sampling:
            self._round(runner, sampling, first, size, progress)
            self._decide()
            first += size
            size = min(self.settings.round_size, self.settings.max_replications - first)
            sampling = self._needing(first) if size > 0 else []

    def _round(self, runner, sampling: list[int], first: int, count: int, progress: Progress | None) -> None:
        target, documents = self.target, [s.document for s in self.comparison.scenarios]

        def on_raws(options: list[int], raws: list[dict]) -> None:
            for k, raw in zip(options, raws):
                option = self.options[k]
                values = incident_values(documents, raw)
                option.observations.extend(section_observations(target, values[target.metric]).tolist())
                option.costs.extend(section_costs(option.staffing_cost, self.per_year, values["outage_cost"]).tolist())

        told = None if progress is None else (lambda n: progress(n * len(sampling)))
        summary = self.comparison.run(runner, sampling, first, count, told, on_raws)
        for i, merged in zip(sampling, summary.options):
            if self.summaries[i] is None:
                self.summaries[i] = merged
            else:
                self.summaries[i].merge(merged)
            self.options[i].replications = first + count
        if sampling[0] == 0:   # the first option ran: its pairs with the others that ran grow
            for i, pair in zip(sampling[1:], summary.pairs):
                if self.pairs[i - 1] is None:
                    self.pairs[i - 1] = pair
                else:
                    for metric, merged in pair.items():
                        self.pairs[i - 1][metric].merge(merged)
        self.rounds.append({"round": len(self.rounds) + 1, "first_replication": first, "replications": count,
                            "options": [self.options[i].name for i in sampling]})

    # - deciding -
    def _decide(self) -> None:
        if self.n0 is None:   # after the first round: the first stage fixes the regions
            self.n0 = min(int(o.present.size) for o in self.options)
            if self.n0 < 2:
                raise SimulationError(f"too few incidents reached {self.target.metric} in the first round to test "
                                      f"{self.target.text}: give a larger first round")
            self.h2 = fabian_h2(self.beta_feasibility, self.n0)
            if self.beta_cost is not None:
                self.h2_cost = fabian_h2(self.beta_cost, self.settings.first_round // SECTION)
                if self.cost_margin is None:
                    cheapest = min(float(np.mean(o.costs)) for o in self.options)
                    self.cost_margin = DEFAULT_COST_MARGIN * cheapest if cheapest > 0 else 1.0
        for option in self.options:
            option.test = feasibility(option.present, threshold(self.target), self.margin, self.h2, self.n0)
        if self.beta_cost is None:
            return
        n0 = self.settings.first_round // SECTION
        for i, a in enumerate(self.options):
            for j in range(i + 1, len(self.options)):
                b = self.options[j]
                shared = min(len(a.costs), len(b.costs))
                self.orders[(i, j)] = ordering(np.subtract(a.costs[:shared], b.costs[:shared]), self.cost_margin,
                                               self.h2_cost, n0)
        # An option known to cost more than one that meets the target is out (the first such one is named).
        for i, option in enumerate(self.options):
            option.eliminated_by = next((j for j, other in enumerate(self.options) if j != i
                                         and other.test.decision == "feasible" and self._costs_more(i, j)), None)

    def _order(self, i: int, j: int) -> Decision:
        return self.orders[(min(i, j), max(i, j))]

    def _costs_more(self, i: int, j: int) -> bool:
        """Known (with the cost comparisons' confidence) that option i costs more than option j."""
        order = self._order(i, j)
        return order.decision == ("first" if i < j else "second")

    def _in_running(self, i: int) -> bool:
        option = self.options[i]
        return option.test.decision != "infeasible" and option.eliminated_by is None

    def _needing(self, first: int) -> list[int]:
        """The options the next round simulates: still in the running, simulated up to `first`,
        and either undecided or in a cost comparison still open with another such option."""
        out = []
        for i, option in enumerate(self.options):
            if not self._in_running(i) or option.replications != first:
                continue
            if option.test.decision == "undecided":
                out.append(i)
                continue
            if self.beta_cost is not None and any(
                    j != i and self._in_running(j) and self.options[j].replications == first
                    and self._order(i, j).decision == "undecided" for j in range(len(self.options))):
                out.append(i)
        return out

    # - the outcome -
    def outcome(self) -> dict:
        """`outcome` ("chosen", "none" or "undecided"), the chosen or leading option's position,
        and what is still open."""
        running = [i for i in range(len(self.options)) if self._in_running(i)]
        feasible = [i for i in running if self.options[i].test.decision == "feasible"]
        undecided = [i for i in running if self.options[i].test.decision == "undecided"]
        open_pairs = [(i, j) for i in running for j in running if i < j and self.beta_cost is not None
                      and self._order(i, j).decision == "undecided"]
        if not self.costs:   # a search's group: each candidate decided or not
            return {"outcome": "undecided" if undecided else "decided", "option": None, "undecided": undecided,
                    "open_pairs": []}
        if not running:
            return {"outcome": "none", "option": None, "undecided": [], "open_pairs": []}
        if not undecided and len(feasible) == 1 and not open_pairs:
            return {"outcome": "chosen", "option": feasible[0], "undecided": [], "open_pairs": []}
        leading = min(feasible, key=lambda i: (float(np.mean(self.options[i].costs)) if self.options[i].costs
                                               else self.options[i].staffing_cost, i), default=None)
        return {"outcome": "undecided", "option": leading, "undecided": undecided, "open_pairs": open_pairs}

    def settle(self) -> int | None:
        """Replications per option that would settle every open question at most (the regions'
        end), rounded up to the round size; None when nothing is open."""
        found = self.outcome()
        needed = [self.options[i].test.most for i in found["undecided"]]
        needed += [self._order(i, j).most for i, j in found["open_pairs"]]
        if not needed:
            return None
        return self._on_rounds(max(needed) * SECTION)

    def _on_rounds(self, replications: int) -> int:
        """The replications the rounds reach to cover `replications`."""
        first, size = self.settings.first_round, self.settings.round_size
        return first + max(math.ceil((replications - first) / size), 0) * size

    def option_status(self, i: int, found: dict) -> str:
        option = self.options[i]
        if found["option"] == i and found["outcome"] == "chosen":
            return "chosen"
        if option.test.decision == "infeasible":
            return "misses the target"
        if option.eliminated_by is not None:
            return f"costs more than {self.options[option.eliminated_by].name}"
        if option.test.decision == "feasible":
            return "meets the target"
        return "undecided"

    def to_dict(self) -> dict:
        """The account an artifact carries (summary.json's and the search's `adaptive`)."""
        found = self.outcome()
        target = self.target
        share = target.quantile is not None
        limit = format_duration(target.limit)
        total = sum(o.replications for o in self.options)
        options = []
        for i, o in enumerate(self.options):
            test = o.test
            options.append({
                "name": o.name,
                "replications": o.replications,
                "decision": test.decision,
                "decided_after": None if test.at is None else self._replications_at(o, test.at),
                "estimate": o.estimate,
                "within_limit": None if o.estimate is None or not share else 1.0 - o.estimate,
                "most_replications": self._on_rounds(test.most * SECTION) if test.most else None,
                "yearly_cost": float(np.mean(o.costs)) if self.costs and o.costs else None,
                "eliminated_by": None if o.eliminated_by is None else self.options[o.eliminated_by].name,
                "status": self.option_status(i, found),
            })
        out = {
            "method": METHOD if self.costs else METHOD.split(", then")[0],
            "references": REFERENCES if self.costs else REFERENCES[:2],
            "target": target.to_dict(),
            "constraint": (f"share of incidents with {target.metric} above {limit} <= {threshold(target):g}" if share
                           else f"mean {target.metric} <= {limit}"),
            "observation": (f"share of the incidents of each section of {SECTION} replications above {limit}" if share
                            else f"mean {target.metric} of each section of {SECTION} replications"),
            "confidence": self.settings.confidence,
            "margin": self.margin,
            "margin_unit": "share of incidents" if share else "minutes",
            "cost_margin": self.cost_margin if self.costs else None,
            "error_per_feasibility_test": self.beta_feasibility,
            "error_per_cost_comparison": self.beta_cost,
            "first_round": self.settings.first_round,
            "round": self.settings.round_size,
            "max_replications": self.settings.max_replications,
            "rounds": self.rounds,
            "options": options,
            "total_replications": total,
            "fixed_replications": self.settings.max_replications * len(self.options),
            "outcome": found["outcome"],
            "chosen": self.options[found["option"]].name if found["outcome"] == "chosen" else None,
            "leading": (self.options[found["option"]].name if found["outcome"] == "undecided"
                        and found["option"] is not None else None),
            "settle_with_max_replications": self.settle(),
        }
        out["sentence"] = sentence(out)
        return out

    def _replications_at(self, option: _Option, at: int) -> int:
        """Replications by the `at`-th observation (sections nobody reached the metric in count too)."""
        seen = 0
        for r, y in enumerate(option.observations, start=1):
            seen += not math.isnan(y)
            if seen == at:
                return r * SECTION
        return option.replications


def points(share: float) -> str:
    """A margin on a share of incidents in words: 0.01 -> "1 point", 0.005 -> "0.5 points"."""
    value = round(share * 100, 6)
    return f"{value:g} point{'' if value == 1 else 's'}"


def _share(value: float) -> str:
    return f"{value:.1%}".replace(".0%", "%")


def sentence(account: dict) -> str:
    """The adaptive run's decision in a plain sentence, from its account (`Sequential.to_dict`)."""
    target = account["target"]
    share = account["margin_unit"] == "share of incidents"
    limit = format_duration(target["limit_minutes"])
    if share:
        need = 1.0 - float(account["constraint"].rsplit("<= ", 1)[1])
        rule = (f"{_metric_words(target['metric'])} within {limit} in at least {_share(need)} of incidents "
                f"({target['text']}), give or take {points(account['margin'])}")
    else:
        rule = f"{target['text']}, give or take {format_duration(account['margin'])}"
    used = account["total_replications"]
    fixed = account["fixed_replications"]
    spent = f"{used:,} replications in all, against {fixed:,} for a fixed run at the maximum"
    confidence = f"{account['confidence']:.0%}"
    by_name = {o["name"]: o for o in account["options"]}
    if account["outcome"] == "chosen":
        return (f"Decided: {account['chosen']} is the cheapest option (yearly staffing plus expected outage cost) "
                f"that meets {rule}, with {confidence} confidence; {spent}.")
    if account["outcome"] == "none":
        best = min(account["options"], key=lambda o: math.inf if o["estimate"] is None else o["estimate"])
        closest = ""
        if best["estimate"] is not None:
            closest = (f"; the closest, {best['name']}, restores within {limit} in {_share(best['within_limit'])} of "
                       "incidents" if share and target["metric"] == "time_to_restore" else
                       f"; the closest is {best['name']} ({_estimate(best, share, target)})")
        return f"Decided: no option meets {rule}, with {confidence} confidence{closest}; {spent}."
    if account["outcome"] == "decided":
        meets = [o["name"] for o in account["options"] if o["decision"] == "feasible"]
        return (f"Decided: {', '.join(meets) if meets else 'none'} meet{'s' if len(meets) == 1 else ''} {rule}, "
                f"with {confidence} confidence; {spent}.")
    open_options = [o for o in account["options"] if o["decision"] == "undecided" and o["status"] == "undecided"]
    parts = [f"whether {o['name']} meets the target ({_estimate(o, share, target)})" for o in open_options]
    if not parts and account["leading"]:
        parts = ["which of the options meeting the target costs least (their yearly costs are within the cost margin "
                 "of each other so far)"]
    lead = f"{account['leading']} leads, but " if account["leading"] and account["leading"] in by_name else ""
    settle = account["settle_with_max_replications"]
    how = (f"at most {settle:,} replications per option would settle it (--max-replications {settle})"
           if settle else "more replications would settle it")
    return (f"Not decided after {account['max_replications']:,} replications per option: {lead}"
            f"{'; '.join(parts) or 'the decision'} is still open; {how}, or allow a wider --margin.")


def _metric_words(metric: str) -> str:
    """`time_to_restore` -> "time to restore" (the title without its abbreviation)."""
    title = METRIC_TITLES[metric].split(" (")[0]
    return title[0].lower() + title[1:]


def _estimate(option: dict, share: bool, target: dict) -> str:
    if option["estimate"] is None:
        return "never reached"
    if share:
        return f"estimated {_share(option['within_limit'])} within {format_duration(target['limit_minutes'])}"
    return f"estimated {option['estimate']:.1f} min"


def adaptive_compare(
    scenario: Loaded,
    staffings: list[Loaded],
    playbook: Loaded | None = None,
    *,
    target: Target | None = None,
    settings: Adaptive = Adaptive(),
    seed: int = 1,
    jobs: int = 1,
    start: FixedStart | UniformWeek | None = None,
    progress: Progress | None = None,
    keep_incidents: bool = False,
    incident_sink=None,
    executor="local",
    scheduler: str | None = None,
    classification: Loaded | None = None,
) -> SimulationResult:
    """Compare staffing options on one scenario with as many replications as choosing needs:
    rounds until each option is known to meet or miss `target` (default: p90 time to restore
    within the scenario's restore target) and the cheapest that meets it (yearly staffing
    plus expected outage cost) is known, with `settings.confidence`. Each option's figures
    come from the replications it ran; paired differences from those it shared with the first
    option. The result's `adaptive` says how it was decided. Raises as `compare` does, and
    SimulationError when there is no target to decide on."""
    if len(staffings) < 2:
        raise SimulationError("an adaptive comparison needs at least two staffing options")
    target = target or restore_target(scenario.document)
    if target is None:
        raise SimulationError(f"scenario {scenario.document.name} has no time_to_restore target: give one, e.g. "
                              "--target 'p90(time_to_restore) <= 30m'")
    comparison = Comparison.prepare(scenario, staffings, playbook, seed=seed, start=start, keep_incidents=keep_incidents,
                                    incident_sink=incident_sink, classification=classification)
    procedure = Sequential(comparison, target, settings, costs=True)
    started = _now()
    if isinstance(executor, str):
        with make_executor(executor, jobs, scheduler) as runner:
            procedure.run(runner, progress)
            ran_on = runner.name
    else:
        procedure.run(executor, progress)
        ran_on = executor.name
    return comparison.result(procedure.summaries, procedure.pairs, [o.replications for o in procedure.options],
                             started, ran_on, adaptive=procedure.to_dict())


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
