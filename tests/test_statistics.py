"""The interval formulas of a run: the same numbers as the textbook functions."""


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
