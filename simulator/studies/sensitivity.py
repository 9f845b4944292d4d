"""Which parameter matters most to time to restore (MTTR, mean time to restore service)?

A one-at-a-time sensitivity sweep: every parameter `scenarios.variation` knows (people on
call, acknowledgement delays, escalation timeout, skill, diagnosis time, declaration delay,
communications overhead) is moved down and up by a stated amount, one at a time, and each
variant is simulated against the unchanged baseline with common random numbers, so the
effects are paired differences with 95% confidence intervals. Every variant carries its
staffing cost per year. Rows are grouped and ranked for a decision (`ranking_key`):
improvements of p90 time to restore first, the most minutes saved per 100k a year of added
staffing cost on top; then harms, largest first; then changes with no clear effect, largest
saving first; last the changes that leave a role with nobody at all, which are kept out of
the headline (removing the only people in a role is rarely a question). `lever_closing_gap`
names the change that closes most of the gap to a target per unit of cost.

    from scenarios import resolve
    from simulator.studies.sensitivity import sensitivity
    result = sensitivity(resolve("cloudflare-2019-waf", "scenario"), resolve("cloudflare-2019-sre", "staffing"),
                         change=0.25, replications=2000, seed=7)
    result.rows[0]      # the improvement of p90 time to restore with the best value for money
    lever_closing_gap(result, limit=30)   # what closes most of the gap to p90 <= 30 min per unit cost

Every variant runs through `compare` on one executor. Staffing variants run side by side in
one comparison, the baseline first, so `compare` pairs them itself. A varied scenario or
playbook cannot be an option of the same comparison (options differ in staffing only), so
each runs in its own comparison with the same seed: replication k of that run sees the same
random numbers as replication k of the baseline, and the pairs are summarised with the same
mergeable statistics `compare` uses (sections of replications for quantile differences).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field

import numpy as np

from scenarios import Loaded
from scenarios.currency import DEFAULT_CURRENCY
from scenarios.formats import SENSITIVITY_FORMAT
from scenarios.library import DEFAULT_PLAYBOOK, resolve
from scenarios.version import TOOL_VERSION
from simulator.errors import SimulationError
from simulator.run.api import compare
from simulator.run.executors import make_executor
from simulator.run.results import HEADLINE, json_safe
from simulator.run.runner import SECTION, Progress
from simulator.run.summary import PairSummary
from simulator.studies.optimize import Target
from simulator.studies.variation import Skipped, Variant, sensitivity_variants

__all__ = ["sensitivity", "sweep_runs", "parse_change", "ranking_key", "lever_closing_gap", "GapLever",
           "SensitivityResult", "SENSITIVITY_FORMAT", "GROUPS", "PER_COST"]

GROUPS = ("improvement", "harm", "no_clear_effect", "role_removed")
"""The groups of a sweep's rows, in the order they are listed."""
PER_COST = 100_000
"""Effects are put per this much yearly staffing cost (minutes of p90 per 100k a year)."""

_CHANGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$")


def parse_change(text: str | float) -> float:
    """A change as a fraction: `25%` or `0.25` -> 0.25. Must lie strictly between 0% and 100%,
    so that scaling down leaves a delay above zero."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = float(text)
    else:
        match = _CHANGE.match(str(text))
        if not match:
            raise SimulationError(f"the change must look like 25% or 0.25, got {text!r}")
        value = float(match[1]) / (100 if match[2] else 1)
    if not 0 < value < 1:
        raise SimulationError(f"the change must be above 0% and below 100% (e.g. 25% or 0.25), got {text!r}")
    return value


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _input(loaded: Loaded, with_text: bool = True) -> dict:
    out = {"kind": loaded.document.kind, "name": loaded.document.name, "source": loaded.source,
           "sha256": loaded.sha256}
    if with_text:
        out["text"] = loaded.text
    return out


@dataclass
class SensitivityResult:
    """A sensitivity sweep: the baseline, one row per variant ranked by |p90 effect|, and the
    changes that were skipped with their reasons. `to_dict()` is its JSON artifact."""

    seed: int
    replications: int
    change: float
    baseline: dict
    rows: list
    skipped: list
    inputs: list
    started: str
    finished: str
    settings: dict = field(default_factory=dict)
    tool_version: str = TOOL_VERSION
    status: str = "ok"
    target: dict | None = None          # the target asked for, if any (Target.to_dict())
    closing_lever: dict | None = None   # lever_closing_gap for that target (GapLever.to_dict()), if any
    currency: str = DEFAULT_CURRENCY

    def to_dict(self) -> dict:
        return json_safe({
            "format": SENSITIVITY_FORMAT,
            "tool_version": self.tool_version,
            "status": self.status,
            "started": self.started,
            "finished": self.finished,
            "seed": self.seed,
            "replications": self.replications,
            "mode": "single",
            "metric": HEADLINE,
            "about": "MTTR is mean time to restore service (impact start to service restored). Each parameter is "
                     "changed on its own; effects are paired differences against the baseline (common random "
                     "numbers) with 95% confidence intervals. Rows are grouped (improvement, harm, no clear effect, "
                     "role removed, by the effect on p90) and ranked within a group: improvements by minutes of p90 "
                     "saved per 100k a year of added staffing cost (changes adding no staffing cost first), harms by "
                     "size, no clear effect by the staffing cost saved.",
            "change": self.change,
            "currency": self.currency,
            "settings": self.settings,
            "inputs": self.inputs,
            "baseline": self.baseline,
            "rows": self.rows,
            "skipped": self.skipped,
            "target": self.target,
            "closing_lever": self.closing_lever,
        })


def _figures(described: dict | None) -> dict:
    """A metric's description flattened to the columns of a row."""
    if not described:
        return {k: None for k in ("mean", "p50", "p50_ci_low", "p50_ci_high", "p90", "p90_ci_low", "p90_ci_high")}
    return {
        "mean": described["mean"],
        "p50": described["p50"], "p50_ci_low": described["p50_ci95"][0], "p50_ci_high": described["p50_ci95"][1],
        "p90": described["p90"], "p90_ci_low": described["p90_ci95"][0], "p90_ci_high": described["p90_ci95"][1],
    }


