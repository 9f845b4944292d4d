"""Delays fitted to incident history written into the documents the simulator takes.

Given a base staffing or scenario document and the fitted stages (as
`simulator.calibration.HistoryFit.fitted_delays()` gives them), `fitted_document` returns
the YAML text of a new document with the fitted distributions in place and a header
saying where every number came from. Which stage goes where:

- staffing: `acknowledge` -> every role's and resolver group's `acknowledge.in_hours` and
  `out_of_hours`; `escalation` is dropped, because the observed delays already include any
  escalation to a backup.
- scenario: `detect` -> `detection` (monitoring fires with certainty after the fitted
  delay; user reports dropped, since the history does not say which path detected each
  incident); `restore` -> `diagnosis.time` (wrong hypothesis dropped, the workaround made
  instant: the history has no cause-identified or workaround times); `close` ->
  `fix.duration` (change approval made instant); the history's incidents a year ->
  `frequency`, with its exact Poisson 95% interval as `frequency_range` (when the history
  spans three months or more).

Each fitted delay carries the fit's 95% intervals of its parameters as its `range:`, so that
`compare --input-uncertainty` can say whether a comparison's answer holds across them.
- classification: `classify` -> `triage.corrected_after`, with `triage.first_wrong` the
  share of major incidents first classified below the major line (the rest of the policy
  kept from the base, e.g. the bundled `itil-impact-urgency`).

Stages that were not fitted leave the base document's values alone, and the header says so.
The history's provenance goes into the document's typed `calibrated_from` field too (file,
incidents used, incidents a year, period, the spread of log restore times, stages, as_of,
when fitted), so that `simulate` and `compare` can say next to their verdict what change in
MTTR that history could detect at all.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping

import yaml

from ..loader import Loaded, load_text, parse_yaml
from ..version import TOOL_VERSION

__all__ = ["fitted_document", "FEEDS", "format_minutes"]

FEEDS = {"staffing": ("acknowledge",), "scenario": ("detect", "restore", "close"), "classification": ("classify",)}
"""Which fitted stages each kind of document takes."""


def format_minutes(minutes: float) -> str:
    """A duration as documents write it, to about four significant figures (`12.35m`, `42s`)."""
    if not math.isfinite(minutes) or minutes < 0:
        raise ValueError(f"a fitted duration must be finite and >= 0, got {minutes!r}")
    if minutes < 1:
        return f"{max(minutes * 60, 0.001):.3f}".rstrip("0").rstrip(".") + "s"
    digits = 0 if minutes >= 1000 else 1 if minutes >= 100 else 2 if minutes >= 10 else 3
    return f"{minutes:.{digits}f}".rstrip("0").rstrip(".") + "m"


def _shape(value: float) -> float:
    return float(f"{value:.4g}")


def _distribution(spec: Mapping) -> dict:
    family = spec["dist"]
    if family == "lognormal":
        out = {"dist": "lognormal", "median": format_minutes(spec["median"]), "p90": format_minutes(spec["p90"])}
    elif family == "gamma":
        out = {"dist": "gamma", "mean": format_minutes(spec["mean"]), "sd": format_minutes(spec["sd"])}
    elif family == "weibull":
        out = {"dist": "weibull", "shape": _shape(spec["shape"]), "scale": format_minutes(spec["scale"])}
    else:
        raise ValueError(f"cannot write a fitted {family!r} distribution")
    if spec.get("range"):  # the fit's 95% intervals: how uncertain the estimate is
        out["range"] = {name: [(_shape if name == "shape" else format_minutes)(end) for end in ends]
                        for name, ends in spec["range"].items()}
    return out


def _described(spec: Mapping) -> str:
    written = _distribution(spec)
    return written["dist"] + " " + " ".join(f"{k} {v}" for k, v in written.items() if k not in ("dist", "range"))


def _ranged(spec: Mapping) -> str:
    written = _distribution(spec).get("range")
    if not written:
        return ""
    return "; 95% intervals " + ", ".join(f"{name} {ends[0]} to {ends[1]}" for name, ends in written.items())


def _provenance(stage: str, delay: Mapping, target: str) -> list[str]:
    others = ", ".join(f"{family} {aic:.1f}" for family, aic in delay.get("others", {}).items())
    ks = ("" if delay.get("ks_statistic") is None
          else f"; KS D {delay['ks_statistic']:.3f}, p {delay['ks_pvalue']:.2f}")
    at_as_of = (f", {delay['open_at_as_of']} open at the end of the history: no information"
                if delay.get("open_at_as_of") else "")
    return [
        f"{stage} ({delay.get('span', '')}) -> {target}:",
        f"  {_described(delay['distribution'])}; n {delay['n']} (missing {delay['missing']}, "
        f"censored {delay['censored']}{at_as_of}); AIC {delay['aic']:.1f}" + (f" (others: {others})" if others else "")
        + ks + _ranged(delay["distribution"]),
    ]


def _staffing(data: dict, delays: Mapping) -> tuple[list[str], list[str]]:
    notes, skipped = [], []
    if "acknowledge" not in delays:
        return notes, ["acknowledge"]
    delay = _distribution(delays["acknowledge"]["distribution"])
    pools = [f"roles.{r}" for r in data.get("roles") or {}] + \
            [f"resolver_groups.{g}" for g in data.get("resolver_groups") or {}]
    dropped = []
    for section in ("roles", "resolver_groups"):
        for name, pool in (data.get(section) or {}).items():
            pool["acknowledge"] = {"in_hours": copy.deepcopy(delay), "out_of_hours": copy.deepcopy(delay)}
            if pool.pop("escalation", None) is not None:
                dropped.append(f"{section}.{name}")
    notes += _provenance("acknowledge", delays["acknowledge"], ", ".join(f"{p}.acknowledge" for p in pools) or
                         "(no roles)")
    notes.append("  Same delay in and out of hours (the history does not tell them apart).")
    if dropped:
        notes.append(f"  Escalation dropped for {', '.join(dropped)}: the observed delays already include it.")
    return notes, skipped


def _put_after(data: dict, anchors: tuple[str, ...], values: dict) -> None:
    """Set `values` in `data` (in place), placed after the first of `anchors` it has (or at
    the end), so a reader finds them where such fields usually sit."""
    keys = list(data)
    anchor = next((a for a in anchors if a in data), None)
    at = keys.index(anchor) + (0 if anchor in values else 1) if anchor is not None else len(keys)
    at -= sum(1 for key in keys[:at] if key in values)
    for key in values:
        data.pop(key, None)
    items = list(data.items())
    items[at:at] = list(values.items())
    data.clear()
    data.update(items)


def _scenario(data: dict, delays: Mapping) -> tuple[list[str], list[str]]:
    notes, skipped = [], []
    if "detect" in delays:
        data["detection"] = {"monitoring": {"probability": 1, "delay": _distribution(delays["detect"]["distribution"])}}
        notes += _provenance("detect", delays["detect"], "detection.monitoring.delay")
        notes.append("  Monitoring fires with certainty after this delay; user reports dropped (the history does not "
                     "say which path detected each incident).")
    else:
        skipped.append("detect")
    if "restore" in delays:
        diagnosis = data["diagnosis"]
        diagnosis["time"] = _distribution(delays["restore"]["distribution"])
        diagnosis.pop("wrong_hypothesis", None)
        instant = []
        for i, workaround in enumerate(data.get("workarounds") or []):
            if workaround.get("effective", True):
                workaround["apply"] = "0m"
                workaround["take_effect"] = "0m"
                instant.append(f"workarounds[{i}]")
        notes += _provenance("restore", delays["restore"], "diagnosis.time")
        notes.append("  Wrong first hypothesis dropped and " + (", ".join(instant) if instant else "no workaround")
                     + " made instant: the history has no cause-identified or workaround times. Simulated restore "
                     "also waits for the team to assemble and for the diagnosing group to answer its page.")
        if not instant:
            notes.append("  This scenario restores service only by its fix, so simulated restore is this delay plus "
                         "the fix.")
    else:
        skipped.append("restore")
    rate = getattr(delays, "rate", None)
    if rate is not None:
        _put_after(data, ("frequency", "currency", "impact", "services", "service"), {
            "frequency": f"{rate['per_year']:.4g}/year",
            "frequency_range": [f"{rate['low']:.4g}/year", f"{rate['high']:.4g}/year"]})
        notes += [f"frequency: {rate['incidents']} incidents over {rate['years']:.3g} years; frequency_range: the "
                  f"exact Poisson {rate['confidence']:.0%} interval of that rate.",
                  "  Check that the incidents fitted are incidents like this scenario (filter with --service)."]
    if "close" in delays and data.get("fix") is not None:
        data["fix"]["duration"] = _distribution(delays["close"]["distribution"])
        data["fix"]["change_approval"] = "0m"
        notes += _provenance("close", delays["close"], "fix.duration")
        notes.append("  Change approval made instant (it is inside the observed delay).")
    elif "close" in delays:
        notes.append("close was fitted but this scenario has no fix to take it.")
    else:
        skipped.append("close")
    return notes, skipped


def _classification(data: dict, delays: Mapping) -> tuple[list[str], list[str]]:
    """The policy's `triage` replaced: `first_wrong` and `corrected_after` from the `classify` stage."""
    delay = delays["classify"]
    wrong = delay.get("first_wrong")
    if wrong is None:
        raise ValueError("first_wrong could not be fitted: no major incident of this history says how it was "
                         "first classified")
    data["triage"] = {"first_wrong": float(f"{wrong:.4g}"),
                      "corrected_after": _distribution(delay["distribution"])}
    notes = _provenance("classify", delay, "triage.corrected_after")
    notes.append(f"  triage.first_wrong {wrong:.4g}: {delay.get('first_wrong_count', 0)} of "
                 f"{delay.get('major_with_classification', 0)} major incidents first classified below the major line "
                 "(the history mapping's `major` severities: align them with this policy's major line).")
    return notes, []


