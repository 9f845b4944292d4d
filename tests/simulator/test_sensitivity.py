"""Sensitivity: every parameter moved on its own, paired with the baseline, ranked by its
effect on p90 time to restore (MTTR); varied documents describe themselves."""

import json
import re
import shlex
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cli import main
from scenarios import (
    Empirical,
    Exponential,
    Fixed,
    Gamma,
    LogNormal,
    Triangular,
    Weibull,
    load_text,
    resolve,
)
from scenarios.edit import with_changes
from simulator import compare, make_executor
from simulator.run.summary import PairSummary
from simulator.studies.sensitivity import (
    GROUPS,
    _Restores,
    _sections,
    lever_closing_gap,
    parse_change,
    ranking_key,
    sensitivity,
)
from simulator.studies.variation import sensitivity_variants

ROOT = Path(__file__).resolve().parents[2]
N = 300

FAMILIES = [
    Fixed(value=3),
    Exponential(dist="exponential", mean=4),
    LogNormal(dist="lognormal", median=2, p90=5),
    Triangular(dist="triangular", min=1, mode=2, max=6),
    Gamma(dist="gamma", mean=3, sd=1.5),
    Weibull(dist="weibull", shape=1.5, scale=3),
    Empirical(dist="empirical", samples=[1, 2, 5, 9]),
]


@pytest.fixture(scope="module")
def trio(cloudflare, staffing, playbook):
    return cloudflare, staffing("cloudflare-2019-sre"), playbook


@pytest.fixture(scope="module")
def sweep(trio):
    return sensitivity(*trio, change=0.25, replications=N, seed=5)


@pytest.mark.parametrize("dist", FAMILIES, ids=lambda d: d.dist)
def test_scaled_distribution_draws_exactly_factor_times_as_long(dist):
    scaled = dist.scaled(1.25)
    assert type(scaled) is type(dist)
    original = dist.sample(np.random.default_rng(9), 1000)
    assert np.allclose(scaled.sample(np.random.default_rng(9), 1000), 1.25 * original)
    assert scaled.mean == pytest.approx(1.25 * dist.mean)
    assert scaled.variance == pytest.approx(1.25**2 * dist.variance)
    for bad in (0, -1, float("nan"), "2"):
        with pytest.raises(ValueError, match="scaling factor"):
            dist.scaled(bad)


def test_change_is_a_fraction_between_0_and_100_percent():
    assert parse_change("25%") == 0.25 and parse_change("0.5") == 0.5 and parse_change(0.1) == 0.1
    for bad in ("0%", "100%", "150%", "1.5", "lots", "-10%"):
        with pytest.raises(Exception, match="change must"):
            parse_change(bad)


def test_variants_reload_to_the_same_model_and_change_one_thing(trio):
    scenario, staffing, playbook = trio
    variants, skipped = sensitivity_variants(scenario, staffing, playbook, 0.25)
    for v in variants:
        again = load_text(v.document.text, expect=v.kind)
        assert again.document == v.document.document and again.sha256 == v.document.sha256
    names = [v.document.document.name for v in variants if v.kind == "staffing"]
    assert len(set(names)) == len(names)
    parameters = {v.parameter for v in variants}
    for pool in ("roles.incident_manager", "roles.technical_lead", "resolver_groups.sre"):
        assert {f"staffing.{pool}.on_call", f"staffing.{pool}.acknowledge.in_hours", f"staffing.{pool}.skill"} <= parameters
    assert {"scenario.diagnosis.time", "playbook.declaration", "playbook.communications"} <= parameters

    sre_up = next(v for v in variants if v.parameter == "staffing.resolver_groups.sre.on_call" and v.direction == "up")
    base_pools = staffing.document.model_dump()["resolver_groups"]
    varied = sre_up.document.document.model_dump()["resolver_groups"]
    # The rota moves in step: 20 people for 3 on call keep their share of on-call time as 27 for 4.
    assert varied["sre"]["on_call"] == 4 and varied["sre"]["rota"] == 27
    assert {**varied["sre"], "on_call": 3, "rota": 20} == base_pools["sre"]
    assert sre_up.before == "3/20" and sre_up.after == "4/27" and sre_up.leaves_nobody_in is None
    assert sre_up.document.document.roles == staffing.document.roles

    declare = next(v for v in variants if v.parameter == "playbook.declaration" and v.direction == "down")
    steps = {s.id: s for s in declare.document.document.steps}
    original = {s.id: s for s in playbook.document.steps}
    # The ITIL playbook's declare step has a 4m median; 25% faster: 0.75 x 4m = 3m.
    assert steps["declare"].duration.median == pytest.approx(3.0)
    assert [s for s in steps if steps[s] != original[s]] == ["declare"]
    assert declare.document.document.name == playbook.document.name  # random streams stay keyed the same

    # 24x7 cover never uses the pager delay: skipped, with the reason.
    reasons = {(s.parameter, s.direction): s.reason for s in skipped}
    assert "around the clock" in reasons[("staffing.resolver_groups.sre.acknowledge.out_of_hours", "up")]


