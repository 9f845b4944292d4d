"""Key figures of a real incident history (SPEC 3.1 metrics where the history has the
milestones), from the canonical incident table of `scenarios.history`.

Durations are skewed, so every metric comes with its median and 90th percentile beside
its mean, and with how many incidents it rests on and how many lacked the milestones.
Nothing is imputed: an incident without a milestone is counted as missing for the metrics
that need it. An end before its start is bad data: counted, named and left out, never
silently dropped.

Drills and tests are left out unless asked for (`drills`, see DRILL_VIEWS): kept with the
real incidents, alone, or set beside them ("rehearsed vs real": the real figures unchanged,
the drills' figures next to them). A drill's detection is when the scenario's injects say,
not something the team did, and its per-role responses to injects are a figure real
exports do not have.

"MTTR" means mean time to restore service: `mitigated` in the canonical table.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from scenarios.history.table import CANONICAL_COLUMNS
from scenarios.metrics import METRIC_TITLES
from scenarios.units import DAYS_PER_AVERAGE_YEAR as DAYS_PER_YEAR
from scenarios.units import MINUTES_PER_DAY, SECONDS_PER_MINUTE
from scenarios.version import TOOL_VERSION

from .detectability import detectability, log_spread

__all__ = ["history_kpis", "classification_kpis", "select_incidents", "incident_starts", "span_minutes", "quantile_ci",
           "responses_by_role", "KPI_SPANS", "NOT_IN_HISTORY", "KPI_FORMAT", "REPEAT_WINDOW_DAYS", "DRILL_VIEWS",
           "SCRIPTED_IN_DRILLS"]

KPI_FORMAT = "warroom.history-kpis/1"
REPEAT_WINDOW_DAYS = 30.0
START_CHAIN = ("impact_started", "detected", "created")
# metric -> (start milestones in order of preference, end milestone). A later start is used
# only when the earlier ones are missing, and the result says for how many incidents.
KPI_SPANS = {
    "time_to_detect": (("impact_started",), "detected"),
    "time_to_acknowledge": (("detected", "created"), "acknowledged"),
    "time_to_declare": (("detected", "created"), "declared"),
    "time_to_first_update": (("declared",), "first_update"),
    "time_to_assemble": (("declared",), "assembled"),
    "time_to_identify": (START_CHAIN, "identified"),
    "time_to_workaround": (START_CHAIN, "workaround_applied"),
    "time_to_restore": (START_CHAIN, "mitigated"),
    "time_to_fix": (START_CHAIN, "fixed"),
    "time_to_resolve": (START_CHAIN, "resolved"),
}
NOT_IN_HISTORY = ("time_to_first_update", "time_to_identify", "time_to_workaround", "time_to_fix")
"""SPEC 3.1 metrics whose milestones few platforms export (a canonical file or a drill journal
may have them). A result's own `not_in_history` lists the metrics no incident it used has."""
DRILL_VIEWS = {
    "exclude": "real incidents only (drills and tests left out)",
    "include": "real incidents and drills together",
    "only": "drills only",
    "beside": "real incidents, with the drills' figures beside them (rehearsed vs real)",
}
SCRIPTED_IN_DRILLS = {
    "time_to_detect": "in a drill, detection is when the scenario's injects say, not something the team did",
}
"""Metrics a drill does not measure of the team, and why."""

_SHOWN_IDS = 10


def _check_table(table: pd.DataFrame) -> None:
    missing = [c for c in CANONICAL_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"not a canonical incident table: missing columns {', '.join(missing)} "
                         "(build it with scenarios.history.canonical_frame)")


def _drill_view(include_drills: bool, drills: str | None) -> str:
    if drills is None:
        return "include" if include_drills else "exclude"
    if drills not in DRILL_VIEWS:
        raise ValueError(f"unknown drills view {drills!r} (expected one of {', '.join(DRILL_VIEWS)})")
    if include_drills and drills != "include":
        raise ValueError(f"include_drills and drills={drills!r} contradict each other: give one")
    return drills


