"""warroom's command line: a thin click layer over scenarios, simulator and reports.

Exit codes: 0 ok, 1 a run failed, 2 invalid input or usage (no traceback for a user's
mistake).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import click

from reports.artifacts import write_results
from reports.terminal import comparison_table, metrics_table
from scenarios import DOCUMENT_KINDS, DocumentError, Problem, check_together, load, parse_duration
from scenarios.library import DEFAULT_PLAYBOOK, bundled, resolve
from scenarios.scenario import FixedStart, UniformWeek
from scenarios.version import TOOL_VERSION
from simulator import MODES, SimulationError, compare as run_compare

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


_START = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)\w*\s+(\d{1,2}:\d{2})(?:\s+(\S+))?$", re.I)


def _parse_start(text: str | None):
    if text is None:
        return None
    if text.strip().lower() in ("uniform", "uniform_week", "any"):
        return UniformWeek(policy="uniform_week")
    match = _START.match(text.strip())
    if not match:
        raise click.BadParameter(f"expected 'uniform' or a weekday and UTC time such as 'tue 13:42' (optionally a time zone), got {text!r}")
    try:
        return FixedStart(policy="fixed", weekday=match[1].lower()[:3], time=match[2], timezone=match[3] or "UTC")
    except Exception as exc:  # pydantic's message names the bad part
        raise click.BadParameter(str(exc).splitlines()[-1])


def _duration(_ctx, _param, value):
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
    """


@main.command("list")
def list_documents():
    """List the bundled scenarios, staffing options and playbooks."""
    for kind in DOCUMENT_KINDS:
        docs = bundled(kind)
        click.echo(f"{kind}s:")
        for name, path in docs.items():
            title = load(path).document.title
            click.echo(f"  {name:<24} {title}")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate(files):
    """Check documents without running anything.

    Reports every problem at once (file:line: field.path: message, got value) and exits
    with code 2 if there is any. Given a scenario and staffing files together (and
    optionally a playbook, otherwise the default one), also checks that they fit: every
    resolver group the scenario needs is staffed, every step has someone to do it.
    """
    problems: list[Problem] = []
    loaded = []
    for file in files:
        try:
            doc = load(file)
            loaded.append(doc)
        except DocumentError as exc:
            problems.extend(exc.problems)
    by_kind: dict[str, list] = {}
    for doc in loaded:
        by_kind.setdefault(doc.document.kind, []).append(doc)
    if by_kind.get("scenario") and by_kind.get("staffing"):
        playbooks = by_kind.get("playbook") or [resolve(DEFAULT_PLAYBOOK, "playbook")]
        for sc in by_kind["scenario"]:
            for st in by_kind["staffing"]:
                for pb in playbooks:
                    problems.extend(check_together(sc, st, pb))
    for doc in loaded:
        if not any(p.file == doc.source for p in problems):
            click.echo(f"ok: {doc.source} ({doc.document.kind} {doc.document.name!r})")
    if problems:
        _fail(problems)


@main.command()
@click.argument("kind", type=click.Choice(sorted(DOCUMENT_KINDS)))
def schema(kind):
    """Print the JSON Schema of a document KIND (for editors' validation and autocomplete)."""
    model = DOCUMENT_KINDS[kind]
    out = model.model_json_schema(mode="validation")
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    out["title"] = f"warroom {kind} document, version 1"
    click.echo(json.dumps(out, indent=2))


