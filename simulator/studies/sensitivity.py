"""Which parameter matters most to time to restore (MTTR, mean time to restore service)?

A one-at-a-time sensitivity sweep: every parameter `scenarios.variation` knows (people on
call, acknowledgement delays, escalation timeout, skill, diagnosis time, declaration delay,
communications overhead) is moved down and up by a stated amount, one at a time, and each
variant is simulated against the unchanged baseline with common random numbers, so the
effects are paired differences with 95% confidence intervals. Rows are ranked by the size of
the effect on p90 time to restore.

    from scenarios import resolve
    from simulator.studies.sensitivity import sensitivity
    result = sensitivity(resolve("cloudflare-2019-waf", "scenario"), resolve("cloudflare-2019-sre", "staffing"),
                         change=0.25, replications=2000, seed=7)
    result.rows[0]      # the largest effect on p90 time to restore

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
from simulator.studies.variation import Skipped, Variant, sensitivity_variants

__all__ = ["sensitivity", "sweep_runs", "parse_change", "SensitivityResult", "SENSITIVITY_FORMAT"]

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
                     "numbers) with 95% confidence intervals; rows are ranked by the absolute effect on p90.",
            "change": self.change,
            "currency": self.currency,
            "settings": self.settings,
            "inputs": self.inputs,
            "baseline": self.baseline,
            "rows": self.rows,
            "skipped": self.skipped,
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
    }
    row["p90_effect"] = _clear(row["p90_diff_ci_low"], row["p90_diff_ci_high"])
    row["p50_effect"] = _clear(row["p50_diff_ci_low"], row["p50_diff_ci_high"])
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
) -> SensitivityResult:
    """Move each parameter down and up by `change` (a fraction, e.g. 0.25), one at a time, and
    measure the paired effect on p50 and p90 time to restore (MTTR) against the baseline.

    Single-incident mode. `executor` as for `compare` ("local", "dask" or an executor already
    entered); one executor serves the whole sweep. `variants` may pass the result of
    `scenarios.variation.sensitivity_variants` already computed (e.g. to size a progress bar).
    Raises DocumentError if the documents do not fit together, SimulationError for impossible
    settings.
    """
    change = parse_change(change)
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

    def rank(row):
        effect = row["p90_diff"]
        size = abs(effect) if effect is not None and not math.isnan(effect) else -1.0
        return (-size, row["parameter"], row["direction"])

    rows.sort(key=rank)
    for position, row in enumerate(rows, start=1):
        row["rank"] = position

    inputs = [_input(scenario), _input(staffing), _input(playbook)]
    inputs += [{**_input(v.document), "varies": v.parameter, "direction": v.direction} for v in found]
    return SensitivityResult(
        seed=seed, replications=replications, change=change, baseline=baseline, rows=rows,
        skipped=[_skipped(s) for s in skipped], inputs=inputs, started=started, finished=_now(),
        settings={"executor": ran_on, "start": "scenario policy", "comparisons": sweep_runs(found)},
        currency=scenario.document.currency,
    )
