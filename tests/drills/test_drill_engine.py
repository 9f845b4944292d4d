"""The drill engine: injects on time and on condition, a world that reacts to what the
team does, the journal, and rebuilding a drill after a crash."""

from __future__ import annotations

import pytest
import yaml

from drills import (
    ActionRejected,
    DrillDocuments,
    DrillError,
    DrillSession,
    DrillStore,
    Journal,
    play,
    score,
)
from drills.clock import DrillClock
from scenarios import DocumentError, load_text


@pytest.fixture(scope="module")
def cf_docs(cloudflare_drill):
    return cloudflare_drill


@pytest.fixture
def store(tmp_path):
    return DrillStore(tmp_path / "drills.db")


def started(store, docs, seed=1) -> DrillSession:
    session = DrillSession.create(store, docs, seed=seed)
    session.start()
    return session


def milestones(session):
    return {e.name: e.t for e in session.events() if e.kind == "milestone"}


def delivered(session):
    return [e.name for e in session.events() if e.kind == "inject"]


def test_timed_injects_arrive_on_time_and_detection_comes_from_the_first_detecting_inject(store, cf_docs):
    session = started(store, cf_docs)
    session.advance_to(8)
    events = session.events()
    injects = [(e.name, e.t) for e in events if e.kind == "inject"]
    assert injects[:4] == [("synthetic_waf_test", 3.0), ("alert_flood", 3.5), ("attack_theory", 6.0),
                           ("customer_tickets", 7.0)]
    detected = next(e for e in events if e.kind == "milestone" and e.name == "detected")
    assert (detected.t, detected.detail["path"]) == (3.0, "monitoring")


def test_facilitator_notes_and_expected_actions_travel_with_the_inject(store, cf_docs):
    session = started(store, cf_docs)
    session.advance_to(6)
    herring = next(e for e in session.events() if e.name == "attack_theory")
    assert herring.detail["type"] == "red_herring"
    assert "WAF rule was deployed" in herring.detail["notes"]


def test_conditional_inject_fires_only_while_its_condition_holds(store, cf_docs, tmp_path):
    quiet = started(store, cf_docs)
    quiet.advance_to(20)
    assert "cto_call" in delivered(quiet)
    assert next(e.t for e in quiet.events() if e.name == "cto_call") == 12.0

    prompt = started(DrillStore(tmp_path / "other.db"), cf_docs)
    prompt.act("technical_lead", "acknowledge", at=3)
    prompt.act("incident_manager", "declare", at=4)
    prompt.advance_to(20)
    assert "cto_call" not in delivered(prompt)


def test_contingency_repeats_while_the_team_stays_silent(store, cf_docs):
    session = started(store, cf_docs)
    session.act("technical_lead", "acknowledge", at=3)
    session.act("incident_manager", "declare", at=4)
    session.advance_to(100)
    times = [e.t for e in session.events() if e.name == "update_overdue"]
    assert times == [34.0, 64.0, 94.0]  # 30m after declaring with no update, then every 30m
    status_nudge = [e.t for e in session.events() if e.name == "status_page_silent"]
    assert status_nudge == [14.0]


def test_requested_information_goes_to_whoever_asked_and_not_before_it_exists(store, cf_docs):
    session = started(store, cf_docs)
    session.act("technical_lead", "acknowledge", at=3)
    session.act("technical_lead", "request_info", {"topic": "recent_changes"}, at=4)
    deploy = next(e for e in session.events() if e.name == "deploy_log")
    assert (deploy.t, deploy.detail["to"], deploy.detail["requested_by"]) == (4.0, ["technical_lead"], "technical_lead")
    session.act("sre", "request_info", {"topic": "cpu_profile"}, at=5)
    session.advance_to(9)
    profile = next(e for e in session.events() if e.name == "cpu_profile")
    assert profile.t == 8.0  # asked at 5, available from 8
    assert any(e.name == "not_yet_available" for e in session.events())