def _differences(diff: dict | None) -> dict:
    keys = ("mean_diff", "mean_diff_ci_low", "mean_diff_ci_high", "p50_diff", "p50_diff_ci_low", "p50_diff_ci_high",
            "p90_diff", "p90_diff_ci_low", "p90_diff_ci_high")
    if not diff:
        return {k: None for k in keys}
    return {
        "mean_diff": diff["mean_diff"], "mean_diff_ci_low": diff["ci95"][0], "mean_diff_ci_high": diff["ci95"][1],
        "p50_diff": diff["p50_diff"], "p50_diff_ci_low": diff["p50_ci95"][0], "p50_diff_ci_high": diff["p50_ci95"][1],
        "p90_diff": diff["p90_diff"], "p90_diff_ci_low": diff["p90_ci95"][0], "p90_diff_ci_high": diff["p90_ci95"][1],
    }


def _clear(low, high) -> str:
    """What a 95% interval of a difference says: slower, faster, none (every pair equal) or unclear."""
    if low is None or high is None or (isinstance(low, float) and math.isnan(low)):
        return "unclear"
    if low == 0 and high == 0:
        return "none"
    return "slower" if low > 0 else "faster" if high < 0 else "unclear"


def _group(row: dict) -> str:
    if row["leaves_nobody_in"]:
        return "role_removed"
    return {"faster": "improvement", "slower": "harm"}.get(row["p90_effect"], "no_clear_effect")


def _value_key(saved: float, cost_diff: float) -> tuple:
    """Best value first: changes adding no staffing cost by minutes saved (then by money
    saved), then the others by minutes saved per PER_COST a year. The one rule both the
    ranking of improvements and `lever_closing_gap` use."""
    if cost_diff <= 0:
        return (0, -saved, cost_diff)
    return (1, -saved / (cost_diff / PER_COST), cost_diff)


