"""Every bundled scenario is a complete drill: valid, simulated with its reference
staffing, and replayed from its bundled responses to a scorecard."""

from __future__ import annotations

import itertools

import pytest

from drills import DrillStore, Journal, play, score
from scenarios import bundled, check_drill, check_together
from scenarios.library import DEFAULT_PLAYBOOK
from simulator import simulate

SCENARIOS = sorted(bundled("scenario"))
RESPONSES = sorted(bundled("responses"))


def test_the_library_has_the_real_incidents_and_generic_ones():
    assert {"cloudflare-2019-waf", "gitlab-2017-database", "crowdstrike-2024-channel-file"} <= set(SCENARIOS)
    assert len(SCENARIOS) >= 6


@pytest.mark.parametrize("name", SCENARIOS)
def test_each_scenario_is_a_complete_drill(name, library):
    scenario = library(name, "scenario")
    sc = scenario.document
    assert sc.injects, f"{name} has no injects"
    assert any(j.detects for j in sc.injects)
    assert any(j.when is not None for j in sc.injects), f"{name} has no conditional inject"
    assert any(j.type == "red_herring" for j in sc.injects), f"{name} has no red herring"
    assert sc.objectives and sc.diagnosis.causes and sc.workarounds
    assert sc.reference_staffing
    staffing = library(sc.reference_staffing, "staffing")
    playbook = library(DEFAULT_PLAYBOOK, "playbook")
    assert check_together(scenario, staffing, playbook) == []
    result = simulate(scenario, staffing, playbook, replications=200, seed=3)
    assert result.options[0].missing["time_to_restore"] == 0, name


def test_no_two_scenarios_alike(library):
    docs = {n: library(n, "scenario").document for n in SCENARIOS}
    for a, b in itertools.combinations(docs, 2):
        assert docs[a].title != docs[b].title
        contents = lambda d: {j.content for j in d.injects if j.content}  # noqa: E731
        assert contents(docs[a]).isdisjoint(contents(docs[b])), (a, b)
        assert {w.key for w in docs[a].workarounds} != {w.key for w in docs[b].workarounds}, (a, b)
    paths = {n: (d.detection.monitoring is not None and d.detection.monitoring.probability,
                 d.detection.user_reports is not None) for n, d in docs.items()}
    assert len(set(paths.values())) >= 3  # monitoring-led, user-report-led and mixed detection


def test_every_scenario_has_a_replay(library):
    covered = {library(n, "responses").document.scenario for n in RESPONSES}
    covered = {library(s, "scenario").document.name for s in covered}
    assert covered == set(SCENARIOS)


@pytest.mark.parametrize("name", RESPONSES)
def test_each_bundled_replay_plays_to_a_scorecard(name, tmp_path, library):
    responses = library(name, "responses")
    rs = responses.document
    assert rs.roster, f"{name} names no roster"
    documents = library.drill(rs.scenario, rs.roster)
    assert check_drill(documents.scenario, documents.roster, responses) == []
    session = play(DrillStore(tmp_path / "d.db"), documents, responses, seed=1)
    events = session.events()
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert all(b.t >= a.t for a, b in zip(events, events[1:])), "time never runs backwards"
    reached = {e.name for e in events if e.kind == "milestone"}
    assert {"detected", "declared", "first_update", "identified", "workaround_applied", "restored",
            "resolved"} <= reached, (name, reached)
    delivered = {e.name for e in events if e.kind == "inject"}
    injects = {j.id: j for j in documents.scenario.document.injects}
    assert any(injects[i].when is not None for i in delivered), f"{name}: no conditional inject fired"
    assert any(injects[i].type == "red_herring" for i in delivered), f"{name}: no red herring delivered"
    card = score(Journal.from_store(session.store, session.record.id)).to_dict()
    assert 0 <= card["score"] <= 100
    assert card["metrics"]["time_to_restore"]["actual_min"] is not None