def test_restoration_comes_from_the_world_not_the_script(store, cf_docs):
    session = started(store, cf_docs)
    session.act("technical_lead", "acknowledge", at=3)
    session.act("sre", "apply_workaround", {"workaround": "kill_waf_globally"}, at=31)
    before = session.drill.dashboard()
    assert before["indicators"][0]["value"] == pytest.approx(20.0)
    session.advance_to(40)
    reached = milestones(session)
    assert reached["workaround_applied"] == 31.0
    assert reached["restored"] == 33.0  # takes effect two minutes after it is applied
    assert session.drill.dashboard()["indicators"][0]["value"] == pytest.approx(100.0)
    # Outage cost accrues until restoration only: 25,000 a minute x 0.8 share x 33 minutes.
    assert session.drill.dashboard()["outage_cost"] == pytest.approx(25000 * 0.8 * 33)


def test_a_wrong_workaround_does_nothing_and_a_harmful_one_makes_it_worse(store, cf_docs):
    session = started(store, cf_docs)
    session.act("technical_lead", "acknowledge", at=3)
    out = session.act("sre", "apply_workaround", {"workaround": "under_attack_mode"}, at=5)
    assert [e.name for e in out if e.kind == "world"] == ["no_change"]
    assert session.drill.service.lost_share == pytest.approx(0.8)
    session.act("sre", "apply_workaround", {"workaround": "restart_edge_fleet"}, at=10)
    assert session.drill.service.lost_share == pytest.approx(0.9)
    assert session.drill.dashboard()["indicators"][0]["value"] == pytest.approx(10.0)
    session.advance_to(60)
    assert "restored" not in milestones(session)
    assert "workaround_applied" not in milestones(session)
    # 0.8 lost for 10 minutes, then 0.9 for 50.
    assert session.drill.service.cost_at(60) == pytest.approx(25000 * (0.8 * 10 + 0.9 * 50))


def test_paged_group_joins_after_the_staffings_acknowledgement_delay_and_the_team_assembles(store, cf_docs):
    session = started(store, cf_docs, seed=3)
    session.act("technical_lead", "acknowledge", at=3)
    session.act("technical_lead", "page", {"target": "sre"}, at=4)
    session.act("incident_manager", "declare", at=5)
    session.act("incident_manager", "open_bridge", at=6)
    session.advance_to(30)
    joined = next(e for e in session.events() if e.kind == "joined")
    assert joined.name == "sre" and joined.t == pytest.approx(4 + joined.detail["after"], abs=1e-3)
    assert 0 < joined.detail["after"] < 15
    assert milestones(session)["assembled"] == pytest.approx(max(6.0, joined.t))


def test_paging_a_group_the_staffing_lacks_goes_unanswered(store, cf_docs):
    session = started(store, cf_docs)
    session.act("technical_lead", "acknowledge", at=3)
    out = session.act("technical_lead", "page", {"target": "communications_lead"}, at=4)
    assert [e.name for e in out if e.kind == "world"] == ["page_unanswered"]


def test_free_text_workaround_claims_wait_for_the_facilitator(store, cf_docs):
    session = started(store, cf_docs)
    session.act("technical_lead", "acknowledge", at=3)
    session.act("sre", "log", {"text": "we turned the WAF off everywhere", "claims_workaround": "kill_waf_globally"}, at=20)
    assert "workaround_applied" not in milestones(session)
    assert list(session.drill.pending_claims) == [1]
    with pytest.raises(ActionRejected, match="no open claim 7"):
        session.adjudicate(7, True)
    session.advance_to(22)
    session.adjudicate(1, True, "matches the kill switch")
    session.advance_to(30)
    assert milestones(session)["workaround_applied"] == 22.0
    assert milestones(session)["restored"] == 24.0


@pytest.mark.parametrize("role, action, fields, message", [
    ("chief_wizard", "declare", {}, "unknown role 'chief_wizard'"),
    ("sre", "apply_workaround", {"workaround": "reboot_the_internet"}, "unknown workaround 'reboot_the_internet'"),
    ("technical_lead", "identify", {"cause": "solar_flare"}, "unknown cause 'solar_flare'"),
    ("technical_lead", "teleport", {}, "unknown action 'teleport'"),
    ("incident_manager", "update", {"audience": "public"}, "update needs text"),
    ("technical_lead", "implement_fix", {}, "change manager must approve_change first"),
    ("technical_lead", "request_info", {"topic": "horoscope"}, "nothing to request about 'horoscope'"),
])
def test_bad_actions_are_refused_and_the_drill_is_unharmed(store, cf_docs, role, action, fields, message):
    session = started(store, cf_docs)
    session.act("technical_lead", "acknowledge", at=3)
    before = session.events()
    with pytest.raises(ActionRejected, match=message):
        session.act(role, action, fields, at=4)
    assert session.events() == before + [e for e in session.events()[len(before):] if e.kind != "action"]
    assert not [e for e in session.events()[len(before):] if e.kind == "action"]
    session.act("incident_manager", "declare", at=5)  # the drill carries on
    assert "declared" in milestones(session)


