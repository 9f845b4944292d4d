"""The recommendation that opens every comparison: which option to choose, by one stated rule.

The rule: choose the cheapest option (staffing plus expected outage cost a year, at the
scenario's incident rate) whose p90 time to restore is within the scenario's restore target
with 95% confidence, i.e. the upper end of the 95% interval of its p90 is within the target.
When no option meets it, name the closest (the lowest upper end) and how far it is; when the
run cannot tell yet (an estimate within the target whose interval is not), say how many
replications would settle it. An adaptive run (simulator.studies.sequential) decides by its
own sequential test of the same kind of target, and its account is used as it stands.

`recommend(result)` gives summary.json's `recommendation`: the `rule`, the `outcome`
("chosen", "none_meets", "undecided", "no_target", "too_few" or "no_data"), the options named, and `text`, the
sentences in the documents' currency that every comparison (terminal, HTML, PDF) shows first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scenarios.currency import format_money

__all__ = ["Decision", "cheapest_meeting_target", "rule_text", "recommend", "replications_to_settle", "HEADLINE"]

HEADLINE = "time_to_restore"
CONFIDENCE = 0.95
ROUND = 500          # replications are suggested in whole blocks (the unit of the random streams)


@dataclass(frozen=True)
class Decision:
    """What the rule chose from one comparison: `chosen` (None when no option qualifies), the
    `closest` when none does, and which options qualified."""

    chosen: str | None
    closest: str | None
    qualifying: tuple[str, ...]


def _upper(option, metric: str = HEADLINE) -> float:
    high = ((option.metrics.get(metric) or {}).get("p90_ci95") or [math.nan, math.nan])[1]
    return math.inf if high is None or math.isnan(high) else high


def _yearly(option) -> float:
    return option.staffing_cost_per_year + option.outage_cost_per_year


def cheapest_meeting_target(result, metric: str = HEADLINE) -> Decision:
    """The cheapest option (staffing plus expected outage cost a year) whose p90 of `metric` is
    within its target at the upper end of the 95% interval; when none is, the closest: the
    lowest upper end (with no target, the lowest p90)."""
    options = result.options
    target = options[0].targets.get(metric)
    meets = [o for o in options if target is not None and _upper(o, metric) <= target]
    if meets:
        chosen = min(meets, key=lambda o: (_yearly(o), options.index(o)))
        return Decision(chosen.name, None, tuple(o.name for o in meets))
    closest = min(options, key=lambda o: (_upper(o, metric), options.index(o)))
    return Decision(None, closest.name, ())


def rule_text(result, metric: str = HEADLINE) -> str:
    """The rule in words, for the artifact and the reports."""
    target = result.options[0].targets.get(metric)
    what = metric.replace("_", " ")
    if target is None:
        return f"no target is set for {what}, so no option can qualify; the closest is the one with the lowest p90"
    return (f"the cheapest option (staffing plus expected outage cost a year) whose p90 {what} is within "
            f"{target:g} min with {CONFIDENCE:.0%} confidence (the upper end of its {CONFIDENCE:.0%} "
            f"interval); when none is, the closest is the one with the lowest upper end")


def replications_to_settle(n: int, estimate: float, high: float, limit: float) -> int | None:
    """Replications after which an estimate within `limit` whose interval's upper end (`high`,
    from `n` replications) is above it would probably be told within: the half-width shrinks
    as 1/sqrt(n). Rounded up to whole blocks, with a fifth more for luck. None when the
    estimate is at the limit itself (no number of replications settles a tie)."""
    room = limit - estimate
    if room <= 0 or n <= 0:
        return None
    half = high - estimate
    needed = n * (half / room) ** 2 * 1.2
    return int(math.ceil(needed / ROUND) * ROUND)


def _share(value) -> str:
    return "-" if value is None else f"{value:.0%}"


def _breach(option, metric: str = HEADLINE) -> float | None:
    return (option.breaches.get(metric) or {}).get("probability")


def _minutes(value: float) -> str:
    return f"{value:.1f} min"


def _lever_sentence(lever: dict, money, gap: float | None = None) -> str:
    """The sweep's closing lever in words; `gap` (minutes) is the comparison's own, which the
    share closed is put against (the sweep measured its own baseline)."""
    cost = lever["staffing_cost_diff"]
    if cost > 0:
        price = f"for {money(cost)} a year more in staffing"
    elif cost < 0:
        price = f"while saving {money(-cost)} a year"
    else:
        price = "at no added staffing cost (its price, such as training or tooling, is not in the documents)"
    gap = lever["gap"] if gap is None else gap
    reach = "enough on its own" if lever["saves"] >= gap else f"{lever['saves'] / gap:.0%} of the gap"
    low, high = lever["saves_ci"]
    moved = f" ({lever['before']} -> {lever['after']})" if lever.get("before") and len(
        f"{lever['before']} -> {lever['after']}") <= 40 else ""
    return (f"What would close most of the gap per unit of cost: {lever['label']} {lever['change']}{moved} takes "
            f"{lever['saves']:.1f} min off its {lever['statistic']} (95% CI {low:.1f} to {high:.1f}), {reach}, {price}.")


def _interval_ok(option) -> bool:
    """The option's p90 has a 95% interval (it needs enough replications)."""
    low, high = (option.metrics.get(HEADLINE) or {}).get("p90_ci95") or (None, None)
    return low is not None and high is not None and not (math.isnan(low) or math.isnan(high))


