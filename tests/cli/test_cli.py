"""The command line as a user meets it: exit codes, messages, JSON and artifacts."""

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from cli import main
from scenarios import METRICS


@pytest.fixture
def run():
    runner = CliRunner()

    def _run(*args):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return _run


def test_help_teaches_the_commands(run):
    result = run("--help")
    assert result.exit_code == 0
    for command in ("simulate", "compare", "validate", "schema", "list"):
        assert command in result.output
    assert "time to RESTORE" in result.output


def test_list_shows_bundled_documents(run):
    result = run("list")
    assert result.exit_code == 0
    assert "cloudflare-2019-waf" in result.output and "follow-the-sun" in result.output


def test_validate_ok_and_cross_checked(run, cloudflare, staffing):
    result = run("validate", cloudflare.source, staffing("cloudflare-2019-sre").source)
    assert result.exit_code == 0
    assert "ok:" in result.output and "scenario 'cloudflare-2019-waf'" in result.output


def test_validate_reports_every_problem_and_exits_2(run, write):
    bad = write("bad.yaml", """
        kind: scenario
        version: 1
        name: db-outage
        service: {name: Orders database}
        impact: {share: 1.5}
        detection: {monitoring: {probability: 0.5}}
        needs: {database: 0}
        diagnosis: {time: {dist: lognormal, median: 20m, p90: 10m}}
        workarounds: [{name: failover, apply: soon}]
        """)
    result = run("validate", bad)
    assert result.exit_code == 2
    err = result.output
    assert f"{bad}:5: impact.share:" in err and "got 1.5" in err
    assert f"{bad}:6: detection:" in err and "might never be detected" in err
    assert f"{bad}:7: needs.database:" in err and "got 0" in err
    assert f"{bad}:8: diagnosis.time: p90 must be >= median" in err
    assert f"{bad}:9: workarounds[0].apply:" in err and "'soon'" in err
    assert "5 problems found; nothing was run." in err
    assert "Traceback" not in err


def test_validate_staffing_missing_a_needed_group(run, write, cloudflare):
    staff = write("staff.yaml", """
        kind: staffing
        version: 1
        name: no-sre
        roles:
          incident_manager: {on_call: 1}
          technical_lead: {on_call: 1}
        """)
    result = run("validate", cloudflare.source, staff)
    assert result.exit_code == 2
    assert "needs.sre: the scenario needs sre but staffing" in result.output


def test_schema_is_json_schema_for_editors(run):
    result = run("schema", "staffing")
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert "roles" in schema["properties"] and "resolver_groups" in schema["properties"]
    assert run("schema", "runbook").exit_code == 2


def test_simulate_json_has_every_metric(run):
    result = run("simulate", "cloudflare-2019-waf", "--staffing", "cloudflare-2019-sre", "-n", 300, "--seed", 4, "--json")
    assert result.exit_code == 0
    out = json.loads(result.output)
    assert out["seed"] == 4 and out["replications"] == 300 and out["mode"] == "single"
    assert out["tool_version"] and out["format"] == "warroom.results/3"
    assert list(out["metrics"]) == list(METRICS)
    for metric in METRICS:
        m = out["metrics"][metric]
        assert {"mean", "p50", "p90", "p95", "ci95"} <= set(m)
        assert m["ci95"][0] <= m["mean"] <= m["ci95"][1]
        assert m["p50"] <= m["p90"] <= m["p95"]
    assert out["missing"]["time_to_restore"] == 0


def test_metric_that_never_happens_is_null_with_its_missing_count(run, write):
    scenario = write("nofix.yaml", """
        kind: scenario
        version: 1
        name: no-fix
        service: {name: x}
        detection: {monitoring: {probability: 1, delay: 2m}}
        diagnosis: {time: 5m}
        workarounds: [{name: restart, apply: 3m}]
        """)
    result = run("simulate", scenario, "--staffing", "cloudflare-2019-sre", "-n", 50, "--json")
    assert result.exit_code == 0
    out = json.loads(result.output)
    assert out["metrics"]["time_to_fix"] is None
    assert out["missing"]["time_to_fix"] == 50
    assert out["metrics"]["time_to_restore"]["p50"] == pytest.approx(2 + 1 + 5 + 3, abs=6)


