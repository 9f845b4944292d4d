"""Input uncertainty: the comparison re-run across draws of the documents' stated ranges
(and the ranges `history fit` writes), and whether its answer holds."""

from __future__ import annotations

import numpy as np
import pytest
from test_history_fit import SCENARIO, STAFFING  # the same checkout documents (tests/simulator is on the path)

from scenarios import load_text
from scenarios.history.fitted import fitted_document
from simulator import SimulationError, compare, simulate
from simulator.history.fitting import fit_history, synthetic_history
from simulator.studies.uncertainty import (
    cheapest_meeting_target,
    input_uncertainty,
    latin_hypercube,
    uncertain_estimates,
)


def only_diagnosis_uncertain(cloudflare, target: str = "60m"):
    """The Cloudflare scenario with one uncertain estimate (the diagnosis time, widely) and a
    restore target that the cheaper option meets only when diagnosis is quick."""
    text = (cloudflare.text.replace("frequency_range: [0.5/year, 3/year]\n", "")
            .replace(", range: {median: [3m, 8m], p90: [8m, 20m]}", "")
            .replace("range: {median: [6m, 14m], p90: [14m, 35m]}", "range: {median: [4m, 20m], p90: [10m, 45m]}")
            .replace("time_to_restore: 30m", f"time_to_restore: {target}"))
    return load_text(text, "uncertain.yaml")


def test_a_latin_hypercube_uses_every_stratum_of_every_range_once():
    shares = latin_hypercube(8, 3, seed=4)
    middles = (np.arange(8) + 0.5) / 8
    assert shares.shape == (8, 3)
    for column in shares.T:
        assert sorted(column) == pytest.approx(middles)
    assert np.array_equal(shares, latin_hypercube(8, 3, seed=4))
    assert not np.array_equal(shares, latin_hypercube(8, 3, seed=5))


def test_the_estimates_that_state_a_range_are_found(cloudflare, staffing, playbook):
    found = uncertain_estimates([cloudflare, staffing("cloudflare-2019-sre"), playbook])
    assert [e.label for e in found] == ["scenario cloudflare-2019-waf: frequency",
                                        "scenario cloudflare-2019-waf: diagnosis.time",
                                        "scenario cloudflare-2019-waf: workarounds[0].apply"]
    assert (found[1].low, found[1].high) == ("median 6m, p90 14m", "median 14m, p90 35m")
    assert found[0].at(0.0) == 0.5 and found[0].at(1.0) == pytest.approx(3.0)
    assert found[1].at(1.0) == {"dist": "lognormal", "median": 14.0, "p90": 35.0}


def test_nothing_to_vary_is_said_plainly(cloudflare, staffing):
    plain = load_text(cloudflare.text.replace("frequency_range: [0.5/year, 3/year]\n", "")
                      .replace(", range: {median: [3m, 8m], p90: [8m, 20m]}", "")
                      .replace(", range: {median: [6m, 14m], p90: [14m, 35m]}", ""), "plain.yaml")
    with pytest.raises(SimulationError, match="nothing to vary: no delay in these documents states a range"):
        input_uncertainty(plain, [staffing("cloudflare-2019-sre"), staffing("follow-the-sun")], draws=3,
                          replications=50)
    with pytest.raises(SimulationError, match="at least 2 draws"):
        input_uncertainty(plain, [staffing("cloudflare-2019-sre")], draws=1, replications=50)