def select_incidents(table: pd.DataFrame, *, include_drills: bool = False, service: str | None = None,
                     drills: str | None = None) -> tuple[pd.DataFrame, dict]:
    """The incidents a history figure is about, and what was left out and why. `drills` is
    "exclude" (the default), "include" (as `include_drills`) or "only"; "beside" selects the
    real incidents, as "exclude" does.

    Raises ValueError naming the services there are when `service` matches none."""
    _check_table(table)
    view = _drill_view(include_drills, drills)
    counts = {"rows": int(len(table)), "drills_excluded": 0, "other_services_excluded": 0}
    chosen = table
    flagged = chosen["is_drill"].astype(bool)
    if view in ("exclude", "beside"):
        counts["drills_excluded"] = int(flagged.sum())
        chosen = chosen[~flagged]
    elif view == "only":
        counts["real_excluded"] = int((~flagged).sum())
        chosen = chosen[flagged]
    if service is not None:
        same = chosen["service"] == service
        if not same.any():
            if (table["service"] == service).any():
                kind = "real incidents" if view == "only" else "drills"
                raise ValueError(f"service {service!r} has only {kind} in this history "
                                 f"({'--drills' if kind == 'drills' else 'leave out --drills'} to see them)")
            known = sorted(s for s in table["service"].unique() if s)
            raise ValueError(f"no incidents of service {service!r} in this history "
                             f"(services: {', '.join(known) or 'none named'})")
        counts["other_services_excluded"] = int((~same).sum())
        chosen = chosen[same]
    counts["used"] = int(len(chosen))
    return chosen.reset_index(drop=True), counts


def incident_starts(table: pd.DataFrame, chain: tuple[str, ...] = START_CHAIN) -> tuple[pd.Series, pd.Series]:
    """Each incident's start (the first present of `chain`) and which milestone it was ("" if none)."""
    start = pd.Series(pd.NaT, index=table.index, dtype="datetime64[ns, UTC]")
    used = pd.Series("", index=table.index, dtype=object)
    for column in chain:
        take = start.isna() & table[column].notna()
        start = start.where(~take, table[column])
        used = used.where(~take, column)
    return start, used


def span_minutes(start: pd.Series, end: pd.Series) -> pd.Series:
    """end - start in minutes (NaN where either is missing)."""
    return (end - start).dt.total_seconds() / SECONDS_PER_MINUTE


def quantile_ci(sorted_values: np.ndarray, q: float, confidence: float = 0.95) -> list[float | None]:
    """Distribution-free interval for the q-quantile from order statistics (binomial ranks);
    a side is None when there are too few values to bound it."""
    n = len(sorted_values)
    if n == 0:
        return [None, None]
    tail = (1 - confidence) / 2
    low_rank = int(stats.binom.ppf(tail, n, q))            # values at or below: 1-based rank of the lower bound
    high_rank = int(stats.binom.ppf(1 - tail, n, q)) + 1
    low = float(sorted_values[low_rank - 1]) if low_rank >= 1 else None
    high = float(sorted_values[high_rank - 1]) if high_rank <= n else None
    return [low, high]


def describe_minutes(values: np.ndarray, confidence: float = 0.95) -> dict:
    """n, mean, median (p50) and p90 with order-statistic intervals, min and max."""
    values = np.sort(np.asarray(values, dtype=float))
    if values.size == 0:
        return {"n": 0, "mean": None, "p50": None, "p90": None, "min": None, "max": None,
                "p50_ci95": [None, None], "p90_ci95": [None, None]}
    return {
        "n": int(values.size),
        "mean": float(values.mean()),
        "p50": float(np.percentile(values, 50)),
        "p90": float(np.percentile(values, 90)),
        "min": float(values[0]),
        "max": float(values[-1]),
        "p50_ci95": quantile_ci(values, 0.5, confidence),
        "p90_ci95": quantile_ci(values, 0.9, confidence),
    }


