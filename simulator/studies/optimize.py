"""The cheapest staffing that meets a target, with stated confidence.

A target reads `p90(time_to_restore) <= 60m` or `mean(time_to_acknowledge) <= 5m`: a
statistic (`mean` or a percentile `pNN`) of a SPEC 3.1 metric, at most a duration. A
candidate *meets* it when the upper end of the statistic's confidence interval (two-sided,
at `confidence`) is within the limit, so a lucky estimate cannot pass.

The search is checkable. Candidates (`scenarios.staffing_space.expand`) are simulated in
increasing order of staffing cost per year (SPEC 3.4; ties: fewer people on call first), a
few at a time, each through `compare` with the same seed and replications, so every
candidate sees the same incidents and its figures do not depend on which others ran beside
it. The search stops at the first candidate that meets the target: every cheaper one was
simulated and missed, or was pruned. Pruning rests on one assumption, stated in the result:
more people on call never makes the response slower, so a candidate with no more people on
call than one that missed (otherwise the same) would miss too. The assumption is checked on
every ordered pair of simulated candidates; if any pair breaks it, the pruned candidates are
simulated as well. `exhaustive=True` simulates every candidate (a full frontier).

With `adaptive` (simulator.studies.sequential) a candidate is not simulated a fixed number
of times: it runs in rounds until the sequential feasibility test settles whether it meets
the target (within the margin the user allows), so candidates far from the target cost one
round and those near it as many as it takes; it *meets* when the test says so, and a
candidate still open at the maximum is `undecided`.

Every simulated candidate carries an `explanation`: its figure against the target in plain
words, and when the interval rule counts a candidate as missing although its estimate is
within the limit, why, and roughly how many replications would settle it.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, replace

from scenarios import METRIC_TITLES, Loaded, check_together, format_duration
from scenarios.currency import DEFAULT_CURRENCY, format_money
from scenarios.formats import OPTIMIZE_FORMAT
from scenarios.library import DEFAULT_PLAYBOOK, resolve
from scenarios.version import TOOL_VERSION
from simulator.errors import SimulationError
from simulator.run.api import Comparison, compare
from simulator.run.executors import make_executor
from simulator.run.results import HEADLINE, OptionResult, json_safe
from simulator.run.runner import Progress
from simulator.run.statistics import binomial_quantile
from simulator.studies.candidates import Candidate, Expansion, expand
from simulator.studies.sequential import Adaptive, Sequential, points
from simulator.studies.targets import Target, parse_target

__all__ = ["Target", "parse_target", "optimize", "OptimizeResult", "OPTIMIZE_FORMAT", "MONOTONE_ASSUMPTION", "explain"]

MONOTONE_ASSUMPTION = (
    "More people on call never makes the response slower: a staffing with at least as many people on call in "
    "every role and resolver group, and otherwise the same, meets any target a smaller one meets. Checked on "
    "every ordered pair of simulated candidates; if a pair breaks it, pruned candidates are simulated too."
)
_SIMULATED = ("meets", "misses", "undecided")


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


@dataclass
class _Record:
    candidate: Candidate
    status: str = "not evaluated"       # meets, misses, undecided (adaptive), pruned, invalid, not evaluated
    reason: str = ""
    figures: dict = field(default_factory=dict)
    on_frontier: bool = False
    replications: int | None = None
    sequential: dict | None = None      # the adaptive test's account of this candidate
    explanation: str = ""

    @property
    def value(self) -> float | None:
        return self.figures.get("value")

    def to_dict(self) -> dict:
        c = self.candidate
        return {
            "name": c.name,
            "base": c.base,
            "settings": [{"role": pool, "on_call": on_call, "rota": rota, "coverage": coverage}
                         for pool, on_call, rota, coverage in c.settings],
            "staffing_cost_per_year": c.cost_per_year,
            "on_call_total": c.on_call_total,
            "status": self.status,
            "reason": self.reason,
            "on_frontier": self.on_frontier,
            "sha256": c.staffing.sha256,
            "replications": self.replications,
            **{key: None for key in _FIGURES},
            **self.figures,
            "explanation": self.explanation,
            "adaptive": self.sequential,
        }


def _replications_for_bound(q: float, confidence: float) -> int:
    """The fewest independent values whose binomial rank bound for the q-quantile stays in the sample."""
    n = 2
    while binomial_quantile(0.5 + confidence / 2, n, q) + 1 > n:
        n = int(n * 1.25) + 1
    return n


def _settle_replications(n: int, value: float, low: float, high: float, limit: float) -> int | None:
    """Roughly how many replications would bring the interval clear of the limit, if the estimate
    stayed where it is: the half-width shrinks as one over the square root of the replications.
    Rounded up to a multiple of 500; None when the estimate sits on the limit."""
    gap = abs(limit - value)
    half = (high - value) if value < limit else (value - low)
    if gap <= 0 or not math.isfinite(half) or half <= 0:
        return None
    return max(math.ceil(n * (half / gap) ** 2 / 500) * 500, n)


def _limit_words(limit: float) -> str:
    return f"{limit:g}-minute" if float(limit).is_integer() else format_duration(limit)


def explain(target: Target, figures: dict, confidence: float, replications: int, sequential: dict | None = None) -> str:
    """One simulated candidate's figure against the target in words a non-statistician follows."""
    value, low, high = figures.get("value"), figures.get("ci_low"), figures.get("ci_high")
    title, conf, limit = target.title, f"{confidence:.0%}", target.limit
    goal = f"the {_limit_words(limit)} target"
    if value is None:
        return f"{target.metric} was never reached, so {target.statistic} cannot be measured against {goal}."
    said = f"{title} {value:.1f} min"
    if sequential is not None:
        return _explain_sequential(target, said, figures, confidence, sequential)
    if high is None or math.isnan(high):
        need = _replications_for_bound(target.quantile, confidence) if target.quantile is not None else None
        more = f": at least {need:,} replications are needed" if need else ""
        return (f"{said}, but {replications:,} incidents are too few to put a {conf} upper bound on "
                f"{target.statistic}{more}.")
    if high <= limit:
        return f"{said}; with {conf} confidence at most {high:.1f}, within {goal}."
    if value <= limit:
        more = _settle_replications(replications, value, low, high, limit)
        tail = (f"; about {more:,} replications (or --adaptive) would tell whether it really meets it" if more
                else "; it sits on the target")
        return (f"{said}, within {goal}, but with {conf} confidence it could be as high as {high:.1f}, above it, "
                f"so it is not counted as meeting it{tail}.")
    if low is not None and not math.isnan(low) and low <= limit:
        more = _settle_replications(replications, value, low, high, limit)
        tail = f": about {more:,} replications (or --adaptive) would settle it" if more else ""
        return (f"{said}, above {goal}; with {conf} confidence it lies between {low:.1f} and {high:.1f}, so it "
                f"might still meet it{tail}.")
    lower = f"; with {conf} confidence at least {low:.1f}" if low is not None and not math.isnan(low) else ""
    return f"{said}, above {goal}{lower}."