def _settle_text(result, option, limit: float) -> tuple[int | None, str]:
    """How many replications would probably tell whether `option`'s p90, within `limit`
    minutes on its estimate, is within it with 95% confidence, in the run's own units (incidents
    in single mode, horizons in stream mode), and the advice in words."""
    figures = option.metrics[HEADLINE]
    single = result.mode == "single"
    n = option.summary.metrics[HEADLINE].values.n if single else result.replications
    settle = replications_to_settle(n, figures["p90"], figures["p90_ci95"][1], limit)
    if settle is None:
        return None, "it sits on the target itself: no number of replications will settle it; decide with a margin"
    unit = "incidents" if single else "horizons"
    one_scenario = sum(1 for i in result.inputs if i["kind"] == "scenario") == 1
    adaptive = ", or --adaptive," if single and one_scenario else ""
    return settle, f"about {settle:,} {unit} per option (-n {settle}){adaptive} would settle it"


def recommend(result) -> dict | None:
    """summary.json's `recommendation` for a comparison of two or more options (None for one)."""
    options = result.options
    if len(options) < 2:
        return None
    money = lambda value: format_money(value, result.currency)  # noqa: E731
    by_name = {o.name: o for o in options}
    target = options[0].targets.get(HEADLINE)
    out: dict = {"rule": rule_text(result), "metric": HEADLINE, "statistic": "p90", "confidence": CONFIDENCE,
                 "target_minutes": target, "currency": result.currency}
    if getattr(result, "adaptive", None):
        return _from_adaptive(result, out, money)
    if not any(o.metrics.get(HEADLINE) for o in options):
        out.update(outcome="no_data", choice=None, closest=None, text=[
            "No recommendation: no simulated incident was restored, so there is nothing to compare."])
        return out
    if target is None:
        fastest = min(options, key=lambda o: ((o.metrics.get(HEADLINE) or {}).get("p90", math.inf), options.index(o)))
        cheapest = min(options, key=lambda o: (_yearly(o), options.index(o)))
        out.update(outcome="no_target", choice=None, closest=None, text=[
            f"No recommendation: the scenario sets no restore target (targets: time_to_restore). Lowest p90 time "
            f"to restore: {fastest.name}; lowest staffing plus expected outage cost: {cheapest.name} "
            f"({money(_yearly(cheapest))} a year)."])
        return out
    if not all(_interval_ok(o) for o in options):
        out.update(outcome="too_few", choice=None, closest=None, text=[
            "No recommendation yet: too few replications for a 95% interval of every option's p90 time to restore "
            "(it needs at least 51, and a few hundred for a useful one)."])
        return out
    limit = f"{target:g} min"
    decision = cheapest_meeting_target(result)
    text = []
    if decision.chosen:
        chosen = by_name[decision.chosen]
        figures = chosen.metrics[HEADLINE]
        text.append(
            f"Choose {chosen.name}: the cheapest option that meets p90 time to restore <= {limit} with "
            f"{CONFIDENCE:.0%} confidence (p90 {_minutes(figures['p90'])}, at most {_minutes(_upper(chosen))}), "
            f"{money(_yearly(chosen))} a year in staffing and expected outage cost.")
        cheaper = [o for o in options if _yearly(o) < _yearly(chosen)]
        if cheaper:
            thrifty = min(cheaper, key=lambda o: (_yearly(o), options.index(o)))
            saves = money(_yearly(chosen) - _yearly(thrifty))
            p90 = thrifty.metrics[HEADLINE]["p90"]
            if p90 <= target:      # within the target on its estimate, not yet with confidence
                _, how = _settle_text(result, thrifty, target)
                text.append(f"{thrifty.name} would save {saves} a year and its p90 ({_minutes(p90)}) is within "
                            f"{limit}, but not yet with {CONFIDENCE:.0%} confidence: {how}.")
            else:
                breach = _breach(thrifty)
                misses = (f"misses the {limit} restore target in {_share(breach)} of incidents"
                          if breach is not None else "does not meet the target")
                text.append(f"{thrifty.name} would save {saves} a year but {misses} (p90 {_minutes(p90)}).")
        out.update(outcome="chosen", choice=chosen.name, closest=None, qualifying=list(decision.qualifying))
    else:
        closest = by_name[decision.closest]
        figures = closest.metrics[HEADLINE]
        p90, (low, high) = figures["p90"], figures["p90_ci95"]
        undecided = [o for o in options if o.metrics[HEADLINE]["p90"] <= target]
        if undecided:
            near = min(undecided, key=lambda o: (_yearly(o), options.index(o)))
            f = near.metrics[HEADLINE]
            settle, how = _settle_text(result, near, target)
            text.append(
                f"Not decided yet: {near.name}'s p90 time to restore, {_minutes(f['p90'])}, is within {limit}, but "
                f"with {CONFIDENCE:.0%} confidence it could be as high as {_minutes(f['p90_ci95'][1])}; {how}.")
            out.update(outcome="undecided", choice=None, closest=near.name, replications_to_settle=settle)
        else:
            breach = _breach(closest)
            within = f"; it restores within {limit} in {_share(1 - breach)} of incidents" if breach is not None else ""
            text.append(
                f"No option meets p90 time to restore <= {limit} with {CONFIDENCE:.0%} confidence. The closest is "
                f"{closest.name}: p90 {_minutes(p90)} (95% CI {low:.1f} to {high:.1f}), "
                f"{_minutes(p90 - target)} over, {money(_yearly(closest))} a year in staffing and expected outage "
                f"cost{within}.")
            lever = getattr(result, "lever", None)
            if lever:
                text.append(_lever_sentence(lever, money, p90 - target))
                out["lever"] = lever
            out.update(outcome="none_meets", choice=None, closest=closest.name, gap_minutes=p90 - target)
    robust = getattr(result, "input_uncertainty", None)
    if robust and robust.get("sentence") and out["outcome"] != "undecided":
        text.append(robust["sentence"])     # its rule knows no "undecided": it would contradict the line above
    out["text"] = text
    return out


def _from_adaptive(result, out: dict, money) -> dict:
    account = result.adaptive
    target = account["target"]
    out.update(rule=f"adaptive: {account['method']}", target=target, statistic=target["statistic"],
               metric=target["metric"], target_minutes=target["limit_minutes"])
    text = []
    if account["outcome"] == "chosen":
        chosen = next(o for o in result.options if o.name == account["chosen"])
        text.append(f"Choose {chosen.name}: {money(_yearly(chosen))} a year in staffing and expected outage cost. "
                    f"{account['sentence']}")
        out.update(outcome="chosen", choice=chosen.name, closest=None)
    elif account["outcome"] == "none":
        text.append(account["sentence"])
        lever = getattr(result, "lever", None)
        if lever:
            text.append(_lever_sentence(lever, money))
            out["lever"] = lever
        best = min(account["options"], key=lambda o: math.inf if o["estimate"] is None else o["estimate"])
        out.update(outcome="none_meets", choice=None, closest=best["name"])
    else:
        text.append(account["sentence"])
        out.update(outcome="undecided", choice=None, closest=account.get("leading"),
                   replications_to_settle=account.get("settle_with_max_replications"))
    out["text"] = text
    return out
