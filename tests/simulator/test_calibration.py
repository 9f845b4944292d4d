"""The bundled Cloudflare 2019 scenario reproduces the published timeline."""

import pytest

from scenarios.scenario import FixedStart
from simulator import simulate

PUBLISHED = {"time_to_detect": 3, "time_to_identify": 18, "time_to_restore": 27}


def test_cloudflare_2019_medians_within_30_percent_of_published(cloudflare, staffing):
    real_start = FixedStart(policy="fixed", weekday="tue", time="13:42", timezone="UTC")
    result = simulate(cloudflare, staffing("cloudflare-2019-sre"), replications=4000, seed=2019, start=real_start)
    metrics = result.options[0].metrics
    for metric, minutes in PUBLISHED.items():
        assert metrics[metric]["p50"] == pytest.approx(minutes, rel=0.30), metric
    assert result.settings["start_minute_of_week_utc"] == 1 * 1440 + 13 * 60 + 42


def test_gitlab_2017_restore_median_near_published(library, staffing):
    gitlab = library("gitlab-2017-database", "scenario")
    result = simulate(gitlab, staffing("gitlab-2017-oncall"), replications=1500, seed=2017)
    assert result.options[0].metrics["time_to_restore"]["p50"] == pytest.approx(1127, rel=0.30)


def test_every_bundled_scenario_runs_with_a_fitting_bundled_staffing(library, playbook):
    from scenarios import bundled, check_together

    every_staffing = [library(s, "staffing") for s in bundled("staffing")]
    for name in bundled("scenario"):
        scenario = library(name, "scenario")
        fitting = [s for s in every_staffing if not check_together(scenario, s, playbook)]
        assert fitting, f"no bundled staffing fits {name}"
        result = simulate(scenario, fitting[0], replications=200, seed=1)
        assert result.options[0].missing["time_to_restore"] == 0, name
