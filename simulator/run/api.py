"""The operations, as functions for the CLI and for analysts in notebooks.

    from scenarios import resolve
    from simulator import simulate, compare
    result = compare(resolve("cloudflare-2019-waf", "scenario"),
                     [resolve("cloudflare-2019-sre", "staffing"), resolve("follow-the-sun", "staffing")],
                     replications=2000, seed=7)
    result.to_dict()          # the summary.json artifact
    result.options[0].metrics["time_to_restore"]["p90"]

Summaries are merged from chunks of replications, so memory does not grow with the run.
Per-incident rows come back only when asked: `keep_incidents=True` keeps them in memory
(`result.incidents`, a pandas DataFrame), `incident_sink=f` hands them to `f` chunk by
chunk in replication order (e.g. to write Parquet). `executor="dask"` (a LocalCluster of
`jobs` workers) or `scheduler="tcp://host:8786"` runs the chunks on Dask; the numbers are
the same bit for bit.

A document fitted to incident history (`warroom history fit`) carries `calibrated_from`;
the result collects it (`result.calibration`, `calibrated_from` in summary.json) with the
sentence of `simulator.detectability` saying what change in MTTR that history could detect
at all, to be read next to the verdict.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from scenarios import Loaded, check_together
from scenarios.calendar import REFERENCE_MONDAY, monday_of
from scenarios.classification import DEFAULT_CLASSIFICATION
from scenarios.errors import DocumentError
from scenarios.library import DEFAULT_PLAYBOOK, resolve
from scenarios.scenario import FixedStart, UniformWeek
from scenarios.units import MINUTES_PER_YEAR
from scenarios.version import TOOL_VERSION
from simulator.errors import SimulationError

from .executors import make_executor
from .results import OptionResult, SimulationResult, incident_table
from .risk import incident_rate
from .runner import BLOCK_SIZE, SECTION, Job, Progress, RunSpec, run_job
from .settings import MODES

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["simulate", "compare", "calibrations", "MODES"]



def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _as_list(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def calibrations(documents: list[Loaded]) -> list[dict]:
    """Which of `documents` were fitted to incident history, one entry per history (documents
    fitted to the same one share it): `documents` (kind and name), the `calibrated_from`
    fields, `detectability` (`simulator.detectability`'s figures from the history's incidents
    and log-scale spread; None when it had too few durations) and a plain `sentence`."""
    groups: dict[tuple, dict] = {}
    for loaded in documents:
        found = getattr(loaded.document, "calibrated_from", None)
        if found is None:
            continue
        fields = found.model_dump()
        key = (fields["file"], fields["sha256"], fields["incidents"], fields["incidents_per_year"], fields["log_sd"],
               fields["log_sd_of"], fields["period"], fields["as_of"])
        entry = groups.get(key)
        if entry is None:
            entry = groups[key] = {"documents": [], **{k: v for k, v in fields.items() if k != "stages"}, "stages": []}
        document = {"kind": loaded.document.kind, "name": loaded.document.name}
        if document not in entry["documents"]:
            entry["documents"].append(document)
        entry["stages"] += [s for s in fields["stages"] if s not in entry["stages"]]
    out = []
    for entry in groups.values():
        metric = "MTTR" if entry["log_sd_of"] == "time_to_restore" else "time to resolve"
        named = " and ".join(f"{d['kind']} {d['name']}" for d in entry["documents"])
        shown = entry["file"] + (f", {entry['period']}" if entry["period"] else "")
        lead = (f"The {named} {'was' if len(entry['documents']) == 1 else 'were'} fitted to "
                f"{entry['incidents']} incident{'' if entry['incidents'] == 1 else 's'} of {shown}")
        if entry["log_sd"] is None:
            entry["detectability"] = None
            entry["sentence"] = (f"{lead}; too few of them had a duration to say what change in {metric} such a "
                                 "history could detect at all.")
        else:
            from simulator.history.detectability import (
                detectability,  # scipy, only for fitted documents
            )

            if entry["incidents_per_year"] is not None:
                found = detectability(entry["log_sd"], entry["incidents_per_year"], period="a year", metric=metric)
            else:
                found = detectability(entry["log_sd"], entry["incidents"], period="in the whole history",
                                      metric=metric)
            entry["detectability"] = found.to_dict()
            entry["sentence"] = f"{lead}: {found.sentence[0].lower()}{found.sentence[1:]}"
        out.append(entry)
    return out


def compare(
    scenarios: Loaded | list[Loaded],
    staffings: list[Loaded],
    playbook: Loaded | None = None,
    *,
    replications: int = 1000,
    seed: int = 1,
    jobs: int = 1,
    mode: str = "single",
    start: FixedStart | UniformWeek | None = None,
    horizon: float = MINUTES_PER_YEAR,
    warmup: float = 0.0,
    horizon_start: dt.date | None = None,
    progress: Progress | None = None,
    keep_incidents: bool = False,
    incident_sink: Callable[[pd.DataFrame], None] | None = None,
    executor="local",
    scheduler: str | None = None,
    classification: Loaded | None = None,
) -> SimulationResult:
    """Run each staffing option on the same scenario(s) with common random numbers.

    The first option is the baseline of the paired differences. `executor` is "local"
    (`jobs` processes), "dask" (a LocalCluster of `jobs` workers) or an executor already
    entered (to reuse one cluster across runs). Raises DocumentError if
    the documents do not fit together (every problem at once), SimulationError for
    impossible settings.

    Local hours follow daylight saving on real dates: a single-incident run's calendar is
    the week its start policy names (a dated fixed start or `week_of`; otherwise a January
    week); a stream's horizon starts on the Monday of the week of `horizon_start` (default
    that same January week) and runs on through the seasons.

    `classification` is the classification policy (default: the bundled one): a major
    incident first classified below the major line (its `triage`, or a staffing's own) is
    declared only once that is corrected.
    """
    scenarios = _as_list(scenarios)
    if not staffings:
        raise SimulationError("give at least one staffing option")
    if mode not in MODES:
        raise SimulationError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if replications < 1:
        raise SimulationError(f"replications must be >= 1, got {replications}")
    if mode == "single" and len(scenarios) != 1:
        raise SimulationError("single-incident mode takes exactly one scenario; use --mode stream for a mix")
    if mode == "stream" and warmup >= horizon:
        raise SimulationError(f"warm-up ({warmup:g} min) must be shorter than the horizon ({horizon:g} min)")
    if mode == "stream" and sum(s.document.rate_per_minute for s in scenarios) <= 0:
        raise SimulationError("stream mode needs a scenario frequency above zero")
    playbook = playbook or resolve(DEFAULT_PLAYBOOK, "playbook")
    classification = classification or resolve(DEFAULT_CLASSIFICATION, "classification")
    rules = classification.document
    names = [s.document.name for s in staffings]
    if len(set(names)) != len(names):
        raise SimulationError(f"staffing options must have distinct names, got {names}")

    problems = [p for sc in scenarios for st in staffings for p in check_together(sc, st, playbook)]
    if problems:
        raise DocumentError(problems)

    start_minute = None
    if mode == "single":
        policy = start or scenarios[0].document.start
        start_minute = policy.minute_of_week if isinstance(policy, FixedStart) else None
        anchor = policy.anchor
    elif horizon_start is not None:
        anchor = monday_of(dt.datetime(horizon_start.year, horizon_start.month, horizon_start.day,
                                       tzinfo=dt.timezone.utc))
    else:
        anchor = REFERENCE_MONDAY

    specs = [
        RunSpec(
            scenarios=tuple(s.document for s in scenarios),
            staffing=st.document,
            playbook=playbook.document,
            mode=mode,
            replications=replications,
            seed=seed,
            start_minute=start_minute,
            horizon=horizon,
            warmup=warmup,
            anchor=anchor,
            policy=rules,
        )
        for st in staffings
    ]
    targets: dict = {}
    for s in scenarios:
        for metric, target in s.document.all_targets.items():
            targets.setdefault(metric, target)
    job = Job(specs=tuple(specs), targets=tuple(targets.items()),
              keep_rows=keep_incidents or incident_sink is not None, token=uuid.uuid4().hex)
    kept: list[list[pd.DataFrame]] = [[] for _ in staffings]
    cadence = playbook.document.update_cadence
    documents = [s.document for s in scenarios]

    def on_rows(raws: list[dict]) -> None:
        import pandas as pd  # per-incident tables only when asked for

        frames = [incident_table(st.document.name, documents, raw, cadence) for st, raw in zip(staffings, raws)]
        if incident_sink is not None:
            incident_sink(pd.concat(frames, ignore_index=True))
        if keep_incidents:
            for k, frame in enumerate(frames):
                kept[k].append(frame)

    started = _now()
    if isinstance(executor, str):
        with make_executor(executor, jobs, scheduler) as runner:
            summary = run_job(job, runner, progress, on_rows)
            ran_on = runner.name
    else:
        summary = run_job(job, executor, progress, on_rows)
        ran_on = executor.name

    if mode == "single":
        per_year = scenarios[0].document.incidents_per_year
    horizon_years = (horizon - warmup) / MINUTES_PER_YEAR if mode == "stream" else None
    options = []
    for k, st in enumerate(staffings):
        option_summary = summary.options[k]
        if mode == "stream":
            per_year = option_summary.incidents / replications / horizon_years
        options.append(OptionResult(
            name=st.document.name,
            title=st.document.title,
            summary=option_summary,
            independent=mode == "single",
            targets=targets,
            staffing_cost_per_year=st.document.cost_per_year,
            incidents_per_year=per_year,
            kept=_concat(kept[k]) if keep_incidents else None,
            rate=incident_rate(documents, per_year, stream=mode == "stream"),
            horizon_years=horizon_years,
        ))

    inputs = [
        {"kind": d.document.kind, "name": d.document.name, "source": d.source, "sha256": d.sha256, "text": d.text}
        for d in [*scenarios, *staffings, playbook, classification]
    ]
    settings = {"start": "scenario policy" if start is None else start.model_dump(mode="json"), "executor": ran_on,
                # What defines the random streams and the intervals (SPEC 3.5): replications per
                # block (one stream per stage and block) and per section (single mode's intervals).
                "streams": {"block_size": BLOCK_SIZE, "section_size": SECTION},
                "calendar_start_utc": anchor.isoformat()}
    if mode == "stream":
        settings.update({"horizon_minutes": horizon, "warmup_minutes": warmup})
    elif start_minute is not None:
        settings["start_minute_of_week_utc"] = start_minute
    result = SimulationResult(
        mode=mode, seed=seed, replications=replications, tool_version=TOOL_VERSION, inputs=inputs,
        options=options, started=started, finished=_now(), settings=settings,
        calibration=calibrations([*scenarios, *staffings]), currency=scenarios[0].document.currency,
    )
    if len(options) > 1:
        result.compute_differences(summary.pairs)
    return result


def simulate(scenarios, staffing: Loaded, playbook: Loaded | None = None, **kwargs) -> SimulationResult:
    """One staffing option; same keywords as `compare`."""
    return compare(scenarios, [staffing], playbook, **kwargs)


def _concat(frames: list) -> "pd.DataFrame":
    import pandas as pd

    return pd.concat(frames, ignore_index=True)