def _metric(frame: pd.DataFrame, metric: str) -> tuple[dict, pd.Series]:
    chain, end_column = KPI_SPANS[metric]
    start, used = incident_starts(frame, chain)
    minutes = span_minutes(start, frame[end_column])
    negative = minutes < 0
    good = minutes.notna() & ~negative
    described = describe_minutes(minutes[good].to_numpy())
    described.update({
        "title": METRIC_TITLES[metric],
        "from": " or ".join(chain) if len(chain) > 1 else chain[0],
        "to": end_column,
        "missing": int(minutes.isna().sum()),
        "negative": int(negative.sum()),
        "negative_ids": [str(i) for i in frame.loc[negative, "id"].head(_SHOWN_IDS)],
        "start_used": {c: int(((used == c) & good).sum()) for c in chain if ((used == c) & good).any()},
    })
    return described, minutes.where(good)


def _mtbf(starts: pd.Series) -> dict:
    ordered = starts.dropna().sort_values()
    gaps = ordered.diff().dropna().dt.total_seconds() / SECONDS_PER_MINUTE
    if gaps.empty:
        return {"incidents": int(len(ordered)), "intervals": 0, "mean_minutes": None, "mean_days": None,
                "median_days": None}
    return {"incidents": int(len(ordered)), "intervals": int(len(gaps)), "mean_minutes": float(gaps.mean()),
            "mean_days": float(gaps.mean() / MINUTES_PER_DAY), "median_days": float(gaps.median() / MINUTES_PER_DAY)}


def _periods(starts: pd.Series, history: pd.Series, freq: str, label) -> list[dict]:
    """Counts of `starts` per calendar period (UTC), every period of the whole `history`
    shown, zeros too."""
    if history.dropna().empty:
        return []

    def periods(values: pd.Series) -> pd.Series:
        return values.dropna().dt.tz_convert("UTC").dt.tz_localize(None).dt.to_period(freq)

    counts = periods(starts).value_counts()
    bounds = periods(history)
    every = pd.period_range(bounds.min(), bounds.max(), freq=freq)
    return [{"period": label(p), "count": int(counts.get(p, 0))} for p in every]


def _counts(starts: pd.Series, history: pd.Series, span_years: float | None) -> dict:
    return {
        "per_month": _periods(starts, history, "M", lambda p: f"{p.year}-{p.month:02d}"),
        "per_quarter": _periods(starts, history, "Q", lambda p: f"{p.year}-Q{p.quarter}"),
        "per_year_rate": None if not span_years else float(len(starts.dropna()) / span_years),
    }


def _span_years(starts: pd.Series) -> float | None:
    """Observed span of the history in years, widened by one mean gap (the first and last
    incidents sit inside the period, not on its edges)."""
    present = starts.dropna()
    if len(present) < 2:
        return None
    days = (present.max() - present.min()).total_seconds() / 86400.0
    if days <= 0:
        return None
    return days * len(present) / (len(present) - 1) / DAYS_PER_YEAR


def _repeats(frame: pd.DataFrame, starts: pd.Series, window_days: float) -> dict:
    """An incident is a repeat when the same service had one starting within the window before it."""
    rows = []
    named = frame["service"] != ""
    order = pd.DataFrame({"id": frame["id"], "service": frame["service"], "start": starts})[named & starts.notna()]
    for service, group in order.sort_values("start").groupby("service", sort=True):
        previous = None
        for row in group.itertuples(index=False):
            if previous is not None:
                days = (row.start - previous.start).total_seconds() / 86400.0
                if days <= window_days:
                    rows.append({"id": str(row.id), "service": service, "previous_id": str(previous.id),
                                 "days_after": float(days)})
            previous = row
    considered = int(len(order))
    return {"window_days": float(window_days), "incidents_considered": considered, "repeats": len(rows),
            "share": (len(rows) / considered) if considered else None, "without_service": int((~named).sum()),
            "list": rows}


