"""Scale: exact, order-free summaries; the same numbers on every executor (a 2-worker Dask
LocalCluster included); lost workers retried; failed chunks reported; memory that does not
grow with the run."""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import signal
import tracemalloc

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from cli import main
from simulator import (
    ChunkFailed,
    DaskExecutor,
    ProcessExecutor,
    SerialExecutor,
    compare,
    simulate,
)
from simulator.run.runner import Job, RunSpec
from simulator.run.summary import QUANTILES, MetricSummary, Moments, PairSummary

QS = list(QUANTILES.values())


def _numbers(result) -> dict:
    """Everything a run reports except when and where it ran."""
    out = result.to_dict()
    for key in ("started", "finished", "settings"):
        out.pop(key)
    return out


@pytest.fixture(scope="module")
def documents(cloudflare, staffing):
    return cloudflare, [staffing("cloudflare-2019-sre"), staffing("follow-the-sun")]


# -- summaries -----------------------------------------------------------------------

def _summary_of(values: np.ndarray, cuts: list[int]) -> list[MetricSummary]:
    parts = []
    for a, b in zip([0, *cuts], [*cuts, values.size]):
        part = MetricSummary()
        part.add(values[a:b], [slice(0, b - a)] if b > a else [])
        parts.append(part)
    return parts


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.floats(0, 1e5), st.just(math.nan)), min_size=1, max_size=300),
       st.lists(st.integers(0, 300), max_size=6), st.randoms(use_true_random=False))
def test_summaries_merge_exactly_in_any_order(values, cuts, rng):
    x = np.array(values)
    cuts = sorted({c for c in cuts if c <= x.size})
    parts = _summary_of(x, cuts)
    forward, shuffled = MetricSummary(), MetricSummary()
    for part in parts:
        forward.merge(part)
    rng.shuffle(parts)
    for part in parts:
        shuffled.merge(part)
    assert forward.values == shuffled.values
    assert np.array_equal(forward.histogram.counts, shuffled.histogram.counts)
    assert forward.histogram.first == shuffled.histogram.first
    assert forward.describe(True) == shuffled.describe(True)
    # The sums are exact: the same as summing the gridded values with Python integers.
    present = x[~np.isnan(x)]
    grid = [round(v * 2**20) for v in present.tolist()]
    assert forward.values.s1 == sum(grid) and forward.values.s2 == sum(g * g for g in grid)
    assert forward.missing == int(np.isnan(x).sum())


def test_exact_sums_hold_for_long_durations_without_overflow():
    x = np.random.default_rng(1).uniform(0, 5e6, 5000)  # up to ten years in minutes
    moments = Moments()
    moments.add_values(x)
    grid = [round(v * 2**20) for v in x.tolist()]
    assert moments.s1 == sum(grid) and moments.s2 == sum(g * g for g in grid)
    assert moments.mean == pytest.approx(x.mean(), rel=1e-12)
    assert moments.variance() == pytest.approx(x.var(ddof=1), rel=1e-9)


@pytest.mark.parametrize("sigma", [0.3, 1.0, 2.5])
def test_histogram_quantiles_are_within_the_stated_half_percent(sigma):
    x = np.random.default_rng(7).lognormal(3.0, sigma, 20001)
    summary = MetricSummary()
    summary.add(x, [])
    for q in (0.01, *QS, 0.99):
        exact = float(np.quantile(x, q, method="inverted_cdf"))
        assert summary.quantile(q) == pytest.approx(exact, rel=0.005)
    described = summary.describe(True)
    assert described["min"] == x.min() and described["max"] == x.max()


def test_quantile_difference_interval_agrees_with_a_paired_bootstrap():
    """Sectioning (sections of 50 pairs) gives intervals as wide as resampling the pairs."""
    rng = np.random.default_rng(3)
    n = 4000
    a = rng.lognormal(3.0, 0.5, n)
    b = a * rng.lognormal(-0.1, 0.2, n)
    pair, sa, sb = PairSummary(), MetricSummary(), MetricSummary()
    sections = [slice(i, i + 50) for i in range(0, n, 50)]
    pair.add(a, b, sections)
    sa.add(a, sections)
    sb.add(b, sections)
    described = pair.describe(sa, sb, independent=True)
    boot = []
    for _ in range(400):
        pick = rng.integers(0, n, n)
        boot.append(np.quantile(b[pick], QS) - np.quantile(a[pick], QS))
    boot = np.array(boot)
    for j, name in enumerate(QUANTILES):
        lo, hi = described[f"{name}_ci95"]
        ours = (hi - lo) / 2
        theirs = (np.quantile(boot[:, j], 0.975) - np.quantile(boot[:, j], 0.025)) / 2
        assert 0.7 < ours / theirs < 1.4, (name, ours, theirs)
        assert described[f"{name}_diff"] == pytest.approx(np.quantile(b, QS[j]) - np.quantile(a, QS[j]), abs=0.02 * np.quantile(a, QS[j]))


