"""Does a comparison's answer survive the uncertainty of its own estimates?

The delays in the documents are estimates, and so is the incident rate. A delay with a
`range:` (the low and high ends of its parameters, stated or written by `warroom history
fit` from the fit's 95% intervals) and a scenario with a `frequency_range` say how far off
each might be. `input_uncertainty` re-runs the comparison once per draw, every uncertain
estimate drawn from its range, and counts how often the answer stays the same.

    from scenarios import resolve
    from simulator.studies.uncertainty import input_uncertainty
    found = input_uncertainty(resolve("cloudflare-2019-waf", "scenario"),
                              [resolve("cloudflare-2019-sre", "staffing"), resolve("follow-the-sun", "staffing")],
                              draws=20, replications=2000, seed=7)
    found.to_dict()["sentence"]   # "... holds in 18 of 20 draws of the estimates ..."

Draws are a Latin hypercube (McKay, Beckman and Conover, 1979): each estimate's range is cut
into `draws` equal strata and every stratum is used once, in an order shuffled per estimate,
so that even a few draws reach both ends of every range. A share is taken on a log scale
(a delay, or a rate, is as likely to be between 5m and 10m as between 10m and 20m), and a
delay moves as a whole: all its ranged parameters sit at the same share of the way from
their low ends to their high ends (`Distribution.at`). The shuffles come from the run's seed, and every draw's comparison
runs with that same seed, so the draws differ only by their inputs (common random numbers)
and the whole study is the same, bit for bit, for any executor.

The answer compared across draws is the rule `choose`; by default the one the comparison
report leads with: the cheapest staffing whose p90 time to restore is within the scenario's
restore target at the upper end of its 95% interval, or, when none is, none (and the
closest is the one with the lowest upper end).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel

from scenarios.distributions import Ranged, between
from scenarios.edit import with_changes
from scenarios.loader import Loaded
from simulator.errors import SimulationError
from simulator.run.api import compare
from simulator.run.decision import Decision, cheapest_meeting_target, rule_text
from simulator.run.executors import make_executor
from simulator.run.results import HEADLINE, SimulationResult, json_safe
from simulator.studies.variation import describe_distribution

__all__ = ["Estimate", "Decision", "InputUncertainty", "uncertain_estimates", "cheapest_meeting_target",
           "input_uncertainty", "latin_hypercube", "DRAW_STREAM", "NOTHING_TO_VARY"]

NOTHING_TO_VARY = ("nothing to vary: no delay in these documents states a range (e.g. diagnosis: time: {dist: "
                   "lognormal, median: 9m, p90: 20m, range: {median: [6m, 14m]}}) and no scenario states a "
                   "frequency_range; `warroom history fit` writes both from an incident history")

DRAW_STREAM = 0x1D5A7
"""Mixed with the run's seed for the draws' shuffles, so they never reuse a simulation stream."""


@dataclass(frozen=True)
class Estimate:
    """One uncertain estimate of one document: a delay with a range (written once, or the same
    delay and range at several places, as a fitted staffing writes one fitted delay into every
    role: one estimate, drawn once), or a scenario's rate."""

    document: int          # index into the documents given
    paths: tuple           # where it sits in the document (each a tuple of keys and list indexes)
    label: str             # e.g. "scenario cloudflare-2019-waf: diagnosis.time"
    low: str               # its low end, as people state it
    high: str
    value: object          # the distribution (with its range), or the (frequency, low, high) of a rate

    def at(self, share: float):
        """The document value `share` of the way from the low end to the high end."""
        if isinstance(self.value, tuple):
            _, low, high = self.value
            return between(low, high, share)
        return self.value.at(share).model_dump(mode="json", exclude_none=True)


def _walk(node, path: tuple):
    """(path, distribution) for every distribution with a range inside a document model."""
    if isinstance(node, Ranged):
        if node.range is not None:
            yield path, node
        return
    if isinstance(node, BaseModel):
        for name, info in type(node).model_fields.items():
            yield from _walk(getattr(node, name), path + (info.alias or name,))
    elif isinstance(node, (list, tuple)):
        for i, item in enumerate(node):
            yield from _walk(item, path + (i,))
    elif isinstance(node, dict):
        for key, item in node.items():
            yield from _walk(item, path + (key,))


def _dotted(path: tuple) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def uncertain_estimates(documents: list[Loaded]) -> list[Estimate]:
    """Every estimate of `documents` that states how uncertain it is, in document order: each
    delay with a `range`, and each scenario's `frequency` when it has a `frequency_range`."""
    found = []
    for k, loaded in enumerate(documents):
        doc = loaded.document
        name = f"{doc.kind} {doc.name}"
        if doc.kind == "scenario" and doc.frequency_range is not None:
            low, high = doc.frequency_range
            found.append(Estimate(k, (("frequency",),), f"{name}: frequency", f"{low:g}/year", f"{high:g}/year",
                                  (doc.frequency, low, high)))
        same: dict[object, list[tuple]] = {}
        for path, dist in _walk(doc, ()):
            same.setdefault(dist, []).append(path)
        for dist, paths in same.items():
            more = f" (and {len(paths) - 1} more place{'s' if len(paths) > 2 else ''} with this estimate)" \
                if len(paths) > 1 else ""
            found.append(Estimate(k, tuple(paths), f"{name}: {_dotted(paths[0])}{more}",
                                  describe_distribution(dist.at(0.0)), describe_distribution(dist.at(1.0)), dist))
    return found


