"""The fast engine against the readable model (tests/simulator/reference_model.py), draw for
draw: on every bundled scenario with every staffing it can run with, and on variants that
reach each model feature the library does not (a temporary workaround with groundwork and
an outside party, a workaround waiting for the cause, partial and absent workarounds, early
releases and re-paging, a cover with no pager, escalation, call-in and skill, a weekly
profile, a mix of scenarios, a warm-up), both modes give the same milestones, detection
paths, workaround effect and wear-off times, and cascade rows.

The quick cases run in `make test`; the full matrix is marked slow."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import reference_model as reference  # tests/simulator/ is on the path, as for tests/drills' helpers
import simpy
from document_edits import edited  # tests/simulator is on the path

from scenarios import MILESTONES, bundled, check_together, load, load_text
from scenarios.calendar import REFERENCE_MONDAY
from scenarios.classification import DEFAULT_CLASSIFICATION
from scenarios.library import DEFAULT_PLAYBOOK, resolve
from scenarios.scenario import FixedStart
from simulator.errors import SimulationError
from simulator.model import engine
from simulator.model.plan import compile_plan
from simulator.model.streams import BlockStreams

SEED = 2019
VALIDATION = Path(__file__).resolve().parents[2] / "docs" / "validation"
YEAR = 365 * 24 * 60.0

# Every bundled scenario with every bundled staffing it can run with (the default playbook).
# The first of each is the scenario's reference_staffing (what its drills compare with).
BUNDLED = {
    "cloud-region-failure": ["region-failure-oncall"],
    "batch-disk-alert-storm": ["harbor-oncall", "cloudflare-2019-sre", "24x7-comms-lead", "business-hours-pager", "follow-the-sun",
                               "marlow-platform-oncall"],
    "cloudflare-2019-waf": ["cloudflare-2019-sre", "24x7-comms-lead", "business-hours-pager", "follow-the-sun",
                            "harbor-oncall", "marlow-platform-oncall"],
    "crowdstrike-2024-channel-file": ["crowdstrike-2024-enterprise-it"],
    "expired-certificate": ["cert-weekend-oncall"],
    "gitlab-2017-database": ["gitlab-2017-oncall", "region-failure-oncall", "second-on-call-dba"],
    "internal-dns-outage": ["marlow-platform-oncall"],
    "payment-failure-peak": ["retail-peak-oncall"],
    "promo-code-glitch": ["harbor-oncall", "cloudflare-2019-sre", "24x7-comms-lead", "business-hours-pager", "follow-the-sun",
                          "marlow-platform-oncall"],
    "ransomware-data-breach": ["ransomware-soc-oncall"],
}


# -- the variants -------------------------------------------------------------------------

KILL = "    name: Global kill of the managed WAF rulesets\n"
GROUNDWORK = """  - id: get_console_access
    name: Get break-glass access to the edge configuration console
    by: sre
    apply: {dist: lognormal, median: 10m, p90: 20m}
    effective: false
"""
# A team that answers slowly: the technical lead only at their desk in Pacific office hours
# (no pager: the next shift, or the backup after the escalation timeout), one SRE on call
# (the second is called in) who is quicker than most at the work.
LEAN_STAFFING = """kind: staffing
version: 1
name: lean
roles:
  incident_manager:
    on_call: 1
    rota: 4
    coverage: 24x7
    acknowledge:
      in_hours: {dist: lognormal, median: 2m, p90: 6m}
    escalation: {timeout: 5m, backup_acknowledge: {dist: lognormal, median: 4m, p90: 9m}}
  technical_lead:
    on_call: 1
    rota: 5
    coverage: {type: business_hours, timezone: America/Los_Angeles, hours: "09:00-17:00", pager: false}
    escalation: {timeout: 45m, backup_acknowledge: {dist: lognormal, median: 15m, p90: 40m}}
  communications_lead:
    on_call: 1
    rota: 2
    coverage: {type: business_hours, timezone: Europe/London, hours: "08:00-18:00"}