def _review(frame: pd.DataFrame) -> dict:
    def share(part: pd.DataFrame) -> dict:
        done = part["postmortem_completed"].notna()
        days = (part["postmortem_completed"] - part["resolved"]).dt.total_seconds() / 86400.0
        days = days[days.notna() & (days >= 0)]
        return {"incidents": int(len(part)), "with_review": int(done.sum()),
                "share": float(done.mean()) if len(part) else None,
                "median_days_after_resolved": float(days.median()) if len(days) else None}

    out = share(frame)
    out["major"] = share(frame[frame["is_major"].astype(bool)])
    return out


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _minutes_between(start: pd.Series, end: pd.Series) -> tuple[dict, int]:
    """describe_minutes of end - start where both are there, and how many ends came before their start."""
    minutes = span_minutes(start, end)
    negative = int((minutes < 0).sum())
    return describe_minutes(minutes[minutes.notna() & (minutes >= 0)].to_numpy()), negative


def classification_kpis(frame: pd.DataFrame) -> dict:
    """How the incidents of `frame` were classified over time, from the canonical table's
    classification columns: only the incidents whose export says (`first_severity` given)
    count; the others are `not_in_export`, never "never changed".

    Under-classified at first: major in the end (`is_major`) but first classified below the
    major line (`first_major` false); over-classified: the reverse. Time to the final
    classification runs from detection (or creation) to the last change, or to the first
    classification when it never changed. For the under-classified, `declare` compares their
    time to declare with that of the major incidents classified major at once."""
    known = frame["first_severity"] != ""
    part = frame[known]
    out: dict = {"incidents": int(known.sum()), "not_in_export": int((~known).sum())}
    if part.empty:
        return out
    count = part["reclassifications"].fillna(0).astype(int)
    major, first_major = part["is_major"].astype(bool), part["first_major"].astype(bool)
    under, over, at_once = major & ~first_major, ~major & first_major, major & first_major
    start, _ = incident_starts(part, ("detected", "created"))
    final = part["reclassified_at"].where(count > 0, part["classified_at"])
    to_final, to_final_bad = _minutes_between(start, final)
    first_to_final, first_to_final_bad = _minutes_between(part["classified_at"][count > 0],
                                                          part["reclassified_at"][count > 0])
    raised_after, raised_bad = _minutes_between(part["classified_at"][under], part["raised_at"][under])
    declare = {}
    for name, chosen in (("raised_later", under), ("at_once", at_once)):
        described, _ = _minutes_between(start[chosen], part["declared"][chosen])
        declare[name] = {**{k: described[k] for k in ("n", "p50", "p90", "mean")},
                         "without_declared": int(chosen.sum() - described["n"])}
    later, once = declare["raised_later"]["p50"], declare["at_once"]["p50"]
    declare["median_later_by"] = None if later is None or once is None else float(later - once)
    out.update({
        "changed": {"count": int((count > 0).sum()), "share": _share(int((count > 0).sum()), len(part)),
                    "changes": int(count.sum())},
        "major": int(major.sum()),
        "under_classified": {"count": int(under.sum()), "share": _share(int(under.sum()), len(part)),
                             "share_of_major": _share(int(under.sum()), int(major.sum())),
                             "raised": int((under & part["raised_at"].notna()).sum()),
                             "ids": [str(i) for i in part.loc[under, "id"].head(_SHOWN_IDS)]},
        "over_classified": {"count": int(over.sum()), "share": _share(int(over.sum()), len(part)),
                            "share_of_first_major": _share(int(over.sum()), int(first_major.sum())),
                            "ids": [str(i) for i in part.loc[over, "id"].head(_SHOWN_IDS)]},
        "time_to_final": {**to_final, "from": "detected or created", "negative": to_final_bad},
        "first_to_final": {**first_to_final, "negative": first_to_final_bad},
        "raised_after": {**raised_after, "negative": raised_bad},
        "declare": declare,
    })
    return out