def _explain_sequential(target: Target, said: str, figures: dict, confidence: float, account: dict) -> str:
    conf = f"{confidence:.0%}"
    share = target.quantile is not None
    limit = format_duration(target.limit)
    if share:
        words = target.title.split(" ", 1)[1].split(" (")[0]
        claim = f"{words} within {limit} in at least {target.quantile:.0%} of incidents"
        margin = f"give or take {points(account['margin'])}"
        estimate = f"estimated {1 - account['estimate']:.1%}" if account.get("estimate") is not None else ""
    else:
        claim = f"{target.statistic} {target.metric.replace('_', ' ')} within {limit}"
        margin = f"give or take {format_duration(account['margin'])}"
        estimate = f"estimated {account['estimate']:.1f} min" if account.get("estimate") is not None else ""
    ran = account["replications"]
    if account["decision"] == "undecided":
        most = account.get("most_replications")
        tail = f"; at most {most:,} would settle it" if most else ""
        return f"{said}. Not settled after {ran:,} replications whether {claim} ({estimate}){tail}."
    after = account.get("decided_after") or ran
    verdict = "meets" if account["decision"] == "feasible" else "misses"
    text = (f"{said}. Settled after {after:,} replications: it {verdict} {claim} ({margin}), with {conf} "
            f"confidence; {estimate}.")
    high = figures.get("ci_high")
    if verdict == "meets" and high is not None and not math.isnan(high) and high > target.limit:
        text += (f" Its {conf} interval reaches {high:.1f} min: the test counts it as meeting the target within "
                 "the margin you allowed.")
    return text