def test_impossible_or_useless_changes_are_skipped_with_a_reason(trio, write):
    scenario, _, playbook = trio
    path = write("staff.yaml", """
        kind: staffing
        version: 1
        name: thin
        roles:
          incident_manager: {on_call: 0, rota: 3}
          technical_lead: {on_call: 1}
        resolver_groups:
          sre:
            on_call: 2
            rota: 2
            coverage: {type: business_hours, timezone: Europe/London, pager: false}
            escalation: {timeout: 10m}
        """)
    staffing = resolve(path, "staffing")
    variants, skipped = sensitivity_variants(scenario, staffing, playbook, 0.5)
    reasons = {(s.parameter, s.direction): s.reason for s in skipped}
    assert "nobody is on call already" in reasons[("staffing.roles.incident_manager.on_call", "down")]
    assert "no pager" in reasons[("staffing.resolver_groups.sre.acknowledge.out_of_hours", "down")]
    by_key = {(v.parameter, v.direction): v for v in variants}
    # One technical lead with no rota written: -1 leaves nobody, and the playbook's stand-in
    # (the incident manager) does the work, so it runs, flagged as doing without the role.
    alone = by_key[("staffing.roles.technical_lead.on_call", "down")]
    assert alone.leaves_nobody_in == "technical_lead" and not alone.document.document.has("technical_lead")
    up = by_key[("staffing.resolver_groups.sre.on_call", "up")]
    assert up.document.document.resolver_groups["sre"].rota == 3 and (up.before, up.after) == ("2/2", "3/3")
    # Nobody on call from a rota of 3: a first person on call comes from the same rota.
    first = by_key[("staffing.roles.incident_manager.on_call", "up")]
    assert first.document.document.roles["incident_manager"].rota == 3
    timeout = by_key[("staffing.resolver_groups.sre.escalation.timeout", "down")]
    assert timeout.document.document.resolver_groups["sre"].escalation.timeout == 5.0


def test_documents_that_do_not_fit_are_refused_with_every_problem(trio, staffing):
    scenario, _, playbook = trio
    with pytest.raises(Exception) as err:
        sensitivity_variants(scenario, staffing("gitlab-2017-oncall"), playbook, 0.25)
    assert "sre" in str(err.value)


def test_sweep_ranks_paired_effects_on_p90_with_intervals(sweep, trio):
    out = sweep.to_dict()
    assert out["format"] == "warroom.sensitivity/2" and out["seed"] == 5 and out["replications"] == N
    assert "mean time to restore service" in out["about"]
    rows = out["rows"]
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    for r in rows:
        assert r["p90_diff_ci_low"] <= r["p90_diff"] + 1e-9 and r["p90_diff"] <= r["p90_diff_ci_high"] + 1e-9
        assert r["p90"] == pytest.approx(out["baseline"]["p90"] + r["p90_diff"])
    by = {(r["parameter"], r["direction"]): r for r in rows}
    # Slower diagnosis and less skilled SREs restore later; faster ones sooner - clearly.
    assert by[("scenario.diagnosis.time", "up")]["p50_effect"] == "slower"
    assert by[("staffing.resolver_groups.sre.skill", "down")]["p90_effect"] == "slower"
    assert by[("staffing.resolver_groups.sre.skill", "up")]["p90_effect"] == "faster"
    # Writing the first update is not on the path to restoring service: no incident changes.
    assert by[("playbook.communications", "up")]["p90_effect"] == "none"
    # Every varied document is named by its hash, and its text is kept.
    hashes = {i["sha256"] for i in out["inputs"]}
    assert all(r["sha256"] in hashes for r in rows)
    json.dumps(out)