def _detectability_of(metrics: dict, durations: dict[str, pd.Series], span_years: float | None) -> dict | None:
    for metric, name in (("time_to_restore", "MTTR"), ("time_to_resolve", "time to resolve")):
        values = durations[metric].dropna()
        sigma, used = log_spread(values)
        if used < 2 or not math.isfinite(sigma):
            continue
        if span_years and span_years >= 0.25:
            found = detectability(sigma, used / span_years, period="a year", metric=name)
        else:
            found = detectability(sigma, used, period="in the whole history", metric=name)
        return {**found.to_dict(), "based_on": metric}
    return None


def _selected(table: pd.DataFrame, view: str, service: str | None, majors_only: bool) -> tuple[pd.DataFrame, dict]:
    frame, counts = select_incidents(table, drills=view, service=service)
    if majors_only:
        counts["not_major_excluded"] = int((~frame["is_major"].astype(bool)).sum())
        frame = frame[frame["is_major"].astype(bool)].reset_index(drop=True)
        counts["used"] = int(len(frame))
    return frame, counts


def _metrics(frame: pd.DataFrame) -> tuple[dict, dict, list[str]]:
    """Every KPI_SPANS metric of `frame`, its durations, and the metrics of NOT_IN_HISTORY
    that no incident of `frame` has the end milestone of (left out of tables, listed)."""
    metrics, durations = {}, {}
    for metric in KPI_SPANS:
        metrics[metric], durations[metric] = _metric(frame, metric)
    absent = [m for m in NOT_IN_HISTORY if not frame[KPI_SPANS[m][1]].notna().any()]
    return metrics, durations, absent


def responses_by_role(responses: pd.DataFrame | None, drills: pd.Series | None = None) -> dict:
    """Per role, how it answered the injects that expected an action of it (the rows of
    `scenarios.history.platforms.RESPONSE_COLUMNS`, of the drills whose ids are in `drills`):
    `injects` (rows), `answered`, `unanswered`, and the response minutes of the answered
    ones with a time, described like a metric (n, median, p90 with intervals, mean)."""
    if responses is None or responses.empty:
        return {}
    rows = responses if drills is None else responses[responses["drill"].isin(set(drills))]
    out = {}
    for role, group in rows.groupby("role", sort=True):
        answered = group["answered"].astype(bool)
        timed = pd.to_numeric(group.loc[answered, "response_min"], errors="coerce").dropna().to_numpy(dtype=float)
        out[str(role)] = {"injects": int(len(group)), "answered": int(answered.sum()),
                          "unanswered": int((~answered).sum()),
                          "drills": int(group["drill"].nunique()), **describe_minutes(timed)}
    return out


def _journals_of(journals, ids: pd.Series) -> list[dict]:
    """The facts (JournalFacts.to_dict) of the drills whose ids are in `ids`."""
    chosen = set(ids)
    return [facts.to_dict() for facts in journals or () if facts.id in chosen]


def _drill_notes(frame: pd.DataFrame, journals: list[dict], scripted: bool = True) -> list[str]:
    """What of the drills used was not taken as a measurement, in sentences (`scripted`: with
    the metrics a drill does not measure of the team)."""
    notes = []
    drilled = frame["is_drill"].astype(bool)
    if scripted and drilled.any() and frame.loc[drilled, "detected"].notna().any():
        notes.append(f"time_to_detect of drills: {SCRIPTED_IN_DRILLS['time_to_detect']}")
    assumed = [j for j in journals if j["assumed"]]
    if assumed:
        named = sorted({name for j in assumed for name in j["assumed"]})
        notes.append(f"{len(assumed)} drill(s) had times assumed by their script, not measured ({', '.join(named)}): "
                     "those milestones are left out as missing")
    jumped = [j for j in journals if j["jumped_min"]]
    if jumped:
        notes.append(f"{len(jumped)} drill(s) had minutes jumped over by the facilitator "
                     f"({sum(j['jumped_min'] for j in jumped):g} in all): not counted, as on the scorecard")
    unscored = [j["id"] for j in journals if not j["scored"]]
    if unscored:
        notes.append(f"{len(unscored)} drill(s) carry no scorecard, so no per-role responses: "
                     f"{', '.join(unscored[:_SHOWN_IDS])}" + (" ..." if len(unscored) > _SHOWN_IDS else "")
                     + " (score them with warroom drill score ID, then export again)")
    return notes