resolver_groups:
  sre:
    on_call: 1
    rota: 6
    coverage: {type: business_hours, timezone: Europe/London, hours: "09:00-17:30"}
    call_in: {dist: lognormal, median: 30m, p90: 70m}
    skill: 1.5
"""
# Steps that wait for milestones, people released early and paged again.
EARLY_RELEASE = """release:
  incident_manager: declared
  resolver_groups: identified
  everyone: resolved
"""
VERIFY = """  - id: verify
    name: The resolver groups confirm every service is back
    action: engage
    after: [restored]
    roles: [technical_lead, resolver_groups]
    raci: {technical_lead: R/A}

"""
WEEKDAYS = """weekly_profile:
  days: {sat: 0.2, sun: 0.2}
  hours: [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 0.5, 0.5, 0.5, 0.5]
"""



def busy(loaded, frequency):
    """`loaded` at another frequency (without the plausible range of the old one)."""
    unranged = load_text(re.sub(r"(?m)^frequency_range: .*\n", "", loaded.text), loaded.source)
    return edited(unranged, (r"^frequency: .*$", f"frequency: {frequency}"))


@dataclass(frozen=True)
class Case:
    scenarios: tuple   # Loaded; one in single mode, a mix in stream mode
    staffing: object
    playbook: object


def variant(library, name: str) -> Case:
    cloudflare = library("cloudflare-2019-waf", "scenario")
    sre = library("cloudflare-2019-sre", "staffing")
    default = library(DEFAULT_PLAYBOOK, "playbook")
    if name == "temporary-workaround-with-groundwork-and-party":
        sc = edited(cloudflare, (KILL, KILL + "    lasts: {dist: lognormal, median: 20m, p90: 60m}\n"
                                 "    needs:\n      workarounds: [get_console_access]\n"
                                 "      party: {name: the CDN vendor, delay: {dist: triangular, min: 5m, mode: 15m, max: 45m}}\n"),
                    (r"^workarounds:\n", "workarounds:\n" + GROUNDWORK))
        return Case((sc,), sre, default)
    if name == "workaround-waits-for-the-cause":
        hasty = edited(default, (r"^    after: \[diagnose, assemble\]\n", "    after: [assemble]\n"))
        return Case((edited(cloudflare, (KILL, KILL + "    needs: {identified: true}\n")),), sre, hasty)
    if name == "partial-workaround-fix-restores":
        return Case((edited(cloudflare, (KILL, KILL + "    restores: {edge_proxy_http_and_https: 0.9}\n")),), sre, default)
    if name == "no-workaround-fix-restores":
        return Case((edited(cloudflare, (KILL, KILL + "    effective: false\n")),), sre, default)
    if name == "early-release-and-repaging":
        playbook = edited(default, (r"^release:\n  everyone: resolved\n", EARLY_RELEASE),
                          (r"^  - id: resolve\n", VERIFY + "  - id: resolve\n"),
                          (r"^    after: \[fix, first_update\]\n", "    after: [verify, fix, first_update]\n"))
        return Case((library("internal-dns-outage", "scenario"),), library("marlow-platform-oncall", "staffing"), playbook)
    if name == "lean-staffing":
        return Case((cloudflare,), load_text(LEAN_STAFFING, "lean.yaml"), default)
    if name == "misclassified-first":
        triage = "triage:\n  first_wrong: 0.4\n  corrected_after: {dist: lognormal, median: 20m, p90: 60m}\n"
        return Case((cloudflare,), load_text(sre.text.rstrip("\n") + "\n" + triage, "triage.yaml"), default)
    if name == "weekly-profile":
        return Case((edited(busy(cloudflare, "2/day"), (r"^frequency: .*\n", "frequency: 2/day\n" + WEEKDAYS)),), sre,
                    default)
    if name == "mix":
        dns = library("internal-dns-outage", "scenario")
        return Case((busy(cloudflare, "150/year"), busy(dns, "200/year")), library("marlow-platform-oncall", "staffing"),
                    default)
    raise KeyError(name)


VARIANTS = ["temporary-workaround-with-groundwork-and-party", "workaround-waits-for-the-cause",
            "partial-workaround-fix-restores", "no-workaround-fix-restores", "early-release-and-repaging",
            "lean-staffing", "misclassified-first"]
STREAM_ONLY = ["weekly-profile", "mix"]


POLICY = resolve(DEFAULT_CLASSIFICATION, "classification").document
"""The bundled classification policy (a staffing's own triage replaces its)."""


def case(library, name: str) -> Case:
    """A case by name: `scenario+staffing` from the library, or a variant."""
    if "+" in name:
        scenario, staffing = name.split("+")
        return Case((library(scenario, "scenario"),), library(staffing, "staffing"), library(DEFAULT_PLAYBOOK, "playbook"))
    return variant(library, name)


def runnable(c: Case) -> Case:
    problems = [p for sc in c.scenarios for p in check_together(sc, c.staffing, c.playbook)]
    assert problems == [], problems
    return c


PAIRS = [f"{scenario}+{staffing}" for scenario, staffings in BUNDLED.items() for staffing in staffings]


# -- comparing ----------------------------------------------------------------------------

def assert_same(fast: dict, readable: dict, where: str) -> None:
    """Equal arrays (NaN where NaN), each milestone named when it differs."""
    def close(a, b, what):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape, f"{where}: {what} has shape {a.shape} in the engine, {b.shape} in the reference"
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-9, equal_nan=True, err_msg=f"{where}: {what}")

    for key in ("arrival", "scenario_index", "start"):
        if key in fast:
            close(fast[key], readable[key], key)
    for k, name in enumerate(MILESTONES):
        close(fast["milestones"][:, k], readable["milestones"][:, k], name)
    for key in ("path", "effect", "wears_off"):
        close(fast[key], readable[key], key)
    assert sorted(fast["cascade"]) == sorted(readable["cascade"]), where
    for service, rows in fast["cascade"].items():
        close(rows, readable["cascade"][service], f"cascade of {service}")