def latin_hypercube(draws: int, estimates: int, seed: int) -> np.ndarray:
    """draws x estimates shares in [0, 1]: every column uses each of `draws` equal strata
    once (at its middle), in its own shuffled order."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, DRAW_STREAM]))
    middles = (np.arange(draws) + 0.5) / draws
    return np.column_stack([rng.permutation(middles) for _ in range(estimates)]) if estimates else np.zeros((draws, 0))


def _figures(option) -> dict:
    restore = option.metrics.get(HEADLINE) or {}
    breach = (option.breaches.get(HEADLINE) or {}).get("probability")
    return {"p90": restore.get("p90"), "p90_ci_high": (restore.get("p90_ci95") or [None, None])[1],
            "breach_probability": breach, "staffing_cost_per_year": option.staffing_cost_per_year,
            "outage_cost_per_year": option.outage_cost_per_year,
            "total_cost_per_year": option.staffing_cost_per_year + option.outage_cost_per_year}


def _summary_of(result: SimulationResult, decide: Callable[[SimulationResult], Decision]) -> dict:
    decision = decide(result)
    options = result.options
    fastest = min(options, key=lambda o: ((o.metrics.get(HEADLINE) or {}).get("p90", math.inf), options.index(o)))
    cheapest = min(options, key=lambda o: (o.staffing_cost_per_year + o.outage_cost_per_year, options.index(o)))
    ranking = sorted(options, key=lambda o: ((o.metrics.get(HEADLINE) or {}).get("p90", math.inf), options.index(o)))
    return {"chosen": decision.chosen, "closest": decision.closest, "qualifying": list(decision.qualifying),
            "fastest": fastest.name, "cheapest_total": cheapest.name, "ranking": [o.name for o in ranking],
            "options": {o.name: _figures(o) for o in options}}


@dataclass
class InputUncertainty:
    """The comparison re-run across draws of its uncertain estimates: the nominal answer,
    each draw's answer and figures, and how often the answer held. `to_dict()` is the
    `input_uncertainty` object of summary.json."""

    draws: int
    seed: int
    estimates: list[Estimate]
    shares: np.ndarray
    rule: str
    nominal: dict
    results: list[dict]
    option_names: list[str]
    settings: dict = field(default_factory=dict)

    def _count(self, key: str, name: str | None) -> int:
        return sum(1 for r in self.results if r[key] == name)

    @property
    def holds(self) -> int:
        """Draws whose answer is the nominal one: the same chosen option, or, when none
        qualifies, none again with the same closest option."""
        n = self.nominal
        return sum(1 for r in self.results if r["chosen"] == n["chosen"]
                   and (n["chosen"] is not None or r["closest"] == n["closest"]))

    def sentence(self) -> str:
        """Whether the nominal answer holds across the draws, in one sentence."""
        def answer(found: dict) -> tuple:
            return (found["chosen"], None) if found["chosen"] is not None else (None, found["closest"])

        def told(key: tuple, count: int) -> str:
            chosen, closest = key
            if chosen is not None:
                return f"{chosen} is chosen in {count}"
            if self.nominal["chosen"] is not None:
                return f"no option meets the target in {count} (closest {closest})"
            return f"{closest} is the closest in {count}"

        nominal = answer(self.nominal)
        others: dict[tuple, int] = {}
        for found in self.results:
            if answer(found) != nominal:
                others[answer(found)] = others.get(answer(found), 0) + 1
        rest = ("; in the others " + ", ".join(told(key, count) for key, count in
                                               sorted(others.items(), key=lambda kv: (-kv[1], str(kv[0]))))
                if others else "")
        within = f"{self.holds} of {self.draws} draws of the estimates within their ranges"
        if self.nominal["chosen"] is not None:
            return f"Choosing {self.nominal['chosen']} holds in {within}{rest}."
        return (f"No option meets the target with the estimates as stated, and none does, with "
                f"{self.nominal['closest']} the closest, in {within}{rest}.")

    def details(self) -> list[str]:
        ranking = sum(1 for r in self.results if r["ranking"] == self.nominal["ranking"])
        cheapest = self._count("cheapest_total", self.nominal["cheapest_total"])
        return [f"Ranking by p90 time to restore (MTTR) unchanged in {ranking} of {self.draws} draws; lowest "
                f"staffing plus expected outage cost still {self.nominal['cheapest_total']} in {cheapest} of "
                f"{self.draws}.",
                "Varied: " + "; ".join(f"{e.label} from {e.low} to {e.high}" for e in self.estimates) + "."]

    def to_dict(self) -> dict:
        options = []
        for name in self.option_names:
            p90s = [r["options"][name]["p90"] for r in self.results if r["options"][name]["p90"] is not None]
            totals = [r["options"][name]["total_cost_per_year"] for r in self.results]
            options.append({
                "name": name, "chosen": self._count("chosen", name),
                "closest": self._count("closest", name),
                "meets": sum(1 for r in self.results if name in r["qualifying"]),
                "fastest": self._count("fastest", name), "cheapest_total": self._count("cheapest_total", name),
                "p90_low": min(p90s, default=None), "p90_high": max(p90s, default=None),
                "total_cost_low": min(totals, default=None), "total_cost_high": max(totals, default=None),
            })
        return json_safe({
            "draws": self.draws, "seed": self.seed,
            "method": (f"{self.draws} comparisons, each with every uncertain estimate drawn from its range (a Latin "
                       "hypercube: each range cut into as many equal strata as draws on a log scale, each stratum "
                       "used once); a delay moves as a whole between the distribution of its low ends and that of "
                       "its high ends; "
                       "every draw runs with the same seed, so draws differ only by their inputs."),
            "rule": self.rule,
            "estimates": [{"estimate": e.label, "low": e.low, "high": e.high} for e in self.estimates],
            "varied": [f"{e.label} from {e.low} to {e.high}" for e in self.estimates],
            "nominal": self.nominal,
            "holds": self.holds,
            "sentence": self.sentence(),
            "details": self.details(),
            "options": options,
            "draw_results": [{"draw": i + 1, "shares": {e.label: float(self.shares[i, j])
                                                         for j, e in enumerate(self.estimates)}, **r}
                             for i, r in enumerate(self.results)],
            "settings": self.settings,
        })


def input_uncertainty(
    scenarios: Loaded | list[Loaded],
    staffings: list[Loaded],
    playbook: Loaded | None = None,
    *,
    draws: int = 20,
    seed: int = 1,
    jobs: int = 1,
    executor="local",
    scheduler: str | None = None,
    choose: Callable[[SimulationResult], Decision] = cheapest_meeting_target,
    nominal: SimulationResult | None = None,
    **settings,
) -> InputUncertainty:
    """Re-run `compare` once per draw of the documents' uncertain estimates and count how
    often the answer of `choose` holds. `settings` are `compare`'s other keywords
    (replications, mode, start, horizon...), used for every draw and for the nominal run
    (unless `nominal`, the comparison already run with the documents as they are, is given).
    Raises SimulationError when no estimate states a range, or for fewer than 2 draws."""
    scenarios = list(scenarios) if isinstance(scenarios, (list, tuple)) else [scenarios]
    from scenarios.library import DEFAULT_PLAYBOOK, resolve

    playbook = playbook or resolve(DEFAULT_PLAYBOOK, "playbook")
    if draws < 2:
        raise SimulationError(f"input uncertainty needs at least 2 draws (20 or more is better), got {draws}")
    documents = [*scenarios, *staffings, playbook]
    estimates = uncertain_estimates(documents)
    if not estimates:
        raise SimulationError(NOTHING_TO_VARY)
    shares = latin_hypercube(draws, len(estimates), seed)

    def drawn(i: int) -> list[Loaded]:
        changes: dict[int, dict] = {}
        for j, estimate in enumerate(estimates):
            value = estimate.at(float(shares[i, j]))
            for path in estimate.paths:
                changes.setdefault(estimate.document, {})[path] = value
        return [with_changes(doc, changes[k], f"input draw {i + 1} of {draws}") if k in changes else doc
                for k, doc in enumerate(documents)]

    def run(runner) -> tuple:
        base = nominal or compare(scenarios, staffings, playbook, seed=seed, executor=runner, **settings)
        found = []
        for i in range(draws):
            docs = drawn(i)
            result = compare(docs[:len(scenarios)], docs[len(scenarios):-1], docs[-1], seed=seed,
                             executor=runner, **settings)
            found.append(_summary_of(result, choose))
        return base, found, runner.name

    if isinstance(executor, str):
        with make_executor(executor, jobs, scheduler) as runner:
            base, results, ran_on = run(runner)
    else:
        base, results, ran_on = run(executor)
    rule = rule_text(base) if choose is cheapest_meeting_target else (choose.__doc__ or choose.__name__).strip()
    return InputUncertainty(draws=draws, seed=seed, estimates=estimates, shares=shares, rule=rule,
                            nominal=_summary_of(base, choose), results=results,
                            option_names=[o.name for o in base.options],
                            settings={"executor": ran_on, "replications": settings.get("replications", 1000)})