def _shown(described: dict) -> dict:
    return {k: described.get(k) for k in ("n", "p50", "p90", "mean", "p50_ci95", "p90_ci95")}


def _rehearsed(table: pd.DataFrame, real: dict, service: str | None, majors_only: bool,
               responses: pd.DataFrame | None, journals) -> dict:
    """The drills' figures to set beside the real ones (`real`: history_kpis of the real
    incidents): their incidents, metrics, per-role responses, classification and notes, and
    `comparison`, one row per metric either side has."""
    try:
        frame, counts = _selected(table, "only", service, majors_only)
    except ValueError:  # the service has real incidents but no drills: say which services the drills are of
        frame, counts = _selected(table.iloc[0:0], "only", None, majors_only)
        drilled = table.loc[table["is_drill"].astype(bool), "service"]
        counts["other_services_excluded"] = int(len(drilled))
        counts["drill_services"] = sorted({name for name in drilled if name})
    metrics, _, absent = _metrics(frame)
    used = _journals_of(journals, frame["id"])
    comparison = []
    for metric in KPI_SPANS:
        if metric in absent and metric in real["not_in_history"]:
            continue
        real_side, drill_side = real["metrics"][metric], metrics[metric]
        comparison.append({
            "metric": metric, "title": METRIC_TITLES[metric], "real": _shown(real_side), "drills": _shown(drill_side),
            "p50_difference": (None if real_side["p50"] is None or drill_side["p50"] is None
                               else float(drill_side["p50"] - real_side["p50"])),
            "scripted_in_drills": SCRIPTED_IN_DRILLS.get(metric),
        })
    return {
        "incidents": {**counts, "teams": sorted({j["team"] for j in used if j["team"]}),
                      "scenarios": sorted({j["scenario"] for j in used if j["scenario"]})},
        "metrics": metrics,
        "not_in_history": absent,
        "responses_by_role": responses_by_role(responses, frame["id"]),
        "classification": classification_kpis(frame),
        "drills": used,
        "notes": _drill_notes(frame, used, scripted=False),  # `comparison` marks them
        "comparison": comparison,
    }