def test_each_draw_is_judged_by_the_rule_and_the_answer_can_change(cloudflare, staffing):
    scenario = only_diagnosis_uncertain(cloudflare)
    options = [staffing("cloudflare-2019-sre"), staffing("follow-the-sun")]
    found = input_uncertainty(scenario, options, draws=8, replications=400, seed=3)
    out = found.to_dict()
    # with the estimates as stated, the cheaper follow-the-sun meets a 60-minute target
    assert out["nominal"]["chosen"] == "follow-the-sun"
    for draw in out["draw_results"]:
        figures = draw["options"]
        meeting = [name for name, f in figures.items() if f["p90_ci_high"] <= 60]
        cheapest = min(meeting, key=lambda n: figures[n]["staffing_cost_per_year"], default=None)
        assert draw["chosen"] == cheapest and sorted(draw["qualifying"]) == sorted(meeting)
    # slow diagnosis pushes follow-the-sun past the target: the answer does not hold everywhere
    assert 0 < out["holds"] < 8
    assert out["sentence"].startswith(f"Choosing follow-the-sun holds in {out['holds']} of 8 draws")
    assert "cloudflare-2019-sre is chosen in" in out["sentence"]
    # the draws really move the delay: slowest diagnosis, slowest restore
    shares = [d["shares"]["scenario cloudflare-2019-waf: diagnosis.time"] for d in out["draw_results"]]
    p90s = [d["options"]["follow-the-sun"]["p90"] for d in out["draw_results"]]
    assert p90s[int(np.argmax(shares))] > p90s[int(np.argmin(shares))] + 10
    row = next(o for o in out["options"] if o["name"] == "follow-the-sun")
    assert row["chosen"] == out["holds"] and row["meets"] >= row["chosen"]
    assert row["p90_low"] == min(p90s) and row["p90_high"] == max(p90s)


def test_the_study_is_the_same_for_any_executor(cloudflare, staffing):
    options = [staffing("cloudflare-2019-sre"), staffing("business-hours-pager")]
    runs = [input_uncertainty(cloudflare, options, draws=3, replications=120, seed=9, jobs=jobs).to_dict()
            for jobs in (1, 2)]
    for run in runs:
        run.pop("settings")
    assert runs[0] == runs[1]


def test_a_nominal_run_given_is_used_as_is(cloudflare, staffing):
    options = [staffing("cloudflare-2019-sre"), staffing("business-hours-pager")]
    nominal = compare(cloudflare, options, replications=120, seed=9)
    found = input_uncertainty(cloudflare, options, draws=2, replications=120, seed=9, nominal=nominal)
    decision = cheapest_meeting_target(nominal)
    assert found.nominal["chosen"] == decision.chosen and found.nominal["closest"] == decision.closest
    assert found.to_dict()["rule"].startswith("the cheapest option (staffing plus expected outage cost a year) whose p90 "
                                                 "time to restore is within 30 min with 95% confidence")



def test_history_fit_writes_ranges_that_hold_what_generated_the_history():
    """A history simulated at one incident a week from known delays: the fitted documents'
    ranges (the fit's 95% intervals) hold the generating median and p90, the fitted
    frequency_range holds 52 a year, and the documents compare across those ranges."""
    scenario, staffing = load_text(SCENARIO, "checkout.yaml"), load_text(STAFFING, "always-on.yaml")
    incidents = simulate(scenario, staffing, replications=300, seed=42, keep_incidents=True).options[0].incidents
    fit = fit_history(synthetic_history(incidents, start="2023-01-01", seed=1), source={"file": "synthetic.csv"})
    delays = fit.fitted_delays()
    fitted_scenario = load_text(fitted_document(scenario, delays, history="synthetic"), "fitted.yaml")
    fitted_staffing = load_text(fitted_document(staffing, delays, history="synthetic"), "fitted-staffing.yaml")
    detect = fitted_scenario.document.detection.monitoring.delay
    assert detect.range.median[0] <= 12 <= detect.range.median[1]
    assert detect.range.p90[0] <= 40 <= detect.range.p90[1]
    low, high = fitted_scenario.document.frequency_range
    assert low < 52 < high and low < fitted_scenario.document.frequency < high
    lead = fitted_staffing.document.roles["technical_lead"].acknowledge.in_hours   # 24x7: the in-hours delay
    assert lead.range.median[0] <= 3 <= lead.range.median[1] and lead.range.p90[0] <= 9 <= lead.range.p90[1]
    found = input_uncertainty(fitted_scenario, [fitted_staffing, staffing], draws=3, replications=60, seed=2)
    # the rate, three scenario delays, and the one fitted acknowledgement every role of the staffing took
    assert len(found.estimates) == 1 + 3 + 1
    assert found.estimates[-1].label == ("staffing always-on-fitted: roles.incident_manager.acknowledge.in_hours "
                                         "(and 5 more places with this estimate)")
    first = found.to_dict()["draw_results"][0]
    assert len(first["shares"]) == 5