def test_actions_before_detection_before_start_and_after_the_end_are_refused(store, cf_docs):
    session = DrillSession.create(store, cf_docs)
    with pytest.raises(ActionRejected, match="has not started"):
        session.act("incident_manager", "declare", at=0)
    session.start()
    with pytest.raises(ActionRejected, match="nothing has been detected yet"):
        session.act("incident_manager", "declare", at=1)
    session.act("technical_lead", "acknowledge", at=3)
    session.end(at=10)
    with pytest.raises(ActionRejected, match="has ended"):
        session.act("incident_manager", "declare", at=11)
    assert store.get(session.record.id).status == "ended"


def _play_live(store, docs, crash_after: int | None = None):
    """Inputs given one by one; optionally 'crash' (drop the session) after some of them and resume."""
    inputs = [
        ("act", ("technical_lead", "acknowledge", {}), 3.2),
        ("act", ("technical_lead", "page", {"target": "sre"}), 4.1),
        ("act", ("technical_lead", "hypothesis", {"cause": "ddos_attack"}), 6.5),
        ("act", ("incident_manager", "declare", {}), 9.0),
        ("act", ("sre", "log", {"text": "switching off the managed rules", "claims_workaround": "kill_waf_globally"}), 16.0),
        ("act", ("incident_manager", "open_bridge", {}), 16.5),
        ("adjudicate", (1, True, "yes"), 17.0),
        ("act", ("incident_manager", "update", {"audience": "public", "text": "Investigating"}), 21.0),
        ("act", ("technical_lead", "identify", {"cause": "waf_regex"}), 23.0),
    ]
    session = DrillSession.create(store, docs, seed=11, drill_id="crashy", clock=DrillClock(wall=lambda: 0.0))
    session.start()
    for k, (kind, args, t) in enumerate(inputs):
        if crash_after is not None and k == crash_after:
            session = DrillSession.resume(store, "crashy", clock=DrillClock(wall=lambda: 0.0))
            assert session.drill.now == pytest.approx(max(e.t for e in store.events("crashy")))
        session.clock.jump_to(t)
        if kind == "act":
            session.act(*args)
        else:
            session.adjudicate(*args)
    session.clock.jump_to(60)
    session.advance_to()
    session.end()
    return [(e.seq, e.t, e.kind, e.name, e.role, dict(e.detail)) for e in store.events("crashy")]


@pytest.mark.parametrize("crash_after", [1, 4, 6, 8])
def test_a_drill_resumed_after_a_crash_neither_duplicates_nor_drops_an_event(tmp_path, cf_docs, crash_after):
    straight = _play_live(DrillStore(tmp_path / "a.db"), cf_docs)
    resumed = _play_live(DrillStore(tmp_path / "b.db"), cf_docs, crash_after=crash_after)
    assert resumed == straight
    seqs = [row[0] for row in resumed]
    assert seqs == list(range(1, len(seqs) + 1))


def test_resume_refuses_an_ended_drill_and_an_unknown_one(store, cf_docs):
    session = started(store, cf_docs)
    session.end(at=1)
    with pytest.raises(DrillError, match="has ended"):
        DrillSession.resume(store, session.record.id)
    with pytest.raises(DrillError, match="no drill 'nope'"):
        DrillSession.resume(store, "nope")


def test_the_journal_keeps_its_documents_so_a_drill_rebuilds_without_its_files(store, tmp_path, library):
    text = library("cloudflare-2019-waf", "scenario").text
    path = tmp_path / "my-scenario.yaml"
    path.write_text(text)
    from scenarios import load

    docs = DrillDocuments.resolve(load(path), library("cloudflare-2019-team", "roster"))
    session = started(store, docs)
    session.act("technical_lead", "acknowledge", at=3)
    path.unlink()
    again = DrillSession.resume(store, session.record.id)
    assert "acknowledged" in again.drill.milestones