def test_document_variants_are_paired_exactly_as_compare_pairs_options(trio):
    """The sink-based pairing used for varied scenarios and playbooks gives the numbers compare
    gives when it pairs two staffing options itself."""
    scenario, staffing, playbook = trio
    variants, _ = sensitivity_variants(scenario, staffing, playbook, 0.25)
    variant = next(v for v in variants if v.parameter == "staffing.resolver_groups.sre.skill" and v.direction == "down")
    native = compare(scenario, [staffing, variant.document], playbook, replications=N, seed=3)
    base_rows, variant_rows = _Restores(staffing.document.name), _Restores(variant.document.document.name)
    base = compare(scenario, [staffing], playbook, replications=N, seed=3, incident_sink=base_rows)
    alone = compare(scenario, [variant.document], playbook, replications=N, seed=3, incident_sink=variant_rows)
    pair = PairSummary()
    pair.add(base_rows.values, variant_rows.values, _sections(N))
    described = pair.describe(base.options[0].summary.metrics["time_to_restore"],
                              alone.options[0].summary.metrics["time_to_restore"], True)
    expected = native.difference(variant.document.document.name, "time_to_restore")
    for key in ("mean_diff", "ci95", "p50_diff", "p50_ci95", "p90_diff", "p90_ci95"):
        assert described[key] == expected[key], key


def test_one_executor_serves_the_sweep_and_numbers_do_not_depend_on_it(trio, sweep):
    with make_executor("local", 2) as runner:
        again = sensitivity(*trio, change=0.25, replications=N, seed=5, executor=runner)
    assert again.settings["executor"] == "local, 2 processes"
    assert again.to_dict()["rows"] == sweep.to_dict()["rows"]


def test_a_dask_cluster_entered_once_gives_the_same_sweep(trio, sweep, dask_cluster):
    on_dask = sensitivity(*trio, change=0.25, replications=N, seed=5, executor=dask_cluster)
    assert on_dask.settings["executor"] == "dask LocalCluster, 2 workers"
    assert on_dask.to_dict()["rows"] == sweep.to_dict()["rows"]


def test_report_renders_tornado_table_and_escapes_text(sweep):
    from reports.sensitivity import render_sensitivity

    out = sweep.to_dict()
    out["inputs"][1]["name"] = "<script>alert(1)</script>"
    html = render_sensitivity(out, "html")
    assert "<svg" in html and "mean time to restore service" in html and "<script>alert" not in html
    assert out["rows"][0]["label"] in html
    assert "Improvements: p90 time to restore falls" in html and "staffing / year" in html and ">same<" not in html
    md = render_sensitivity(out, "md")
    assert "| 1 |" in md and "## Improvements" in md and "## Doing without a role" in md
    with pytest.raises(ValueError, match="not a sensitivity result"):
        render_sensitivity({"format": "warroom.results/3"}, "html")


@pytest.fixture
def run():
    runner = CliRunner()
    return lambda *args: runner.invoke(main, [str(a) for a in args])


def test_cli_prints_the_ranking_and_writes_a_report(run, tmp_path):
    report = tmp_path / "sens.md"
    result = run("sensitivity", "cloudflare-2019-waf", "--staffing", "cloudflare-2019-sre", "-n", 200, "--seed", 2,
                 "--report", report)
    assert result.exit_code == 0, result.output
    assert "mean time to restore service" in result.output and "Largest improvement at no added" in result.output
    assert "Improvements: p90 time to restore falls" in result.output and "Doing without a role" in result.output
    assert "Not run" in result.output and report.exists()
    as_json = run("sensitivity", "cloudflare-2019-waf", "--staffing", "cloudflare-2019-sre", "-n", 200, "--seed", 2,
                  "--change", "10%", "--json")
    assert as_json.exit_code == 0
    data = json.loads(as_json.output)
    assert data["change"] == 0.1 and all("text" not in i for i in data["inputs"])


def test_cli_bad_input_exits_2_without_traceback(run):
    bad_change = run("sensitivity", "cloudflare-2019-waf", "--staffing", "cloudflare-2019-sre", "--change", "150%")
    assert bad_change.exit_code == 2 and "change must" in bad_change.output
    unknown = run("sensitivity", "cloudflare-2019-waf", "--staffing", "no-such-staffing")
    assert unknown.exit_code == 2 and "no bundled staffing" in unknown.output
    misfit = run("sensitivity", "cloudflare-2019-waf", "--staffing", "gitlab-2017-oncall", "-n", 50)
    assert misfit.exit_code == 2 and "sre" in misfit.output and "Traceback" not in misfit.output


def test_help_teaches_with_examples(run):
    result = run("sensitivity", "--help")
    assert result.exit_code == 0
    assert "warroom sensitivity cloudflare-2019-waf" in result.output and "mean time to restore" in result.output


