"""Classification as a stage of the simulation: a major incident first classified below the
major line is declared only once that is corrected (the policy's triage, or a staffing's)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from cli import main
from scenarios import load_text, resolve
from simulator import compare, simulate
from simulator.model.plan import compile_plan

VAGUE = ("  first_wrong: 0.0\n  corrected_after: 0m\n",
         "  first_wrong: 0.35\n  corrected_after: {dist: lognormal, median: 20m, p90: 60m}\n")


def vague_policy():
    text = resolve("itil-impact-urgency", "classification").text
    assert VAGUE[0] in text
    return load_text(text.replace(VAGUE[0], VAGUE[1]).replace("name: itil-impact-urgency", "name: vague"),
                     "vague.yaml")


def test_a_vague_policy_delays_declarations_and_restoration(cloudflare, staffing):
    clear = simulate(cloudflare, staffing("cloudflare-2019-sre"), replications=2000, seed=7,
                     keep_incidents=True).options[0].incidents
    vague = simulate(cloudflare, staffing("cloudflare-2019-sre"), replications=2000, seed=7, keep_incidents=True,
                     classification=vague_policy()).options[0].incidents
    later = vague["time_to_declare"] - clear["time_to_declare"]
    assert (later >= -1e-9).all()
    assert 0.31 < (later > 1e-9).mean() < 0.39                     # first_wrong 0.35
    assert np.median(later[later > 1e-9]) == pytest.approx(20, rel=0.15)
    assert np.quantile(vague["time_to_restore"], 0.9) > np.quantile(clear["time_to_restore"], 0.9) + 5


def test_a_staffings_own_triage_replaces_the_policys(cloudflare, staffing):
    sre = staffing("cloudflare-2019-sre")
    trained = load_text(sre.text.rstrip("\n") + "\ntriage: {first_wrong: 0.0}\n", "trained.yaml")
    plan = compile_plan(cloudflare.document, trained.document, resolve("itil-major-incident", "playbook").document,
                        None, vague_policy().document)
    assert plan.triage is None
    plan = compile_plan(cloudflare.document, sre.document, resolve("itil-major-incident", "playbook").document,
                        None, vague_policy().document)
    assert plan.triage[0] == [s.id for s in plan.playbook.steps].index("declare") and plan.triage[1] == 0.35


def test_an_incident_the_policy_says_is_not_major_is_never_held_up(library):
    decoy = library("promo-code-glitch", "scenario").document
    plan = compile_plan(decoy, library("harbor-oncall", "staffing").document,
                        library("itil-major-incident", "playbook").document, None, vague_policy().document)
    assert plan.triage is None


def test_compare_takes_a_classification_policy_and_records_it(tmp_path):
    path = tmp_path / "vague.yaml"
    path.write_text(vague_policy().text)
    out = {}
    for name, extra in (("clear", []), ("vague", ["--classification", str(path)])):
        result = CliRunner().invoke(main, ["simulate", "cloudflare-2019-waf", "--staffing", "cloudflare-2019-sre",
                                           "-n", "1000", "--seed", "3", "-q", "--json", *extra])
        assert result.exit_code == 0, result.output
        out[name] = json.loads(result.output)
    assert out["vague"]["metrics"]["time_to_declare"]["p90"] > out["clear"]["metrics"]["time_to_declare"]["p90"] + 10
    kinds = {i["kind"]: i["name"] for i in out["vague"]["inputs"]}
    assert kinds["classification"] == "vague"
    bad = CliRunner().invoke(main, ["simulate", "cloudflare-2019-waf", "--staffing", "cloudflare-2019-sre",
                                    "--classification", "no-such-policy"])
    assert bad.exit_code == 2 and "no-such-policy" in bad.output


def test_the_comparison_report_says_which_policy_and_triage_it_ran_with(cloudflare, staffing):
    from reports.compare import render_comparison

    sre = staffing("cloudflare-2019-sre")
    trained = load_text(sre.text.replace("name: cloudflare-2019-sre", "name: trained-desk").rstrip("\n")
                        + "\ntriage: {first_wrong: 0.05, corrected_after: {dist: lognormal, median: 5m, p90: 15m}}\n",
                        "trained.yaml")
    result = compare(cloudflare, [sre, trained], replications=500, seed=3, classification=vague_policy())
    summary = result.to_dict()
    text = render_comparison(summary, "md")
    assert ("Classification policy vague: the first call first classifies a major incident below the major line "
            "35% of the time, corrected after a median 20m") in text
    assert "trained-desk first classifies a major incident below the major line 5% of the time" in text
    restore = {o["name"]: o["metrics"]["time_to_restore"]["p90"] for o in summary["options"]}
    assert restore["trained-desk"] < restore["cloudflare-2019-sre"]