def test_clock_speed_pause_and_jump():
    wall = [100.0]
    clock = DrillClock(speed=4, wall=lambda: wall[0])
    assert clock.now() == 0
    clock.resume()
    wall[0] += 30  # half a wall minute at 4x: two scenario minutes
    assert clock.now() == pytest.approx(2.0)
    clock.pause()
    wall[0] += 600
    assert clock.now() == pytest.approx(2.0)
    clock.resume()
    clock.set_speed(1)
    wall[0] += 60
    assert clock.now() == pytest.approx(3.0)
    clock.jump_to(10)
    assert clock.now() == pytest.approx(10.0)
    clock.jump_to(5)  # never backwards
    assert clock.now() == pytest.approx(10.0)
    assert clock.wall_seconds_until(11) == pytest.approx(60.0)


def test_jump_to_next_inject_delivers_it(store, cf_docs):
    session = DrillSession.create(store, cf_docs, clock=DrillClock(wall=lambda: 0.0))
    session.start()
    out = session.jump_to_next_inject()
    assert [e.name for e in out if e.kind == "inject"] == ["synthetic_waf_test"]
    assert session.now() == 3.0


def test_same_seed_same_world(tmp_path, cf_docs, library):
    responses = library("cloudflare-2019-actual", "responses")
    a = play(DrillStore(tmp_path / "a.db"), cf_docs, responses, seed=5)
    b = play(DrillStore(tmp_path / "b.db"), cf_docs, responses, seed=5)
    c = play(DrillStore(tmp_path / "c.db"), cf_docs, responses, seed=6)
    rows = lambda s: [(e.t, e.kind, e.name) for e in s.events()]  # noqa: E731
    assert rows(a) == rows(b)
    assert rows(a) != rows(c)  # the SRE group's join delay is drawn from the seed


def test_scripted_responses_are_rehearsed_and_every_refusal_reported_with_its_line(store, cf_docs, library):
    text = library("cloudflare-2019-actual", "responses").text
    text = text.replace("workaround: kill_waf_globally", "workaround: turn_it_off_and_on")
    text = text.replace("  - at: 45m\n    role: incident_manager\n    action: approve_change",
                        "  - at: 45m\n    role: incident_manager\n    action: log")
    bad = load_text(text, "bad-responses.yaml")
    with pytest.raises(DocumentError) as err:
        play(store, cf_docs, bad)
    messages = [str(p) for p in err.value.problems]
    assert any("unknown workaround 'turn_it_off_and_on'" in m and "bad-responses.yaml:" in m for m in messages), messages
    assert store.list() == []  # nothing written


def test_malformed_responses_file_reports_every_problem():
    text = """kind: responses
version: 1
name: broken
scenario: cloudflare-2019-waf
actions:
  - {at: -5m, role: technical_lead, action: acknowledge}
  - {at: 10m, role: incident_manager, action: update, audience: public}
  - {at: 5m, role: incident_manager, action: declare, target: sre}
  - {at: 6m, role: incident_manager, action: dance}
"""
    with pytest.raises(DocumentError) as err:
        load_text(text, "broken.yaml")
    messages = "\n".join(str(p) for p in err.value.problems)
    assert "broken.yaml:6: actions[0].at: duration must be >= 0, got '-5m'" in messages
    assert "broken.yaml:7: actions[1]: action 'update' needs text" in messages
    assert "broken.yaml:8: actions[2]: action 'declare' takes no target" in messages
    assert "broken.yaml:9: actions[3]: unknown action 'dance'" in messages


def test_scoring_is_pure_and_uses_scenario_time(tmp_path, cf_docs, library):
    responses = library("cloudflare-2019-actual", "responses")
    session = play(DrillStore(tmp_path / "a.db"), cf_docs, responses)
    journal = Journal.from_store(session.store, session.record.id)
    assert score(journal).to_dict() | {"tool_version": None} == score(journal).to_dict() | {"tool_version": None}
    exported = Journal.from_dict(yaml.safe_load(yaml.safe_dump(journal.to_dict())))
    assert score(exported).to_dict()["metrics"] == score(journal).to_dict()["metrics"]