def _number(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def ranking_key(row: dict) -> tuple:
    """Where a row goes in a sweep: its group in GROUPS order, then improvements by value for
    money (`_value_key` on p90), harms and role removals by the p90 added, largest first, and
    changes with no clear effect by staffing cost, largest saving first, those that leave the
    cost unchanged last."""
    diff = _number(row["p90_diff"])
    size = -1.0 if diff is None else diff
    cost = row["staffing_cost_diff"]
    group = row["group"]
    if group == "improvement":
        within = _value_key(-size, cost)
    elif group == "no_clear_effect":
        within = (cost == 0, cost, -abs(size))
    else:
        within = (-size,)
    return (GROUPS.index(group), *within, row["parameter"], row["direction"])


def _row(variant: Variant, described: dict | None, diff: dict | None, cost: float, base_cost: float) -> dict:
    row = {
        "parameter": variant.parameter,
        "label": variant.label,
        "document": variant.kind,
        "direction": variant.direction,
        "change": variant.change,
        "before": variant.before,
        "after": variant.after,
        "variant": variant.document.document.name,
        "sha256": variant.document.sha256,
        **_figures(described),
        **_differences(diff),
        "staffing_cost_per_year": cost,
        "staffing_cost_diff": cost - base_cost,
        "leaves_nobody_in": variant.leaves_nobody_in,
    }
    row["p90_effect"] = _clear(row["p90_diff_ci_low"], row["p90_diff_ci_high"])
    row["p50_effect"] = _clear(row["p50_diff_ci_low"], row["p50_diff_ci_high"])
    p90_diff = _number(row["p90_diff"])
    row["p90_diff_per_100k"] = (None if p90_diff is None or row["staffing_cost_diff"] == 0
                                else p90_diff / (row["staffing_cost_diff"] / PER_COST))
    row["group"] = _group(row)
    return row


def _skipped(skip: Skipped) -> dict:
    return {"parameter": skip.parameter, "label": skip.label, "document": skip.kind, "direction": skip.direction,
            "change": skip.change, "reason": skip.reason}


def _sections(n: int) -> list[slice]:
    # The same sections compare uses: SECTION replications, aligned to the replication index.
    return [slice(a, min(a + SECTION, n)) for a in range(0, n, SECTION)]


class _Restores:
    """An incident sink keeping one option's time to restore, in replication order."""

    def __init__(self, option: str):
        self.option = option
        self.parts: list[np.ndarray] = []

    def __call__(self, frame) -> None:
        mine = frame[frame["option"] == self.option]
        self.parts.append(mine[HEADLINE].to_numpy(dtype=float))

    @property
    def values(self) -> np.ndarray:
        return np.concatenate(self.parts) if self.parts else np.zeros(0)


def sweep_runs(variants: list[Variant]) -> int:
    """How many comparisons a sweep of these variants makes: one for the baseline and every
    staffing variant, one more per varied scenario or playbook. A progress bar's length is
    this times the replications."""
    return 1 + sum(1 for v in variants if v.kind != "staffing")


def sensitivity(
    scenario: Loaded,
    staffing: Loaded,
    playbook: Loaded | None = None,
    *,
    change: float = 0.25,
    replications: int = 2000,
    seed: int = 1,
    jobs: int = 1,
    executor="local",
    scheduler: str | None = None,
    progress: Progress | None = None,
    variants: tuple[list[Variant], list[Skipped]] | None = None,
    target: Target | None = None,
) -> SensitivityResult:
    """Move each parameter down and up by `change` (a fraction, e.g. 0.25), one at a time, and
    measure the paired effect on p50 and p90 time to restore (MTTR) against the baseline.

    With a `target` on time to restore (its mean, p50 or p90), the result also names the
    change that closes most of the gap to it per unit of cost (`lever_closing_gap`).

    Single-incident mode. `executor` as for `compare` ("local", "dask" or an executor already
    entered); one executor serves the whole sweep. `variants` may pass the result of
    `scenarios.variation.sensitivity_variants` already computed (e.g. to size a progress bar).
    Raises DocumentError if the documents do not fit together, SimulationError for impossible
    settings.
    """
    change = parse_change(change)
    if target is not None and (target.metric != HEADLINE or target.statistic not in ("mean", "p50", "p90")):
        raise SimulationError(f"a sensitivity target is on the mean, p50 or p90 of {HEADLINE}, "
                              f"e.g. 'p90({HEADLINE}) <= 30m'; got {target.text!r}")
    if replications < 2:
        raise SimulationError(f"replications must be >= 2 for confidence intervals, got {replications}")
    playbook = playbook or resolve(DEFAULT_PLAYBOOK, "playbook")
    found, skipped = variants if variants is not None else sensitivity_variants(scenario, staffing, playbook, change)
    on_staffing = [v for v in found if v.kind == "staffing"]
    on_documents = [v for v in found if v.kind != "staffing"]
    base_name = staffing.document.name
    base_cost = staffing.document.cost_per_year
    started = _now()

    def run(runner) -> tuple:
        keep = _Restores(base_name) if on_documents else None
        common = dict(replications=replications, seed=seed, progress=progress, executor=runner)
        base = compare(scenario, [staffing, *(v.document for v in on_staffing)], playbook, incident_sink=keep, **common)
        others = []
        for variant in on_documents:
            theirs = _Restores(base_name)
            docs = {"scenario": scenario, "playbook": playbook, variant.kind: variant.document}
            others.append((compare(docs["scenario"], [staffing], docs["playbook"], incident_sink=theirs, **common),
                           theirs.values))
        return base, keep.values if keep else None, others, runner.name

    if isinstance(executor, str):
        with make_executor(executor, jobs, scheduler) as runner:
            base, base_values, others, ran_on = run(runner)
    else:
        base, base_values, others, ran_on = run(executor)

    baseline_option = base.options[0]
    baseline = {"name": base_name, "staffing_cost_per_year": base_cost, **_figures(baseline_option.metrics[HEADLINE])}
    rows = []
    for k, variant in enumerate(on_staffing, start=1):
        option = base.options[k]
        rows.append(_row(variant, option.metrics[HEADLINE], base.difference(option.name, HEADLINE),
                         option.staffing_cost_per_year, base_cost))
    sections = _sections(replications)
    for variant, (result, values) in zip(on_documents, others):
        pair = PairSummary()
        pair.add(base_values, values, sections)
        option = result.options[0]
        diff = pair.describe(baseline_option.summary.metrics[HEADLINE], option.summary.metrics[HEADLINE], True)
        rows.append(_row(variant, option.metrics[HEADLINE], diff, option.staffing_cost_per_year, base_cost))

    rows.sort(key=ranking_key)
    for position, row in enumerate(rows, start=1):
        row["rank"] = position

    inputs = [_input(scenario), _input(staffing), _input(playbook)]
    inputs += [{**_input(v.document), "varies": v.parameter, "direction": v.direction} for v in found]
    result = SensitivityResult(
        seed=seed, replications=replications, change=change, baseline=baseline, rows=rows,
        skipped=[_skipped(s) for s in skipped], inputs=inputs, started=started, finished=_now(),
        settings={"executor": ran_on, "start": "scenario policy", "comparisons": sweep_runs(found)},
        currency=scenario.document.currency,
    )
    if target is not None:
        result.target = target.to_dict()
        lever = lever_closing_gap(result, target.limit, target.statistic)
        result.closing_lever = lever.to_dict() if lever else None
    return result


@dataclass(frozen=True)
class GapLever:
    """The one-at-a-time change that closes most of the gap to a target per unit of yearly
    staffing cost (minutes of `statistic` time to restore)."""

    parameter: str
    label: str
    document: str
    direction: str
    change: str
    before: str
    after: str
    statistic: str                  # mean, p50 or p90 of time to restore
    limit: float                    # the target, minutes
    baseline: float                 # the baseline's statistic, minutes
    gap: float                      # baseline - limit, above zero
    saves: float                    # minutes the change takes off the statistic (paired estimate)
    saves_ci: tuple                 # 95% interval of the minutes saved
    closes: float                   # min(saves, gap)
    closes_gap: bool                # the estimate reaches the target
    staffing_cost_per_year: float
    staffing_cost_diff: float
    minutes_per_100k: float | None  # gap closed per 100k a year of added staffing cost; None when it adds none

    def to_dict(self) -> dict:
        return json_safe({**self.__dict__, "saves_ci": list(self.saves_ci)})


def lever_closing_gap(result: SensitivityResult | dict, limit: float, statistic: str = "p90", *,
                      priced_only: bool = False) -> GapLever | None:
    """The change of a sweep that closes most of the gap between the baseline's `statistic`
    (mean, p50 or p90) of time to restore and `limit` minutes, per unit of yearly staffing
    cost. Only changes that clearly improve the statistic (95% interval of the paired
    difference below zero) and keep someone in every role count; minutes beyond the gap
    earn nothing. Ranked by the same rule as the sweep's improvements: a change adding no
    staffing cost first (its price, such as training or tooling, is not in the documents),
    then gap closed per 100k a year. None when the baseline already meets the limit or
    nothing clearly helps. `priced_only` keeps only changes whose price the documents state
    (the staffing cost changes). `result` is a SensitivityResult or its `to_dict()`."""
    if statistic not in ("mean", "p50", "p90"):
        raise ValueError(f"a sweep measures mean, p50 or p90 time to restore, not {statistic!r}")
    data = result.to_dict() if isinstance(result, SensitivityResult) else result
    baseline = _number(data["baseline"].get(statistic))
    if baseline is None or baseline <= limit:
        return None
    gap = baseline - limit
    found = []
    for row in data["rows"]:
        diff, high = _number(row[f"{statistic}_diff"]), _number(row[f"{statistic}_diff_ci_high"])
        if row.get("leaves_nobody_in") or diff is None or high is None or high >= 0:
            continue
        if priced_only and row["staffing_cost_diff"] == 0:
            continue
        closes = min(-diff, gap)
        found.append((_value_key(closes, row["staffing_cost_diff"]), row["parameter"], row["direction"], closes, row))
    if not found:
        return None
    _, _, _, closes, row = min(found, key=lambda f: f[:3])
    cost = row["staffing_cost_diff"]
    return GapLever(
        parameter=row["parameter"], label=row["label"], document=row["document"], direction=row["direction"],
        change=row["change"], before=row["before"], after=row["after"], statistic=statistic, limit=limit,
        baseline=baseline, gap=gap, saves=-row[f"{statistic}_diff"],
        saves_ci=(-row[f"{statistic}_diff_ci_high"], -row[f"{statistic}_diff_ci_low"]), closes=closes,
        closes_gap=-row[f"{statistic}_diff"] >= gap, staffing_cost_per_year=row["staffing_cost_per_year"],
        staffing_cost_diff=cost, minutes_per_100k=closes / (cost / PER_COST) if cost > 0 else None,
    )
