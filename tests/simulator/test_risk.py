"""Risk per year: the misses of a target expected a year, the chance of at least one this
year and outage cost a year, at the stated incident rate and across its plausible range; and
which option costs least a year as the rate moves."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scenarios import load_text
from simulator import compare
from simulator.run.risk import IncidentRate, chance_of_any, cheapest_by_rate, figure, incident_rate
from simulator.run.statistics import t_interval


def with_rate(cloudflare, lines: str):
    return load_text(cloudflare.text.replace("frequency: 1/year\n", lines)
                     .replace("frequency_range: [0.5/year, 3/year]\n", ""), "rated.yaml")


def test_a_yearly_figure_at_the_rate_within_its_interval_and_across_the_rates():
    rate = IncidentRate(4.0, 2.0, 8.0, "stated")
    found = figure(0.25, (0.2, 0.3), rate)
    assert found == {"value": 1.0, "ci95": [0.8, pytest.approx(1.2)], "range": [0.4, pytest.approx(2.4)]}
    chance = figure(0.25, (0.2, 0.3), rate, then=chance_of_any)
    assert chance["value"] == pytest.approx(1 - math.exp(-1.0))
    assert chance["range"] == [pytest.approx(1 - math.exp(-0.4)), pytest.approx(1 - math.exp(-2.4))]
    total = figure(1000.0, (900.0, 1100.0), rate, plus=50.0)
    assert total["value"] == 4050.0 and total["range"] == [1850.0, 8850.0]
    fixed = figure(0.25, (0.2, 0.3), IncidentRate(4.0, 4.0, 4.0, "no range"))
    assert fixed["range"] is None and fixed["ci95"] == [0.8, pytest.approx(1.2)]
    assert figure(None, None, rate) == {"value": None, "ci95": None, "range": None}
    assert chance_of_any(0.0) == 0.0 and chance_of_any(None) is None


def test_the_rate_says_where_it_comes_from(cloudflare):
    stated = incident_rate([cloudflare.document], 1.0)
    assert (stated.low, stated.high, stated.stated_range) == (0.5, 3.0, True)
    assert "plausibly 0.5 to 3 a year (its frequency_range)" in stated.basis
    bare = incident_rate([with_rate(cloudflare, "frequency: 4/year\n").document], 4.0)
    assert not bare.stated_range and "no frequency_range is stated" in bare.basis
    # stream mode: the range is scaled to the rate the stream simulated
    streamed = incident_rate([cloudflare.document], 1.1, stream=True)
    assert (streamed.low, streamed.high) == pytest.approx((0.55, 3.3))
    assert "the stream was simulated at the stated rate" in streamed.basis


def test_compare_puts_each_option_at_risk_per_year(cloudflare, staffing):
    result = compare(cloudflare, [staffing("cloudflare-2019-sre"), staffing("business-hours-pager")],
                     replications=400, seed=5)
    summary = result.to_dict()
    assert summary["currency"] == "USD"
    for option, raw in zip(summary["options"], result.options):
        risk = option["risk"]
        assert risk["incidents_per_year"]["value"] == 1.0 and risk["incidents_per_year"]["range"] == [0.5, 3.0]
        restore = risk["targets"]["time_to_restore"]
        p, (low, high) = restore["breach_probability"], restore["breach_ci95"]
        assert p == option["targets"]["time_to_restore"]["breach"]["probability"]
        assert restore["expected_breaches_per_year"]["value"] == pytest.approx(p)
        assert restore["expected_breaches_per_year"]["range"] == [pytest.approx(0.5 * low), pytest.approx(3 * high)]
        assert restore["chance_of_breach_this_year"]["value"] == pytest.approx(1 - math.exp(-p))
        outage = risk["outage_cost_per_year"]
        assert outage["value"] == pytest.approx(option["costs"]["outage_cost_per_year"])
        assert outage["ci95"][0] < outage["value"] < outage["ci95"][1]
        assert risk["total_cost_per_year"]["value"] == pytest.approx(option["costs"]["total_cost_per_year"])
        # the interval of the mean outage cost is the t interval over the incidents
        assert raw.outage_cost_interval == pytest.approx(raw.summary.outage_cost.t_interval())
    assert any("USD" in line for line in summary["verdict"])


def test_which_option_costs_least_changes_only_where_two_lines_cross():
    options = [("dedicated", 100.0, 10.0), ("pager", 50.0, 40.0), ("nobody", 0.0, 100.0)]
    assert cheapest_by_rate(options, 0.0, 10.0) == [
        {"from": 0.0, "to": pytest.approx(5 / 6), "option": "nobody"},
        {"from": pytest.approx(5 / 6), "to": pytest.approx(5 / 3), "option": "pager"},
        {"from": pytest.approx(5 / 3), "to": 10.0, "option": "dedicated"}]
    assert cheapest_by_rate(options, 2.0, 3.0) == [{"from": 2.0, "to": 3.0, "option": "dedicated"}]
    assert cheapest_by_rate(options, 1.0, 1.0) == [{"from": 1.0, "to": 1.0, "option": "pager"}]


def test_the_comparison_names_the_cheapest_option_at_every_plausible_rate(cloudflare, staffing):
    result = compare(cloudflare, [staffing("cloudflare-2019-sre"), staffing("business-hours-pager"),
                                  staffing("follow-the-sun")], replications=300, seed=2)
    stretches = result.to_dict()["lowest_total_cost_by_rate"]
    assert stretches[0]["from"] == 0.5 and stretches[-1]["to"] == 3.0
    for stretch in stretches:   # check it against the totals themselves
        rate = (stretch["from"] + stretch["to"]) / 2
        totals = {o.name: o.staffing_cost_per_year + rate * o.outage_cost_per_incident for o in result.options}
        assert min(totals, key=totals.get) == stretch["option"]
    assert "it stays lowest across the plausible 0.5 to 3 incidents a year" in result.verdicts()[-1] \
        or "across the plausible incidents a year the lowest is" in result.verdicts()[-1]


def test_stream_mode_outage_cost_interval_comes_from_the_horizons(cloudflare, staffing):
    scenario = with_rate(cloudflare, "frequency: 6/year\n")
    runs = [compare(scenario, [staffing("cloudflare-2019-sre")], mode="stream", replications=40, seed=11,
                    horizon=525600.0 / 4, keep_incidents=True, jobs=jobs) for jobs in (1, 2)]
    option = runs[0].options[0]
    totals = option.incidents.groupby("replication")["outage_cost"].sum().reindex(range(40), fill_value=0.0)
    _, low, high = t_interval(totals.to_numpy() / 0.25)   # each horizon is a quarter of a year
    interval = option.risk()["outage_cost_per_year"]["ci95"]
    assert interval == pytest.approx([low, high], rel=1e-6)
    assert runs[1].options[0].risk() == option.risk()   # the same for any number of processes


@pytest.mark.slow
def test_the_chance_of_a_miss_this_year_matches_simulated_years(cloudflare, staffing):
    """Stream mode, a year per replication: the share of simulated years with at least one
    incident restored later than 30 minutes agrees with 1 - exp(-rate x p) within 4 standard
    errors (incidents this rare hardly contend, so the Poisson reasoning should hold)."""
    scenario = with_rate(cloudflare, "frequency: 2/year\n")
    years = 1500
    result = compare(scenario, [staffing("cloudflare-2019-sre")], mode="stream", replications=years, seed=3,
                     keep_incidents=True)
    option = result.options[0]
    missed = (option.incidents.assign(late=option.incidents["time_to_restore"] > 30)
              .groupby("replication")["late"].any().sum()) / years
    predicted = option.risk()["targets"]["time_to_restore"]["chance_of_breach_this_year"]["value"]
    assert abs(missed - predicted) < 4 * np.sqrt(predicted * (1 - predicted) / years)