def test_each_role_sees_its_own_playbook_checklist(store, cf_docs):
    from drills.checklist import checklist

    session = started(store, cf_docs)
    session.act("technical_lead", "acknowledge", at=3)
    session.act("technical_lead", "identify", {"cause": "waf_regex"}, at=4)
    session.act("incident_manager", "declare", at=5)
    events = session.events()
    playbook = cf_docs.playbook.document
    mine = {r["id"]: r["status"] for r in checklist(events, cf_docs.scenario.document, playbook,
                                                    cf_docs.roster.document, "technical_lead")}
    assert mine["acknowledge"] == "done"
    assert "declare" not in mine  # the incident manager's step
    everyone = {r["id"]: r for r in checklist(events, cf_docs.scenario.document, playbook, cf_docs.roster.document)}
    assert everyone["declare"]["status"] == "done" and everyone["declare"]["by"] == "incident_manager"
    # Identified before the page-the-incident-manager step it depends on was done: out of order.
    assert everyone["diagnose"]["status"] == "done"
    assert everyone["first_update"]["status"] == "skipped"
    # The roster has no communications lead: the incident manager stands in for the update.
    assert "first_update" in {r["id"] for r in checklist(events, cf_docs.scenario.document, playbook,
                                                           cf_docs.roster.document, "incident_manager")}


def test_scorecard_reports_wrong_role_and_out_of_order_steps(tmp_path, cf_docs):
    store = DrillStore(tmp_path / "x.db")
    session = started(store, cf_docs)
    session.act("technical_lead", "acknowledge", at=3)
    session.act("sre", "declare", at=4)  # not the incident manager
    session.act("incident_manager", "resolve", at=6)  # closed while down, before fix and problem record
    session.end(at=7)
    card = score(Journal.from_store(store, session.record.id)).to_dict()
    steps = {s["id"]: s for s in card["steps"]}
    assert steps["declare"]["raci_ok"] is False
    assert steps["resolve"]["status"] == "out_of_order"
    assert {"step": "declare", "by": "sre"} in card["checks"]["raci"]["wrong_role"]
    text = " ".join(card["improvements"])
    assert "closed while the service was still degraded" in text
    assert "before the permanent fix" in text and "without a problem record" in text
    assert card["metrics"]["time_to_restore"]["actual_min"] is None
    assert card["metrics"]["time_to_restore"]["met"] is False
    assert card["score"] < 40


def test_evaluator_rating_overrides_the_computed_one_with_a_reason(tmp_path, cf_docs):
    store = DrillStore(tmp_path / "x.db")
    session = started(store, cf_docs)
    session.act("technical_lead", "acknowledge", at=3)
    with pytest.raises(ActionRejected, match="needs a reason"):
        session.rate("diagnose", "S", "  ")
    with pytest.raises(ActionRejected, match="unknown objective"):
        session.rate("juggling", "P", "nice")
    session.rate("diagnose", "M", "chased the attack theory for ten minutes")
    session.end(at=8)
    ratings = score(Journal.from_store(store, session.record.id)).to_dict()["ratings"]
    assert ratings["diagnose"]["rating"] == "M"
    assert ratings["diagnose"]["computed"] == "U"  # never identified
    assert ratings["diagnose"]["override"]["reason"] == "chased the attack theory for ten minutes"
    assert ratings["detect_and_declare"]["override"] is None


def test_percentiles_rank_the_team_among_simulated_teams(tmp_path, cf_docs, library):
    import numpy as np

    responses = library("cloudflare-2019-actual", "responses")
    session = play(DrillStore(tmp_path / "a.db"), cf_docs, responses)
    journal = Journal.from_store(session.store, session.record.id)
    simulated = {"time_to_restore": np.array([10.0, 20.0, 27.0, 30.0, 40.0, 50.0, 60.0, np.nan]),
                 "time_to_identify": np.array([])}
    card = score(journal, simulated).to_dict()
    p = card["percentiles"]["time_to_restore"]
    # Slower: 30, 40, 50, 60 and the one never restored (5), plus half a tie: 5.5 of 8.
    assert p["faster_than_share"] == pytest.approx(5.5 / 8)
    assert "faster than 69% of simulated teams" in p["sentence"]
    assert "time_to_identify" not in card["percentiles"]