_FIGURES = ("value", "ci_low", "ci_high", "meets", "restore_mean", "restore_p50", "restore_p90", "restore_p90_ci_low",
            "restore_p90_ci_high", "outage_cost_per_year")


def _figures(target: Target, option: OptionResult, confidence: float) -> dict:
    measured = target.measure(option, confidence)
    restore = option.metrics[HEADLINE] or {}
    value, low, high = measured if measured is not None else (None, None, None)
    return {
        "value": value, "ci_low": low, "ci_high": high,
        "meets": measured is not None and high is not None and not math.isnan(high) and high <= target.limit,
        "restore_mean": restore.get("mean"), "restore_p50": restore.get("p50"), "restore_p90": restore.get("p90"),
        "restore_p90_ci_low": (restore.get("p90_ci95") or [None, None])[0],
        "restore_p90_ci_high": (restore.get("p90_ci95") or [None, None])[1],
        "outage_cost_per_year": option.outage_cost_per_year,
    }


@dataclass
class OptimizeResult:
    """The search: every candidate with its status and figures (cost order), the frontier,
    the monotonicity check and the chosen staffing. `to_dict()` is its JSON artifact."""

    target: Target
    confidence: float
    seed: int
    replications: int
    exhaustive: bool
    batch: int
    records: list
    chosen: _Record | None
    monotonicity: dict
    skipped: list
    inputs: list
    started: str
    finished: str
    settings: dict = field(default_factory=dict)
    tool_version: str = TOOL_VERSION
    currency: str = DEFAULT_CURRENCY
    adaptive: dict | None = None    # the adaptive mode's settings and replications used

    @property
    def candidates(self) -> list[dict]:
        return [r.to_dict() for r in self.records]

    def verdict(self) -> str:
        t = self.target
        name = METRIC_TITLES[t.metric][0].lower() + METRIC_TITLES[t.metric][1:]
        how = f"with {self.confidence:.0%} confidence" + (" (sequential test)" if self.adaptive else "")
        undecided = [r for r in self.records if r.status == "undecided"]
        if self.chosen is not None:
            undecided = [r for r in undecided if _order(r.candidate) < _order(self.chosen.candidate)]
        open_note = ""
        if undecided:
            most = max((r.sequential or {}).get("most_replications") or 0 for r in undecided)
            settle = (f"; at most {most:,} replications each would settle {'it' if len(undecided) == 1 else 'them'} "
                      f"(--max-replications {most})") if most else ""
            which = ", ".join(r.candidate.label for r in undecided[:3]) + (" and others" if len(undecided) > 3 else "")
            open_note = (f" Not settled after {self.adaptive['max_replications']:,} replications: {which}"
                         f"{' (cheaper)' if self.chosen is not None else ''}{settle}.")
        if self.chosen is None:
            evaluated = [r for r in self.records if r.status in ("misses", "undecided")
                         and r.figures.get("ci_high") is not None and not math.isnan(r.figures["ci_high"])]
            closest = min(evaluated, key=lambda r: r.figures["ci_high"], default=None)
            tail = (f"; the closest is {closest.candidate.label} (upper {self.confidence:.0%} bound "
                    f"{closest.figures['ci_high']:.1f} min)") if closest else ""
            if closest is not None and self.adaptive is None:
                f = closest.figures
                if f["ci_low"] is not None and not math.isnan(f["ci_low"]) and f["ci_low"] <= t.limit:
                    more = _settle_replications(closest.replications, f["value"], f["ci_low"], f["ci_high"], t.limit)
                    about = f"about {more:,} replications per candidate (-n {more})" if more else "more replications"
                    tail += (f", and its interval ({f['ci_low']:.1f} to {f['ci_high']:.1f}) straddles the target, so "
                             f"more replications would settle it: {about}, or --adaptive to simulate as many as "
                             "the decision needs")
            unbounded = [r for r in self.records if r.status == "misses" and r.figures.get("ci_high") is not None
                         and math.isnan(r.figures["ci_high"])]
            if unbounded and t.quantile is not None:
                tail += (f"; {len(unbounded)} candidate(s) had too few incidents to put a {self.confidence:.0%} upper "
                         f"bound on {t.statistic} at all (at least {_replications_for_bound(t.quantile, self.confidence)} "
                         "replications are needed)")
            lead = "No staffing in the space is known to meet" if undecided else "No staffing in the space meets"
            return f"{lead} {t.text} {how}{tail}.{open_note}"
        f = self.chosen.figures
        settled = ""
        if self.adaptive and self.chosen.sequential:
            settled = f" Settled after {self.chosen.sequential['decided_after'] or self.chosen.replications:,} replications."
        return (f"Cheapest staffing meeting {t.text} {how}: {self.chosen.candidate.label}, "
                f"{format_money(self.chosen.candidate.cost_per_year, self.currency)} a year. Its {t.statistic} {name} is {f['value']:.1f} min "
                f"({self.confidence:.0%} CI {f['ci_low']:.1f} to {f['ci_high']:.1f}).{settled}{open_note}")

    def to_dict(self) -> dict:
        counts: dict[str, int] = {}
        for r in self.records:
            counts[r.status] = counts.get(r.status, 0) + 1
        return json_safe({
            "format": OPTIMIZE_FORMAT,
            "tool_version": self.tool_version,
            "status": "ok",
            "started": self.started,
            "finished": self.finished,
            "seed": self.seed,
            "replications": self.replications,
            "mode": "single",
            "about": "MTTR is mean time to restore service. " + (
                "A candidate meets the target when the sequential feasibility test declares it, with the stated "
                "confidence and margin (see adaptive). " if self.adaptive else
                "A candidate meets the target when the upper end of the statistic's confidence interval is within "
                "the limit. ") + "Staffing cost per year = rota x hourly rate x covered hours + on-call pay (SPEC 3.4).",
            "target": self.target.to_dict(),
            "confidence": self.confidence,
            "currency": self.currency,
            "search": {
                "method": "exhaustive: every candidate simulated" if self.exhaustive
                else "increasing staffing cost, stopping at the first candidate that meets the target, with pruning",
                "batch": self.batch,
                "assumption": None if self.exhaustive else MONOTONE_ASSUMPTION,
                "candidates": len(self.records),
                "counts": counts,
                "skipped_combinations": [{"label": label, "reason": reason} for label, reason in self.skipped],
            },
            "monotonicity": self.monotonicity,
            "chosen": self.chosen.to_dict() if self.chosen else None,
            "frontier": [r.candidate.name for r in self.records if r.on_frontier],
            "candidates": self.candidates,
            "verdict": self.verdict(),
            "adaptive": self.adaptive,
            "settings": self.settings,
            "inputs": self.inputs,
        })