def test_howto_commands_run(tmp_path, monkeypatch):
    text = (ROOT / "docs" / "howto" / "sensitivity-and-optimize.md").read_text()
    commands = [line for block in re.findall(r"```sh\n(.*?)```", text, re.S) for line in block.splitlines()
                if line.startswith("warroom ")]
    assert len(commands) >= 4
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for command in commands:
        args = [str(ROOT / a) if a.startswith("docs/") else a for a in shlex.split(command)[1:]]
        args = ["150" if a == "2000" else a for a in args]
        result = runner.invoke(main, args)
        assert result.exit_code == 0, (command, result.output)
    assert (tmp_path / "sensitivity.html").exists() and (tmp_path / "search.html").exists()


def test_with_changes_reports_an_invalid_change(trio):
    from scenarios import DocumentError

    _, staffing, _ = trio
    with pytest.raises(DocumentError) as err:
        with_changes(staffing, {("roles", "incident_manager", "rota"): 0}, "rota to 0")
    assert "rota" in str(err.value)


# -- ranked for a decision ------------------------------------------------------------

def test_sweep_groups_changes_for_a_decision_and_prices_every_one(sweep, trio):
    _, staffing, _ = trio
    out = sweep.to_dict()
    rows = out["rows"]
    assert [GROUPS.index(r["group"]) for r in rows] == sorted(GROUPS.index(r["group"]) for r in rows)
    assert rows == sorted(rows, key=ranking_key)
    for r in rows:
        expected = {"faster": "improvement", "slower": "harm"}.get(r["p90_effect"], "no_clear_effect")
        assert r["group"] == ("role_removed" if r["leaves_nobody_in"] else expected)
        assert r["staffing_cost_diff"] == pytest.approx(r["staffing_cost_per_year"] - out["baseline"]["staffing_cost_per_year"])
        if r["staffing_cost_diff"]:
            assert r["p90_diff_per_100k"] == pytest.approx(r["p90_diff"] / (r["staffing_cost_diff"] / 100_000))
        else:
            assert r["p90_diff_per_100k"] is None
    by = {(r["parameter"], r["direction"]): r for r in rows}
    # A person more or fewer on call always has a price: the rota moves in step (SPEC 3.4 costs the rota).
    for (parameter, _), r in by.items():
        if parameter.endswith(".on_call"):
            assert r["staffing_cost_diff"] != 0, parameter
    # The only technical lead on call (a rota of 8) going to nobody saves exactly that rota's
    # cost; the incident manager stands in. It is kept out of the ranked groups.
    alone = by[("staffing.roles.technical_lead.on_call", "down")]
    assert alone["group"] == "role_removed" and alone["leaves_nobody_in"] == "technical_lead"
    assert alone["staffing_cost_diff"] == pytest.approx(-staffing.document.roles["technical_lead"].cost_per_year)
    assert alone["before"] == "1/8" and alone["after"] == "0/0"
    # Better-skilled SREs restore sooner at no staffing cost, so they lead the improvements.
    improvements = [r for r in rows if r["group"] == "improvement"]
    assert improvements[0]["staffing_cost_diff"] <= 0
    assert ("staffing.resolver_groups.sre.skill", "up") in {(r["parameter"], r["direction"]) for r in improvements}
    harms = [r["p90_diff"] for r in rows if r["group"] == "harm"]
    assert harms == sorted(harms, reverse=True)


def _row(parameter, p90_diff, cost_diff, ci=1.0, direction="up", group=None, nobody=None, **more):
    row = {"parameter": parameter, "label": parameter, "document": "staffing", "direction": direction, "change": "+1",
           "before": "1", "after": "2", "p90_diff": p90_diff, "p90_diff_ci_low": p90_diff - ci,
           "p90_diff_ci_high": p90_diff + ci, "mean_diff": p90_diff / 2, "mean_diff_ci_low": p90_diff / 2 - ci,
           "mean_diff_ci_high": p90_diff / 2 + ci, "staffing_cost_per_year": 1_000_000 + cost_diff,
           "staffing_cost_diff": cost_diff, "leaves_nobody_in": nobody, **more}
    low, high = row["p90_diff_ci_low"], row["p90_diff_ci_high"]
    row["group"] = group or ("role_removed" if nobody else "improvement" if high < 0 else "harm" if low > 0
                             else "no_clear_effect")
    return row


def test_improvements_rank_by_minutes_saved_per_cost_and_free_ones_first():
    rows = [
        _row("dear", -20.0, 100_000),          # 20 min per 100k
        _row("cheap", -3.0, 10_000),           # 30 min per 100k
        _row("free", -1.5, 0),                 # no staffing cost: first
        _row("thrifty", -1.0, -50_000, ci=0.5),  # faster and cheaper: with the free ones, by minutes saved
        _row("small harm", 2.0, 0), _row("big harm", 9.0, -10_000),
        _row("flat saving", 0.0, -300_000), _row("flat cost", 0.0, 200_000), _row("flat", 0.0, 0),
        _row("gone", 4.0, -500_000, nobody="x"), _row("gone worse", 40.0, -90_000, nobody="y"),
    ]
    order = [r["parameter"] for r in sorted(rows, key=ranking_key)]
    assert order == ["free", "thrifty", "cheap", "dear", "big harm", "small harm", "flat saving", "flat cost", "flat",
                     "gone worse", "gone"]