def test_a_compressed_drill_is_scored_in_scenario_time(tmp_path, cf_docs):
    wall = [0.0]
    fast = DrillSession.create(DrillStore(tmp_path / "fast.db"), cf_docs, speed=4,
                               clock=DrillClock(speed=4, wall=lambda: wall[0]))
    fast.start()
    wall[0] = 45.0  # 45 wall seconds at 4x = 3 scenario minutes
    fast.act("technical_lead", "acknowledge")
    wall[0] = 120.0  # 8 scenario minutes
    fast.act("incident_manager", "declare")
    fast.end()
    card = score(Journal.from_store(fast.store, fast.record.id)).to_dict()
    assert card["metrics"]["time_to_declare"]["actual_min"] == pytest.approx(5.0)
    assert card["metrics"]["time_to_acknowledge"]["actual_min"] == pytest.approx(0.0)


def test_an_adhoc_inject_to_everyone_survives_a_resume(store, cf_docs):
    session = started(store, cf_docs)
    session.send_adhoc("Heads up", "The CEO is on the line", None)
    session.send_adhoc("For the IM", "", ["incident_manager", "everyone"])
    again = DrillSession.resume(store, session.record.id)
    assert [e.detail["to"] for e in again.events() if e.kind == "adhoc_inject"] == [["everyone"], ["incident_manager"]]


def test_two_writers_on_one_drill_are_stopped_before_the_journal_forks(store, cf_docs):
    first = started(store, cf_docs)
    first.act("technical_lead", "acknowledge", at=3)
    second = DrillSession.resume(store, first.record.id)
    second.act("incident_manager", "declare", at=4)
    with pytest.raises(DrillError, match="being run elsewhere"):
        first.act("incident_manager", "declare", at=4)
    assert [e.name for e in store.events(first.record.id) if e.kind == "action"] == ["acknowledge", "declare"]


def test_the_journal_decides_the_status_after_a_crash(store, cf_docs):
    session = started(store, cf_docs)
    session.end(at=2)
    store.update(session.record.id, status="running")  # as if the process died between the two writes
    with pytest.raises(DrillError, match="has ended"):
        DrillSession.resume(store, session.record.id)
    assert store.get(session.record.id).status == "ended"


def test_an_update_before_declaring_is_not_a_negative_time(store, cf_docs):
    session = started(store, cf_docs)
    session.act("technical_lead", "acknowledge", at=3)
    with pytest.raises(ActionRejected, match="unknown audience 'bogus'"):
        session.act("incident_manager", "update", {"audience": "bogus", "text": "hi"}, at=3.5)
    session.act("incident_manager", "update", {"audience": "public", "text": "looking into it"}, at=4)
    assert "first_update" not in milestones(session)
    session.act("incident_manager", "declare", at=40)
    assert milestones(session)["first_update"] == 40.0


def test_cadence_counts_the_wait_from_the_declaration(tmp_path, cf_docs):
    store = DrillStore(tmp_path / "x.db")
    session = started(store, cf_docs)
    session.act("technical_lead", "acknowledge", at=3)
    session.act("incident_manager", "declare", at=5)
    session.act("incident_manager", "update", {"audience": "public", "text": "late news"}, at=58)
    session.end(at=58)
    card = score(Journal.from_store(store, session.record.id)).to_dict()
    cadence = card["checks"]["update_cadence"]
    assert cadence["passed"] is False and cadence["largest_gap_min"] == 53
    # Neither a problem record nor a review: a checks-only objective never performed is rated U.
    assert card["ratings"]["follow_through"]["computed"] == "U"


def test_percentiles_use_the_drills_own_start_time(cf_docs, staffing):
    from drills.baseline import simulated_responses

    pager = staffing("business-hours-pager")
    night, about = simulated_responses(cf_docs.scenario, pager, cf_docs.playbook, replications=300,
                                       start_minute=2 * 1440 + 3 * 60)
    day, _ = simulated_responses(cf_docs.scenario, pager, cf_docs.playbook, replications=300,
                                 start_minute=2 * 1440 + 18 * 60)  # 10:00 in San Francisco
    assert about["start"] == "wed 03:00 UTC, as the drill"
    import numpy as np

    assert np.nanmedian(night["time_to_acknowledge"]) > np.nanmedian(day["time_to_acknowledge"])
