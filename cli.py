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
from pydantic import ValidationError

from drills import DEFAULT_STORE, DrillDocuments, DrillError, DrillSession, DrillStore, Journal, play, score
from drills.baseline import BASELINE_REPLICATIONS, simulated_responses
from reports.artifacts import IncidentWriter, write_summary
from reports.scorecard_text import scorecard_text
from reports.terminal import comparison_table, metrics_table, table
from scenarios import (DOCUMENT_KINDS, DocumentError, Problem, check_drill, check_together, load,
                       load_text, parse_duration)
from scenarios.msel import msel_csv, msel_rows, scenario_from_msel
from scenarios.roster import roster_for
from scenarios.library import DEFAULT_PLAYBOOK, bundled, resolve
from scenarios.scenario import FixedStart, UniformWeek
from scenarios.version import TOOL_VERSION
from simulator import EXECUTORS, MODES, SimulationError, compare as run_compare

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
    except ValidationError as exc:  # pydantic's message names the bad part
        raise click.BadParameter("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors()))


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
    """List the bundled documents: scenarios, staffing options, playbooks, rosters, responses."""
    plural = {"scenario": "scenarios", "staffing": "staffing options", "playbook": "playbooks",
              "roster": "rosters", "responses": "responses (scripted drills)",
              "improvement_plan": "improvement plans"}
    for kind in DOCUMENT_KINDS:
        docs = bundled(kind)
        width = max((len(n) for n in docs), default=0)
        click.echo(f"{plural[kind]}:")
        for name, path in docs.items():
            title = load(path).document.title
            click.echo(f"  {name:<{width}}  {title}")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate(files):
    """Check documents without running anything.

    Reports every problem at once (file:line: field.path: message, got value) and exits
    with code 2 if there is any. Given a scenario and staffing files together (and
    optionally a playbook, otherwise the default one), also checks that they fit: every
    resolver group the scenario needs is staffed, every step has someone to do it. A
    responses file is checked against its scenario and roster (given alongside, or the
    ones it names): roles, workarounds, causes and topics it uses must exist.
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
    problems.extend(_check_drill_documents(by_kind))
    for doc in loaded:
        if not any(p.file == doc.source for p in problems):
            click.echo(f"ok: {doc.source} ({doc.document.kind} {doc.document.name!r})")
    if problems:
        _fail(problems)


def _check_drill_documents(by_kind: dict) -> list[Problem]:
    """Rosters and responses against their scenario: given alongside, or named inside."""
    problems: list[Problem] = []
    scenarios = {d.document.name: d for d in by_kind.get("scenario", [])}
    for sc in list(scenarios.values()):
        for alias in sc.document.aliases:
            scenarios[alias] = sc

    def scenario_for(name):
        if name in scenarios:
            return scenarios[name]
        try:
            return resolve(name, "scenario")
        except DocumentError as exc:
            problems.extend(exc.problems)
            return None

    rosters = {d.document.name: d for d in by_kind.get("roster", [])}
    for rs in by_kind.get("responses", []):
        sc = scenario_for(rs.document.scenario)
        named = rs.document.roster
        roster = rosters.get(named) if named else (next(iter(rosters.values())) if len(rosters) == 1 else None)
        if roster is None and named:
            try:
                roster = resolve(named, "roster")
            except DocumentError as exc:
                problems.extend(exc.problems)
        if sc is not None and roster is not None:
            problems.extend(check_drill(sc, roster, rs))
    if not by_kind.get("responses") and len(by_kind.get("scenario", [])) == 1:
        for roster in rosters.values():
            problems.extend(check_drill(by_kind["scenario"][0], roster))
    return problems


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
                     help="Override the scenario's start-time policy: 'uniform', or e.g. 'tue 13:42' (UTC) or 'mon 09:00 Europe/London'."),
        click.option("--horizon", default="365d", show_default=True, callback=_duration,
                     help="Stream mode: length of each replication."),
        click.option("--warmup", default="0m", show_default=True, callback=_duration,
                     help="Stream mode: incidents arriving before this are discarded."),
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


def _execute(scenario_args, staffing_args, playbook, replications, seed, jobs, executor, scheduler, mode, start,
             horizon, warmup, out_dir, no_incidents, as_json, quiet, report=None):
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
    progress = _Progress(replications, "Simulating", enabled=not quiet)
    writer = IncidentWriter(out_dir) if out_dir and not no_incidents else None
    try:
        result = run_compare(
            scenarios, staffings, book, replications=replications, seed=seed, jobs=jobs, mode=mode,
            start=_parse_start(start), horizon=horizon, warmup=warmup, progress=progress,
            incident_sink=writer, executor=executor, scheduler=scheduler,
        )
    except (DocumentError, SimulationError) as exc:
        progress.close()
        if writer is not None:
            writer.close()
            for path in writer.paths:
                path.unlink(missing_ok=True)
        _fail(exc.problems if isinstance(exc, DocumentError) else str(exc))
    progress.close()
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
    _print_human(summary, out_dir)
    if report:
        click.echo(f"Report written to {report}")


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
        click.echo(f"Results written to {Path(out_dir)}/ ({', '.join(Path(f).name for f in summary['files'])})")


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
@_run_options
def compare(scenario, staffing, report, **kwargs):
    """Compare staffing options on SCENARIO by simulated time to restore (MTTR).

    Every option sees the same incidents (common random numbers), so differences are
    paired: the verdict gives each option's change in p90 time to restore against the
    first option, with a 95% confidence interval, and the staffing cost difference.
    """
    if len(staffing) < 2:
        raise click.UsageError("compare needs at least two --staffing options (use simulate for one)")
    _execute(scenario, list(staffing), report=report, **kwargs)


# -- drills ---------------------------------------------------------------------------

def _store_option(f):
    return click.option("--store", "store_path", default=str(DEFAULT_STORE), show_default=True,
                        envvar="WARROOM_STORE", metavar="FILE",
                        help="The drill journal (SQLite); also $WARROOM_STORE.")(f)


def _open_store(path: str) -> DrillStore:
    try:
        return DrillStore(path)
    except DrillError as exc:
        _fail(str(exc))


def _resolve_all(pairs) -> list:
    """Resolve (argument, kind) pairs; report every problem at once."""
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
    documents = DrillDocuments.from_record(journal.record)
    staffing_doc = documents.staffing
    if staffing is not None:
        (staffing_doc,) = _resolve_all([(staffing, "staffing")])
    simulated, about = simulated_responses(documents.scenario, staffing_doc, documents.playbook,
                                           seed=journal.record.seed, replications=replications,
                                           start_minute=journal.record.start_minute)
    return score(journal, simulated, about).to_dict()


def _baseline_options(f):
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
    if bool(responses) == bool(console):
        raise click.UsageError("give either --responses FILE (scripted) or --console (live)")
    if responses and roster is None:
        (responses_doc,) = _resolve_all([(responses, "responses")])
        roster = responses_doc.document.roster
    documents = _drill_documents(scenario, roster, playbook, staffing)
    start_minute = None
    if start is not None:
        policy = _parse_start(start)
        start_minute = getattr(policy, "minute_of_week", None)
    store = _open_store(store_path)
    if console:
        from drills.clock import DrillClock

        session = DrillSession.create(store, documents, seed=seed, mode="console", speed=speed,
                                      start_minute=start_minute, clock=DrillClock(speed=speed))
        _console(session, store, replications)
        return
    (responses_doc,) = _resolve_all([(responses, "responses")])
    try:
        session = play(store, documents, responses_doc, seed=seed, start_minute=start_minute)
    except DocumentError as exc:
        _fail(exc.problems)
    card = _scorecard(Journal.from_store(store, session.record.id), None, replications)
    store.update(session.record.id, status="ended", extra={**session.record.extra, "scorecard": card})
    _emit_scorecard(card, as_json, out_file, store_path)


def _emit_scorecard(card: dict, as_json: bool, out_file: str | None, store_path: str | None = None) -> None:
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
    click.echo(scorecard_text(card))
    if out_file:
        click.echo(f"\nScorecard written to {out_file}")
    where = "" if store_path in (None, str(DEFAULT_STORE)) else f" --store {store_path}"
    click.echo(f"Journal: warroom drill export {card['drill']['id']}{where}")


def _console(session: DrillSession, store: DrillStore, replications: int) -> None:
    from drills.console import run_console

    run_console(session)
    if session.status == "ended":
        card = _scorecard(Journal.from_store(store, session.record.id), None, replications)
        store.update(session.record.id, status="ended", extra={**session.record.extra, "scorecard": card})
        click.echo(scorecard_text(card))
    else:
        click.echo(f"Drill {session.record.id} left {session.status}; carry on with: warroom drill resume {session.record.id}")


def _serve_options(f):
    f = click.option("--port", default=8750, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")(f)
    f = click.option("--host", default="127.0.0.1", show_default=True,
                     help="Address to bind; only this machine can connect unless you give e.g. 0.0.0.0.")(f)
    return f


def _serve(store: DrillStore, host: str, port: int) -> None:
    import uvicorn

    from drills.web import create_app

    click.echo(f"Serving live drills on http://{host}:{port}/ (Ctrl-C to stop; drills resume where they were)")
    uvicorn.run(create_app(store), host=host, port=port, log_level="warning")


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
def drill_start(scenario, roster, web, speed, staffing, playbook, seed, start, no_serve, host, port, store_path):
    """Create a live drill of SCENARIO for browsers and print everyone's link.

    The facilitator link controls the clock; each participant's link shows only what
    their role would see and lets them act only as that role; evaluators rate the
    objectives. Then the server starts (unless --no-serve) on 127.0.0.1.
    """
    from drills.web import links, open_web_drill

    documents = _drill_documents(scenario, roster, playbook, staffing)
    start_minute = getattr(_parse_start(start), "minute_of_week", None) if start else None
    store = _open_store(store_path)
    session, grants = open_web_drill(store, documents, seed=seed, speed=speed, start_minute=start_minute)
    base = f"http://{host}:{port}"
    click.echo(f"Drill {session.record.id}: {session.record.title}")
    for access, url in links(base, grants):
        who = f"{access.person} ({access.role})" if access.role else access.person
        click.echo(f"  {access.capability:<12} {who:<44} {url}")
    click.echo("Send each person only their own link. Start the clock from the facilitator page.")
    if not no_serve:
        _serve(store, host, port)


@drill.command("serve")
@_serve_options
@_store_option
def drill_serve(host, port, store_path):
    """Serve the live drills of the journal to browsers (resuming any that were running)."""
    _serve(_open_store(store_path), host, port)


@drill.command("links")
@click.argument("drill_id")
@_serve_options
@_store_option
def drill_links(drill_id, host, port, store_path):
    """Print the links of live drill DRILL_ID again."""
    from drills.web import links

    store = _open_store(store_path)
    try:
        record = store.get(drill_id)
    except DrillError as exc:
        _fail(str(exc))
    for access, url in links(f"http://{host}:{port}", store.grants(record.id)):
        who = f"{access.person} ({access.role})" if access.role else access.person
        click.echo(f"  {access.capability:<12} {who:<44} {url}")


@drill.command("resume")
@click.argument("drill_id")
@_baseline_options
@_store_option
def drill_resume(drill_id, replications, store_path):
    """Rebuild drill DRILL_ID from its journal and carry on in the console.

    The clock restarts at the scenario minute of the last recorded event (it does not
    run while the drill is down); every acknowledged action is kept, none is repeated.
    """
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
    if not Path(store_path).exists():
        click.echo(f"No drills yet ({store_path} does not exist).")
        return
    store = _open_store(store_path)
    rows, data = [], []
    for record in store.list():
        count, last = store.summary(record.id)
        card = record.extra.get("scorecard")
        data.append({"id": record.id, "scenario": record.scenario, "team": record.team, "mode": record.mode,
                     "status": record.status, "created": record.created, "events": count,
                     "scenario_minute": last, "score": card["score"] if card else None})
        rows.append([record.id, record.scenario, record.team, record.mode, record.status,
                     record.created[:16].replace("T", " "), str(count), f"{last:.1f}",
                     f"{card['score']:.0f}" if card else ""])
    if as_json:
        click.echo(json.dumps(data, indent=2))
    elif not rows:
        click.echo("No drills yet.")
    else:
        click.echo(table(["drill", "scenario", "team", "mode", "state", "created (UTC)", "events", "minute", "score"], rows,
                         "llllllrrr"))


@drill.command("export")
@click.argument("drill_id")
@click.option("-o", "--out", "out_file", default=None, type=click.Path(dir_okay=False),
              help="Write the journal here instead of standard output.")
@_store_option
def drill_export(drill_id, out_file, store_path):
    """Write drill DRILL_ID's journal as JSON (format warroom.journal/1)."""
    store = _open_store(store_path)
    try:
        journal = Journal.from_store(store, drill_id)
    except DrillError as exc:
        _fail(str(exc))
    text = json.dumps(journal.to_dict(), indent=2)
    if out_file:
        Path(out_file).write_text(text + "\n", encoding="utf-8")
        click.echo(f"Journal of {journal.record.id} ({len(journal.events)} events) written to {out_file}")
    else:
        click.echo(text)


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
    if Path(drill).is_file():
        try:
            journal = Journal.from_dict(json.loads(Path(drill).read_text(encoding="utf-8")))
            DrillDocuments.from_record(journal.record)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            _fail(f"{drill}: not a warroom journal ({type(exc).__name__}: {exc})")
        except DrillError as exc:
            _fail(f"{drill}: {exc}")
        except DocumentError as exc:
            _fail(exc.problems)
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
    journal = _journal_of(drill, store_path)
    card = journal.record.extra.get("scorecard") if journal.ended else None
    if card is None or card.get("format") != "warroom.scorecard/1":
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
    from reports.aar import plan_template as template_of, render_aar
    from reports.pdf import PdfUnavailable

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


def _format_of(path: str | None, default: str) -> str:
    suffix = Path(path).suffix.lower().lstrip(".") if path else ""
    return {"htm": "html", "markdown": "md"}.get(suffix, suffix) if suffix in ("html", "htm", "md", "markdown",
                                                                               "json", "pdf") else default


@report_group.command("trend")
@click.option("--team", required=True, help="The team (the roster's team:) whose drills to follow.")
@click.option("-f", "--format", "fmt", type=click.Choice(["html", "md", "json"]), default=None,
              help="[default: from -o's extension, else html]")
@click.option("-o", "--out", "out_file", default=None, type=click.Path(dir_okay=False),
              help="Where to write it [default: trend-TEAM.html here; md and json to standard output].")
@_store_option
def report_trend(team, fmt, out_file, store_path):
    """How TEAM's score and times move over its successive drills (ended drills in the journal)."""
    from reports.trend import render_trend

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
        if card is None or card.get("format") != "warroom.scorecard/1":
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
    rows = []
    for name, path in bundled("scenario").items():
        sc = load(path).document
        paths = sorted({j.detects for j in sc.injects if j.detects})
        rows.append([name, sc.title[:60], ", ".join(paths) or "-", str(len(sc.injects)), sc.reference_staffing or "-"])
    click.echo(table(["scenario", "title", "detected by", "injects", "reference staffing"], rows, "lllrl"))


@scenario_group.command("show")
@click.argument("scenario")
@click.option("--notes/--no-notes", default=True, help="Show the facilitator-only notes.")
def scenario_show(scenario, notes):
    """Show SCENARIO: the incident, its objectives and its MSEL (injects) as a table."""
    (loaded,) = _resolve_all([(scenario, "scenario")])
    sc = loaded.document
    click.echo(f"{sc.name}: {sc.title}")
    if sc.description:
        click.echo(click.wrap_text(" ".join(sc.description.split()), 100, initial_indent="  ", subsequent_indent="  "))
    click.echo(f"Service: {sc.service.name}; impact {sc.impact.share:.0%} lost, {sc.impact.cost_per_minute:,.0f} a minute")
    targets = ", ".join(f"{k} {v:g}m" for k, v in sc.all_targets.items())
    click.echo(f"Targets: {targets}")
    if sc.workarounds:
        click.echo("Workarounds: " + "; ".join(f"{w.key}{'' if w.effective else ' (wrong)'}" for w in sc.workarounds))
    if sc.diagnosis.causes:
        click.echo("Causes: " + "; ".join(f"{c.id}{' (the real one)' if c.correct else ''}" for c in sc.diagnosis.causes))
    if sc.objectives:
        click.echo("Objectives:")
        for o in sc.objectives:
            click.echo(f"  {o.id}: {o.title}")
    if not sc.injects:
        click.echo("No injects: this scenario is for simulation only.")
        return
    click.echo()
    click.echo("Master scenario events list")
    rows = []
    for row in msel_rows(sc):
        when = row["time"] or ""
        if row["condition"]:
            when = (when + " if " if when else "when ") + row["condition"]
        if row["requested"]:
            when = (when + ", " if when else "") + f"on request: {row['requested']}"
        kind = "" if row["type"] == "standard" else row["type"].replace("_", " ")
        cells = [row["id"], when[:48], row["delivery"], row["to"][:28], row["subject"][:50],
                 row["expected_action_verb"], kind]
        if notes:
            cells.append(row["notes"][:40])
        rows.append(cells)
    header = ["inject", "when", "channel", "to", "subject", "expects", "type"] + (["facilitator notes"] if notes else [])
    click.echo(table(header, rows, "l" * len(header)))


@scenario_group.command("export-msel")
@click.argument("scenario")
@click.option("-o", "--out", "out_file", default=None, type=click.Path(dir_okay=False),
              help="Write the CSV here instead of standard output.")
def scenario_export_msel(scenario, out_file):
    """Write SCENARIO's injects as an HSEEP-style MSEL CSV."""
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
    (base_doc,) = _resolve_all([(base, "scenario")])
    try:
        text = Path(csv_file).read_text(encoding="utf-8")
    except OSError as exc:
        _fail(f"{csv_file}: cannot read: {exc}")
    try:
        scenario = scenario_from_msel(text, csv_file, name, base_doc)
        load_text(scenario, f"{csv_file} (as scenario {name})", expect="scenario")
    except DocumentError as exc:
        _fail(exc.problems)
    Path(out_file).write_text(scenario, encoding="utf-8")
    click.echo(f"Scenario {name} written to {out_file}: the injects of {csv_file} on the incident model of "
               f"{base_doc.document.name}. Try it: warroom drill run {out_file} --console")


# -- history: importers and KPIs/fits (issue 6) -----------------------------------------
# (history group and its commands go here)


# -- sensitivity and optimize (issue 6) -------------------------------------------------
# (sensitivity and optimize commands go here)


# -- drill export to incident platforms (issue 6) ---------------------------------------
# (drill export --as ... goes here)


if __name__ == "__main__":
    main()
