"""Every comparison built on history says what change in MTTR that history could detect at
all: a document fitted to incident history carries `calibrated_from`, and `simulate` /
`compare` carry its detectability sentence into the result, summary.json, the terminal and
the comparison report."""

import html
import json

import pytest
from click.testing import CliRunner

from cli import main
from reports.compare import render_comparison
from scenarios import load_text, resolve
from scenarios.history.fitted import fitted_document
from simulator import compare, simulate
from simulator.history.detectability import detectability
from simulator.history.fitting import fit_history, synthetic_history

SCENARIO, STAFFING = "cloudflare-2019-waf", "cloudflare-2019-sre"


@pytest.fixture(scope="module")
def history():
    scenario, staffing = resolve(SCENARIO, "scenario"), resolve(STAFFING, "staffing")
    result = simulate(scenario, staffing, replications=120, seed=5, keep_incidents=True)
    table = synthetic_history(result.options[0].incidents, start="2024-01-01", seed=5, per_year=40)
    fit = fit_history(table, source={"file": "synthetic.csv", "system": "canonical", "sha256": "ab" * 32})
    return scenario, staffing, table, fit


def test_a_fitted_document_says_which_history_it_came_from(history):
    scenario, staffing, _, fit = history
    text = fitted_document(staffing, fit.fitted_delays(), history="synthetic.csv: 120 simulated incidents")
    calibrated = load_text(text, "fitted.yaml", expect="staffing").document.calibrated_from
    assert calibrated.file == "synthetic.csv" and calibrated.source == "canonical"
    assert calibrated.incidents == 120 and calibrated.stages == ["acknowledge"]
    assert calibrated.incidents_per_year == pytest.approx(fit.detectability["incidents"], rel=1e-5)
    assert calibrated.log_sd == pytest.approx(fit.detectability["sigma"], rel=1e-5)
    assert calibrated.as_of == fit.as_of and calibrated.fitted_at == fit.fitted_at
    assert calibrated.period.startswith("2024-01-")
    scenario_text = fitted_document(scenario, fit.fitted_delays(), history="synthetic.csv")
    assert load_text(scenario_text, "s.yaml", expect="scenario").document.calibrated_from.stages == \
        ["detect", "restore", "close"]
    # delays given by hand carry no provenance: a base's calibrated_from is not passed on
    refitted = fitted_document(load_text(text, "fitted.yaml"), dict(fit.fitted_delays()), history="by hand")
    assert load_text(refitted, "again.yaml").document.calibrated_from is None
    # the field is typed: a typo in it is an error like any other
    from scenarios.errors import DocumentError
    with pytest.raises(DocumentError, match="calibrated_from.incidents"):
        load_text(text.replace("  incidents: 120", "  incidents: -3"), "bad.yaml")


def test_compare_with_a_fitted_option_says_what_the_history_can_detect(history, tmp_path):
    scenario, staffing, _, fit = history
    fitted = load_text(fitted_document(staffing, fit.fitted_delays(), history="synthetic.csv"), "fitted.yaml")
    result = compare(scenario, [staffing, fitted], replications=60, seed=3)
    assert len(result.calibration) == 1
    entry = result.calibration[0]
    assert entry["documents"] == [{"kind": "staffing", "name": f"{STAFFING}-fitted"}]
    expected = detectability(fit.detectability["sigma"], fit.detectability["incidents"], period="a year")
    assert entry["detectability"]["minimum_detectable_change"] == pytest.approx(
        expected.minimum_detectable_change, rel=1e-4)
    # the same sentence `history fit` printed for this history, after who was fitted to what
    assert entry["sentence"].startswith(f"The staffing {STAFFING}-fitted was fitted to 120 incidents of synthetic.csv")
    assert entry["sentence"].endswith(fit.detectability["sentence"][1:])
    summary = result.to_dict()
    json.dumps(summary, allow_nan=False)
    assert summary["calibrated_from"][0]["sentence"] == entry["sentence"]
    report = render_comparison(summary, "html")
    verdict = report[report.index('<div class="verdict">'):report.index("</div>", report.index('<div class="verdict">'))]
    assert html.escape(entry["sentence"]) in verdict  # next to the verdict, not buried below
    assert entry["sentence"] in render_comparison(summary, "md")


def test_a_fitted_staffing_and_scenario_from_one_history_share_one_sentence(history):
    scenario, staffing, _, fit = history
    delays = fit.fitted_delays()
    result = simulate(load_text(fitted_document(scenario, delays, history="h"), "s.yaml"),
                      load_text(fitted_document(staffing, delays, history="h"), "t.yaml"), replications=20, seed=1)
    (entry,) = result.calibration
    assert [d["kind"] for d in entry["documents"]] == ["scenario", "staffing"]
    assert entry["stages"] == ["detect", "restore", "close", "acknowledge"]
    assert entry["sentence"].startswith(f"The scenario {SCENARIO}-fitted and staffing {STAFFING}-fitted were fitted")


def test_a_comparison_without_fitted_documents_says_nothing_about_history(history):
    scenario, staffing, _, _ = history
    result = compare(scenario, [staffing, resolve("follow-the-sun", "staffing")], replications=20, seed=1)
    summary = result.to_dict()
    assert result.calibration == [] and summary["calibrated_from"] == []
    assert "What the history" not in render_comparison(summary, "html")
    assert "What the history" not in render_comparison(summary, "md")


def test_compare_command_prints_the_sentence_under_the_verdict(history, tmp_path, monkeypatch):
    _, _, table, _ = history
    monkeypatch.chdir(tmp_path)
    table.to_csv("history.csv", index=False)
    runner = CliRunner()
    fitted = runner.invoke(main, ["history", "fit", "history.csv", "--source", "canonical", "--stage", "acknowledge",
                                  "--staffing", STAFFING, "-o", "fitted-staffing.yaml"])
    assert fitted.exit_code == 0, fitted.output
    result = runner.invoke(main, ["compare", SCENARIO, "--staffing", STAFFING, "--staffing", "fitted-staffing.yaml",
                                  "-n", "60", "-q", "--out", "run", "--report", "compare.html"])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    (entry,) = summary["calibrated_from"]
    assert entry["file"] == "history.csv" and entry["incidents"] == 120
    sentence = entry["sentence"]
    assert sentence.startswith(f"The staffing {STAFFING}-fitted was fitted to 120 incidents of history.csv")
    assert "in MTTR would reliably show up" in sentence
    output = result.output
    assert output.index(sentence) > output.rindex("\n* ")   # under the verdict's last (wrapped) point
    assert html.escape(sentence) in (tmp_path / "compare.html").read_text()
    assert json.loads(runner.invoke(main, ["compare", SCENARIO, "--staffing", STAFFING, "--staffing",
                                           "fitted-staffing.yaml", "-n", "20", "--json"]).output)[
        "calibrated_from"][0]["sentence"] == sentence

    plain = runner.invoke(main, ["compare", SCENARIO, "--staffing", STAFFING, "--staffing", "follow-the-sun",
                                 "-n", "20", "-q"])
    assert plain.exit_code == 0 and "was fitted to" not in plain.output and "reliably show up" not in plain.output