def history_kpis(table: pd.DataFrame, *, include_drills: bool = False, service: str | None = None,
                 repeat_window_days: float = REPEAT_WINDOW_DAYS, majors_only: bool = False,
                 source: dict | None = None, drills: str | None = None, responses: pd.DataFrame | None = None,
                 journals=None) -> dict:
    """Key figures of a canonical incident table, as a JSON-able dict (format `warroom.history-kpis/1`).

    `drills` (one of DRILL_VIEWS; default "exclude", or "include" with `include_drills`) says
    which incidents the figures are of; "beside" gives the real incidents' figures, unchanged,
    with the drills' under `rehearsed` (their metrics, per-role responses, and `comparison`,
    metric by metric). With drills in the figures, `responses` (`HistoryImport.responses`)
    gives `responses_by_role` and `journals` (`HistoryImport.journals`) the drills' facts and
    notes. Figures of drills alone say nothing about how often incidents happen: no
    detectability sentence then.

    `majors_only` restricts every figure to incidents flagged major; the counts per month,
    quarter and service are of major incidents either way. `source` (JSON-able: file, system,
    sha256...) is copied into the result so that it describes itself. Raises ValueError for a table
    that is not canonical, a service that is not in it, or an unknown or contradictory drills view."""
    if not repeat_window_days > 0:
        raise ValueError(f"the repeat window must be > 0 days, got {repeat_window_days!r}")
    view = _drill_view(include_drills, drills)
    frame, counts = _selected(table, view, service, majors_only)
    starts, start_used = incident_starts(frame)
    span_years = _span_years(starts)
    counts.update({
        "major": int(frame["is_major"].astype(bool).sum()),
        "drills_included": int(frame["is_drill"].astype(bool).sum()),
        "without_start": int(starts.isna().sum()),
        "first_start": None if starts.dropna().empty else starts.min().isoformat(),
        "last_start": None if starts.dropna().empty else starts.max().isoformat(),
        "span_years": span_years,
    })

    metrics, durations, absent = _metrics(frame)
    majors = frame["is_major"].astype(bool)
    per_service = []
    for name, group in frame.groupby(frame["service"].replace("", "(none)"), sort=True):
        restore = durations["time_to_restore"][group.index].dropna().to_numpy()
        described = describe_minutes(restore)
        per_service.append({
            "service": name, "incidents": int(len(group)), "major": int(group["is_major"].astype(bool).sum()),
            "mtbf_days": _mtbf(starts[group.index])["mean_days"],
            "time_to_restore": {k: described[k] for k in ("n", "mean", "p50", "p90")},
            "review_share": float(group["postmortem_completed"].notna().mean()),
        })

    notes = []
    for metric, described in metrics.items():
        if described["negative"]:
            notes.append(f"{described['negative']} incident(s) have {described['to']} before their start for "
                         f"{metric}; left out as bad data: {', '.join(described['negative_ids'])}"
                         + (" ..." if described["negative"] > len(described["negative_ids"]) else ""))
        later = {k: v for k, v in described["start_used"].items() if k != KPI_SPANS[metric][0][0]}
        if later:
            notes.append(f"{metric}: " + ", ".join(f"{v} incident(s) measured from {k}" for k, v in later.items())
                         + f" because {KPI_SPANS[metric][0][0]} is missing")
    classification = classification_kpis(frame)
    for what, key in (("time to the final classification", "time_to_final"),
                      ("first to final classification", "first_to_final"), ("raise to major", "raised_after")):
        if classification.get(key, {}).get("negative"):
            notes.append(f"{classification[key]['negative']} incident(s) have their {what} before its start; "
                         "left out as bad data")
    if len(frame) and not majors.any():
        notes.append("no incident is flagged major, so the counts of major incidents are all zero")
    drilled = frame.loc[frame["is_drill"].astype(bool), "id"]
    used_journals = _journals_of(journals, drilled)
    notes += _drill_notes(frame, used_journals)
    if view == "only" and len(frame):
        notes.append("these are drills: MTBF, counts per period, reviews and repeats say when drills were run, not how "
                     "often incidents happen, and there is no sentence on what change a history could show")
    if not len(frame) and counts["drills_excluded"] and view in ("exclude", "beside"):
        notes.append(f"every incident used here would be a drill ({counts['drills_excluded']}): their figures are "
                     "shown with --drills (alone) or --rehearsed-vs-real (beside real incidents)")

    out = {
        "format": KPI_FORMAT,
        "tool_version": TOOL_VERSION,
        "source": source or {},
        "filters": {"include_drills": view == "include", "drills": view, "service": service,
                    "majors_only": majors_only, "repeat_window_days": float(repeat_window_days)},
        "incidents": counts,
        "start_used": {c: int((start_used == c).sum()) for c in START_CHAIN},
        "metrics": metrics,
        "not_in_history": absent,
        "mtbf": {"overall": _mtbf(starts),
                 "per_service": {s: _mtbf(starts[g.index]) for s, g in frame[frame["service"] != ""].groupby("service")}},
        "majors": {**_counts(starts[majors], starts, span_years),
                   "per_service": [{"service": s, "count": int(c)} for s, c in
                                   frame.loc[majors, "service"].replace("", "(none)").value_counts().sort_index().items()]},
        "all_incidents": _counts(starts, starts, span_years),
        "per_service": per_service,
        "review": _review(frame),
        "repeats": _repeats(frame, starts, repeat_window_days),
        "detectability": None if view == "only" else _detectability_of(metrics, durations, span_years),
        "classification": classification,
        "notes": notes,
    }
    if len(drilled):
        out["responses_by_role"] = responses_by_role(responses, drilled)
        out["drills"] = used_journals
    if view == "beside":
        out["rehearsed"] = _rehearsed(table, out, service, majors_only, responses, journals)
    return out
