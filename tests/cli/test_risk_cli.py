"""`compare` in leadership's units on the command line and in its report: money with its
currency, risk per year across the plausible incident rates, and --input-uncertainty."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

ROOT = Path(__file__).resolve().parents[2]


def flat(text: str) -> str:
    """Terminal prose is wrapped to the terminal's width: compare it with line breaks undone."""
    return " ".join(text.split())


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("compared")
    ran = CliRunner().invoke(main, ["compare", "cloudflare-2019-waf", "--staffing", "cloudflare-2019-sre",
                                    "--staffing", "business-hours-pager", "-n", "200", "-q", "--seed", "4",
                                    "--input-uncertainty", "3", "--out", str(out), "--no-incidents",
                                    "--report", str(out / "comparison.html")])
    assert ran.exit_code == 0, ran.output
    return ran.output, json.loads((out / "summary.json").read_text()), out


def test_the_terminal_shows_risk_per_year_and_money_with_its_currency(compared):
    output, summary, _ = compared
    assert "staffing costs USD 3.4 M a year less" in output
    assert "Yearly risk, at 1 incident a year (the frequency of scenario cloudflare-2019-waf), plausibly 0.5 to 3 a " \
           "year (its frequency_range)." in flat(output)
    lines = output.splitlines()
    risk_at = next(i for i, line in enumerate(lines) if line.startswith("Yearly risk"))
    row = next(line for line in lines[risk_at:] if line.startswith("business-hours-pager"))
    restore = summary["options"][1]["risk"]["targets"]["time_to_restore"]
    assert f"{restore['breach_probability']:.0%}" in row
    assert f"{restore['expected_breaches_per_year']['value']:#.2g} [" in row
    assert summary["currency"] == "USD" and summary["lowest_total_cost_by_rate"]


def test_the_summary_and_terminal_say_whether_the_answer_holds(compared):
    output, summary, _ = compared
    found = summary["input_uncertainty"]
    assert found["draws"] == 3 and len(found["draw_results"]) == 3
    assert found["sentence"] in flat(output)
    assert "Varied: scenario cloudflare-2019-waf: frequency from 0.5/year to 3/year" in flat(output)
    assert {o["name"] for o in found["options"]} == {"cloudflare-2019-sre", "business-hours-pager"}


def test_the_report_has_its_risk_and_robustness_sections(compared):
    _, summary, out = compared
    html = (out / "comparison.html").read_text()
    assert "<h2>Risk per year</h2>" in html and "<h2>Do the estimates change the answer?</h2>" in html
    assert "USD 6.6 M" in html and "staffing cost per year (USD)" in html
    assert summary["input_uncertainty"]["sentence"] in html
    ran = CliRunner().invoke(main, ["report", "compare", str(out), "-f", "md"])
    assert ran.exit_code == 0, ran.output
    markdown = (out / "comparison.md").read_text()
    assert "## Risk per year" in markdown and "## Do the estimates change the answer?" in markdown
    miss = summary["options"][1]["risk"]["targets"]["time_to_restore"]["breach_probability"]
    assert f"| business-hours-pager | {miss:.0%} |" in markdown and "USD" in markdown


def test_nothing_to_vary_stops_before_any_simulation(tmp_path, cloudflare):
    plain = tmp_path / "plain.yaml"
    plain.write_text(re.sub(r", range: \{median: \[[^]]*\], p90: \[[^]]*\]\}", "",
                            cloudflare.text.replace("frequency_range: [0.5/year, 3/year]\n", "")))
    ran = CliRunner().invoke(main, ["compare", str(plain), "--staffing", "cloudflare-2019-sre", "--staffing",
                                    "follow-the-sun", "--input-uncertainty", "5", "--out", str(tmp_path / "out"), "-q"])
    assert ran.exit_code == 2 and "Traceback" not in ran.output
    assert "--input-uncertainty: nothing to vary: no delay in these documents states a range" in ran.output
    assert not (tmp_path / "out" / "summary.json").exists()


def test_sensitivity_and_optimize_state_their_currency():
    runner = CliRunner()
    swept = runner.invoke(main, ["sensitivity", "cloudflare-2019-waf", "--staffing", "cloudflare-2019-sre", "-n", "60",
                                 "--json", "-q"])
    assert swept.exit_code == 0, swept.output
    assert json.loads(swept.output)["currency"] == "USD"
    searched = runner.invoke(main, ["optimize", "cloudflare-2019-waf", "--staffing-space",
                                    str(ROOT / "docs" / "examples" / "cloudflare-2019-space.yaml"),
                                    "--target", "p90(time_to_restore) <= 120m", "-n", "100", "-q"])
    assert searched.exit_code == 0, searched.output
    assert re.search(r"USD [\d.]+ (k|M) a year", searched.output)


def test_the_risk_howto_commands_run(tmp_path, monkeypatch):
    text = (ROOT / "docs" / "howto" / "risk-and-uncertainty.md").read_text()
    blocks = [b.replace("\\\n", " ") for b in re.findall(r"```sh\n(.*?)```", text, re.S)]
    commands = [line for block in blocks for line in block.splitlines() if line.startswith("warroom ")]
    assert commands
    monkeypatch.chdir(tmp_path)
    for command in commands:
        args = [("2" if a == "10" else a) for a in shlex.split(command)[1:]]
        ran = CliRunner().invoke(main, [*args, "-n", "100", "-q"])
        assert ran.exit_code == 0, (command, ran.output)
    assert "input_uncertainty" in json.loads((tmp_path / "results" / "summary.json").read_text())
    code = re.search(r"```python\n(.*?)```", text, re.S)[1]
    exec(code.replace("draws=10", "draws=2").replace("replications=1000", "replications=100"), {})