# -- executors -----------------------------------------------------------------------

def test_dask_local_cluster_gives_exactly_the_numbers_of_one_process(documents, dask_cluster):
    scenario, options = documents
    serial = compare(scenario, options, replications=1700, seed=31)
    on_dask = compare(scenario, options, replications=1700, seed=31, executor=dask_cluster)
    two = compare(scenario, options, replications=1700, seed=31, jobs=2)
    assert on_dask.settings["executor"] == "dask LocalCluster, 2 workers"
    assert _numbers(on_dask) == _numbers(serial) == _numbers(two)
    other_seed = compare(scenario, options, replications=1700, seed=32)
    assert _numbers(other_seed) != _numbers(serial)


def test_stream_mode_is_identical_on_dask(documents, dask_cluster):
    from scenarios import load_text

    scenario, options = documents
    busy = load_text(scenario.text.replace("frequency: 1/year", "frequency: 2/day")
                     .replace("frequency_range: [0.5/year, 3/year]\n", ""), "busy.yaml")
    kwargs = dict(mode="stream", replications=6, horizon=60 * 24 * 60.0, seed=4)
    assert _numbers(compare(busy, options, executor=dask_cluster, **kwargs)) == _numbers(compare(busy, options, **kwargs))


def test_kept_rows_arrive_in_replication_order_from_any_executor(documents, dask_cluster):
    scenario, options = documents
    chunks: list[pd.DataFrame] = []
    kept = simulate(scenario, options[0], replications=1600, seed=5, keep_incidents=True)
    simulate(scenario, options[0], replications=1600, seed=5, executor=dask_cluster, incident_sink=chunks.append)
    assert [len(c) for c in chunks] == [500, 500, 500, 100]
    assert pd.concat(chunks, ignore_index=True).equals(kept.incidents)


def test_a_dask_worker_lost_mid_run_is_retried_and_nothing_changes(documents):
    scenario, options = documents
    killed = []

    # Its own cluster: the shared one must not lose a worker under another test.
    with DaskExecutor(workers=2) as cluster:
        pids = list(cluster.client.run(os.getpid).values())

        def kill_one_worker(_count):
            if not killed:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])

        result = compare(scenario, options, replications=8000, seed=8, executor=cluster, progress=kill_one_worker)
    assert killed
    assert _numbers(result) == _numbers(compare(scenario, options, replications=8000, seed=8))


def test_a_local_worker_killed_mid_run_is_replaced_and_nothing_changes(documents):
    scenario, options = documents
    killed = []

    def kill_one_worker(_count):
        if not killed:
            victim = multiprocessing.active_children()[0]
            os.kill(victim.pid, signal.SIGKILL)
            killed.append(victim.pid)

    result = compare(scenario, options, replications=6000, seed=9, jobs=2, progress=kill_one_worker)
    assert killed
    assert _numbers(result) == _numbers(compare(scenario, options, replications=6000, seed=9))


def _broken_job(documents) -> Job:
    scenario, options = documents
    spec = RunSpec(scenarios=(), staffing=options[0].document, playbook=None, mode="single",
                   replications=1000, seed=1)  # no scenario: every chunk fails in the worker
    return Job(specs=(spec,), token="broken")


@pytest.mark.parametrize("make", [SerialExecutor, lambda: ProcessExecutor(2)], ids=["serial", "process-pool"])
def test_a_failed_chunk_is_reported_with_its_replications(documents, make):
    with make() as executor, pytest.raises(ChunkFailed, match=r"replications 500-999 failed|replications 0-499 failed"):
        list(executor.run(_broken_job(documents), [(0, 500), (500, 500)]))


def test_a_failed_chunk_on_dask_is_reported(documents, dask_cluster):
    with pytest.raises(ChunkFailed, match=r"replications 0-499 failed and were not merged: IndexError"):
        list(dask_cluster.run(_broken_job(documents), [(0, 500)]))


@pytest.mark.slow  # about 20 s: tracemalloc slows the model tenfold, and the point is a 10x longer run
def test_memory_does_not_grow_with_replications(documents):
    scenario, options = documents

    def peak(replications: int) -> int:
        tracemalloc.start()
        simulate(scenario, options[0], replications=replications, seed=2)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(2000), peak(20000)
    assert large < small * 1.3, (small, large)


# -- command line --------------------------------------------------------------------

