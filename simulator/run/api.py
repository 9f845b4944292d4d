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

__all__ = ["simulate", "compare", "Comparison", "calibrations", "MODES"]



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
        drills, count = entry.get("drills") or 0, entry["incidents"]
        what = (f"{count} drill{'' if count == 1 else 's'} (rehearsals, not real incidents)" if drills and drills == count
                else f"{count} incident{'' if count == 1 else 's'}" + (f" ({drills} of them drills)" if drills else ""))
        lead = f"The {named} {'was' if len(entry['documents']) == 1 else 'were'} fitted to {what} of {shown}"
        if drills and drills == count:
            entry["detectability"] = None
            entry["sentence"] = (f"{lead}: the delays are the team's rehearsed ones; how often real incidents happen, "
                                 f"and what change in {metric} real history could show, are not in them.")
        elif entry["log_sd"] is None:
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
    if replications < 1:
        raise SimulationError(f"replications must be >= 1, got {replications}")
    comparison = Comparison.prepare(
        scenarios, staffings, playbook, seed=seed, mode=mode, start=start, horizon=horizon, warmup=warmup,
        horizon_start=horizon_start, keep_incidents=keep_incidents, incident_sink=incident_sink,
        classification=classification)
    everyone = list(range(len(staffings)))
    started = _now()
    if isinstance(executor, str):
        with make_executor(executor, jobs, scheduler) as runner:
            summary = comparison.run(runner, everyone, 0, replications, progress)
            ran_on = runner.name
    else:
        summary = comparison.run(executor, everyone, 0, replications, progress)
        ran_on = executor.name
    return comparison.result(summary.options, summary.pairs, [replications] * len(staffings), started, ran_on)