def fitted_document(base: Loaded, delays: Mapping[str, Mapping], *, history: str, name: str | None = None,
                    calibrated_from: Mapping | None = None) -> str:
    """YAML text of `base` (a staffing or scenario) with the fitted delays substituted.

    `delays` maps a stage to its fit: `distribution` (a warroom distribution in minutes),
    `family`, `n`, `missing`, `censored`, `aic`, `ks_statistic`, `ks_pvalue`, `others`
    (family -> AIC), `span`. `history` says in one line which history was fitted.
    `calibrated_from` (as `HistoryFit.calibrated_from()` gives it; default: the `delays`'
    own, as `HistoryFit.fitted_delays()` carries it) becomes the document's
    `calibrated_from` field, its `stages` narrowed to those this document took; without
    one, a `calibrated_from` the base had is dropped (its delays are no longer that
    history's). Raises ValueError when none of the stages this kind of document takes was
    fitted."""
    kind = base.document.kind
    if kind not in FEEDS:
        raise ValueError(f"fitted delays go into a staffing, a scenario or a classification, not a {kind}")
    if not any(stage in delays for stage in FEEDS[kind]):
        raise ValueError(f"none of the stages a {kind} takes ({', '.join(FEEDS[kind])}) could be fitted from this "
                         "history; see the fit report for how many incidents had each milestone")
    if calibrated_from is None:
        calibrated_from = getattr(delays, "calibrated_from", None)
    data, _ = parse_yaml(base.text)
    notes, skipped = {"staffing": _staffing, "scenario": _scenario, "classification": _classification}[kind](data, delays)
    origin = dict(calibrated_from or {})
    fitted_to = ("drills" if origin.get("drills") and origin.get("drills") == origin.get("incidents")
                 else "incident history")  # a team's rehearsals are not its incidents: say which
    title = (data.get("title") or base.document.name) + f" (delays fitted to {fitted_to})"
    data.pop("calibrated_from", None)
    renamed = {}
    for key, value in data.items():  # name and title where people look for them: near the top
        if key == "title":
            continue
        renamed[key] = (name or f"{value}-fitted") if key == "name" else value
        if key == "name":
            renamed["title"] = title
            if calibrated_from is not None and kind != "classification":  # a policy has no calibrated_from
                took = [stage for stage in FEEDS[kind] if stage in delays
                        and not (stage == "close" and data.get("fix") is None)]
                renamed["calibrated_from"] = {**calibrated_from, "stages": took}
    data = renamed
    header = [
        f"Fitted from {fitted_to} by warroom {TOOL_VERSION}: `warroom history fit`.",
        f"History: {history}",
        f"Base {kind}: {base.document.name} from {base.source} (sha256 {base.sha256[:16]}).",
        *notes,
    ]
    if skipped:
        header.append(f"Not fitted, kept from the base: {', '.join(skipped)}.")
    body = yaml.safe_dump(data, sort_keys=False, default_flow_style=None, allow_unicode=True, width=100)
    text = "".join(f"# {line}".rstrip() + "\n" for line in header) + body
    load_text(text, f"fitted {kind} {data['name']}", expect=kind)  # ours to get right: a failure here is a bug
    return text
