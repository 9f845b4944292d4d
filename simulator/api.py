"""The operations, as functions for the CLI and for analysts in notebooks.

    from scenarios import resolve
    from simulator import simulate, compare
    result = compare(resolve("cloudflare-2019-waf", "scenario"),
                     [resolve("cloudflare-2019-sre", "staffing"), resolve("follow-the-sun", "staffing")],
                     replications=2000, seed=7)
    result.incidents          # pandas DataFrame, one row per incident and option
    result.to_dict()          # the summary.json artifact
"""

from __future__ import annotations

import datetime as dt

from scenarios import Loaded, check_together
from scenarios.errors import DocumentError
from scenarios.library import DEFAULT_PLAYBOOK, resolve
from scenarios.scenario import FixedStart, UniformWeek
from scenarios.version import TOOL_VERSION

from .errors import SimulationError
from .results import OptionResult, SimulationResult, incident_table
from .runner import Progress, RunSpec, run_options

__all__ = ["simulate", "compare", "MODES"]

MODES = ("single", "stream")
MINUTES_PER_YEAR = 525600.0


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _as_list(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


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
    progress: Progress | None = None,
) -> SimulationResult:
    """Run each staffing option on the same scenario(s) with common random numbers.

    The first option is the baseline of the paired differences. Raises DocumentError if
    the documents do not fit together (every problem at once), SimulationError for
    impossible settings.
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
        )
        for st in staffings
    ]
    started = _now()
    raw = run_options(specs, jobs=jobs, progress=progress)

    if mode == "single":
        per_year = scenarios[0].document.incidents_per_year
    options = []
    for st, spec_raw in zip(staffings, raw):
        frame = incident_table(st.document.name, [s.document for s in scenarios], spec_raw,
                               playbook.document.update_cadence)
        if mode == "stream":
            per_year = len(frame) / replications / ((horizon - warmup) / MINUTES_PER_YEAR)
        targets = {}
        for s in scenarios:
            for metric, target in s.document.all_targets.items():
                targets.setdefault(metric, target)
        option = OptionResult(
            name=st.document.name,
            title=st.document.title,
            incidents=frame,
            targets=targets,
            staffing_cost_per_year=st.document.cost_per_year,
            incidents_per_year=per_year,
        )
        option.summarise(frame["replication"].to_numpy())
        options.append(option)

    inputs = [
        {"kind": d.document.kind, "name": d.document.name, "source": d.source, "sha256": d.sha256, "text": d.text}
        for d in [*scenarios, *staffings, playbook]
    ]
    settings = {"start": "scenario policy" if start is None else start.model_dump()}
    if mode == "stream":
        settings.update({"horizon_minutes": horizon, "warmup_minutes": warmup})
    elif start_minute is not None:
        settings["start_minute_of_week_utc"] = start_minute
    result = SimulationResult(
        mode=mode, seed=seed, replications=replications, tool_version=TOOL_VERSION, inputs=inputs,
        options=options, started=started, finished=_now(), settings=settings,
    )
    if len(options) > 1:
        result.compute_differences()
    return result


def simulate(scenarios, staffing: Loaded, playbook: Loaded | None = None, **kwargs) -> SimulationResult:
    """One staffing option; same keywords as `compare`."""
    return compare(scenarios, [staffing], playbook, **kwargs)
