"""Every comparison opens with its recommendation: first on the terminal, first in the
Markdown, and as a one-page executive summary atop the HTML report (and so its PDF)."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

CHROMIUM = shutil.which("chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
OPTIONS = ["--staffing", "cloudflare-2019-sre", "--staffing", "business-hours-pager", "--staffing", "24x7-comms-lead"]


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("recommended")
    ran = CliRunner().invoke(main, ["compare", "cloudflare-2019-waf", *OPTIONS, "-n", "500", "-q", "--seed", "2019",
                                    "--out", str(out), "--no-incidents", "--report", str(out / "comparison.html")])
    assert ran.exit_code == 0, ran.output
    return out, ran.output


def test_the_terminal_opens_with_the_recommendation_in_currency_and_the_lever(compared):
    out, output = compared
    first = flat(output.split("\n\n")[0])
    assert first.startswith("No option meets p90 time to restore <= 30 min with 95% confidence. The closest is "
                            "24x7-comms-lead")
    assert "USD" in first and "(Rule: the cheapest option" in first
    # What would close the gap: the closest option's sweep, with the change's effect and price.
    assert re.search(r"What would close most of the gap per unit of cost: .+ takes \d+\.\d min off its p90 "
                     r"\(95% CI .+\), (\d+% of the gap|enough on its own), ", first)
    summary = json.loads((out / "summary.json").read_text())
    found = summary["recommendation"]
    assert found["outcome"] == "none_meets" and found["lever"]["saves"] > 0
    assert found["lever"]["staffing_cost_diff"] == 0 or found["lever"]["minutes_per_100k"] is not None


def test_no_lever_skips_the_sweep(tmp_path):
    ran = CliRunner().invoke(main, ["compare", "cloudflare-2019-waf", *OPTIONS, "-n", "200", "-q", "--no-lever",
                                    "--json"])
    assert ran.exit_code == 0, ran.output
    found = json.loads(ran.output)["recommendation"]
    assert found["outcome"] == "none_meets" and "lever" not in found
    assert not any("close most of the gap" in line for line in found["text"])


def test_the_markdown_report_opens_with_it(compared, tmp_path):
    out, _ = compared
    ran = CliRunner().invoke(main, ["report", "compare", str(out), "-o", str(tmp_path / "c.md")])
    assert ran.exit_code == 0, ran.output
    text = (tmp_path / "c.md").read_text()
    assert text.split("\n\n")[1].startswith("**No option meets p90 time to restore \\<= 30 min")  # < escaped


def test_the_html_report_opens_with_an_executive_summary(compared):
    out, _ = compared
    html = (out / "comparison.html").read_text()
    summary, details = html.split("<!-- end of the executive summary -->")
    assert summary.index("No option meets p90 time to restore") < summary.index('class="exec-table"') \
        < summary.index("<svg")                               # decision, cost and risk, then the chart
    assert 'class="named"' in summary and "24x7-comms-lead" in summary and "USD" in summary
    assert "misses a year" in summary and "at least one miss this year" in summary
    assert "<h2>Details</h2>" in details


@pytest.mark.skipif(CHROMIUM is None and os.environ.get("CI") != "true", reason="needs Debian's chromium")
def test_the_executive_summary_prints_to_one_page(compared):
    from playwright.sync_api import sync_playwright

    out, _ = compared
    html = (out / "comparison.html").read_text()
    first = html[:html.index("<!-- end of the executive summary -->")] + "</body></html>"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM or "/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_page()
        page.set_content(first)
        page.emulate_media(media="print")
        pages = {size: len(re.findall(rb"/Type\s*/Page[^s]", page.pdf(format=size))) for size in ("A4", "Letter")}
        page.set_content(html)
        page.emulate_media(media="print")
        (ARTIFACTS / "comparison.pdf").write_bytes(page.pdf(format="A4"))
        browser.close()
    assert pages == {"A4": 1, "Letter": 1}