def _input(loaded: Loaded) -> dict:
    return {"kind": loaded.document.kind, "name": loaded.document.name, "source": loaded.source,
            "sha256": loaded.sha256, "text": loaded.text}


def _order(candidate: Candidate) -> tuple:
    return (candidate.cost_per_year, candidate.on_call_total, candidate.name)


def optimize(
    scenario: Loaded,
    space: Loaded | Expansion,
    target: Target | str,
    playbook: Loaded | None = None,
    *,
    confidence: float = 0.95,
    replications: int = 1000,
    seed: int = 1,
    jobs: int = 1,
    executor="local",
    scheduler: str | None = None,
    progress: Progress | None = None,
    exhaustive: bool = False,
    batch: int = 4,
    adaptive: Adaptive | None = None,
) -> OptimizeResult:
    """Search `space` (a staffing_space document, or its expansion) for the cheapest staffing
    whose `target` holds at the upper end of its `confidence` interval, in single-incident
    mode. `executor` as for `compare`; one executor serves the whole search. With `adaptive`
    each candidate runs in rounds until a sequential test at `confidence` settles whether it
    meets the target (its own `confidence` is replaced by this one; `replications` is unused).
    Raises DocumentError for documents that do not fit, SimulationError for a bad target or
    setting.
    """
    target = parse_target(target) if isinstance(target, str) else target
    if not 0 < confidence < 1:
        raise SimulationError(f"confidence must be above 0 and below 1 (e.g. 0.95), got {confidence}")
    if replications < 2:
        raise SimulationError(f"replications must be >= 2 for confidence intervals, got {replications}")
    if adaptive is not None:
        adaptive = replace(adaptive, confidence=confidence)
        adaptive.check()
    if batch < 1:
        raise SimulationError(f"batch must be at least 1, got {batch}")
    playbook = playbook or resolve(DEFAULT_PLAYBOOK, "playbook")
    expansion = space if isinstance(space, Expansion) else expand(space)
    started = _now()

    records = {c.name: _Record(c) for c in expansion.candidates}
    valid = []
    for c in expansion.candidates:
        problems = check_together(scenario, c.staffing, playbook)
        if problems:
            records[c.name].status = "invalid"
            records[c.name].reason = "; ".join(p.message for p in problems)
        else:
            valid.append(c)
    order = sorted(valid, key=_order)

    accounts: list[dict] = []

    def evaluate(runner, group: list[Candidate]) -> None:
        if adaptive is not None:
            return evaluate_adaptively(runner, group)
        # Progress counts candidate-replications, so a bar sized candidates x replications fills.
        told = None if progress is None else (lambda count: progress(count * len(group)))
        result = compare(scenario, [c.staffing for c in group], playbook, replications=replications, seed=seed,
                         progress=told, executor=runner)
        for c, option in zip(group, result.options):
            record = records[c.name]
            record.figures = _figures(target, option, confidence)
            record.status = "meets" if record.figures["meets"] else "misses"
            record.reason = ""
            record.replications = replications
            record.explanation = explain(target, record.figures, confidence, replications)

    def evaluate_adaptively(runner, group: list[Candidate]) -> None:
        comparison = Comparison.prepare(scenario, [c.staffing for c in group], playbook, seed=seed)
        procedure = Sequential(comparison, target, adaptive, costs=False)
        procedure.run(runner, progress)
        account = procedure.to_dict()
        accounts.append(account)
        result = comparison.result(procedure.summaries, procedure.pairs, [o.replications for o in procedure.options],
                                   started, runner.name)
        for c, option, found in zip(group, result.options, account["options"]):
            record = records[c.name]
            record.figures = _figures(target, option, confidence)
            record.figures["meets"] = found["decision"] == "feasible"
            record.status = {"feasible": "meets", "infeasible": "misses"}.get(found["decision"], "undecided")
            record.reason = ""
            record.replications = found["replications"]
            record.sequential = {key: found[key] for key in ("replications", "decision", "decided_after", "estimate",
                                                             "most_replications")} | {"margin": account["margin"]}
            record.explanation = explain(target, record.figures, confidence, found["replications"], record.sequential)

    def cheapest_meeting():
        return next((records[c.name] for c in order if records[c.name].status == "meets"), None)

    def search(runner) -> dict:
        queue = list(order)
        while queue and (exhaustive or cheapest_meeting() is None):
            group: list[Candidate] = []
            while queue and len(group) < batch:
                c = queue.pop(0)
                missed = [records[o.name] for o in order if records[o.name].status == "misses"]
                beaten_by = None if exhaustive else next((r for r in missed if r.candidate.at_least(c)), None)
                if beaten_by is not None:
                    records[c.name].status = "pruned"
                    records[c.name].reason = (f"no more people on call than {beaten_by.candidate.label}, "
                                              "which missed the target")
                    continue
                group.append(c)
            if group:
                evaluate(runner, group)
        check = _monotonicity(target, [records[c.name] for c in order if records[c.name].status in _SIMULATED])
        if check["violations"]:
            # The assumption failed where we can see it: do not trust what it pruned.
            chosen = cheapest_meeting()
            limit = chosen.candidate.cost_per_year if chosen else math.inf
            recheck = [c for c in order if records[c.name].status == "pruned" and c.cost_per_year <= limit]
            for start in range(0, len(recheck), batch):
                evaluate(runner, recheck[start:start + batch])
            check = _monotonicity(target, [records[c.name] for c in order if records[c.name].status in _SIMULATED])
            check["pruned_rechecked"] = len(recheck)
        return check

    if isinstance(executor, str):
        with make_executor(executor, jobs, scheduler) as runner:
            monotonicity = search(runner)
            ran_on = runner.name
    else:
        monotonicity = search(executor)
        ran_on = executor.name

    chosen = cheapest_meeting()
    for c in order:
        record = records[c.name]
        if record.status == "not evaluated" and chosen is not None:
            record.reason = "costs at least as much as the chosen staffing"
    _mark_frontier([records[c.name] for c in order if records[c.name].status in _SIMULATED])

    listed = sorted(records.values(), key=lambda r: _order(r.candidate))
    inputs = [_input(scenario), _input(playbook), _input(expansion.space)] + [_input(b) for b in expansion.bases]
    return OptimizeResult(
        target=target, confidence=confidence, seed=seed, replications=replications, exhaustive=exhaustive,
        batch=batch, records=listed, chosen=chosen, monotonicity=monotonicity, skipped=list(expansion.skipped),
        inputs=inputs, started=started, finished=_now(), settings={"executor": ran_on, "start": "scenario policy"},
        currency=scenario.document.currency,
        adaptive=None if adaptive is None else _adaptive_account(adaptive, accounts, listed),
    )