def test_compare_json_differences_and_verdict(run, tmp_path):
    out_dir = tmp_path / "results"
    result = run("compare", "cloudflare-2019-waf", "--staffing", "cloudflare-2019-sre", "--staffing", "business-hours-pager",
                 "-n", 600, "--json", "--out", out_dir)
    assert result.exit_code == 0
    out = json.loads(result.output)
    assert [o["name"] for o in out["options"]] == ["cloudflare-2019-sre", "business-hours-pager"]
    diff = next(d for d in out["differences"] if d["metric"] == "time_to_restore")
    for key in ("baseline", "option", "metric", "mean_diff", "ci95", "p50_diff", "p50_ci95", "p90_diff", "p90_ci95"):
        assert key in diff
    assert diff["p90_ci95"][0] <= diff["p90_diff"] <= diff["p90_ci95"][1]
    assert out["verdict"][0].startswith("business-hours-pager adds")
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["inputs"][0]["sha256"] and summary["seed"] == 1
    table = pd.read_parquet(out_dir / "incidents.parquet")
    assert len(table) == 1200 and set(table["option"]) == {"cloudflare-2019-sre", "business-hours-pager"}
    assert (out_dir / "incidents.csv").exists()


def test_compare_prints_a_table_and_verdict(run):
    result = run("compare", "cloudflare-2019-waf", "--staffing", "cloudflare-2019-sre", "--staffing", "24x7-comms-lead", "-n", 400)
    assert result.exit_code == 0
    assert "Time to restore service (MTTR)" in result.output
    assert "* 24x7-comms-lead" in result.output and "95% CI" in result.output


def test_unknown_scenario_lists_bundled_and_exits_2(run):
    result = run("simulate", "cloudflare-2020", "--staffing", "cloudflare-2019-sre")
    assert result.exit_code == 2
    assert "no bundled scenario of that name (bundled: " in result.output
    assert "cloudflare-2019-waf" in result.output


def test_compare_needs_two_options(run):
    result = run("compare", "cloudflare-2019-waf", "--staffing", "cloudflare-2019-sre")
    assert result.exit_code == 2
    assert "at least two --staffing" in result.output


@pytest.mark.parametrize("args, words", [
    (["--start", "someday"], "expected 'uniform', or a weekday or date"),
    (["--mode", "batch"], "'batch' is not one of"),
    (["--horizon", "forever"], "expected a duration"),
    (["-n", "0"], "0 is not in the range"),
])
def test_bad_options_exit_2_with_a_clear_message(run, args, words):
    result = run("simulate", "cloudflare-2019-waf", "--staffing", "cloudflare-2019-sre", *args)
    assert result.exit_code == 2
    assert words in result.output


def test_stream_with_no_arrivals_says_so(run):
    result = run("compare", "cloudflare-2019-waf", "--staffing", "cloudflare-2019-sre", "--staffing", "follow-the-sun",
                 "--mode", "stream", "--horizon", "1d", "-n", 3)
    assert result.exit_code == 0
    assert "No incident arrived within the horizon" in result.output
    result = run("simulate", "cloudflare-2019-waf", "--staffing", "cloudflare-2019-sre", "--mode", "stream", "--horizon", "1d",
                 "-n", 2, "--json")
    assert result.exit_code == 0
    assert json.loads(result.output)["metrics"]["time_to_restore"] is None


@pytest.mark.parametrize("command", [
    ["compare", "cloudflare-2019-waf", "--staffing", "cloudflare-2019-sre", "--staffing", "follow-the-sun"],
    ["sensitivity", "cloudflare-2019-waf", "--staffing", "cloudflare-2019-sre"],
])
def test_an_unknown_report_extension_fails_before_any_simulation(run, command):
    result = run(*command, "-n", 100000, "--report", "out.docx")
    assert result.exit_code == 2
    assert "cannot tell the report format from its extension .docx" in result.output
    assert "Simulating" not in result.output
