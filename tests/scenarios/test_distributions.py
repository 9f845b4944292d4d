"""Each distribution's samples agree with the mean and variance it states."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from scenarios.distributions import Distribution

ADAPTER = TypeAdapter(Distribution)
N = 200_000

CASES = [
    "7m",
    {"dist": "exponential", "mean": "10m"},
    {"dist": "lognormal", "median": "12m", "p90": "40m"},
    {"dist": "triangular", "min": "5m", "mode": "10m", "max": "30m"},
    {"dist": "gamma", "mean": "20m", "sd": "10m"},
    {"dist": "empirical", "samples": ["4m", "7m", "12m", "30m"]},
]


@pytest.mark.parametrize("spec", CASES, ids=lambda s: s if isinstance(s, str) else s["dist"])
def test_samples_match_stated_mean_and_variance(spec):
    dist = ADAPTER.validate_python(spec)
    x = dist.sample(np.random.default_rng(20261122), N)
    assert x.shape == (N,)
    assert (x >= 0).all()
    # Standard error of the mean is sd/sqrt(N); allow 4 of them (plus a hair for fixed values).
    se = np.sqrt(dist.variance / N)
    assert abs(x.mean() - dist.mean) <= 4 * se + 1e-9
    if dist.variance > 0:
        # The sample variance of 200k draws is within 5% of the truth for these shapes.
        assert x.var() == pytest.approx(dist.variance, rel=0.05)
    else:
        assert x.var() == 0


def test_lognormal_is_stated_by_median_and_p90():
    dist = ADAPTER.validate_python({"dist": "lognormal", "median": "10m", "p90": "30m"})
    x = dist.sample(np.random.default_rng(1), N)
    assert np.median(x) == pytest.approx(10, rel=0.02)
    assert np.quantile(x, 0.9) == pytest.approx(30, rel=0.03)


@pytest.mark.parametrize(
    "spec, words",
    [
        ({"dist": "lognormal", "median": "10m", "p90": "5m"}, "p90 must be >= median"),
        ({"dist": "triangular", "min": "10m", "mode": "5m", "max": "30m"}, "min <= mode <= max"),
        ({"dist": "exponential", "mean": "0m"}, "greater than 0"),
        ({"dist": "weibull", "mean": "3m"}, "weibull"),
        ({"dist": "empirical", "samples": []}, "at least 1"),
    ],
)
def test_impossible_distributions_are_refused(spec, words):
    with pytest.raises(ValidationError) as err:
        ADAPTER.validate_python(spec)
    assert words in str(err.value)


@settings(max_examples=40, deadline=None)
@given(
    median=st.floats(min_value=0.1, max_value=500),
    spread=st.floats(min_value=1.0, max_value=20),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_lognormal_draws_are_positive_and_reproducible(median, spread, seed):
    dist = ADAPTER.validate_python({"dist": "lognormal", "median": median, "p90": median * spread})
    a = dist.sample(np.random.default_rng(seed), 50)
    b = dist.sample(np.random.default_rng(seed), 50)
    assert (a > 0).all()
    assert np.array_equal(a, b)