def single(run, plan, seed, block, size, start_minute) -> dict:
    milestones, path, start, effect, cascade, wears_off = run(plan, seed, block, size, start_minute)
    return {"milestones": milestones, "path": path, "start": start, "effect": effect, "cascade": cascade,
            "wears_off": wears_off}


def compare_single(c: Case, size: int, block: int = 0) -> int:
    """Both models on one block of `size` incidents; returns how many incidents agreed."""
    sc = c.scenarios[0].document
    start = sc.start.minute_of_week if isinstance(sc.start, FixedStart) else None

    def plan():   # one each: a plan caches its cover as the run reaches it
        return compile_plan(sc, c.staffing.document, c.playbook.document, None, POLICY)

    fast = single(engine.run_single_block, plan(), SEED, block, size, start)
    readable = single(reference.run_single_block, plan(), SEED, block, size, start)
    assert_same(fast, readable, f"{sc.name} with {c.staffing.document.name}, block {block}")
    assert not np.isnan(fast["milestones"][:, MILESTONES.index("restored")]).any()
    return size


def compare_stream(c: Case, replication: int, horizon: float, warmup: float = 0.0) -> tuple[int, int]:
    """Both models on one horizon; returns (incidents compared, pages that had to queue)."""
    def plans():
        return [compile_plan(s.document, c.staffing.document, c.playbook.document, REFERENCE_MONDAY, POLICY)
                for s in c.scenarios]

    fast = engine.run_stream(plans(), SEED, replication, horizon, warmup)
    readable = reference.run_stream(plans(), SEED, replication, horizon, warmup)
    assert_same(fast, readable, f"{[s.document.name for s in c.scenarios]}, replication {replication}")
    return int(fast["arrival"].size), readable["queued_pages"]


# -- the quick subset ---------------------------------------------------------------------

QUICK_SINGLE = ["cloudflare-2019-waf+cloudflare-2019-sre", "internal-dns-outage+marlow-platform-oncall",
                "ransomware-data-breach+ransomware-soc-oncall", "temporary-workaround-with-groundwork-and-party",
                "early-release-and-repaging", "lean-staffing", "misclassified-first"]


