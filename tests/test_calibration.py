"""The bundled Cloudflare 2019 scenario reproduces the published timeline."""

import pytest

from simulator import simulate
from scenarios.scenario import FixedStart

PUBLISHED = {"time_to_detect": 3, "time_to_identify": 18, "time_to_restore": 27}


def test_cloudflare_2019_medians_within_30_percent_of_published(cloudflare, staffing):
    real_start = FixedStart(policy="fixed", weekday="tue", time="13:42", timezone="UTC")
    result = simulate(cloudflare, staffing("cloudflare-2019-sre"), replications=4000, seed=2019, start=real_start)
    metrics = result.options[0].metrics
    for metric, minutes in PUBLISHED.items():
        assert metrics[metric]["p50"] == pytest.approx(minutes, rel=0.30), metric
    assert result.settings["start_minute_of_week_utc"] == 1 * 1440 + 13 * 60 + 42
