"""Scorecard documents people hand out: every format renders for every bundled replay,
with the numbers, the charts embedded, and participants' text escaped."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from drills import DrillStore, Journal, play, score
from reports.scorecard import render_scorecard
from scenarios import bundled, load_text
from scenarios.durations import minutes_text

ARTIFACTS = Path(os.environ.get("WARROOM_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))
CHROMIUM = shutil.which("chromium")


def replay(library, name: str, tmp_path: Path, text_edit=None):
    responses = library(name, "responses")
    if text_edit:
        responses = load_text(text_edit(responses.text), responses.source)
    rs = responses.document
    docs = library.drill(rs.scenario, rs.roster)
    session = play(DrillStore(tmp_path / f"{name}.db"), docs, responses, seed=1)
    journal = Journal.from_store(session.store, session.record.id)
    return score(journal).to_dict(), journal.to_dict()


@pytest.mark.parametrize("name", sorted(bundled("responses")))
def test_every_format_renders_for_every_bundled_replay(name, tmp_path, library):
    card, journal = replay(library, name, tmp_path)
    html = render_scorecard(card, journal, "html")
    assert html.startswith("<!doctype html>") and "<svg" in html
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", html)  # nothing fetched from a network
    assert f"{card['score']:.0f}" in html and card["drill"]["title"].split(" (")[0][:30] in html
    restore = card["metrics"]["time_to_restore"]["actual_min"]
    md = render_scorecard(card, journal, "md")
    assert md.startswith("# Drill scorecard") and "| Time to restore (MTTR)" in md  # "*(assumed)*" when pinned
    assert f"| {minutes_text(restore)}" in md
    assert json.loads(render_scorecard(card, journal, "json"))["score"] == card["score"]
    from reports.aar import render_aar

    aar = render_aar(card, journal, None, "html")
    assert "Improvement plan" in aar and card["drill"]["team"].split()[0] in aar
    assert render_aar(card, journal, None, "md").startswith("# After-action report")


@pytest.mark.parametrize("name", sorted(bundled("scenario")))
def test_a_simulation_report_renders_for_every_bundled_scenario(name, tmp_path, library):
    from reports.artifacts import read_results
    from reports.compare import render_comparison

    scenario = library(name, "scenario").document
    runner = CliRunner()
    out = tmp_path / "results"
    ran = runner.invoke(main, ["simulate", name, "--staffing", scenario.reference_staffing, "-n", "200", "-q",
                               "--out", str(out)])
    assert ran.exit_code == 0, ran.output
    summary, incidents = read_results(out)
    html = render_comparison(summary, "html")
    assert "<svg" in html and name in html
    assert render_comparison(summary, "md").startswith(f"# Staffing comparison: {name}")


def test_participants_text_is_escaped_in_html_and_markdown(tmp_path, library):
    def hostile(text):
        return text.replace("text: We are aware of issues affecting sites on our network and are investigating.",
                            "text: \"<script>alert('x')</script> | **bold** [link](http://evil)\"")
    card, journal = replay(library, "cloudflare-2019-actual", tmp_path,
                           lambda t: hostile(t).replace("reason: ", "reason: ") + "ratings:\n"
                           "  - {objective: diagnose, rating: S, reason: \"<img src=x onerror=alert(1)>\"}\n")
    html = render_scorecard(card, journal, "html")
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    md = render_scorecard(card, journal, "md")
    assert not re.search(r"(?<!\\)<img", md) and "\\<img src=x onerror=alert(1)\\>" in md


HOSTILE_NAME = "# Ops | *team* [x](http://evil) <b>_"

def test_titles_and_team_names_are_escaped_in_markdown(tmp_path, library):
    """The scenario's title and the roster's team name are user text: in Markdown they
    cannot open a heading, a table cell, a link or raw HTML."""
    from reports.aar import render_aar

    card, journal = replay(library, "cloudflare-2019-actual", tmp_path)
    for where in (card["drill"], journal["drill"]):
        where["title"], where["team"] = HOSTILE_NAME, HOSTILE_NAME
    for md in (render_scorecard(card, journal, "md"), render_aar(card, journal, None, "md")):
        hostile_lines = [line for line in md.splitlines() if "evil" in line]
        assert hostile_lines, md[:500]
        for line in hostile_lines:
            assert "\\# Ops \\| \\*team\\* \\[x\\](http://evil) \\<b\\>\\_" in line, line
            assert "<b>" not in line


def test_staffing_names_are_escaped_in_the_comparison_markdown(tmp_path):
    from reports.artifacts import read_results
    from reports.compare import render_comparison
    from scenarios.library import bundled as library_files

    staffing = library_files()["cloudflare-2019-sre"].read_text(encoding="utf-8")
    hostile = tmp_path / "hostile.yaml"
    hostile.write_text(staffing.replace("name: cloudflare-2019-sre", "name: 'sre | *all* <i>'", 1), encoding="utf-8")
    out = tmp_path / "results"
    ran = CliRunner().invoke(main, ["compare", "cloudflare-2019-waf", "--staffing", "cloudflare-2019-sre",
                                    "--staffing", str(hostile), "-n", "200", "-q", "--out", str(out)])
    assert ran.exit_code == 0, ran.output
    summary, _ = read_results(out)
    md = render_comparison(summary, "md")
    assert "sre \\| \\*all\\* \\<i\\>" in md
    assert "<i>" not in md and "| *all*" not in md


def test_report_command_writes_html_md_and_pdf(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    store = tmp_path / "d.db"
    ran = runner.invoke(main, ["drill", "run", "cloudflare-2019-waf", "--responses", "cloudflare-2019-actual",
                               "--store", str(store), "--baseline", "200"])
    assert ran.exit_code == 0, ran.output
    drill_id = json.loads(runner.invoke(main, ["drill", "list", "--json", "--store", str(store)]).output)[0]["id"]
    html = runner.invoke(main, ["report", "scorecard", drill_id, "--store", str(store)])
    assert html.exit_code == 0, html.output
    written = tmp_path / f"scorecard-{drill_id}.html"
    assert written.exists() and "faster than" in written.read_text()
    md = runner.invoke(main, ["report", "scorecard", drill_id, "-f", "md", "--store", str(store)])
    assert md.output.startswith("# Drill scorecard")
    runner.invoke(main, ["drill", "export", drill_id, "-o", "journal.json", "--store", str(store)])
    from_file = runner.invoke(main, ["report", "scorecard", "journal.json", "-f", "json", "--baseline", "0"])
    assert json.loads(from_file.output)["metrics"]["time_to_restore"]["actual_min"] == 27
    pdf = runner.invoke(main, ["report", "scorecard", drill_id, "-f", "pdf", "-o", "card.pdf", "--store", str(store)])
    if CHROMIUM:
        assert pdf.exit_code == 0, pdf.output
        assert (tmp_path / "card.pdf").read_bytes().startswith(b"%PDF")
    else:
        assert pdf.exit_code == 2 and "apt-get install -y chromium" in pdf.output


@pytest.mark.skipif(CHROMIUM is None and os.environ.get("CI") != "true", reason="needs Debian's chromium")
def test_the_html_scorecard_renders_in_chromium_without_errors(tmp_path, library):
    from playwright.sync_api import sync_playwright

    card, journal = replay(library, "cloudflare-2019-actual", tmp_path)
    path = tmp_path / "card.html"
    path.write_text(render_scorecard(card, journal, "html"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    errors = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM or "/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.as_uri())
        assert page.locator("figure svg").count() >= 3
        assert page.locator("text=Time to restore (MTTR)").count() >= 1
        page.screenshot(path=str(ARTIFACTS / "scorecard-report.png"), full_page=True)
        browser.close()
    assert errors == []


def test_staffing_comparison_report_from_a_results_folder_and_from_compare(tmp_path):
    runner = CliRunner()
    out = tmp_path / "results"
    ran = runner.invoke(main, ["compare", "cloudflare-2019-waf", "--staffing", "cloudflare-2019-sre", "--staffing",
                               "business-hours-pager", "-n", "300", "--out", str(out), "--report",
                               str(tmp_path / "direct.md"), "-q"])
    assert ran.exit_code == 0, ran.output
    direct = (tmp_path / "direct.md").read_text()
    assert direct.startswith("# Staffing comparison: cloudflare-2019-waf")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["verdict"][0] in direct
    made = runner.invoke(main, ["report", "compare", str(out)])
    assert made.exit_code == 0, made.output
    html = (out / "comparison.html").read_text()
    assert html.count("<svg") >= 4  # ECDF, milestones, differences, Pareto
    assert "Verdict" in html and "business-hours-pager" in html and "MTTR" in html
    p90 = summary["options"][1]["metrics"]["time_to_restore"]["p90"]
    assert f"{p90:.1f}" in html
    missing = runner.invoke(main, ["report", "compare", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "not a results folder" in missing.output


def test_after_action_report_with_an_improvement_plan(tmp_path):
    import yaml

    runner = CliRunner()
    store = str(tmp_path / "d.db")
    assert runner.invoke(main, ["drill", "run", "expired-certificate", "--responses", "cert-expiry-drill",
                                "--store", store, "--baseline", "0"]).exit_code == 0
    template = runner.invoke(main, ["report", "aar", "latest", "--plan-template", "--store", store])
    assert template.exit_code == 0, template.output
    plan = yaml.safe_load(template.output)
    assert plan["kind"] == "improvement_plan" and "time_to_declare" in plan["items"]
    plan["items"]["time_to_declare"].update(owner="Dana <on-call lead>", start="2026-12-01", complete="2027-01-15")
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump(plan))
    made = runner.invoke(main, ["report", "aar", "latest", "--plan", str(tmp_path / "plan.yaml"), "-o",
                                str(tmp_path / "aar.html"), "--store", store])
    assert made.exit_code == 0, made.output
    html = (tmp_path / "aar.html").read_text()
    for heading in ("Exercise overview", "Objectives and ratings", "Analysis of each objective", "Improvement plan"):
        assert heading in html
    assert "Dana &lt;on-call lead&gt;" in html and "2027-01-15" in html and "to assign" in html
    assert "Put the major-incident criteria" in html  # the suggested corrective action
    md = runner.invoke(main, ["report", "aar", "latest", "-f", "md", "--store", store]).output
    assert md.startswith("# After-action report") and "| time_to_declare |" in md
    (tmp_path / "bad.yaml").write_text("kind: improvement_plan\nversion: 1\nname: x\nitems:\n"
                                       "  time_to_declare: {start: 2026-12-05, complete: 2026-12-01}\n")
    bad = runner.invoke(main, ["report", "aar", "latest", "--plan", str(tmp_path / "bad.yaml"), "--store", store])
    assert bad.exit_code == 2 and "bad.yaml:5: items.time_to_declare: complete (2026-12-01) is before start" in bad.output


def test_a_teams_trend_follows_its_drills_in_order(tmp_path):
    runner = CliRunner()
    store = str(tmp_path / "d.db")
    runs = (("cloudflare-2019-waf", "cloudflare-2019-actual", "1"), ("expired-certificate", "cert-expiry-drill", "1"),
            ("cloudflare-2019-waf", "cloudflare-2019-actual", "2"))
    for scenario, responses, seed in runs:
        assert runner.invoke(main, ["drill", "run", scenario, "--responses", responses, "--store", store,
                                    "--seed", seed, "--baseline", "0"]).exit_code == 0
    drills = json.loads(runner.invoke(main, ["drill", "list", "--json", "--store", store]).output)
    edge = [d["id"] for d in drills if d["team"] == "Edge SRE"]
    data = json.loads(runner.invoke(main, ["report", "trend", "--team", "Edge SRE", "-f", "json", "--store", store]).output)
    assert [d["id"] for d in data["drills"]] == edge and len(edge) == 2  # the other team's drill is not in it
    assert data["drills"][0]["times"]["time_to_restore"] == "27"
    html = runner.invoke(main, ["report", "trend", "--team", "Edge SRE", "-o", str(tmp_path / "t.html"), "--store", store])
    assert html.exit_code == 0 and "<svg" in (tmp_path / "t.html").read_text()
    nobody = runner.invoke(main, ["report", "trend", "--team", "Nobody", "--store", store])
    assert nobody.exit_code == 2 and "teams: " in nobody.output


def test_a_dollar_in_a_name_is_text_on_charts_not_mathtext():
    """Staffing names reach chart legends: 'pay $5 $' would be a mathtext error."""
    from reports.charts import ecdf_chart
    from scenarios.formats import BINS

    histogram = {"first_bin": 300, "counts": [1, 2, 3, 2, 1]}
    svg = ecdf_chart({"cost $_$ plan": histogram, "$$": histogram}, BINS, 30.0, "minutes")
    assert svg is not None and "cost $_$ plan" in svg


def test_the_comparison_shows_service_back_in_stages(tmp_path):
    from reports.artifacts import read_results
    from reports.compare import render_comparison
    from scenarios.library import bundled as library_files

    other = tmp_path / "region-more.yaml"
    other.write_text(library_files()["region-failure-oncall"].read_text(encoding="utf-8").replace(
        "name: region-failure-oncall", "name: region-more", 1), encoding="utf-8")
    out = tmp_path / "results"
    ran = CliRunner().invoke(main, ["compare", "cloud-region-failure", "--staffing", "region-failure-oncall",
                                    "--staffing", str(other), "-n", "200", "-q", "--out", str(out)])
    assert ran.exit_code == 0, ran.output
    summary, _ = read_results(out)
    md = render_comparison(summary, "md")
    assert "## Service back in stages" in md and "| Time to restore 95% of traffic |" in md
    assert "| Time to restore reporting |" in md
    assert "Service back in stages" in render_comparison(summary, "html")


def test_the_comparison_shows_each_chance_of_missing_a_target_with_its_interval(tmp_path):
    """A stream run of the M/M/1 validation queue: P(wait) is the chance of missing its
    no-wait target, shown with the interval the results computed across horizons; the update
    target, which no incident of that playbook reaches, reads as such instead of failing."""
    validation = Path(__file__).resolve().parents[2] / "docs" / "validation"
    runner = CliRunner()
    out = tmp_path / "results"
    ran = runner.invoke(main, ["simulate", str(validation / "mmc-scenario.yaml"), "--staffing",
                               str(validation / "mmc-staffing.yaml"), "--playbook", str(validation / "mmc-playbook.yaml"),
                               "--mode", "stream", "--horizon", "600m", "--warmup", "100m", "-n", "6", "--out", str(out),
                               "--no-incidents", "-q"])
    assert ran.exit_code == 0, ran.output
    waited = json.loads((out / "summary.json").read_text())["targets"]["time_to_assemble"]["breach"]
    assert waited["interval"] == "across_replications"
    made = runner.invoke(main, ["report", "compare", str(out)])
    assert made.exit_code == 0, made.output
    html = (out / "comparison.html").read_text()
    low, high = waited["ci95"]
    assert f"{waited['probability']:.0%} ({low * 100:.0f}-{high:.0%})" in html
    assert "not reached" in html and "between the simulated horizons" in html