@pytest.mark.parametrize("name", QUICK_SINGLE)
def test_single_mode_agrees(library, name):
    assert compare_single(runnable(case(library, name)), size=100) == 100


def test_stream_mode_agrees_under_contention(library):
    """A busy quarter of two scenarios sharing the platform team: incidents queue for the
    on-call people, and both models grant them in the same order."""
    compared, queued = compare_stream(runnable(case(library, "mix")), replication=0, horizon=YEAR / 4, warmup=7 * 1440.0)
    assert compared > 50 and queued > 10


@pytest.mark.parametrize("servers", [1, 3])
def test_stream_mode_agrees_on_the_erlang_c_queue(servers):
    """The M/M/c documents of the validation: every delay but the work is zero, so many
    events fall at the same instant, and nearly every page queues."""
    staffing = load(VALIDATION / "mmc-staffing.yaml")
    staffing = load_text(staffing.text.replace("on_call: 1", f"on_call: {servers}"), "mmc-staffing.yaml")
    scenario = busy(load(VALIDATION / "mmc-scenario.yaml"), f"{0.9 * servers}/minute")
    c = Case((scenario,), staffing, load(VALIDATION / "mmc-playbook.yaml"))
    compared, queued = compare_stream(c, replication=0, horizon=600.0, warmup=60.0)
    assert compared > 400 and queued > compared / 2


def test_the_comparison_sees_a_difference(library):
    """The oracle can fail: a slower diagnosing group in the readable model shows."""
    c = runnable(case(library, "cloudflare-2019-waf+cloudflare-2019-sre"))
    sc = c.scenarios[0].document
    fast = single(engine.run_single_block, compile_plan(sc, c.staffing.document, c.playbook.document), SEED, 0, 20, None)
    slower = load_text(c.staffing.text.replace("    hourly_rate: 90", "    hourly_rate: 90\n    skill: 0.9"), "slow.yaml")
    readable = single(reference.run_single_block, compile_plan(sc, slower.document, c.playbook.document), SEED, 0, 20, None)
    with pytest.raises(AssertionError, match="identified"):
        assert_same(fast, readable, "slower")


def test_the_background_quotes_the_reference_as_it_is():
    """docs/background.md explains the model with excerpts of the reference: each is its code."""
    text = (VALIDATION.parent / "background.md").read_text(encoding="utf-8")
    excerpts = re.findall(r"```python\n(.*?)```", text, re.S)
    source = Path(reference.__file__).read_text(encoding="utf-8")
    assert len(excerpts) >= 4 and all(excerpt in source for excerpt in excerpts)


def test_every_bundled_scenario_and_staffing_that_run_together_are_compared(library):
    runs = {s: [t for t in bundled("staffing") if not check_together(library(s, "scenario"), library(t, "staffing"),
                                                                     library(DEFAULT_PLAYBOOK, "playbook"))]
            for s in bundled("scenario")}
    assert {s: sorted(t) for s, t in runs.items()} == {s: sorted(t) for s, t in BUNDLED.items()}
    assert all(library(s, "scenario").document.reference_staffing == t[0] for s, t in BUNDLED.items())


# -- the full matrix ----------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("name", PAIRS + VARIANTS)
def test_single_mode_agrees_on_every_case(library, name):
    c = runnable(case(library, name))
    assert sum(compare_single(c, size=500, block=block) for block in (0, 7)) == 1000


@pytest.mark.slow
@pytest.mark.parametrize("name", PAIRS + VARIANTS + STREAM_ONLY)
def test_stream_mode_agrees_on_every_case(library, name):
    """Three years each, at 30 incidents a year (some contention) and at one a day (much)."""
    c = runnable(case(library, name))
    if name not in STREAM_ONLY:
        c = Case(tuple(busy(s, "30/year") for s in c.scenarios), c.staffing, c.playbook)
    compared = queued = 0
    for replication in range(3):
        n, q = compare_stream(c, replication, YEAR)
        compared, queued = compared + n, queued + q
    if name not in STREAM_ONLY:
        daily = Case(tuple(busy(s, "1/day") for s in c.scenarios), c.staffing, c.playbook)
        n, q = compare_stream(daily, 0, YEAR / 2, warmup=30 * 1440.0)
        compared, queued = compared + n, queued + q
        assert queued > 0
    assert compared > 50