class Comparison:
    """A comparison made ready to run: documents checked together, one RunSpec per staffing
    option, the targets whose breaches are counted. `run` simulates a range of replications
    for some of the options (each option's figures depend only on its own replications, so
    a range run for a few options gives them what a full run gives them); `result` turns
    merged summaries into the SimulationResult. `compare` runs every option over one range;
    the adaptive procedure (simulator.studies.sequential) runs rounds."""

    @classmethod
    def prepare(
        cls,
        scenarios: Loaded | list[Loaded],
        staffings: list[Loaded],
        playbook: Loaded | None = None,
        *,
        seed: int = 1,
        mode: str = "single",
        start: FixedStart | UniformWeek | None = None,
        horizon: float = MINUTES_PER_YEAR,
        warmup: float = 0.0,
        horizon_start: dt.date | None = None,
        keep_incidents: bool = False,
        incident_sink: Callable[[pd.DataFrame], None] | None = None,
        classification: Loaded | None = None,
    ) -> Comparison:
        """Check the documents and settings (DocumentError, SimulationError as `compare`)."""
        scenarios = _as_list(scenarios)
        if not staffings:
            raise SimulationError("give at least one staffing option")
        if mode not in MODES:
            raise SimulationError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        if mode == "single" and len(scenarios) != 1:
            raise SimulationError("single-incident mode takes exactly one scenario; use --mode stream for a mix")
        if mode == "stream" and warmup >= horizon:
            raise SimulationError(f"warm-up ({warmup:g} min) must be shorter than the horizon ({horizon:g} min)")
        if mode == "stream" and sum(s.document.rate_per_minute for s in scenarios) <= 0:
            raise SimulationError("stream mode needs a scenario frequency above zero")
        playbook = playbook or resolve(DEFAULT_PLAYBOOK, "playbook")
        classification = classification or resolve(DEFAULT_CLASSIFICATION, "classification")
        names = [s.document.name for s in staffings]
        if len(set(names)) != len(names):
            raise SimulationError(f"staffing options must have distinct names, got {names}")

        problems = [p for sc in scenarios for st in staffings for p in check_together(sc, st, playbook)]
        if problems:
            raise DocumentError(problems)
        return cls(scenarios, list(staffings), playbook, classification, seed=seed, mode=mode, start=start,
                   horizon=horizon, warmup=warmup, horizon_start=horizon_start, keep_incidents=keep_incidents,
                   incident_sink=incident_sink)

    def __init__(self, scenarios, staffings, playbook, classification, *, seed, mode, start, horizon, warmup,
                 horizon_start, keep_incidents, incident_sink):
        self.scenarios, self.staffings, self.playbook, self.classification = scenarios, staffings, playbook, classification
        self.seed, self.mode, self.start, self.horizon, self.warmup = seed, mode, start, horizon, warmup
        self.keep_incidents, self.incident_sink = keep_incidents, incident_sink
        self.start_minute = None
        if mode == "single":
            policy = start or scenarios[0].document.start
            self.start_minute = policy.minute_of_week if isinstance(policy, FixedStart) else None
            self.anchor = policy.anchor
        elif horizon_start is not None:
            self.anchor = monday_of(dt.datetime(horizon_start.year, horizon_start.month, horizon_start.day,
                                                tzinfo=dt.timezone.utc))
        else:
            self.anchor = REFERENCE_MONDAY
        targets: dict = {}
        for s in scenarios:
            for metric, target in s.document.all_targets.items():
                targets.setdefault(metric, target)
        self.targets = targets
        self.token = uuid.uuid4().hex
        self.kept: list[list[pd.DataFrame]] = [[] for _ in staffings]

    def spec(self, option: int, replications: int) -> RunSpec:
        return RunSpec(
            scenarios=tuple(s.document for s in self.scenarios),
            staffing=self.staffings[option].document,
            playbook=self.playbook.document,
            mode=self.mode,
            replications=replications,
            seed=self.seed,
            start_minute=self.start_minute,
            horizon=self.horizon,
            warmup=self.warmup,
            anchor=self.anchor,
            policy=self.classification.document,
        )

    def run(self, runner, options: list[int], first: int, count: int, progress: Progress | None = None,
            on_raws: Callable[[list[int], list[dict]], None] | None = None):
        """Simulate replications [first, first + count) of `options` (indices into the staffings,
        in order; the first of them is the baseline of the pairs) on `runner`, an entered
        executor. Returns the merged RunSummary. `on_raws(options, raws)` receives each chunk's
        raw incident arrays in replication order; kept or sunk incident tables are added too."""
        keep_tables = self.keep_incidents or self.incident_sink is not None
        job = Job(specs=tuple(self.spec(k, first + count) for k in options), targets=tuple(self.targets.items()),
                  keep_rows=keep_tables or on_raws is not None,
                  token=f"{self.token}-{'.'.join(map(str, options))}")
        chunks = [(a, n) for a, n in job.chunks() if a >= first]
        if chunks and chunks[0][0] != first:
            raise SimulationError(f"a range of replications starts on a chunk boundary, got {first}")
        cadence = self.playbook.document.update_cadence
        documents = [s.document for s in self.scenarios]

        def on_rows(raws: list[dict]) -> None:
            if on_raws is not None:
                on_raws(options, raws)
            if not keep_tables:
                return
            import pandas as pd  # per-incident tables only when asked for

            frames = [incident_table(self.staffings[k].document.name, documents, raw, cadence)
                      for k, raw in zip(options, raws)]
            if self.incident_sink is not None:
                self.incident_sink(pd.concat(frames, ignore_index=True))
            if self.keep_incidents:
                for k, frame in zip(options, frames):
                    self.kept[k].append(frame)

        return run_job(job, runner, progress, on_rows, chunks=chunks)

    def result(self, summaries: list, pairs: list, replications: list[int], started: str, ran_on: str,
               adaptive: dict | None = None) -> SimulationResult:
        """The SimulationResult of every option: `summaries` its merged OptionSummary,
        `pairs` each later option's PairSummary with the first (over the replications both
        ran), `replications` how many each ran, `adaptive` the adaptive procedure's account
        (summary.json's `adaptive`), when it decided how many."""
        mode, horizon, warmup = self.mode, self.horizon, self.warmup
        if mode == "single":
            per_year = self.scenarios[0].document.incidents_per_year
        horizon_years = (horizon - warmup) / MINUTES_PER_YEAR if mode == "stream" else None
        documents = [s.document for s in self.scenarios]
        options = []
        for k, st in enumerate(self.staffings):
            option_summary = summaries[k]
            if mode == "stream":
                per_year = option_summary.incidents / replications[k] / horizon_years
            options.append(OptionResult(
                name=st.document.name,
                title=st.document.title,
                summary=option_summary,
                independent=mode == "single",
                targets=self.targets,
                staffing_cost_per_year=st.document.cost_per_year,
                incidents_per_year=per_year,
                kept=_concat(self.kept[k]) if self.keep_incidents else None,
                rate=incident_rate(documents, per_year, stream=mode == "stream"),
                horizon_years=horizon_years,
            ))

        inputs = [
            {"kind": d.document.kind, "name": d.document.name, "source": d.source, "sha256": d.sha256, "text": d.text}
            for d in [*self.scenarios, *self.staffings, self.playbook, self.classification]
        ]
        settings = {"start": "scenario policy" if self.start is None else self.start.model_dump(mode="json"),
                    "executor": ran_on,
                    # What defines the random streams and the intervals (SPEC 3.5): replications per
                    # block (one stream per stage and block) and per section (single mode's intervals).
                    "streams": {"block_size": BLOCK_SIZE, "section_size": SECTION},
                    "calendar_start_utc": self.anchor.isoformat()}
        if mode == "stream":
            settings.update({"horizon_minutes": horizon, "warmup_minutes": warmup})
        elif self.start_minute is not None:
            settings["start_minute_of_week_utc"] = self.start_minute
        result = SimulationResult(
            mode=mode, seed=self.seed, replications=max(replications), tool_version=TOOL_VERSION, inputs=inputs,
            options=options, started=started, finished=_now(), settings=settings,
            calibration=calibrations([*self.scenarios, *self.staffings]), adaptive=adaptive,
            currency=self.scenarios[0].document.currency,
        )
        if len(options) > 1:
            result.compute_differences(pairs)
        return result


def simulate(scenarios, staffing: Loaded, playbook: Loaded | None = None, **kwargs) -> SimulationResult:
    """One staffing option; same keywords as `compare`."""
    return compare(scenarios, [staffing], playbook, **kwargs)


def _concat(frames: list) -> "pd.DataFrame":
    import pandas as pd

    return pd.concat(frames, ignore_index=True)
