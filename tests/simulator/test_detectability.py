"""What a history can detect: the closed forms against simulated period-to-period comparisons."""

import math

import numpy as np
import pytest
from scipy import stats

from simulator.history.detectability import (
    detectability,
    detectability_of_durations,
    log_spread,
)

TRIALS = 4000
# A simulated rate over 4000 trials has sd at most 0.008; 0.03 is about four of them.
TOLERANCE = 0.03


def _compare_periods(rng, n: int, sigma: float, ratio: float):
    """TRIALS pairs of periods: n incidents before, n after with medians scaled by `ratio`."""
    before = rng.normal(math.log(60), sigma, (TRIALS, n))
    after = rng.normal(math.log(60) + math.log(ratio), sigma, (TRIALS, n))
    p = stats.ttest_ind(after, before, axis=1).pvalue
    apparent = np.exp(after.mean(axis=1) - before.mean(axis=1))
    return p, apparent


def test_power_at_the_minimum_detectable_change_is_the_stated_power():
    found = detectability(1.0, 14)
    rng = np.random.default_rng(20240601)
    p, _ = _compare_periods(rng, 14, 1.0, 1 - found.minimum_detectable_change)
    assert np.mean(p < 0.05) == pytest.approx(0.80, abs=TOLERANCE)


def test_a_real_ten_percent_improvement_is_missed_as_often_as_stated():
    found = detectability(0.9, 20)
    rng = np.random.default_rng(7)
    p, _ = _compare_periods(rng, 20, 0.9, 0.9)
    assert np.mean(p >= 0.05) == pytest.approx(found.miss_chance, abs=TOLERANCE)
    assert found.miss_chance > 0.8  # and this is the point: twenty incidents a year show almost nothing


def test_no_change_looks_like_an_improvement_as_often_as_stated():
    found = detectability(1.2, 10)
    rng = np.random.default_rng(11)
    _, apparent = _compare_periods(rng, 10, 1.2, 1.0)
    assert np.mean(apparent <= 0.9) == pytest.approx(found.false_improvement_chance, abs=TOLERANCE)
    assert 0.3 < found.false_improvement_chance < 0.5


def test_more_incidents_or_less_spread_detect_smaller_changes():
    assert detectability(1.0, 50).minimum_detectable_change < detectability(1.0, 14).minimum_detectable_change
    assert detectability(0.5, 14).minimum_detectable_change < detectability(1.0, 14).minimum_detectable_change
    big = detectability(0.5, 1000)
    assert big.minimum_detectable_change < 0.1 and big.miss_chance < 0.2
    assert big.minimum_detectable_rise == pytest.approx(1 / (1 - big.minimum_detectable_change) - 1)


def test_the_sentence_says_the_numbers_plainly():
    found = detectability(1.0, 14)
    assert found.sentence.startswith("With 14 incidents a year and this spread (log-scale sd 1.00), only a cut of 67%")
    assert "a real 10% improvement would be missed 94% of the time" in found.sentence
    assert f"{found.false_improvement_chance:.0%} of the time" in found.sentence
    assert found.to_dict()["sentence"] == found.sentence


def test_too_few_incidents_for_any_comparison():
    found = detectability(0.8, 1)
    assert found.minimum_detectable_change is None and found.miss_chance is None
    assert "no change in MTTR could be shown" in found.sentence


def test_near_total_cuts_are_not_rounded_to_a_hundred_percent():
    found = detectability(1.0, 2)
    assert found.minimum_detectable_change > 0.99
    assert "99." in found.sentence and "100%" not in found.sentence


def test_spread_from_observed_durations():
    rng = np.random.default_rng(3)
    durations = np.exp(rng.normal(math.log(45), 0.7, 2000))
    sigma, used = log_spread(np.concatenate([durations, [np.nan, 0.0, -5.0]]))
    assert used == 2000 and sigma == pytest.approx(0.7, abs=0.03)
    assert detectability_of_durations(durations, 14).sigma == pytest.approx(sigma)
    with pytest.raises(ValueError, match="at least two positive durations"):
        detectability_of_durations([12.0], 14)


@pytest.mark.parametrize("sigma", [-1.0, math.nan, math.inf])
def test_bad_spread_is_refused(sigma):
    with pytest.raises(ValueError, match="sigma"):
        detectability(sigma, 14)