def _adaptive_account(settings: Adaptive, accounts: list[dict], records: list[_Record]) -> dict:
    """The adaptive search's settings and the replications it used against a fixed run at the maximum."""
    simulated = [r for r in records if r.replications is not None]
    used = sum(r.replications for r in simulated)
    first = accounts[0] if accounts else {}
    return {
        "method": first.get("method"),
        "references": first.get("references"),
        "constraint": first.get("constraint"),
        "observation": first.get("observation"),
        "confidence": settings.confidence,
        "margin": first.get("margin"),
        "margin_unit": first.get("margin_unit"),
        "error_per_candidate": first.get("error_per_feasibility_test"),
        "first_round": settings.first_round,
        "round": settings.round_size,
        "max_replications": settings.max_replications,
        "groups": len(accounts),
        "total_replications": used,
        "fixed_replications": settings.max_replications * len(simulated),
    }


def _monotonicity(target: Target, evaluated: list[_Record]) -> dict:
    """Every ordered pair (more people on call, fewer) of simulated candidates: the one with
    more people must not have a higher estimate of the target's statistic."""
    pairs, violations = 0, []
    for more in evaluated:
        for fewer in evaluated:
            if more is fewer or not more.candidate.at_least(fewer.candidate) or fewer.candidate.at_least(more.candidate):
                continue
            pairs += 1
            a, b = more.value, fewer.value
            if a is not None and b is not None and a > b + 1e-9:
                violations.append({"more_people": more.candidate.name, "fewer_people": fewer.candidate.name,
                                   "more_people_value": a, "fewer_people_value": b})
    return {"assumption": MONOTONE_ASSUMPTION, "pairs_checked": pairs, "violations": violations}


def _mark_frontier(evaluated: list[_Record]) -> None:
    """Non-dominated simulated candidates: none is at most as costly and at most as slow (on
    the target's statistic) with one of the two strictly better."""
    best = math.inf
    for record in sorted(evaluated, key=lambda r: (r.candidate.cost_per_year,
                                                   math.inf if r.value is None else r.value, r.candidate.name)):
        if record.value is not None and record.value < best:
            record.on_frontier = True
            best = record.value
