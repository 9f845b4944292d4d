"""The interval formulas behind every reported mean and target breach, against numbers
worked by hand (each comment shows the arithmetic)."""

import math

import numpy as np
import pytest

from simulator.run.statistics import breach, t_interval
from simulator.run.summary import TargetBreaches


def test_mean_interval_is_students_t():
    # 1..5: mean 3; s^2 = (4 + 1 + 0 + 1 + 4) / 4 = 2.5, s = 1.58114; se = s / sqrt(5) = 0.707107;
    # t(0.975, 4 df) = 2.776445; half-width 2.776445 x 0.707107 = 1.963243.
    mean, low, high = t_interval([1.0, 2.0, 3.0, 4.0, 5.0])
    assert mean == 3.0
    assert (low, high) == pytest.approx((3 - 1.963243, 3 + 1.963243), abs=1e-6)


def test_one_value_has_no_interval():
    mean, low, high = t_interval([7.0])
    assert mean == 7.0 and math.isnan(low) and math.isnan(high)


def test_breach_probability_has_a_wilson_interval():
    # 3 of 10 above target: p = 0.3, z = 1.959964, z^2 = 3.841459.
    # centre = (0.3 + 3.841459 / 20) / (1 + 3.841459 / 10) = 0.492073 / 1.384146 = 0.355506
    # half   = 1.959964 x sqrt(0.3 x 0.7 / 10 + 3.841459 / 400) / 1.384146
    #        = 1.959964 x sqrt(0.0306036) / 1.384146 = 0.342874 / 1.384146 = 0.247715
    # -> [0.107791, 0.603221], the interval tables give for 3/10 (0.108 to 0.603).
    found = breach(3, 10, 30.0)
    assert found["probability"] == 0.3 and found["n"] == 10 and found["target"] == 30.0
    assert found["ci95"] == pytest.approx([0.107791, 0.603222], abs=2e-6)


def test_breach_interval_stays_informative_at_none_and_all():
    # 0 of 10: the Wilson upper bound is z^2 / (n + z^2) = 3.841459 / 13.841459 = 0.277533, not 0.
    assert breach(0, 10, 30.0)["ci95"] == pytest.approx([0.0, 0.277533], abs=1e-6)
    # 10 of 10 mirrors it: 1 - 0.277533 = 0.722467.
    assert breach(10, 10, 30.0)["ci95"] == pytest.approx([0.722467, 1.0], abs=1e-6)
    # No incident reached the metric: nothing to say.
    assert breach(0, 0, 30.0) == {"target": 30.0, "probability": None, "ci95": [None, None], "n": 0}



def _breaches(sections) -> TargetBreaches:
    counts = TargetBreaches()
    for n, above in sections:
        counts.add(n, above)
    return counts


def test_stream_breach_interval_is_across_replications():
    # Three horizons: 2 of 10, 8 of 20 and 5 of 10 incidents above target. Pooled p = 15/40 = 0.375.
    # Residuals above_r - p n_r: 2 - 3.75 = -1.75, 8 - 7.5 = 0.5, 5 - 3.75 = 1.25; squares sum to
    # 3.0625 + 0.25 + 1.5625 = 4.875. k = 3, nbar = 40/3: var = 4.875 / (3 x 2 x (40/3)^2) = 0.00457031,
    # se = 0.0676041; t(0.975, 2 df) = 4.302653; half-width 0.290877 -> [0.084123, 0.665877].
    found = _breaches([(10, 2), (20, 8), (10, 5)]).describe(30.0, independent=False)
    assert found["probability"] == 0.375 and found["n"] == 40 and found["replications"] == 3
    assert found["interval"] == "across_replications"
    assert found["ci95"] == pytest.approx([0.084123, 0.665877], abs=2e-6)
    # The same 15 of 40 as independent incidents (single mode) get Wilson's much narrower interval.
    single = _breaches([(10, 2), (20, 8), (10, 5)]).describe(30.0, independent=True)
    assert single["interval"] == "wilson" and single["ci95"] == pytest.approx(breach(15, 40, 30.0)["ci95"])
    assert single["ci95"] == pytest.approx([0.242230, 0.529676], abs=2e-6)


def test_stream_breach_interval_never_claims_certainty():
    # No breach in any of three horizons (21 incidents): the replications do not vary, yet the
    # interval is Wilson's for 0 of 21, 3.841459 / 24.841459 = 0.154639 at the top, not [0, 0].
    assert _breaches([(5, 0), (7, 0), (9, 0)]).describe(30.0, False)["ci95"] == pytest.approx([0.0, 0.154639], abs=1e-6)
    # One horizon: nothing to vary across, so no interval (null in summary.json).
    one = _breaches([(12, 3)]).describe(30.0, False)
    assert one["probability"] == 0.25 and all(math.isnan(x) for x in one["ci95"])
    # Nothing reached the metric.
    assert _breaches([(0, 0), (0, 0)]).describe(30.0, False)["probability"] is None


def test_breach_counts_merge_exactly_in_any_order():
    rng = np.random.default_rng(3)
    sections = [(int(n), int(rng.integers(0, n + 1))) for n in rng.integers(0, 400, 60)]
    whole = _breaches(sections)
    for cut in (1, 17, 59):
        for first, second in ((sections[:cut], sections[cut:]), (sections[cut:], sections[:cut])):
            merged = _breaches(first)
            merged.merge(_breaches(second))
            assert merged == whole
            assert merged.describe(30.0, False) == whole.describe(30.0, False)


def test_the_light_quantile_functions_give_scipy_stats_numbers():
    """The run's intervals use scipy.special directly (scipy.stats takes longer to import
    than a small run); they must be the numbers scipy.stats gives."""
    from scipy import stats

    from simulator.run.statistics import binomial_quantile, t_quantile

    for n, q, p in [(2, 0.5, 0.025), (100, 0.9, 0.975), (2000, 0.95, 0.025), (12345, 0.5, 0.995), (7, 0.99, 0.5)]:
        assert binomial_quantile(p, n, q) == int(stats.binom.ppf(p, n, q))
    for df in (1, 2, 9, 29, 499, 1999):
        for p in (0.975, 0.995, 0.9):
            assert t_quantile(p, df) == float(stats.t.ppf(p, df))
    assert binomial_quantile(0.975, 100, 0.9) == 95  # P(X <= 94) = 0.942 < 0.975 <= P(X <= 95) = 0.976
