"""Modelling choices the engine used to make on its own, now document fields with documented
defaults: which workaround the simulated team applies, and when the first user report comes."""

from __future__ import annotations

import numpy as np
import pytest
from document_edits import edited  # tests/simulator is on the path

from scenarios import DocumentError
from simulator import simulate


def test_the_simulated_team_applies_the_workaround_the_scenario_names(cloudflare, staffing):
    rollback_works = (r"  - id: roll_back_edge_release\n    answers: edge_release\n(    name: Roll back the last edge "
                      r"software release\n    by: sre\n    apply: 15m\n)    effective: false\n",
                      r"  - id: roll_back_edge_release\n\1")
    first = edited(cloudflare, rollback_works)
    second = edited(cloudflare, rollback_works, (r"^fix:\n", "simulated_workaround: roll_back_edge_release\nfix:\n"))
    a = simulate(first, staffing("cloudflare-2019-sre"), replications=300, seed=2, keep_incidents=True).options[0].incidents
    b = simulate(second, staffing("cloudflare-2019-sre"), replications=300, seed=2,
                 keep_incidents=True).options[0].incidents
    # The roll-back takes a fixed 15 minutes of work; the default (the global kill) a lognormal.
    work_a = a["time_to_workaround"] - a["time_to_identify"]
    work_b = b["time_to_workaround"] - b["time_to_identify"]
    assert work_b.min() >= 15 - 1e-9 and np.isclose(work_b, 15).mean() > 0.5
    assert not np.isclose(work_a, 15).mean() > 0.5


@pytest.mark.parametrize("name,message", [("nope", "no workaround 'nope'"),
                                          ("under_attack_mode", "'under_attack_mode' is not effective")])
def test_a_simulated_workaround_must_be_an_effective_one(cloudflare, name, message):
    with pytest.raises(DocumentError, match=message) as caught:
        edited(cloudflare, (r"^fix:\n", f"simulated_workaround: {name}\nfix:\n"))
    assert caught.value.problems[0].path == "simulated_workaround"


def test_the_first_user_report_can_follow_its_own_distribution(cloudflare, staffing):
    reports_only = edited(cloudflare, (r"^  monitoring:\n(    .*\n)+", ""),
                          (r"^    rate_per_hour: 120\n", "    rate_per_hour: 120\n    first_after: 30m\n"),
                          (r"^    triage: \{dist: lognormal, median: 10m, p90: 25m\}\n", "    triage: 5m\n"))
    frame = simulate(reports_only, staffing("cloudflare-2019-sre"), replications=200, seed=4,
                     keep_incidents=True).options[0].incidents
    assert np.allclose(frame["time_to_detect"], 35) and (frame["detection_path"] == "user_report").all()
