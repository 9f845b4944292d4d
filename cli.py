"""warroom's command line: a thin click layer over scenarios, simulator and reports.

Exit codes: 0 ok, 1 a run failed, 2 invalid input or usage (no traceback for a user's
mistake).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from scenarios.formats import DOCUMENT_KIND_NAMES, HISTORY_SOURCES
from scenarios.library import DEFAULT_PLAYBOOK
from scenarios.version import TOOL_VERSION

if TYPE_CHECKING:  # annotations only: the modules themselves load when a command runs
    from drills import DrillDocuments, DrillSession, DrillStore, Journal
    from scenarios import Problem


__all__ = ["main"]


def _fail(problems: list[Problem] | str) -> None:
    if isinstance(problems, str):
        click.echo(f"error: {problems}", err=True)
    else:
        for problem in problems:
            click.echo(str(problem), err=True)
        count = len(problems)
        click.echo(f"{count} problem{'s' if count != 1 else ''} found; nothing was run.", err=True)
    sys.exit(2)


_START = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun|\d{4}-\d{2}-\d{2})\w*\s+(\d{1,2}:\d{2})(?:\s+(\S+))?$", re.I)


def _parse_start(text: str | None):
    from pydantic import ValidationError

    from scenarios.scenario import FixedStart, UniformWeek

    if text is None:
        return None
    if text.strip().lower() in ("uniform", "uniform_week", "any"):
        return UniformWeek(policy="uniform_week")
    match = _START.match(text.strip())
    if not match:
        raise click.BadParameter("expected 'uniform', or a weekday or date and a UTC time such as 'tue 13:42' or "
                                 f"'2026-10-27 09:30' (optionally a time zone), got {text!r}")
    day = match[1].lower()
    try:
        if day[0].isdigit():
            return FixedStart(policy="fixed", date=day, time=match[2], timezone=match[3] or "UTC")
        return FixedStart(policy="fixed", weekday=day[:3], time=match[2], timezone=match[3] or "UTC")
    except ValidationError as exc:  # pydantic's message names the bad part
        raise click.BadParameter("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors()))


def _duration(_ctx, _param, value):
    from scenarios import parse_duration

    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc))


class _Progress:
    """A click progress bar on stderr, only when someone is watching."""

    def __init__(self, total: int, label: str, enabled: bool):
        self.bar = None
        if enabled and sys.stderr.isatty():
            self.bar = click.progressbar(length=total, label=label, file=sys.stderr, show_eta=True)
            self.bar.__enter__()

    def __call__(self, count: int) -> None:
        if self.bar is not None:
            self.bar.update(count)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(TOOL_VERSION, prog_name="warroom")
def main():
    """Rehearse major incidents and compare staffing by simulated MTTR.

    MTTR in warroom always means mean time to RESTORE service (impact start to service
    back at an acceptable level).

    \b
    Start here:
      warroom list                                   bundled scenarios and staffing files
      warroom validate my-staffing.yaml              check documents without running
      warroom simulate cloudflare-2019-waf --staffing cloudflare-2019-sre
      warroom compare cloudflare-2019-waf --staffing cloudflare-2019-sre \\
          --staffing follow-the-sun --replications 5000 --out results/

    \b
    Which parameter moves MTTR most; the cheapest staffing that meets a target:
      warroom sensitivity cloudflare-2019-waf --staffing cloudflare-2019-sre
      warroom optimize cloudflare-2019-waf --staffing-space docs/examples/cloudflare-2019-space.yaml \\
          --target "p90(time_to_restore) <= 45m"
      warroom compare cloudflare-2019-waf --staffing cloudflare-2019-sre --staffing follow-the-sun \\
          --adaptive --target "p90(time_to_restore) <= 50m"    (as many incidents as it takes)

    \b
    Your real incident history: an incident platform's export as one canonical table, its
    key figures, and its delays fitted into a staffing the simulator takes:
      warroom history import incidents.json --source pagerduty -o history.csv
      warroom history kpi history.csv --source canonical
      warroom history fit history.csv --source canonical --staffing cloudflare-2019-sre -o fitted.yaml
    """


@main.command("list")
def list_documents():
    """List the bundled documents: scenarios, staffing options, playbooks, rosters, responses."""
    from reports.text.library import library_text
    from scenarios.library import index

    click.echo(library_text(DOCUMENT_KIND_NAMES, index()))


@main.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE_OR_NAME...")
def validate(files):
    """Check documents without running anything.

    Reports every problem at once (file:line: field.path: message, got value) and exits
    with code 2 if there is any. Documents given together are also checked together, by
    the same checks the commands that run them make: a scenario with staffing files (and a
    playbook, otherwise the default one) covers every resolver group and step; a
    scenario's reference staffing loads and covers it; a staffing space's base and
    alternatives load and have the roles it varies; a roster and responses fit their
    scenario and roster (given alongside, or the bundled ones they name). A check that
    needs a document not given is listed as not checked, with what to give.

    A bundled document may be given by name instead of a file.

    \b
    Examples:
      warroom validate my-scenario.yaml
      warroom validate cloudflare-2019-waf my-staffing.yaml
      warroom validate my-scenario.yaml my-staffing.yaml my-playbook.yaml
      warroom validate my-scenario.yaml my-space.yaml
      warroom validate my-scenario.yaml my-roster.yaml my-responses.yaml
    """
    from pathlib import Path

    from scenarios import DocumentError, load
    from scenarios.crosscheck import check_documents
    from scenarios.library import bundled

    problems: list[Problem] = []
    loaded = []
    names = bundled()
    for file in files:
        try:
            loaded.append(load(names[file] if file in names and not Path(file).exists() else file))
        except DocumentError as exc:
            problems.extend(exc.problems)
    found = check_documents(loaded)
    problems.extend(found.problems)
    for doc in loaded:
        if not any(p.file == doc.source for p in problems):
            click.echo(f"ok: {doc.source} ({doc.document.kind} {doc.document.name!r})")
            for source, what in found.unchecked:
                if source == doc.source:
                    click.echo(f"  not checked: {what}")
    if problems:
        _fail(problems)


@main.command()
@click.argument("kind", type=click.Choice(sorted(DOCUMENT_KIND_NAMES)))
def schema(kind):
    """Print the JSON Schema of a document KIND (for editors' validation and autocomplete)."""
    from scenarios import DOCUMENT_KINDS

    model = DOCUMENT_KINDS[kind]
    out = model.model_json_schema(mode="validation")
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    out["title"] = f"warroom {kind} document, version 1"
    click.echo(json.dumps(out, indent=2))


def _running(progress: _Progress, call, on_error=None):
    """Run a simulation behind a progress bar; invalid documents or settings close the bar,
    tidy up (`on_error`) and exit 2 with every problem."""
    from scenarios import DocumentError
    from simulator import SimulationError

    try:
        result = call()
    except (DocumentError, SimulationError) as exc:
        progress.close()
        if on_error is not None:
            on_error()
        _fail(exc.problems if isinstance(exc, DocumentError) else str(exc))
    progress.close()
    return result


def _run_options(f):
    from scenarios.library import DEFAULT_PLAYBOOK
    from simulator.run.settings import EXECUTORS, MODES

    options = [
        click.option("--playbook", "playbook", default=None, metavar="FILE",
                     help=f"Playbook document or bundled name [default: {DEFAULT_PLAYBOOK}]."),
        click.option("--classification", "classification", default=None, metavar="FILE",
                     help="Classification policy document or bundled name [default: itil-impact-urgency]: its "
                          "triage (chance a major incident is first classified below the major line, and the delay "
                          "to correct it) delays the declaration, unless a staffing gives its own."),
        click.option("-n", "--replications", default=1000, show_default=True, type=click.IntRange(1),
                     help="Replications: incidents in single mode, horizons in stream mode."),
        click.option("--seed", default=1, show_default=True, type=int, help="One seed for the whole run."),
        click.option("-j", "--jobs", default=1, show_default=True, type=click.IntRange(1),
                     help="Local worker processes (or, with --executor dask, LocalCluster workers); "
                          "results are identical for any value."),
        click.option("--executor", type=click.Choice(EXECUTORS), default="local", show_default=True,
                     help="local: this machine (--jobs processes); dask: a Dask LocalCluster started for the run."),
        click.option("--scheduler", default=None, metavar="URL",
                     help="Run on the Dask cluster whose scheduler is at URL (e.g. tcp://10.0.0.5:8786); "
                          "its workers need warroom installed."),
        click.option("--mode", type=click.Choice(MODES), default="single", show_default=True,
                     help="single: one incident per replication; stream: a horizon of Poisson arrivals contending for people."),
        click.option("--start", default=None, metavar="WHEN",
                     help="Override the scenario's start-time policy: 'uniform', or e.g. 'tue 13:42' (UTC), 'mon 09:00 "
                          "Europe/London' or, on a real date (local hours then follow daylight saving), "
                          "'2026-10-27 09:30 America/Los_Angeles'."),
        click.option("--horizon", default="365d", show_default=True, callback=_duration,
                     help="Stream mode: length of each replication."),
        click.option("--warmup", default="0m", show_default=True, callback=_duration,
                     help="Stream mode: incidents arriving before this are discarded."),
        click.option("--horizon-start", type=click.DateTime(["%Y-%m-%d"]), default=None, metavar="DATE",
                     help="Stream mode: the horizon starts on the Monday of this date's week, e.g. 2026-03-02, and "
                          "local hours follow daylight saving through it [default: a January week]."),
        click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False),
                     help="Write summary.json, incidents.parquet and incidents.csv here (the table is "
                          "written in chunks as the run goes)."),
        click.option("--no-incidents", is_flag=True,
                     help="With --out, write only summary.json: no per-incident table."),
        click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object."),
        click.option("-q", "--quiet", is_flag=True, help="No progress bar."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _adaptive_options(f):
    """Options of the adaptive mode, shared by compare and optimize."""
    options = [
        click.option("--adaptive", is_flag=True,
                     help="Simulate in rounds until the decision is settled, instead of a fixed -n: each option (or "
                          "candidate) runs until a sequential test says, with the stated confidence, whether it meets "
                          "the target, so options far from it stop after the first round and close ones run on. "
                          "Prints how many replications each used. The numbers are the same for any --jobs or "
                          "executor."),
        click.option("--margin", default=None, metavar="AMOUNT",
                     help="With --adaptive: how close to the target you do not mind either answer. For a percentile "
                          "target a share of incidents (1% or 0.01: with p90 <= 30m, an option within 30 min in 89% "
                          "to 91% of incidents may go either way); for a mean target a duration (30s) or a share of "
                          "the limit (2%). [default: p90: 1 point; pNN: a tenth of the share allowed to miss, at most "
                          "1 point; mean: 2% of the limit]"),
        click.option("--first-round", "first_round", default=1000, show_default=True, type=click.IntRange(1),
                     help="With --adaptive: replications per option in the first round (a multiple of 500)."),
        click.option("--round", "round_size", default=500, show_default=True, type=click.IntRange(1),
                     help="With --adaptive: replications added per round to the options still undecided "
                          "(a multiple of 500)."),
        click.option("--max-replications", "max_replications", default=20000, show_default=True,
                     type=click.IntRange(1),
                     help="With --adaptive: the most replications any option gets (a multiple of 500); an option "
                          "still undecided then is reported as such, with how many would settle it."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _adaptive_settings(ctx, adaptive: bool, target, confidence: float, margin: str | None, cost_margin,
                       first_round: int, round_size: int, max_replications: int):
    """The Adaptive settings from the options (None without --adaptive); usage errors (exit 2)
    for adaptive options given without --adaptive, or -n given with it."""
    from click.core import ParameterSource

    from simulator import SimulationError
    from simulator.studies.sequential import Adaptive, parse_margin

    given = [name for name in ("margin", "first_round", "round_size", "max_replications", "cost_margin", "target",
                               "confidence") if name in ctx.params
             and ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE]
    if not adaptive:
        loose = [n for n in given if not (n in ("target", "confidence") and ctx.command.name == "optimize")]
        if loose:
            flags = ", ".join("--" + {"round_size": "round"}.get(n, n).replace("_", "-") for n in loose)
            raise click.UsageError(f"{flags} only appl{'ies' if len(loose) == 1 else 'y'} with --adaptive")
        return None
    if ctx.get_parameter_source("replications") == ParameterSource.COMMANDLINE:
        raise click.UsageError("--adaptive decides how many replications each option needs: give --max-replications "
                               "(and --first-round, --round) instead of -n/--replications")
    settings = Adaptive(confidence=confidence, cost_margin=cost_margin, first_round=first_round,
                        round_size=round_size, max_replications=max_replications)
    try:
        if margin is not None and target is not None:
            settings = Adaptive(**{**settings.__dict__, "margin": parse_margin(margin, target)})
        settings.check()
        if target is not None:
            settings.margin_for(target)
    except SimulationError as exc:
        _fail(str(exc))
    return settings


def _target_option(text: str | None):
    """A --target expression parsed (simulator.studies.targets), None when not given; a usage
    error (exit 2) saying what a target looks like when it does not parse."""
    if text is None:
        return None
    from simulator import SimulationError
    from simulator.studies.targets import parse_target

    try:
        return parse_target(text)
    except SimulationError as exc:
        raise click.BadParameter(str(exc), param_hint="--target")


def _closing_lever(result, scenarios, staffings, book, mode, replications, seed, jobs, executor, scheduler,
                   quiet, fixed_start=False) -> dict | None:
    """When the recommendation finds no option meeting its target: the change to the closest
    option that closes most of the gap per unit of cost (a sensitivity sweep of it, on the
    scenario's own start-time policy). Only where the sweep measures what the comparison did:
    single mode, one scenario, the scenario's start-time policy and no classification policy,
    a target on the mean, p50 or p90 of time to restore, and enough replications."""
    from simulator.run.decision import HEADLINE, recommend
    from simulator.studies.sensitivity import sensitivity, sweep_runs
    from simulator.studies.targets import parse_target
    from simulator.studies.variation import sensitivity_variants

    found = recommend(result)
    if (not found or found["outcome"] != "none_meets" or mode != "single" or len(scenarios) != 1 or fixed_start
            or found["metric"] != HEADLINE or found["statistic"] not in ("mean", "p50", "p90")):
        return None
    per_change = min(max(result.options[0].summary.metrics[HEADLINE].values.n, 0), 1000)
    if per_change < 100:
        return None
    closest = next(st for st in staffings if st.document.name == found["closest"])
    target = parse_target(f"{found['statistic']}({HEADLINE}) <= {found['target_minutes']:g}m")
    variants = sensitivity_variants(scenarios[0], closest, book, 0.25)
    progress = _Progress(per_change * sweep_runs(variants[0]), f"What would close the gap ({closest.document.name})",
                         enabled=not quiet)
    sweep = _running(progress, lambda: sensitivity(
        scenarios[0], closest, book, replications=per_change, seed=seed, jobs=jobs, executor=executor,
        scheduler=scheduler, progress=progress, variants=variants, target=target))
    return sweep.closing_lever


def _execute(scenario_args, staffing_args, playbook, classification, replications, seed, jobs, executor, scheduler,
             mode, start, horizon, warmup, horizon_start, out_dir, no_incidents, as_json, quiet, report=None,
             input_draws=0, adaptive=None, lever=False):
    from reports.artifacts import IncidentWriter, write_summary
    from reports.text.simulation import simulation_text
    from scenarios import DocumentError
    from scenarios.library import DEFAULT_PLAYBOOK, resolve
    from simulator import compare as run_compare

    if report:
        _format_of(report, "html")  # an unknown extension fails before any simulation
    problems: list[Problem] = []
    scenarios, staffings, book = [], [], None
    for arg in scenario_args:
        try:
            scenarios.append(resolve(arg, "scenario"))
        except DocumentError as exc:
            problems.extend(exc.problems)
    for arg in staffing_args:
        try:
            staffings.append(resolve(arg, "staffing"))
        except DocumentError as exc:
            problems.extend(exc.problems)
    try:
        book = resolve(playbook or DEFAULT_PLAYBOOK, "playbook")
    except DocumentError as exc:
        problems.extend(exc.problems)
    policy = None
    if classification:
        try:
            policy = resolve(classification, "classification")
        except DocumentError as exc:
            problems.extend(exc.problems)
    if problems:
        _fail(problems)
    if input_draws:
        from simulator.studies.uncertainty import NOTHING_TO_VARY, uncertain_estimates

        if not uncertain_estimates([*scenarios, *staffings, book]):
            _fail(f"--input-uncertainty: {NOTHING_TO_VARY}")
    progress = _Progress(replications if adaptive is None else adaptive["settings"].max_replications * len(staffings),
                         "Simulating", enabled=not quiet)
    writer = IncidentWriter(out_dir) if out_dir and not no_incidents else None

    def discard_table():
        if writer is not None:
            writer.close()
            for path in writer.paths:
                path.unlink(missing_ok=True)

    def run():
        if adaptive is not None:
            from simulator.studies.sequential import adaptive_compare

            if mode != "single" or len(scenarios) != 1:
                _fail("--adaptive compares options on one scenario in single-incident mode (--mode single)")
            return adaptive_compare(
                scenarios[0], staffings, book, target=adaptive["target"], settings=adaptive["settings"], seed=seed,
                jobs=jobs, start=_parse_start(start), progress=progress, incident_sink=writer, executor=executor,
                scheduler=scheduler, classification=policy)
        return run_compare(
            scenarios, staffings, book, replications=replications, seed=seed, jobs=jobs, mode=mode,
            start=_parse_start(start), horizon=horizon, warmup=warmup, progress=progress,
            horizon_start=horizon_start.date() if horizon_start else None,
            incident_sink=writer, executor=executor, scheduler=scheduler, classification=policy,
        )

    result = _running(progress, run, on_error=discard_table)
    if input_draws:
        from simulator.studies.uncertainty import input_uncertainty

        drawing = _Progress(input_draws * replications, "Input draws", enabled=not quiet)
        result.input_uncertainty = _running(drawing, lambda: input_uncertainty(
            scenarios, staffings, book, draws=input_draws, seed=seed, jobs=jobs, executor=executor,
            scheduler=scheduler, nominal=result, replications=replications, mode=mode, start=_parse_start(start),
            horizon=horizon, warmup=warmup, horizon_start=horizon_start.date() if horizon_start else None,
            classification=policy, progress=drawing), on_error=discard_table).to_dict()
    if lever and len(staffings) > 1 and policy is None:
        result.lever = _closing_lever(result, scenarios, staffings, book, mode, replications, seed, jobs, executor,
                                      scheduler, quiet, fixed_start=start is not None)
    summary = result.to_dict()
    if out_dir:
        if writer is not None:
            writer.close()
        summary_path = write_summary(summary, out_dir, writer.paths if writer else [])
        summary["files"] = [str(p) for p in [summary_path, *(writer.paths if writer else [])]]
    if report:
        from reports.compare import render_comparison
        from reports.pdf import PdfUnavailable

        try:
            output = render_comparison(result.to_dict(), _format_of(report, "html"))
        except PdfUnavailable as exc:
            _fail(str(exc))
        _write_report(output, Path(report))
    if as_json:
        # The terminal gets each input's name, source and hash; summary.json keeps full copies.
        for item in summary["inputs"]:
            item.pop("text", None)
        click.echo(json.dumps(summary, indent=2))
        return
    click.echo(simulation_text(summary, out_dir))
    if report:
        click.echo(f"Report written to {report}")


@main.command()
@click.argument("scenario", nargs=-1, required=True)
@click.option("--staffing", "staffing", required=True, metavar="FILE", help="Staffing document or bundled name.")
@_run_options
def simulate(scenario, staffing, **kwargs):
    """Simulate SCENARIO under one staffing option.

    SCENARIO is a file or a bundled name (see `warroom list`); in stream mode several
    scenarios form the mix, weighted by their frequencies. Prints every metric (mean with
    95% CI, p50, p90, p95, target and chance of missing it) and the expected costs.
    """
    _execute(scenario, [staffing], **kwargs)


@main.command()
@click.argument("scenario", nargs=-1, required=True)
@click.option("--staffing", "staffing", multiple=True, required=True, metavar="FILE",
              help="A staffing option (repeat it; the first is the baseline).")
@click.option("--report", "report", default=None, type=click.Path(dir_okay=False),
              help="Also write the comparison as a document (.html, .md, .pdf by its extension).")
@click.option("--input-uncertainty", "input_draws", default=0, type=click.IntRange(0), metavar="N",
              help="Also re-run the comparison N times (20 is a good start), each with the documents' uncertain "
                   "estimates (delays with a range:, a scenario's frequency_range) drawn from their ranges, and "
                   "say whether the answer holds across them. Costs N more comparisons.")
@_run_options
@_adaptive_options
@click.option("--target", "target", default=None, metavar="EXPR",
              help="With --adaptive: what an option must meet, e.g. 'p90(time_to_restore) <= 45m' or "
                   "'mean(time_to_restore) <= 35m' [default: p90 time to restore within the scenario's restore "
                   "target].")
@click.option("--confidence", default=0.95, show_default=True,
              type=click.FloatRange(0, 1, min_open=True, max_open=True),
              help="With --adaptive: the chance that every option is judged right against the target (when it is "
                   "further from it than the margin) and that the cheapest is told apart (beyond the cost margin).")
@click.option("--cost-margin", "cost_margin", default=None, type=click.FloatRange(0, min_open=True), metavar="AMOUNT",
              help="With --adaptive: yearly cost differences (staffing plus expected outage cost) small enough to "
                   "call a tie [default: 1% of the cheapest option's yearly cost].")
@click.option("--lever/--no-lever", default=True, show_default=True,
              help="When no option meets the restore target, sweep the closest option's parameters (as `warroom "
                   "sensitivity --target` does, at most 1,000 incidents per change) to name the change that closes "
                   "most of the gap per unit of cost, in the recommendation. Single-incident mode, one scenario.")
@click.pass_context
def compare(ctx, scenario, staffing, report, input_draws, lever, adaptive, target, confidence, cost_margin, margin, first_round,
            round_size, max_replications, **kwargs):
    """Compare staffing options on SCENARIO by simulated time to restore (MTTR).

    Every option sees the same incidents (common random numbers), so differences are
    paired: the verdict gives each option's change in p90 time to restore against the
    first option, with a 95% confidence interval, and the staffing cost difference.

    It also puts the risk in yearly terms: at the scenario's incident rate, how many
    incidents a year will miss each target, the chance of at least one miss this year, and
    outage cost a year, each shown across the plausible rates the scenario's
    frequency_range gives. Money is in the documents' currency.

    Delays in documents are estimates: with --input-uncertainty N the comparison is re-run
    across N draws of the estimates that state a range (range: on a delay, written by
    `warroom history fit` or by you; frequency_range on a scenario), and says in how many
    the answer holds.

    \b
      warroom compare cloudflare-2019-waf --staffing cloudflare-2019-sre \\
          --staffing follow-the-sun --input-uncertainty 20 --report comparison.html

    With --adaptive the comparison decides how many incidents it needs: it simulates in
    rounds until it knows, with 95% confidence, which options meet the target (by default
    p90 time to restore within the scenario's restore target) and which of those is cheapest
    per year (staffing plus expected outage cost). Options clearly in or out stop early; it
    prints each option's replications and the decision, or what would settle it.

    \b
      warroom compare cloudflare-2019-waf --staffing cloudflare-2019-sre --staffing follow-the-sun -n 5000
      warroom compare cloudflare-2019-waf --staffing cloudflare-2019-sre --staffing business-hours-pager \\
          --staffing 24x7-comms-lead --adaptive --target "p90(time_to_restore) <= 50m"
    """
    if len(staffing) < 2:
        raise click.UsageError("compare needs at least two --staffing options (use simulate for one)")
    if adaptive and input_draws:
        raise click.UsageError("--input-uncertainty re-runs a fixed number of replications: give -n, not --adaptive")
    parsed = _target_option(target)
    if adaptive and parsed is None and margin is not None:
        from scenarios import DocumentError
        from scenarios.library import resolve
        from simulator.studies.targets import restore_target

        try:
            parsed = restore_target(resolve(scenario[0], "scenario").document) if len(scenario) == 1 else None
        except DocumentError as exc:
            _fail(exc.problems)
    found = _adaptive_settings(ctx, adaptive, parsed, confidence, margin, cost_margin, first_round, round_size,
                               max_replications)
    _execute(scenario, list(staffing), report=report, input_draws=input_draws, lever=lever,
             adaptive=None if found is None else {"settings": found, "target": parsed}, **kwargs)


# -- drills ---------------------------------------------------------------------------

def _store_option(f):
    from drills.store import DEFAULT_STORE

    return click.option("--store", "store_path", default=str(DEFAULT_STORE), show_default=True,
                        envvar="WARROOM_STORE", metavar="FILE",
                        help="The drill journal (SQLite); also $WARROOM_STORE.")(f)


def _open_store(path: str) -> DrillStore:
    from drills import DrillError, DrillStore

    try:
        return DrillStore(path)
    except DrillError as exc:
        _fail(str(exc))


def _resolve_all(pairs) -> list:
    """Resolve (argument, kind) pairs; report every problem at once."""
    from scenarios import DocumentError
    from scenarios.library import resolve

    problems, out = [], []
    for arg, kind in pairs:
        if arg is None:
            out.append(None)
            continue
        try:
            out.append(resolve(arg, kind))
        except DocumentError as exc:
            problems.extend(exc.problems)
            out.append(None)
    if problems:
        _fail(problems)
    return out


def _drill_documents(scenario, roster, playbook, staffing) -> DrillDocuments:
    from drills import DrillDocuments
    from scenarios import DocumentError, check_drill, load_text
    from scenarios.library import DEFAULT_PLAYBOOK
    from scenarios.roster import roster_for

    sc, ro, pb, st = _resolve_all([(scenario, "scenario"), (roster, "roster"), (playbook or DEFAULT_PLAYBOOK, "playbook"),
                                   (staffing, "staffing")])
    if ro is None:
        ro = load_text(roster_for(sc.document), f"<default roster for {sc.document.name}>", expect="roster")
    try:
        documents = DrillDocuments.resolve(sc, ro, pb, st)
    except DocumentError as exc:
        _fail(exc.problems)
    problems = check_drill(documents.scenario, documents.roster)
    if problems:
        _fail(problems)
    return documents


def _scorecard(journal: Journal, staffing: str | None, replications: int) -> dict:
    from drills import DrillDocuments, score
    from drills.baseline import simulated_responses
    from drills.session import calendar_of

    documents = DrillDocuments.from_record(journal.record)
    staffing_doc = documents.staffing
    if staffing is not None:
        (staffing_doc,) = _resolve_all([(staffing, "staffing")])
    simulated, about = simulated_responses(documents.scenario, staffing_doc, documents.playbook,
                                           seed=journal.record.seed, replications=replications,
                                           start_minute=journal.record.start_minute,
                                           anchor=calendar_of(journal.record))
    return score(journal, simulated, about).to_dict()


def _baseline_options(f):
    from drills.baseline import BASELINE_REPLICATIONS

    f = click.option("--baseline", "replications", default=BASELINE_REPLICATIONS, show_default=True,
                     type=click.IntRange(0),
                     help="Simulated responses to rank the team's times against (0: no percentiles).")(f)
    return f


@main.group()
def drill():
    """Run tabletop drills: scripted replays, a facilitator console, the journal.

    \b
    Replay what really happened, and score it:
      warroom drill run cloudflare-waf-2019 --roster cloudflare-2019-team \\
          --responses cloudflare-2019-actual
    Run a tabletop in the room, four times faster than real time:
      warroom drill run cloudflare-2019-waf --roster cloudflare-2019-team --console --speed 4
    Afterwards:
      warroom drill list             every drill in the journal and its state
      warroom drill resume ID        carry on after a crash, where the journal stops
      warroom drill export ID        the journal as JSON (what reports read)
      warroom drill score ID         the scorecard again, e.g. against another staffing
    """


@drill.command("run")
@click.argument("scenario")
@click.option("--roster", default=None, metavar="FILE",
              help="Who plays which role (file or bundled name) [default: the responses file's roster, "
                   "else one player per role].")
@click.option("--responses", default=None, metavar="FILE",
              help="Play these scripted responses instantly (file or bundled name).")
@click.option("--console", "console", is_flag=True, help="Open the facilitator console for a live tabletop.")
@click.option("--speed", default=1.0, show_default=True, type=click.FloatRange(0, 3600, min_open=True),
              help="Console: scenario minutes per wall minute (4 = four times faster).")
@click.option("--staffing", default=None, metavar="FILE",
              help="Staffing for responders' join delays and the simulated comparison [default: the scenario's reference staffing].")
@click.option("--playbook", default=None, metavar="FILE", help=f"The team's playbook [default: {DEFAULT_PLAYBOOK}].")
@click.option("--seed", default=1, show_default=True, type=click.IntRange(0, 2**63 - 1),
              help="The world's randomness (same seed, same drill).")
@click.option("--start", default=None, metavar="WHEN",
              help="When the incident starts, e.g. 'sat 03:00' (UTC) [default: the scenario's fixed start, else mon 10:00].")
@click.option("--json", "as_json", is_flag=True, help="Print the scorecard as JSON.")
@click.option("-o", "--out", "out_file", default=None, type=click.Path(dir_okay=False),
              help="Also write the scorecard JSON here.")
@_baseline_options
@_store_option
def drill_run(scenario, roster, responses, console, speed, staffing, playbook, seed, start, as_json, out_file,
              replications, store_path):
    """Run a drill of SCENARIO: scripted (--responses) or live (--console).

    A scripted drill plays every response at its scenario minute, instantly, then prints
    the scorecard: each target metric (actual, target, met, assumed), process checks,
    HSEEP ratings per objective, and how the team's times rank among simulated teams
    with the same staffing. Every event goes to the journal (--store).
    """
    from drills import DrillSession, Journal, play
    from scenarios import DocumentError

    if bool(responses) == bool(console):
        raise click.UsageError("give either --responses FILE (scripted) or --console (live)")
    if responses and roster is None:
        (responses_doc,) = _resolve_all([(responses, "responses")])
        roster = responses_doc.document.roster
    documents = _drill_documents(scenario, roster, playbook, staffing)
    start_minute = anchor = None
    if start is not None:
        policy = _parse_start(start)
        start_minute = getattr(policy, "minute_of_week", None)
        anchor = getattr(policy, "anchor", None)
    store = _open_store(store_path)
    if console:
        from drills.clock import DrillClock

        session = DrillSession.create(store, documents, seed=seed, mode="console", speed=speed,
                                      start_minute=start_minute, clock=DrillClock(speed=speed), anchor=anchor)
        _console(session, store, replications)
        return
    (responses_doc,) = _resolve_all([(responses, "responses")])
    try:
        session = play(store, documents, responses_doc, seed=seed, start_minute=start_minute, anchor=anchor)
    except DocumentError as exc:
        _fail(exc.problems)
    card = _scorecard(Journal.from_store(store, session.record.id), None, replications)
    store.update(session.record.id, status="ended", extra={**session.record.extra, "scorecard": card})
    _emit_scorecard(card, as_json, out_file, store_path)


def _emit_scorecard(card: dict, as_json: bool, out_file: str | None, store_path: str | None = None) -> None:
    from drills.store import DEFAULT_STORE
    from reports.text.drills import scored_drill_text

    if out_file:
        try:
            Path(out_file).parent.mkdir(parents=True, exist_ok=True)
            Path(out_file).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            _fail(f"cannot write the scorecard to {out_file}: {exc.strerror or exc} "
                  f"(the drill is in the journal: warroom drill score {card['drill']['id']})")
    if as_json:
        click.echo(json.dumps(card, indent=2))
        return
    store = None if store_path in (None, str(DEFAULT_STORE)) else store_path
    click.echo(scored_drill_text(card, out_file, store))


def _console(session: DrillSession, store: DrillStore, replications: int) -> None:
    from drills import Journal
    from drills.interfaces.console import run_console
    from reports.text.scorecard import scorecard_text

    def score_the_drill(step) -> str:  # the console runs this off its prompt, with progress
        card = _scorecard(Journal.from_store(store, session.record.id), None, replications)
        store.update(session.record.id, status="ended", extra={**session.record.extra, "scorecard": card})
        return scorecard_text(card)

    if not run_console(session, finish=score_the_drill):
        sys.exit(1)
    if session.status != "ended":
        click.echo(f"Drill {session.record.id} left {session.status}; carry on with: warroom drill resume {session.record.id}")


def _serve_options(f):
    f = click.option("--max-streams", default=3, show_default=True, type=click.IntRange(1, 1000),
                     help="Open live streams allowed per link (more get 429).")(f)
    f = click.option("--max-actions-per-minute", default=60, show_default=True, type=click.IntRange(1, 100000),
                     help="Requests that change the drill (actions, controls, injects, ratings) allowed per link "
                          "per minute (more get 429).")(f)
    f = click.option("--port", default=8750, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")(f)
    f = click.option("--host", default="127.0.0.1", show_default=True,
                     help="Address to bind; only this machine can connect unless you give e.g. 0.0.0.0.")(f)
    return f


def _serve(store: DrillStore, host: str, port: int, max_actions_per_minute: int = 60, max_streams: int = 3) -> None:
    import uvicorn

    from drills.interfaces.limits import Limits
    from drills.interfaces.web import create_app

    limits = Limits(actions_per_minute=max_actions_per_minute, streams=max_streams)
    click.echo(f"Serving live drills on http://{host}:{port}/ (Ctrl-C to stop; drills resume where they were)")
    uvicorn.run(create_app(store, limits=limits), host=host, port=port, log_level="warning")


@drill.command("start")
@click.argument("scenario")
@click.option("--roster", default=None, metavar="FILE", help="Who plays which role [default: one player per role].")
@click.option("--web", is_flag=True, required=True, help="Run the drill in browsers (the only way start runs for now).")
@click.option("--speed", default=1.0, show_default=True, type=click.FloatRange(0, 3600, min_open=True),
              help="Scenario minutes per wall minute.")
@click.option("--staffing", default=None, metavar="FILE", help="Staffing [default: the scenario's reference staffing].")
@click.option("--playbook", default=None, metavar="FILE", help=f"Playbook [default: {DEFAULT_PLAYBOOK}].")
@click.option("--seed", default=1, show_default=True, type=click.IntRange(0, 2**63 - 1))
@click.option("--start", default=None, metavar="WHEN", help="When the incident starts, e.g. 'sat 03:00'.")
@click.option("--no-serve", is_flag=True, help="Only create the drill and print the links (a server is already running).")
@_serve_options
@_store_option
def drill_start(scenario, roster, web, speed, staffing, playbook, seed, start, no_serve, host, port,
                max_actions_per_minute, max_streams, store_path):
    """Create a live drill of SCENARIO for browsers and print everyone's link.

    The facilitator link controls the clock; each participant's link shows only what
    their role would see and lets them act only as that role; evaluators rate the
    objectives. Then the server starts (unless --no-serve) on 127.0.0.1.
    """
    from drills.interfaces.chat_command import command_url
    from drills.interfaces.web import links, open_web_drill
    from reports.text.drills import chat_commands_text, web_drill_text

    documents = _drill_documents(scenario, roster, playbook, staffing)
    policy = _parse_start(start) if start else None
    start_minute, anchor = getattr(policy, "minute_of_week", None), getattr(policy, "anchor", None)
    store = _open_store(store_path)
    session, grants = open_web_drill(store, documents, seed=seed, speed=speed, start_minute=start_minute,
                                     anchor=anchor)
    click.echo(web_drill_text(session.record.id, session.record.title, links(f"http://{host}:{port}", grants)))
    click.echo(chat_commands_text(command_url(f"http://{host}:{port}", session.record.id),
                                  store.chat_signers(session.record.id)))
    if not no_serve:
        _serve(store, host, port, max_actions_per_minute, max_streams)


@drill.command("serve")
@_serve_options
@_store_option
def drill_serve(host, port, max_actions_per_minute, max_streams, store_path):
    """Serve the live drills of the journal to browsers (resuming any that were running)."""
    _serve(_open_store(store_path), host, port, max_actions_per_minute, max_streams)


@drill.command("links")
@click.argument("drill_id")
@_serve_options
@_store_option
def drill_links(drill_id, host, port, max_actions_per_minute, max_streams, store_path):
    """Print the links of live drill DRILL_ID again."""
    from drills import DrillError
    from drills.interfaces.chat_command import command_url
    from drills.interfaces.web import links
    from reports.text.drills import chat_commands_text, links_text

    store = _open_store(store_path)
    try:
        record = store.get(drill_id)
    except DrillError as exc:
        _fail(str(exc))
    text = links_text(links(f"http://{host}:{port}", store.grants(record.id)))
    chat = chat_commands_text(command_url(f"http://{host}:{port}", record.id), store.chat_signers(record.id))
    if text:
        click.echo(text)
    if chat:
        click.echo(chat)


@drill.command("resume")
@click.argument("drill_id")
@_baseline_options
@_store_option
def drill_resume(drill_id, replications, store_path):
    """Rebuild drill DRILL_ID from its journal and carry on in the console.

    The clock restarts at the scenario minute of the last recorded event (it does not
    run while the drill is down); every acknowledged action is kept, none is repeated.
    """
    from drills import DrillError, DrillSession

    store = _open_store(store_path)
    from drills.clock import DrillClock

    try:
        record = store.get(drill_id)
        clock = DrillClock(speed=record.speed)
        session = DrillSession.resume(store, drill_id, clock=clock)
    except DrillError as exc:
        _fail(str(exc))
    click.echo(f"Resumed drill {session.record.id} at scenario minute {session.drill.now:.1f} "
               f"({len(session.events())} events in the journal).")
    _console(session, store, replications)


@drill.command("list")
@click.option("--json", "as_json", is_flag=True)
@_store_option
def drill_list(as_json, store_path):
    """List the drills in the journal and where each stands."""
    from reports.text.drills import drill_list_text

    if not Path(store_path).exists():
        click.echo(f"No drills yet ({store_path} does not exist).")
        return
    store = _open_store(store_path)
    listed = []
    for record in store.list():
        count, last = store.summary(record.id)
        card = record.extra.get("scorecard")
        listed.append({"id": record.id, "scenario": record.scenario, "team": record.team, "mode": record.mode,
                       "status": record.status, "created": record.created, "events": count,
                       "scenario_minute": last, "score": card["score"] if card else None})
    click.echo(json.dumps(listed, indent=2) if as_json else drill_list_text(listed))


@drill.command("export")
@click.argument("drill_id")
@click.option("--as", "as_format", default="journal", show_default=True,
              type=click.Choice(["journal", "canonical", "incident.io", "grafana", "rootly"]),
              help="journal: the warroom journal. The others: the drill as an incident platform's payload, "
                   "marked as a drill (incident.io mode test, Grafana isDrill, Rootly kind test, canonical "
                   "is_drill), with the milestone times in UTC from the drill's real start.")
@click.option("--severity", default="sev1", show_default=True,
              type=click.Choice(["sev1", "sev2", "sev3", "sev4", "sev5"]),
              help="The severity the drill gets in a platform payload (canonical is_major: sev1 and sev2).")
@click.option("--mapping", "mapping", default=None, type=click.Path(dir_okay=False), metavar="FILE",
              help="A history-mapping YAML for incident.io: the organisation's names of the timestamps.")
@click.option("-o", "--out", "out_file", default=None, type=click.Path(dir_okay=False),
              help="Write the journal here instead of standard output (--as canonical: .csv or .json; "
                   "an existing file is replaced).")
@_store_option
def drill_export(drill_id, as_format, severity, mapping, out_file, store_path):
    """Write drill DRILL_ID's journal as JSON (format warroom.journal/2), or with --as the
    drill as an incident platform's payload (a drill, never counted as a real incident).

    \b
      warroom drill export latest -o journal.json
      warroom drill export latest --as canonical -o drill.csv
      warroom drill export latest --as rootly --severity sev2
    """
    from drills import DrillError, Journal

    if as_format == "canonical" and out_file is not None and Path(out_file).suffix.casefold() not in (".csv", ".json"):
        raise click.BadParameter(f"--as canonical writes a .csv or .json file, got {out_file!r}", param_hint="'-o'")
    store = _open_store(store_path)
    try:
        journal = Journal.from_store(store, drill_id)
    except DrillError as exc:
        _fail(str(exc))
    if as_format != "journal":
        _export_drill_to_platform(journal, as_format, severity, mapping, out_file)
        return
    text = json.dumps(journal.to_dict(), indent=2)
    if out_file:
        Path(out_file).write_text(text + "\n", encoding="utf-8")
        click.echo(f"Journal of {journal.record.id} ({len(journal.events)} events) written to {out_file}")
    else:
        click.echo(text)


def _export_drill_to_platform(journal: Journal, platform: str, severity: str, mapping: str | None,
                              out_file: str | None) -> None:
    """`drill export --as PLATFORM`: the payload on stdout or in OUT (canonical: CSV by extension)."""
    from scenarios import DocumentError
    from scenarios.history import canonical_csv, load_mapping
    from scenarios.history.platforms import DrillPayloadError, drill_canonical_table, platform_payload

    loaded_mapping = None
    if mapping is not None:
        try:
            loaded_mapping = load_mapping(mapping)
        except DocumentError as exc:
            _fail(exc.problems)
        if loaded_mapping.source != "incident.io" or platform != "incident.io":
            _fail(f"{mapping}: --mapping names incident.io timestamps; it is for source {loaded_mapping.source} "
                  f"and the export is for {platform}")
    try:
        if platform == "canonical" and out_file and Path(out_file).suffix.casefold() == ".csv":
            text = canonical_csv(drill_canonical_table(journal.to_dict(), severity=severity)).rstrip("\n")
        else:
            text = json.dumps(platform_payload(journal.to_dict(), platform, severity=severity,
                                               mapping=loaded_mapping), indent=2)
    except DrillPayloadError as exc:
        _fail(str(exc))
    if not out_file:
        click.echo(text)
        return
    try:
        Path(out_file).write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {out_file}: {exc.strerror or exc}")
    click.echo(f"Drill {journal.record.id} exported for {platform} (marked as a drill) to {out_file}")


@drill.command("score")
@click.argument("drill")
@click.option("--staffing", default=None, metavar="FILE",
              help="Rank the times against this staffing instead of the drill's.")
@click.option("--json", "as_json", is_flag=True, help="Print the scorecard as JSON.")
@click.option("-o", "--out", "out_file", default=None, type=click.Path(dir_okay=False))
@_baseline_options
@_store_option
def drill_score(drill, staffing, as_json, out_file, replications, store_path):
    """Score DRILL: a drill id in the journal, `latest`, or an exported journal file."""
    _emit_scorecard(_scorecard(_journal_of(drill, store_path), staffing, replications), as_json, out_file)


# -- reports --------------------------------------------------------------------------

@main.group("report")
def report_group():
    """Documents people read: drill scorecards, after-action reports and staffing comparisons
    (HTML, Markdown, JSON, PDF)."""


def _journal_of(drill: str, store_path: str) -> Journal:
    from drills import DrillDocuments, DrillError, Journal
    from scenarios import DocumentError

    if Path(drill).is_file():
        try:
            journal = Journal.read(drill)
            DrillDocuments.from_record(journal.record)
        except DocumentError as exc:
            _fail(exc.problems)
        except (ValueError, KeyError) as exc:  # documents of kinds a drill is not built from
            _fail(f"{drill}: not a warroom journal ({type(exc).__name__}: {exc})")
        return journal
    store = _open_store(store_path)
    try:
        return Journal.from_store(store, drill)
    except DrillError as exc:
        _fail(str(exc))


@report_group.command("scorecard")
@click.argument("drill")
@click.option("-f", "--format", "fmt", type=click.Choice(["html", "md", "json", "pdf"]), default="html",
              show_default=True, help="html: one self-contained file (charts inline, prints well); md for wikis "
                                      "and tickets; pdf through Chromium's print-to-PDF.")
@click.option("-o", "--out", "out_file", default=None, type=click.Path(dir_okay=False),
              help="Where to write it [default: scorecard-DRILL.html or .pdf here; md and json to standard output].")
@_baseline_options
@_store_option
def report_scorecard(drill, fmt, out_file, replications, store_path):
    """The scorecard of DRILL (a drill id or an exported journal) as a document to hand out:
    the score, each target metric against its target, a swimlane timeline by role, the
    update cadence, RACI adherence, HSEEP ratings with evaluator notes, how the team ranks
    among simulated teams, strengths and areas for improvement."""
    from reports.pdf import PdfUnavailable
    from reports.scorecard import render_scorecard

    journal, card = _journal_and_card(drill, store_path, replications)
    try:
        output = render_scorecard(card, journal.to_dict(), fmt)
    except PdfUnavailable as exc:
        _fail(str(exc))
    if out_file is None and fmt in ("md", "json"):
        click.echo(output, nl=False)
        return
    _write_report(output, Path(out_file or f"scorecard-{journal.record.id}.{fmt}"),
                  f"Scorecard of {journal.record.id}")


def _journal_and_card(drill: str, store_path: str, replications: int) -> tuple[Journal, dict]:
    from scenarios.formats import SCORECARD_FORMAT

    journal = _journal_of(drill, store_path)
    card = journal.record.extra.get("scorecard") if journal.ended else None
    if card is None or card.get("format") != SCORECARD_FORMAT:
        card = _scorecard(journal, None, replications)
    return journal, card


@report_group.command("aar")
@click.argument("drill")
@click.option("--plan", "plan_file", default=None, type=click.Path(dir_okay=False),
              help="An improvement plan (kind: improvement_plan) giving owners and dates.")
@click.option("--plan-template", is_flag=True, help="Print an improvement plan to fill in, for this drill's issues.")
@click.option("-f", "--format", "fmt", type=click.Choice(["html", "md", "pdf"]), default=None,
              help="[default: from -o's extension, else html]")
@click.option("-o", "--out", "out_file", default=None, type=click.Path(dir_okay=False),
              help="Where to write it [default: aar-DRILL.html here; md to standard output].")
@_baseline_options
@_store_option
def report_aar(drill, plan_file, plan_template, fmt, out_file, replications, store_path):
    """The after-action report and improvement plan (HSEEP AAR/IP) of DRILL: exercise
    overview, objectives and ratings, analysis per objective, and the improvement plan
    (issue, corrective action, capability element, owner, start and completion dates).

    \b
      warroom report aar latest --plan-template > plan.yaml   # fill in owners and dates
      warroom report aar latest --plan plan.yaml -o aar.html
    """
    from reports.aar import plan_template as template_of
    from reports.aar import render_aar
    from reports.pdf import PdfUnavailable
    from scenarios import DocumentError, load

    journal, card = _journal_and_card(drill, store_path, replications)
    if plan_template:
        click.echo(template_of(card), nl=False)
        return
    plan = None
    if plan_file:
        try:
            plan = load(plan_file, expect="improvement_plan").document
        except DocumentError as exc:
            _fail(exc.problems)
    fmt = fmt or _format_of(out_file, "html")
    try:
        output = render_aar(card, journal.to_dict(), plan, fmt)
    except PdfUnavailable as exc:
        _fail(str(exc))
    if out_file is None and fmt == "md":
        click.echo(output, nl=False)
        return
    _write_report(output, Path(out_file or f"aar-{journal.record.id}.{fmt}"), f"After-action report of {journal.record.id}")


def _write_report(output, target: Path, what: str | None = None) -> None:
    """Write a report; say so when `what` names it (not when standard output carries JSON)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(output, bytes):
            target.write_bytes(output)
        else:
            target.write_text(output, encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {target}: {exc.strerror or exc}")
    if what:
        click.echo(f"{what} written to {target}")


_REPORT_EXTENSIONS = {"html": "html", "htm": "html", "md": "md", "markdown": "md", "json": "json", "pdf": "pdf"}


def _format_of(path: str | None, default: str) -> str:
    """The report format PATH's extension names (`default` without a path). Any other
    extension, or none, is a usage error (exit 2) rather than a silent HTML file."""
    if not path:
        return default
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in _REPORT_EXTENSIONS:
        got = f"its extension .{suffix}" if suffix else "a name without an extension"
        _fail(f"{path}: cannot tell the report format from {got}; name the file with one of "
              f"{', '.join('.' + e for e in _REPORT_EXTENSIONS)}")
    return _REPORT_EXTENSIONS[suffix]


@report_group.command("trend")
@click.option("--team", required=True, help="The team (the roster's team:) whose drills to follow.")
@click.option("-f", "--format", "fmt", type=click.Choice(["html", "md", "json"]), default=None,
              help="[default: from -o's extension, else html]")
@click.option("-o", "--out", "out_file", default=None, type=click.Path(dir_okay=False),
              help="Where to write it [default: trend-TEAM.html here; md and json to standard output].")
@_store_option
def report_trend(team, fmt, out_file, store_path):
    """How TEAM's score and times move over its successive drills (ended drills in the journal)."""
    from drills import Journal, score
    from reports.trend import render_trend
    from scenarios.formats import SCORECARD_FORMAT

    if not Path(store_path).exists():
        _fail(f"no drills yet ({store_path} does not exist)")
    store = _open_store(store_path)
    records = [r for r in store.list() if r.team == team and r.status == "ended"]
    if not records:
        teams = sorted({r.team for r in store.list()})
        _fail(f"no ended drill of team {team!r} in {store_path} (teams: {', '.join(teams) or 'none'})")
    cards = []
    for record in records:
        card = record.extra.get("scorecard")
        if card is None or card.get("format") != SCORECARD_FORMAT:
            card = score(Journal.from_store(store, record.id)).to_dict()
        cards.append(card)
    fmt = fmt or _format_of(out_file, "html")
    output = render_trend(team, cards, fmt)
    if out_file is None and fmt in ("md", "json"):
        click.echo(output, nl=False)
        return
    slug = re.sub(r"[^a-z0-9]+", "-", team.lower()).strip("-") or "team"
    _write_report(output, Path(out_file or f"trend-{slug}.{fmt}"), f"Trend of {len(cards)} drills of {team}")


@report_group.command("compare")
@click.argument("results", type=click.Path(file_okay=False))
@click.option("-f", "--format", "fmt", type=click.Choice(["html", "md", "json", "pdf"]), default=None,
              help="[default: from -o's extension, else html]")
@click.option("-o", "--out", "out_file", default=None, type=click.Path(dir_okay=False),
              help="Where to write it [default: RESULTS/comparison.html].")
def report_compare(results, fmt, out_file):
    """The staffing comparison in RESULTS (a folder written by compare --out) as a document
    for leadership: the verdict, MTTR distributions (ECDF), every milestone, paired
    differences with confidence intervals, target breaches and costs (a Pareto chart)."""
    from reports.artifacts import read_results
    from reports.compare import render_comparison
    from reports.pdf import PdfUnavailable

    try:
        summary, _ = read_results(results)
    except (OSError, ValueError) as exc:
        _fail(f"{results}: not a results folder written by warroom compare --out ({exc})")
    fmt = fmt or _format_of(out_file, "html")
    try:
        output = render_comparison(summary, fmt)
    except ValueError as exc:
        _fail(f"{results}: {exc}")
    except PdfUnavailable as exc:
        _fail(str(exc))
    _write_report(output, Path(out_file or Path(results) / f"comparison.{fmt}"), "Staffing comparison")


# -- scenarios ------------------------------------------------------------------------

@main.group("scenario")
def scenario_group():
    """Browse the scenario library and exchange MSELs with exercise planners."""


@scenario_group.command("list")
def scenario_list():
    """The bundled scenarios, with their detection path, injects and reference staffing."""
    from reports.text.scenarios import scenario_list_text
    from scenarios import load
    from scenarios.library import bundled

    click.echo(scenario_list_text({name: load(path).document for name, path in bundled("scenario").items()}))


@scenario_group.command("show")
@click.argument("scenario")
@click.option("--notes/--no-notes", default=True, help="Show the facilitator-only notes.")
def scenario_show(scenario, notes):
    """Show SCENARIO: the incident, its objectives and its MSEL (injects) as a table."""
    from reports.text.scenarios import scenario_text

    (loaded,) = _resolve_all([(scenario, "scenario")])
    click.echo(scenario_text(loaded.document, notes))


@scenario_group.command("export-msel")
@click.argument("scenario")
@click.option("-o", "--out", "out_file", default=None, type=click.Path(dir_okay=False),
              help="Write the CSV here instead of standard output.")
def scenario_export_msel(scenario, out_file):
    """Write SCENARIO's injects as an HSEEP-style MSEL CSV."""
    from scenarios.msel import msel_csv

    (loaded,) = _resolve_all([(scenario, "scenario")])
    text = msel_csv(loaded.document)
    if out_file:
        Path(out_file).write_text(text, encoding="utf-8")
        click.echo(f"{len(loaded.document.injects)} injects written to {out_file}")
    else:
        click.echo(text, nl=False)


@scenario_group.command("import-msel")
@click.argument("csv_file", type=click.Path(dir_okay=False))
@click.option("--name", required=True, help="Name of the new scenario.")
@click.option("--base", required=True, metavar="SCENARIO",
              help="The scenario (file or bundled name) whose incident model the injects play on: service, "
                   "impact, detection, diagnosis, workarounds, fix and targets.")
@click.option("-o", "--out", "out_file", required=True, type=click.Path(dir_okay=False),
              help="Where to write the new scenario (YAML).")
def scenario_import_msel(csv_file, name, base, out_file):
    """Turn an HSEEP MSEL CSV into a scenario: its injects on the incident model of --base.

    \b
      warroom scenario export-msel cloudflare-2019-waf -o msel.csv   # edit in a spreadsheet
      warroom scenario import-msel msel.csv --name my-drill --base cloudflare-2019-waf -o my-drill.yaml
    """
    from scenarios import DocumentError, load_text
    from scenarios.msel import read_msel, scenario_from_msel

    (base_doc,) = _resolve_all([(base, "scenario")])
    try:
        scenario = scenario_from_msel(read_msel(csv_file), csv_file, name, base_doc)
        load_text(scenario, f"{csv_file} (as scenario {name})", expect="scenario")
    except DocumentError as exc:
        _fail(exc.problems)
    Path(out_file).write_text(scenario, encoding="utf-8")
    click.echo(f"Scenario {name} written to {out_file}: the injects of {csv_file} on the incident model of "
               f"{base_doc.document.name}. Try it: warroom drill run {out_file} --console")


# -- history: incident-platform exports, their key figures and fitted delays -----------

@main.group("history")
def history_group():
    """Real incident history: read incident-platform exports into one canonical table.

    \b
    Sources (--source): canonical, pagerduty (REST incidents or Analytics raw incidents),
    servicenow (Table API JSON or CSV), opsgenie, incident.io, firehydrant, rootly,
    statuspage, grafana, and drill: your team's drill journals (warroom drill export ID >
    FILE.json, one file or a folder of them). Every time becomes UTC; a milestone the
    platform did not record stays missing (never filled in); drills and test incidents are
    kept and flagged (is_drill) so that real KPIs and fits leave them out. Which field feeds
    which milestone, and how to override it (--mapping): docs/reference/history.md.

    \b
      warroom history import incidents.json --source pagerduty -o history.csv
      warroom history import export.csv --source servicenow --assume-timezone Europe/London -o history.json
      warroom history kpi history.csv --source canonical -o kpis.html
      warroom history fit history.csv --source canonical --staffing cloudflare-2019-sre -o fitted.yaml

    \b
    Rehearsed vs real: set the team's drills beside its real incidents, or fit its drills.
      warroom history kpi incidents.json --source pagerduty --journals drills/ --rehearsed-vs-real
      warroom history fit drills/ --source drill --drills --staffing cloudflare-2019-sre -o rehearsed.yaml

    A ServiceNow CSV is in the exporting user's time zone: name it with --assume-timezone.
    """


def _history_input_options(f):
    """The options every history command shares for reading an export (FILE is the command's)."""
    f = click.option("--assume-timezone", "assume_timezone", default=None, metavar="TZ",
                     help="IANA zone (e.g. Europe/Paris) of times written without an offset, for formats that do "
                          "not define one. Without it such times are errors. Required for a ServiceNow CSV (the "
                          "exporting user's zone); refused for ServiceNow Table API JSON (UTC).")(f)
    f = click.option("--skip-bad-rows", "skip_bad_rows", is_flag=True,
                     help="Leave out rows with problems (each listed as a warning) instead of stopping.")(f)
    f = click.option("--mapping", "mapping", default=None, type=click.Path(dir_okay=False), metavar="FILE",
                     help="A history-mapping YAML: which of the source's fields or milestone names feed which "
                          "canonical milestone, severity names, what counts as major.")(f)
    f = click.option("--journals", "journals", multiple=True, type=click.Path(exists=True), metavar="PATH",
                     help="Drill journals to read beside FILE, as drills (is_drill): a journal (warroom drill export "
                          "ID > FILE.json) or a folder of them. Repeat for more.")(f)
    f = click.option("--source", "source", required=True, type=click.Choice(HISTORY_SOURCES),
                     help="The platform (and so the format) the export comes from; drill for warroom drill journals "
                          "(FILE may then be a folder of them).")(f)
    return f


def _read_history(file, source, mapping=None, skip_bad_rows=False, assume_timezone=None, journals=()):
    """read_history for commands (FILE, then each of `journals` as drill journals, as one
    history): bad input prints every problem and exits 2 (nothing run); with skip_bad_rows
    the rows left out are printed as warnings on stderr and we go on."""
    from scenarios import DocumentError
    from scenarios.history import HistoryError, combined, read_history

    parts, problems = [], []
    for path, kind, given in [(file, source, mapping)] + [(path, "drill", None) for path in journals]:
        try:
            parts.append(read_history(path, kind, mapping=given, skip_bad_rows=skip_bad_rows,
                                      assume_timezone=assume_timezone if kind == source else None))
        except (DocumentError, HistoryError) as exc:
            problems += exc.problems
    if problems:
        _fail(problems)
    try:
        imported = combined(parts)
    except HistoryError as exc:
        _fail(exc.problems)
    for problem in imported.problems:
        click.echo(f"warning: {problem} (row left out)", err=True)
    return imported


@history_group.command("import")
@click.argument("file", type=click.Path())
@_history_input_options
@click.option("-o", "--out", "out_file", default=None, type=click.Path(dir_okay=False),
              help="Write the canonical table here: .csv (empty cells for missing times) or .json "
                   "(warroom.incidents/1, null for missing). Without it, only the summary is printed.")
def history_import(file, source, mapping, skip_bad_rows, assume_timezone, journals, out_file):
    """Read FILE, an export from an incident platform, into the canonical incident table.

    Prints how many incidents were read, how many are drills, and how many rows have each
    milestone. Times are written in UTC ISO 8601 with Z. Drill journals (--source drill, or
    --journals beside another export) also list each drill read and what of it was not taken
    as a measurement (times its script assumed, minutes the facilitator jumped over).

    \b
      warroom history import incidents.json --source pagerduty -o history.csv
      warroom history import drills/ --source drill -o drills.csv
      warroom history import incidents.json --source pagerduty --journals drills/ -o with-drills.csv
    """
    from reports.text.history import history_import_text
    from scenarios.history import write_canonical

    if out_file is not None and Path(out_file).suffix.casefold() not in (".csv", ".json"):
        raise click.BadParameter(f"write the table to a .csv or .json file, got {out_file!r}", param_hint="'-o'")
    imported = _read_history(file, source, mapping, skip_bad_rows, assume_timezone, journals)
    click.echo(history_import_text(imported))
    if out_file is None:
        click.echo("\nNothing written: add -o history.csv or -o history.json to keep the table.")
        return
    try:
        write_canonical(imported.table, out_file, source=source, source_file=file)
    except OSError as exc:
        _fail(f"cannot write {out_file}: {exc.strerror or exc}")
    click.echo(f"\nCanonical table ({len(imported.table)} rows, times in UTC) written to {out_file}")


def _history_provenance(file: str, source: str, imported, journals=()) -> dict:
    from scenarios.history import history_sha256

    out = {"file": str(file), "system": source, "sha256": history_sha256(file), "incidents": int(len(imported.table))}
    if journals:
        out["journals"] = [{"file": str(path), "sha256": history_sha256(path)} for path in journals]
    return out


def _history_scope_options(beside: bool = False):
    """Which incidents a history analysis is about (`beside`: it can also set drills beside real incidents)."""
    def decorate(f):
        f = click.option("--service", default=None, help="Only incidents of this service.")(f)
        if beside:
            f = click.option("--rehearsed-vs-real", "rehearsed", is_flag=True,
                             help="Real incidents' figures with the drills' beside them, metric by metric, and each "
                                  "role's responses to the drill's injects.")(f)
        f = click.option("--drills", "drills_only", is_flag=True,
                         help="Only drills (is_drill rows: drill journals, drill exports): the team's rehearsed times.")(f)
        f = click.option("--include-drills", is_flag=True,
                         help="Keep drills and tests with the real incidents; left out by default, so real figures "
                              "stay real.")(f)
        return f
    return decorate


def _drills_view(include_drills: bool, drills_only: bool, rehearsed: bool = False) -> str:
    chosen = [name for name, given in (("--include-drills", include_drills), ("--drills", drills_only),
                                       ("--rehearsed-vs-real", rehearsed)) if given]
    if len(chosen) > 1:
        raise click.UsageError(f"{' and '.join(chosen)} ask for different incidents: give one of them")
    return "include" if include_drills else "only" if drills_only else "beside" if rehearsed else "exclude"


@history_group.command("kpi")
@click.argument("file", type=click.Path())
@_history_input_options
@_history_scope_options(beside=True)
@click.option("--repeat-window", "repeat_days", type=float, default=30.0, show_default=True,
              help="Days within which a second incident of the same service counts as a repeat.")
@click.option("--majors-only", is_flag=True, help="Only incidents flagged major.")
@click.option("-o", "--out", "out_file", default=None, type=click.Path(dir_okay=False),
              help="Write the report: .html, .md, .json or .pdf by extension.")
@click.option("--json", "as_json", is_flag=True, help="Print the key figures as JSON (warroom.history-kpis/1).")
def history_kpi(file, source, mapping, skip_bad_rows, assume_timezone, journals, include_drills, drills_only,
                rehearsed, service, repeat_days, majors_only, out_file, as_json):
    """Key figures of an incident history: MTTD, MTTA, time to declare and assemble, MTTR (mean
    time to restore service) and time to resolve with medians and p90, MTBF, major incidents per
    month, quarter and service, post-incident reviews, repeats, and what change such a history
    could show at all.

    Drills never count in real figures. --drills shows the drills alone (the team's rehearsed
    times and each role's responses to injects); --rehearsed-vs-real sets them beside the
    real incidents, metric by metric.

    \b
      warroom history kpi history.csv --source canonical
      warroom history kpi incidents.json --source pagerduty --majors-only -o kpis.html
      warroom history kpi history.csv --source canonical --service payments-api --json > kpis.json
      warroom history kpi drills/ --source drill --drills
      warroom history kpi incidents.json --source pagerduty --journals drills/ --rehearsed-vs-real -o kpis.html
    """
    from reports.history import render_history_kpis
    from reports.pdf import PdfUnavailable
    from reports.text.history import history_kpi_text
    from simulator.history.kpi import history_kpis

    view = _drills_view(include_drills, drills_only, rehearsed)
    report_format = _format_of(out_file, "html")  # an unknown extension fails before any work
    imported = _read_history(file, source, mapping, skip_bad_rows, assume_timezone, journals)
    try:
        kpis = history_kpis(imported.table, drills=view, service=service,
                            repeat_window_days=repeat_days, majors_only=majors_only,
                            source=_history_provenance(file, source, imported, journals),
                            responses=imported.responses, journals=imported.journals)
    except ValueError as exc:
        _fail(f"{file}: {exc}")
    if out_file:
        try:
            output = render_history_kpis(kpis, report_format)
        except PdfUnavailable as exc:
            _fail(str(exc))
        _write_report(output, Path(out_file))
    if as_json:
        click.echo(json.dumps(kpis, indent=2))
        return
    click.echo(history_kpi_text(kpis, file, source))
    if out_file:
        click.echo(f"Key figures written to {out_file}")


@history_group.command("fit")
@click.argument("file", type=click.Path())
@_history_input_options
@_history_scope_options()
@click.option("--stage", "stages", multiple=True,
              type=click.Choice(["detect", "acknowledge", "declare", "assemble", "restore", "close"]),
              help="Fit only these stages (repeat the option) [default: all].")
@click.option("--staffing", "staffing_base", default=None,
              help="Base staffing (file or bundled name) to receive the fitted acknowledgement delays.")
@click.option("--scenario", "scenario_base", default=None,
              help="Base scenario (file or bundled name) to receive the fitted detection, restore and close delays.")
@click.option("--classification", "classification_base", default=None,
              help="Base classification policy (file or bundled name, e.g. itil-impact-urgency) to receive the "
                   "fitted triage: the share first classified below the major line and the delay to correct it.")
@click.option("-o", "--out", "out_file", default=None, type=click.Path(dir_okay=False),
              help="Where to write the fitted document (with several bases: NAME.KIND.yaml for each).")
@click.option("--name", default=None, help="Name of the fitted document [default: the base's name + -fitted].")
@click.option("--report", "report_file", default=None, type=click.Path(dir_okay=False),
              help="Write the fit report: .html, .md, .json or .pdf by extension (QQ plot per stage).")
@click.option("--as-of", "as_of", default=None, metavar="TIME",
              help="When the export was taken (ISO 8601, e.g. 2025-06-30T00:00Z): incidents still open are "
                   "censored at this time [default: the latest time recorded among the incidents used].")
@click.option("--json", "as_json", is_flag=True, help="Print the fit as JSON (warroom.history-fit/1).")
def history_fit(file, source, mapping, skip_bad_rows, assume_timezone, journals, include_drills, drills_only,
                service, stages, staffing_base, scenario_base, classification_base, out_file, name, report_file, as_of,
                as_json):
    """Fit lognormal, gamma and Weibull delays to each stage of an incident history by maximum
    likelihood (incidents still open are censored, not dropped), choose by AIC, check by KS, and
    write them into a staffing or scenario the simulator takes.

    Real incidents only, by default. --drills fits the team's drills alone (its rehearsed
    delays: a drill that ended before a stage's end counts as lasting at least until then;
    detection in a drill is the scenario's, so drills never enter the detect stage); the
    output and the fitted document say the figures came from drills. --include-drills pools
    drills with real incidents.

    \b
      warroom history fit history.csv --source canonical --report fit.html
      warroom history fit history.csv --source canonical --stage acknowledge \\
          --staffing cloudflare-2019-sre -o fitted-staffing.yaml
      warroom history fit drills/ --source drill --drills --staffing cloudflare-2019-sre -o rehearsed.yaml
    """
    from reports.history import render_history_fit
    from reports.pdf import PdfUnavailable
    from reports.text.history import history_fit_text, selection_line
    from scenarios import DocumentError
    from scenarios.history.fitted import fitted_document
    from scenarios.library import resolve
    from simulator.history.fitting import fit_history

    report_format = _format_of(report_file, "html")  # an unknown extension fails before any work
    bases = [(kind, base) for kind, base in (("staffing", staffing_base), ("scenario", scenario_base),
                                             ("classification", classification_base)) if base]
    if bases and not out_file:
        _fail("give -o FILE for the fitted document")
    if out_file and not bases:
        _fail("-o writes a fitted document: give --staffing, --scenario or --classification BASE to fit into")
    loaded = []
    for kind, base in bases:
        try:
            loaded.append((kind, resolve(base, kind)))
        except DocumentError as exc:
            _fail(exc.problems)
    view = _drills_view(include_drills, drills_only)
    imported = _read_history(file, source, mapping, skip_bad_rows, assume_timezone, journals)
    provenance = _history_provenance(file, source, imported, journals)
    try:
        fit = fit_history(imported.table, stages=list(stages) or None, drills=view,
                          service=service, source=provenance, as_of=as_of)
    except ValueError as exc:
        _fail(f"{file}: {exc}")
    fitted = fit.to_dict()
    if as_json:
        click.echo(json.dumps(fitted, indent=2))
    else:
        click.echo(history_fit_text(fit, file, source))
    history_line = (f"{file} ({source}), {selection_line(fitted['incidents'], hint=False)}"
                    + (f", service {service}" if service else ""))
    for kind, base in loaded:
        try:
            text = fitted_document(base, fit.fitted_delays(), history=history_line, name=name)
        except ValueError as exc:
            _fail(f"{file}: {exc}")
        target = Path(out_file)
        if len(loaded) > 1:
            target = target.with_name(f"{target.stem}.{kind}{target.suffix or '.yaml'}")
        _write_report(text, target, None if as_json else f"Fitted {kind}")
    if report_file:
        try:
            output = render_history_fit(fitted, report_format)
        except PdfUnavailable as exc:
            _fail(str(exc))
        _write_report(output, Path(report_file), None if as_json else "Fit report")


# -- sensitivity and optimize ---------------------------------------------------------

def _search_options(replications: int):
    """Options shared by sensitivity and optimize: documents, size, seed, where it runs, output."""
    from scenarios.library import DEFAULT_PLAYBOOK
    from simulator.run.settings import EXECUTORS

    def decorate(f):
        options = [
            click.option("--playbook", "playbook", default=None, metavar="FILE",
                         help=f"Playbook document or bundled name [default: {DEFAULT_PLAYBOOK}]."),
            click.option("-n", "--replications", default=replications, show_default=True, type=click.IntRange(2),
                         help="Incidents simulated per variant or candidate (single-incident mode)."),
            click.option("--seed", default=1, show_default=True, type=int,
                         help="One seed for every run: each variant or candidate sees the same incidents."),
            click.option("-j", "--jobs", default=1, show_default=True, type=click.IntRange(1),
                         help="Local worker processes (or, with --executor dask, LocalCluster workers); "
                              "results are identical for any value."),
            click.option("--executor", type=click.Choice(EXECUTORS), default="local", show_default=True,
                         help="local: this machine; dask: one Dask LocalCluster started for the whole sweep."),
            click.option("--scheduler", default=None, metavar="URL",
                         help="Run on the Dask cluster whose scheduler is at URL (e.g. tcp://10.0.0.5:8786)."),
            click.option("--report", "report", default=None, type=click.Path(dir_okay=False),
                         help="Also write a report (.html, .md, .pdf or .json by its extension)."),
            click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object."),
            click.option("-q", "--quiet", is_flag=True, help="No progress bar."),
        ]
        for option in reversed(options):
            f = option(f)
        return f
    return decorate


def _search_report(result: dict, report: str, render) -> None:
    from reports.pdf import PdfUnavailable

    try:
        output = render(result, _format_of(report, "html"))
    except PdfUnavailable as exc:
        _fail(str(exc))
    _write_report(output, Path(report))


def _print_json(result: dict) -> None:
    # The terminal gets each input's name, source and hash; --report FILE.json keeps full copies.
    for item in result["inputs"]:
        item.pop("text", None)
    click.echo(json.dumps(result, indent=2))


@main.command("sensitivity")
@click.argument("scenario")
@click.option("--staffing", "staffing", required=True, metavar="FILE", help="The baseline staffing (file or bundled name).")
@click.option("--change", default="25%", show_default=True, metavar="AMOUNT",
              help="How far each delay or factor moves, down and up: 25% or 0.25. People on call move by one.")
@click.option("--target", "target", default=None, metavar="EXPR",
              help="A target on time to restore, e.g. 'p90(time_to_restore) <= 30m' (mean, p50 or p90): "
                   "also say how far the baseline is from it and which change closes most of the gap per unit "
                   "of cost.")
@_search_options(replications=2000)
def sensitivity_command(scenario, staffing, change, target, playbook, replications, seed, jobs, executor, scheduler,
                        report, as_json, quiet):
    """Which change to the staffing, the scenario or the playbook is worth making? Move each
    parameter on its own and see what it does to time to restore (MTTR) and what it costs.

    MTTR means mean time to restore service. Every role's and resolver group's people on call
    (-1 and +1, the rota in step so that each person keeps their share of on-call time),
    acknowledgement delays at work and from the pager, escalation timeout and skill factor,
    the scenario's diagnosis time, and the playbook's declaration delay and communications
    overhead are moved down and up by --change, one at a time. Each variant sees the same
    incidents as the baseline (common random numbers), so its effect on p90 time to restore
    is a paired difference with a 95% confidence interval, shown beside its staffing cost
    per year.

    The answer starts with what a decision needs: the largest improvement at no added
    staffing cost, the best value for staffing money (minutes of p90 saved per 100k a
    year), the largest saving with no clear effect, and the largest harm. Then the changes,
    grouped: improvements (best value first), harms (largest first), changes with no clear
    effect, and doing without a role altogether, which is kept out of the ranking. Changes
    that are impossible, never used or change nothing are listed as not run. Tables fit the
    terminal; to a file or pipe they fit 80 columns, or COLUMNS if set.

    \b
      warroom sensitivity cloudflare-2019-waf --staffing cloudflare-2019-sre
      warroom sensitivity cloudflare-2019-waf --staffing cloudflare-2019-sre --target "p90(time_to_restore) <= 30m"
      warroom sensitivity gitlab-2017-database --staffing gitlab-2017-oncall --change 50% -n 5000 \\
          --report sensitivity.html
      warroom sensitivity cloudflare-2019-waf --staffing cloudflare-2019-sre --executor dask --jobs 4 --json
    """
    from reports.sensitivity import render_sensitivity
    from reports.text.studies import sensitivity_text
    from scenarios import DocumentError
    from scenarios.library import DEFAULT_PLAYBOOK
    from simulator import SimulationError

    if report:
        _format_of(report, "html")  # an unknown extension fails before any simulation
    from simulator.studies.sensitivity import parse_change, sensitivity, sweep_runs
    from simulator.studies.variation import sensitivity_variants

    try:
        fraction = parse_change(change)
    except SimulationError as exc:
        raise click.BadParameter(str(exc), param_hint="--change")
    parsed = _target_option(target)
    if parsed is not None:
        if parsed.metric != "time_to_restore" or parsed.statistic not in ("mean", "p50", "p90"):
            raise click.BadParameter(f"the sweep measures the mean, p50 or p90 of time_to_restore, got {target!r}",
                                     param_hint="--target")
    sc, st, pb = _resolve_all([(scenario, "scenario"), (staffing, "staffing"), (playbook or DEFAULT_PLAYBOOK, "playbook")])
    try:
        found = sensitivity_variants(sc, st, pb, fraction)
    except DocumentError as exc:
        _fail(exc.problems)
    progress = _Progress(replications * sweep_runs(found[0]), "Sensitivity", enabled=not quiet)
    result = _running(progress, lambda: sensitivity(
        sc, st, pb, change=fraction, replications=replications, seed=seed, jobs=jobs, executor=executor,
        scheduler=scheduler, progress=progress, variants=found, target=parsed))
    out = result.to_dict()
    if report:
        _search_report(out, report, render_sensitivity)
    if as_json:
        _print_json(out)
        return
    click.echo(sensitivity_text(out, scenario=sc.document.name, staffing=st.document.name, playbook=pb.document.name,
                                change=fraction, replications=replications, seed=seed))
    if report:
        click.echo(f"Report written to {report}")


@main.command("optimize")
@click.argument("scenario")
@click.option("--staffing-space", "space", required=True, metavar="FILE",
              help="A staffing_space document: a base staffing and the headcounts and cover to try.")
@click.option("--target", "target", required=True, metavar="EXPR",
              help="What must hold, e.g. 'p90(time_to_restore) <= 60m' or 'mean(time_to_acknowledge) <= 5m'.")
@click.option("--confidence", default=0.95, show_default=True, type=click.FloatRange(0, 1, min_open=True, max_open=True),
              help="The upper end of this confidence interval of the statistic must be within the limit.")
@click.option("--exhaustive", is_flag=True,
              help="Simulate every candidate (the whole cost frontier), not only up to the cheapest that meets the target.")
@_search_options(replications=2000)
@_adaptive_options
@click.pass_context
def optimize_command(ctx, scenario, space, target, confidence, exhaustive, playbook, replications, seed, jobs, executor,
                     scheduler, report, as_json, quiet, adaptive, margin, first_round, round_size, max_replications):
    """Find the cheapest staffing that meets a target on SCENARIO, with stated confidence.

    The staffing space (kind: staffing_space) names a base staffing and, per role or
    resolver group, the people on call, rota sizes and coverage to try. Candidates are
    simulated cheapest first (staffing cost per year), each on the same incidents, until one
    meets the target: the upper end of its confidence interval must be within the limit.
    Candidates with no more people on call than one that missed are pruned (more people on
    call is assumed never slower; the assumption is checked on the simulated candidates).
    Prints every candidate's figures, the frontier of cost against the target's statistic,
    and the choice, and says in words why each candidate meets or misses: a candidate whose
    estimate is within the limit but whose interval is not is shown as missing, with roughly
    how many replications would settle it. With --adaptive each candidate is simulated in
    rounds until a sequential test settles whether it meets the target (within --margin), so
    no fixed -n has to be guessed. MTTR means mean time to restore service.

    \b
      warroom optimize cloudflare-2019-waf --staffing-space docs/examples/cloudflare-2019-space.yaml \\
          --target "p90(time_to_restore) <= 45m"
      warroom optimize cloudflare-2019-waf --staffing-space docs/examples/cloudflare-2019-space.yaml \\
          --target "p90(time_to_restore) <= 45m" --adaptive
      warroom optimize cloudflare-2019-waf --staffing-space my-space.yaml \\
          --target "mean(time_to_acknowledge) <= 3m" --confidence 0.99 --exhaustive --report search.html
    """
    from reports.optimize import render_optimize
    from reports.text.studies import optimize_text
    from scenarios import DocumentError
    from scenarios.library import DEFAULT_PLAYBOOK

    if report:
        _format_of(report, "html")  # an unknown extension fails before any simulation
    from simulator.studies.candidates import expand
    from simulator.studies.optimize import optimize

    parsed = _target_option(target)
    settings = _adaptive_settings(ctx, adaptive, parsed, confidence, margin, None, first_round, round_size,
                                  max_replications)
    sc, sp, pb = _resolve_all([(scenario, "scenario"), (space, "staffing_space"), (playbook or DEFAULT_PLAYBOOK, "playbook")])
    try:
        expansion = expand(sp)
    except DocumentError as exc:
        _fail(exc.problems)
    per_candidate = replications if settings is None else settings.max_replications
    progress = _Progress(per_candidate * len(expansion.candidates), "Searching", enabled=not quiet)
    result = _running(progress, lambda: optimize(
        sc, expansion, parsed, pb, confidence=confidence, replications=replications, seed=seed, jobs=jobs,
        executor=executor, scheduler=scheduler, progress=progress, exhaustive=exhaustive, adaptive=settings))
    out = result.to_dict()
    if report:
        _search_report(out, report, render_optimize)
    if as_json:
        _print_json(out)
        return
    click.echo(optimize_text(out, scenario=sc.document.name, target=parsed, confidence=confidence,
                             replications=replications, seed=seed))
    if report:
        click.echo(f"Report written to {report}")


if __name__ == "__main__":
    main()