# -- an early release while a page is still queued ----------------------------------------
# An early release (`release: {resolver_groups: restored}`) can let go of an incident's page
# that is still queued for an on-call person while a step (here `assemble`) waits for it.
# The page is not withdrawn: when its turn comes the person answers (the step goes on) and the
# slot passes straight to the next incident in the queue. Constant delays; A holds both on-call
# SREs when B (12 minutes later) pages its first; C (16 minutes) queues ahead of B's second.

TINY = {
    "scenario": """kind: scenario
version: 1
name: tiny
service: {name: Shop}
detection: {monitoring: {probability: 1, delay: 1m}}
needs: {sre: 2}
diagnosis: {by: sre, time: 10m}
workarounds: [{name: Restart, by: sre, apply: 5m}]
fix: {by: sre, duration: 30m}
""",
    "staffing": """kind: staffing
version: 1
name: tiny
roles:
  incident_manager: {on_call: 4, acknowledge: {in_hours: 1m}}
  technical_lead: {on_call: 4, acknowledge: {in_hours: 1m}}
resolver_groups:
  sre: {on_call: 2, rota: 4, acknowledge: {in_hours: 1m}}
""",
    "playbook": """kind: playbook
version: 1
name: tiny
steps:
  - {id: acknowledge, action: engage, roles: [technical_lead], milestone: acknowledged, raci: {technical_lead: R/A}}
  - {id: diagnose, action: diagnose, after: [acknowledge], milestone: identified, raci: {technical_lead: R/A}}
  - {id: declare, action: coordinate, after: [acknowledge], duration: 6m, milestone: declared, raci: {incident_manager: R/A}}
  - {id: assemble, action: assemble, after: [declare], roles: [technical_lead], milestone: assembled, raci: {incident_manager: R/A}}
  - {id: workaround, action: workaround, after: [diagnose], milestone: workaround_applied, raci: {technical_lead: R/A}}
  - {id: fix, action: fix, after: [workaround], milestone: fixed, raci: {technical_lead: R/A}}
  - {id: resolve, action: coordinate, after: [fix], duration: 1m, milestone: resolved, raci: {incident_manager: R/A}}
role_effects:
  - {when_missing: change_manager, substitute: incident_manager}
release:
  resolver_groups: restored
  everyone: resolved
""",
}


def recorded_at(arrivals: list[float], readable: bool, documents: dict = TINY) -> dict[int, list]:
    """Incidents of the tiny documents starting at `arrivals`, sharing the on-call people and
    the rest of the rota: incident -> its milestones, for those that ended."""
    plan = compile_plan(*(load_text(documents[kind], f"{kind}.yaml").document
                          for kind in ("scenario", "staffing", "playbook")))
    draws = engine._Draws(plan, BlockStreams(SEED, 0, len(arrivals)))
    env = simpy.Environment()
    ended: dict[int, list] = {}
    beyond = {name: pool.people - pool.on_call for name, pool in plan.pools.items()}
    if readable:
        on_call = {name: simpy.Resource(env, capacity=pool.on_call) for name, pool in plan.pools.items()}
        rota = {name: simpy.Resource(env, capacity=n) for name, n in beyond.items() if n > 0}
    else:
        on_call = {name: engine._OnCall(pool.on_call, engine._OnCall(beyond[name])) for name, pool in plan.pools.items()}

    def source():
        for i, t in enumerate(arrivals):
            yield env.timeout(t - env.now)
            if readable:
                r = reference.Incident(env, plan, draws, i, t, on_call, rota)
                env.process(reference.incident(env, r, lambda r: ended.__setitem__(r.i, r.milestone_row())))
            else:
                engine.IncidentResponse(env, plan, draws, i, t, on_call, lambda r: ended.__setitem__(r.i, r.milestones))

    env.process(source())
    env.run()
    return ended


