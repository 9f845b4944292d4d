"""Validation against queueing theory: configured as M/M/c, warroom matches Erlang C.

The documents in docs/validation reduce the model to an M/M/c queue (see
docs/background.md): `time_to_assemble` is the wait for a free server and
`time_to_restore` the time in system. Each estimate must be precise (95% CI half-width at
most 5% of the exact value) and right (error within 3 half-widths).
"""

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from scenarios import load, load_text
from simulator import simulate

DOCS = Path(__file__).resolve().parents[2] / "docs" / "validation"


def erlang_c(c: int, offered: float) -> float:
    """P(wait > 0) for M/M/c via the Erlang B recursion."""
    b = 1.0
    for k in range(1, c + 1):
        b = offered * b / (k + offered * b)
    return b / (1 - offered / c * (1 - b))


def test_erlang_c_formula_matches_textbook_values():
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)  # c=2, lambda=mu=1
    assert erlang_c(1, 0.9) == pytest.approx(0.9)  # M/M/1: P(wait) = rho


def mmc_documents(c: int, arrival_rate: float):
    scenario_text = (DOCS / "mmc-scenario.yaml").read_text()
    staffing_text = (DOCS / "mmc-staffing.yaml").read_text()
    assert "frequency: 0.9/minute" in scenario_text and "on_call: 1" in staffing_text
    scenario = load_text(scenario_text.replace("frequency: 0.9/minute", f"frequency: {arrival_rate}/minute"), "mmc-scenario.yaml")
    staffing = load_text(staffing_text.replace("on_call: 1", f"on_call: {c}"), "mmc-staffing.yaml")
    return scenario, staffing, load(DOCS / "mmc-playbook.yaml")


def check(estimate: float, half: float, exact: float, what: str):
    assert half <= 0.05 * exact, f"{what}: CI half-width {half:.4g} is over 5% of {exact:.4g}; run longer"
    assert abs(estimate - exact) <= 3 * half, f"{what}: {estimate:.4g} vs exact {exact:.4g} (half-width {half:.4g})"


@pytest.mark.parametrize(
    "servers, utilisation, horizon_minutes",
    # About 0.1-1.3 million incidents each, split into 40 replications. The two small cells
    # (a few seconds) run in `make test`; the 4- and 8-server cells (15-20 s each) in
    # `make test-slow`. Each cell's horizon is what the stated precision (half-width at most
    # 5% of the exact value) needs, so none is shortened: the small cells' time_to_assemble
    # half-widths already come to 4.1% and 4.2% of the exact wait.
    [(1, 0.5, 5_500), (2, 0.7, 6_500),
     pytest.param(4, 0.8, 9_500, marks=pytest.mark.slow), pytest.param(8, 0.75, 5_600, marks=pytest.mark.slow)],
)
def test_mmc_matches_erlang_c(servers, utilisation, horizon_minutes):
    arrival_rate = utilisation * servers  # service rate mu = 1 per minute
    scenario, staffing, playbook = mmc_documents(servers, arrival_rate)
    result = simulate(scenario, staffing, playbook, mode="stream", replications=40, horizon=float(horizon_minutes),
                      warmup=200.0, seed=servers, jobs=2, keep_incidents=True)
    frame = result.options[0].incidents
    p_wait = erlang_c(servers, arrival_rate)
    wait = p_wait / (servers - arrival_rate)

    shares = frame.groupby("replication")["time_to_assemble"].apply(lambda x: float((x > 0).mean())).to_numpy()
    # Student's t interval over the replications, computed here rather than by the product's helper.
    half = stats.t.ppf(0.975, shares.size - 1) * shares.std(ddof=1) / np.sqrt(shares.size)
    check(float(shares.mean()), half, p_wait, "P(wait)")

    metrics = result.options[0].metrics
    for metric, exact in (("time_to_assemble", wait), ("time_to_restore", wait + 1.0)):
        low, high = metrics[metric]["ci95"]
        check(metrics[metric]["mean"], (high - low) / 2, exact, metric)
    assert np.isfinite(frame["time_to_restore"]).all()