def _run_options(f):
    options = [
        click.option("--playbook", "playbook", default=None, metavar="FILE",
                     help=f"Playbook document or bundled name [default: {DEFAULT_PLAYBOOK}]."),
        click.option("-n", "--replications", default=1000, show_default=True, type=click.IntRange(1),
                     help="Replications: incidents in single mode, horizons in stream mode."),
        click.option("--seed", default=1, show_default=True, type=int, help="One seed for the whole run."),
        click.option("-j", "--jobs", default=1, show_default=True, type=click.IntRange(1),
                     help="Worker processes; results are identical for any value."),
        click.option("--mode", type=click.Choice(MODES), default="single", show_default=True,
                     help="single: one incident per replication; stream: a horizon of Poisson arrivals contending for people."),
        click.option("--start", default=None, metavar="WHEN",
                     help="Override the scenario's start-time policy: 'uniform', or e.g. 'tue 13:42' (UTC) or 'mon 09:00 Europe/London'."),
        click.option("--horizon", default="365d", show_default=True, callback=_duration,
                     help="Stream mode: length of each replication."),
        click.option("--warmup", default="0m", show_default=True, callback=_duration,
                     help="Stream mode: incidents arriving before this are discarded."),
        click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False),
                     help="Write summary.json, incidents.parquet and incidents.csv here."),
        click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object."),
        click.option("-q", "--quiet", is_flag=True, help="No progress bar."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _execute(scenario_args, staffing_args, playbook, replications, seed, jobs, mode, start, horizon, warmup,
             out_dir, as_json, quiet):
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
    if problems:
        _fail(problems)
    total = replications * len(staffings)
    progress = _Progress(total, "Simulating", enabled=not quiet)
    try:
        result = run_compare(
            scenarios, staffings, book, replications=replications, seed=seed, jobs=jobs, mode=mode,
            start=_parse_start(start), horizon=horizon, warmup=warmup, progress=progress,
        )
    except DocumentError as exc:
        progress.close()
        _fail(exc.problems)
    except SimulationError as exc:
        progress.close()
        _fail(str(exc))
    progress.close()
    summary = result.to_dict()
    if out_dir:
        paths = write_results(result, out_dir)
        summary["files"] = [str(p) for p in paths]
    if as_json:
        # The terminal gets each input's name, source and hash; summary.json keeps full copies.
        for item in summary["inputs"]:
            item.pop("text", None)
        click.echo(json.dumps(summary, indent=2))
        return
    _print_human(summary, out_dir)


def _print_human(summary: dict, out_dir):
    scenario_names = ", ".join(i["name"] for i in summary["inputs"] if i["kind"] == "scenario")
    unit = "incidents" if summary["mode"] == "single" else "horizons"
    click.echo(f"Scenario {scenario_names}: {summary['replications']} {unit} per option, "
               f"mode {summary['mode']}, seed {summary['seed']}")
    click.echo()
    counts = [sum(o["detection_paths"].values()) for o in summary.get("options", [summary])]
    if summary["mode"] == "stream" and not any(counts):
        click.echo("No incident arrived within the horizon: raise the scenario's frequency or --horizon.")
        return
    if "options" in summary:
        click.echo(comparison_table(summary))
        click.echo()
        for line in summary["verdict"]:
            click.echo("* " + line)
    else:
        click.echo(f"Staffing {summary['option']}")
        click.echo(metrics_table(summary))
        costs = summary["costs"]
        click.echo()
        per_year = costs["incidents_per_year"]
        click.echo(f"Expected outage cost {costs['outage_cost_per_year']:,.0f} a year "
                   f"({per_year:.3g} incident{'' if per_year == 1 else 's'} a year); "
                   f"staffing {costs['staffing_cost_per_year']:,.0f} a year.")
    if out_dir:
        click.echo()
        click.echo(f"Results written to {Path(out_dir)}/ (summary.json, incidents.parquet, incidents.csv)")


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
@_run_options
def compare(scenario, staffing, **kwargs):
    """Compare staffing options on SCENARIO by simulated time to restore (MTTR).

    Every option sees the same incidents (common random numbers), so differences are
    paired: the verdict gives each option's change in p90 time to restore against the
    first option, with a 95% confidence interval, and the staffing cost difference.
    """
    if len(staffing) < 2:
        raise click.UsageError("compare needs at least two --staffing options (use simulate for one)")
    _execute(scenario, list(staffing), **kwargs)


if __name__ == "__main__":
    main()