def test_a_page_let_go_while_queued_is_still_answered_and_every_incident_is_recorded():
    fast = recorded_at([0.0, 12.0, 16.0], readable=False)
    assert sorted(fast) == [0, 1, 2]
    assert recorded_at([0.0, 12.0, 16.0], readable=True) == fast
    assembled = MILESTONES.index("assembled")
    # B's second SRE (queued behind C's) answers no earlier than C's, on the calendar
    assert 12.0 + fast[1][assembled] >= 16.0 + fast[2][assembled] > 16.0 + 9.0


def test_a_page_let_go_at_the_head_of_the_queue_is_answered_alike_in_both_models():
    fast = recorded_at([0.0, 12.0], readable=False)
    assert sorted(fast) == [0, 1]
    assert fast[1][MILESTONES.index("assembled")] == 23.0
    assert recorded_at([0.0, 12.0], readable=True) == fast


# Three SREs needed, one on call and a rota of three: two are called in per incident, and
# only two can be called in at once. A (minute 0) holds both when B (minute 5) calls in.
CALLED_IN = dict(TINY, scenario=TINY["scenario"].replace("needs: {sre: 2}", "needs: {sre: 3}"),
                 staffing=TINY["staffing"].replace("sre: {on_call: 2, rota: 4, acknowledge: {in_hours: 1m}}",
                                                   "sre: {on_call: 1, rota: 3, acknowledge: {in_hours: 1m}, call_in: 1m}"))


def test_no_more_people_are_called_in_at_once_than_the_rota_has_beyond_on_call():
    fast = recorded_at([0.0, 5.0], readable=False, documents=CALLED_IN)
    assert recorded_at([0.0, 5.0], readable=True, documents=CALLED_IN) == fast
    assembled, restored = MILESTONES.index("assembled"), MILESTONES.index("restored")
    assert fast[0][assembled] == 10.0                 # A's team: the on-call SRE and two called in
    # B's on-call SRE is A's until A restores service (minute 18); only then may B call anyone in,
    # and its two called-in SREs answer one minute later.
    assert 5.0 + fast[1][assembled] == fast[0][restored] + 1.0
    unlimited = dict(CALLED_IN, staffing=CALLED_IN["staffing"].replace("rota: 3,", "rota: 9,"))
    sooner = recorded_at([0.0, 5.0], readable=False, documents=unlimited)
    assert sooner[1][assembled] <= fast[1][assembled]


def test_the_misclassification_variant_does_delay_declarations(library):
    c = case(library, "misclassified-first")
    sc = c.scenarios[0].document
    plan = compile_plan(sc, c.staffing.document, c.playbook.document, None, POLICY)
    assert plan.triage is not None and plan.triage[1] == 0.4
    clear = compile_plan(sc, library("cloudflare-2019-sre", "staffing").document, c.playbook.document, None, POLICY)
    late, _, *_ = engine.run_single_block(plan, SEED, 0, 400, None)
    on_time, _, *_ = engine.run_single_block(clear, SEED, 0, 400, None)
    declared = MILESTONES.index("declared")
    later = late[:, declared] - on_time[:, declared]
    assert 0.3 < (later > 1e-9).mean() < 0.5 and (later >= -1e-9).all()


def test_a_stream_whose_incidents_wait_for_each_other_forever_says_so():
    """Two incidents each hold one of the two on-call SREs and wait for the other to assemble;
    with the workaround after the assembly nothing lets either go. The run must say so rather
    than leave them out of the results."""
    documents = dict(TINY, scenario=TINY["scenario"] + "frequency: 2/hour\n",
                     playbook=TINY["playbook"].replace("action: workaround, after: [diagnose]",
                                                      "action: workaround, after: [diagnose, assemble]"))
    plan = compile_plan(*(load_text(documents[kind], f"{kind}.yaml").document
                          for kind in ("scenario", "staffing", "playbook")))
    with pytest.raises(SimulationError, match="incidents never ended"):
        engine.run_stream([plan], SEED, 0, 7 * 1440.0)