def test_the_lever_closing_most_of_the_gap_per_unit_cost():
    baseline = {"mean": 31.0, "p50": 25.0, "p90": 40.0}
    rows = [
        _row("big but dear", -15.0, 200_000),   # closes the whole 10-min gap, but 10 per 200k: 5 min per 100k
        _row("modest", -4.0, 50_000),            # 4 per 50k: 8 min per 100k
        _row("unclear", -3.0, 1_000, ci=5.0),    # interval crosses zero: not counted
        _row("gone", -30.0, -900_000, nobody="technical_lead"),   # leaves a role empty: not counted
        _row("slower", 3.0, -10_000),
    ]
    result = {"baseline": baseline, "rows": rows}
    lever = lever_closing_gap(result, limit=30.0)
    assert lever.parameter == "modest" and lever.gap == pytest.approx(10.0) and lever.closes == pytest.approx(4.0)
    assert lever.minutes_per_100k == pytest.approx(8.0) and not lever.closes_gap
    assert lever.saves_ci == pytest.approx((3.0, 5.0))
    # Minutes beyond the gap earn nothing: with a 2-minute gap the cheap change is better value still.
    assert lever_closing_gap(result, limit=38.0).parameter == "modest"
    with_free = {"baseline": baseline, "rows": rows + [_row("training", -1.5, 0)]}
    assert lever_closing_gap(with_free, 30.0).parameter == "training"     # adds no staffing cost
    assert lever_closing_gap(with_free, 30.0, priced_only=True).parameter == "modest"
    # Closing the whole gap on its own, and the mean as the statistic.
    only_dear = {"baseline": baseline, "rows": [rows[0]]}
    whole = lever_closing_gap(only_dear, 30.0)
    assert whole.closes_gap and whole.closes == pytest.approx(10.0) and whole.minutes_per_100k == pytest.approx(5.0)
    assert lever_closing_gap(only_dear, 30.0, "mean").saves == pytest.approx(7.5)
    assert lever_closing_gap(result, limit=45.0) is None           # already within the target
    assert lever_closing_gap({"baseline": baseline, "rows": rows[2:]}, 30.0) is None   # nothing clearly helps
    with pytest.raises(ValueError, match="p90"):
        lever_closing_gap(result, 30.0, "p95")
    json.dumps(lever.to_dict())


def test_a_target_names_the_lever_in_the_sweep_and_on_the_terminal(trio, run):
    from simulator.studies.optimize import parse_target

    target = parse_target("p90(time_to_restore) <= 30m")
    swept = sensitivity(*trio, change=0.25, replications=N, seed=5, target=target)
    out = swept.to_dict()
    expected = lever_closing_gap(swept, 30.0)
    assert out["target"]["limit_minutes"] == 30.0 and out["closing_lever"] == expected.to_dict()
    assert expected.gap == pytest.approx(out["baseline"]["p90"] - 30.0)
    result = run("sensitivity", "cloudflare-2019-waf", "--staffing", "cloudflare-2019-sre", "-n", N, "--seed", 5,
                 "--target", "p90(time_to_restore) <= 30m")
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert f"the baseline is {expected.gap:.1f} min over" in flat and "closes most of it per unit of cost" in flat
    bad = run("sensitivity", "cloudflare-2019-waf", "--staffing", "cloudflare-2019-sre", "--target",
              "p90(time_to_acknowledge) <= 5m")
    assert bad.exit_code == 2 and "time_to_restore" in bad.output and "Traceback" not in bad.output


def test_rota_moves_in_step_with_people_on_call(staffing):
    sre = staffing("cloudflare-2019-sre").document.resolver_groups["sre"]     # 3 on call from a rota of 20
    assert [sre.rota_for(n) for n in (0, 1, 2, 3, 4)] == [0, 7, 14, 20, 27]
    from scenarios.staffing import ResponderPool

    assert ResponderPool(on_call=2).rota_for(3) is None            # no rota written: it follows on_call
    assert ResponderPool(on_call=0, rota=3).rota_for(1) == 3       # nobody on call: the same rota takes turns
    assert ResponderPool(on_call=2, rota=2).rota_for(3) == 3       # never below on_call