def test_compare_on_a_running_dask_cluster_prints_the_numbers_of_jobs_1(dask_cluster):
    """`--scheduler` on a running cluster (the shared one). `--executor dask`, which starts a
    LocalCluster of its own, runs in the scale-out how-to's commands (test_docs)."""
    runner = CliRunner()
    address = dask_cluster.cluster.scheduler_address
    args = ["compare", "cloudflare-2019-waf", "--staffing", "cloudflare-2019-sre", "--staffing", "follow-the-sun",
            "-n", "1200", "--seed", "12", "--json", "-q"]
    local = runner.invoke(main, [*args, "--jobs", "1"])
    dask = runner.invoke(main, [*args, "--scheduler", address])
    assert local.exit_code == 0 and dask.exit_code == 0, dask.output
    a, b = json.loads(local.output), json.loads(dask.output)
    assert b["settings"]["executor"] == f"dask, {address}"
    for out in (a, b):
        for key in ("started", "finished", "settings"):
            out.pop(key)
    assert a == b


def test_out_writes_the_table_in_chunks_and_no_incidents_skips_it(tmp_path):
    runner = CliRunner()
    ran = runner.invoke(main, ["simulate", "cloudflare-2019-waf", "--staffing", "cloudflare-2019-sre", "-n", "1200",
                               "-q", "--out", str(tmp_path / "full")])
    assert ran.exit_code == 0, ran.output
    import pyarrow.parquet as pq

    table = pq.ParquetFile(tmp_path / "full" / "incidents.parquet")
    assert table.metadata.num_rows == 1200 and table.metadata.num_row_groups == 3
    frame = table.read().to_pandas()
    assert frame["replication"].tolist() == list(range(1200))
    summary = json.loads((tmp_path / "full" / "summary.json").read_text())
    assert summary["files"] == ["summary.json", "incidents.parquet", "incidents.csv"]
    assert summary["metrics"]["time_to_restore"]["mean"] == pytest.approx(frame["time_to_restore"].mean(), rel=1e-9)
    assert len(pd.read_csv(tmp_path / "full" / "incidents.csv")) == 1200

    lean = runner.invoke(main, ["simulate", "cloudflare-2019-waf", "--staffing", "cloudflare-2019-sre", "-n", "1200",
                                "-q", "--out", str(tmp_path / "lean"), "--no-incidents"])
    assert lean.exit_code == 0, lean.output
    assert sorted(p.name for p in (tmp_path / "lean").iterdir()) == ["summary.json"]
    report = runner.invoke(main, ["report", "compare", str(tmp_path / "lean"), "-o", str(tmp_path / "c.html")])
    assert report.exit_code == 0, report.output
    assert "<svg" in (tmp_path / "c.html").read_text()


def test_an_unreachable_scheduler_is_a_clear_error():
    ran = CliRunner().invoke(main, ["simulate", "cloudflare-2019-waf", "--staffing", "cloudflare-2019-sre", "-n", "10",
                                    "-q", "--scheduler", "tcp://127.0.0.1:9"])
    assert ran.exit_code == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in ran.output
    assert "Traceback" not in ran.output


def test_a_quantile_bound_beyond_the_sample_is_unknown_not_the_maximum():
    """With 20 values the data cannot put a 95% upper bound on p95 (its binomial rank is past
    the largest value); reporting the maximum would claim confidence the sample does not have."""
    x = np.random.default_rng(2).lognormal(3.0, 0.5, 20)
    small = MetricSummary()
    small.add(x, [])
    low, high = small.describe(True)["p95_ci95"]
    assert math.isnan(high) and low <= small.quantile(0.95)
    y = np.random.default_rng(2).lognormal(3.0, 0.5, 2000)
    large = MetricSummary()
    large.add(y, [])
    low, high = large.describe(True)["p95_ci95"]
    assert low < large.quantile(0.95) < high < y.max()


def test_verdict_says_when_there_are_too_few_replications_for_an_interval(documents):
    scenario, options = documents
    result = compare(scenario, options, replications=30, seed=1)
    assert "too few replications for an interval" in result.verdicts()[0]


def test_a_process_pool_serves_every_run_of_a_sweep(documents):
    """Entered once, the local pool keeps its workers across runs (a sensitivity or optimize
    sweep starts them once), and the numbers stay those of one process."""
    scenario, options = documents

    def children() -> set[int]:
        return {p.pid for p in multiprocessing.active_children()}

    before = children()
    with ProcessExecutor(2) as pool:
        first = compare(scenario, options, replications=1500, seed=3, executor=pool)
        workers = children() - before
        second = compare(scenario, options, replications=1500, seed=4, executor=pool)
        assert children() - before == workers and len(workers) == 2
    assert not children() & workers
    assert _numbers(first) == _numbers(compare(scenario, options, replications=1500, seed=3))
    assert _numbers(second) == _numbers(compare(scenario, options, replications=1500, seed=4))
