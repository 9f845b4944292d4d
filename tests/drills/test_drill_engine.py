"""The drill engine: injects on time and on condition, a world that reacts to what the
team does, the journal, and rebuilding a drill after a crash."""

from __future__ import annotations

import json

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
from scenarios import DocumentError, load_text, resolve


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


def world(session, name):
    return [e for e in session.events() if e.kind == "world" and e.name == name]


def test_restoration_comes_from_the_world_not_the_script(store, cf_docs):
    session = started(store, cf_docs)
    session.act("technical_lead", "acknowledge", at=3)
    session.act("sre", "apply_workaround", {"workaround": "kill_waf_globally"}, at=31)
    (work,) = world(session, "work_started")
    assert (work.t, work.detail["work"], work.detail["workaround"]) == (31.0, "workaround", "kill_waf_globally")
    assert 0 < work.detail["takes"] < 60  # drawn from the workaround's apply (median 5m, p90 12m)
    session.advance_to(31 + work.detail["takes"] - 0.01)
    assert "workaround_applied" not in milestones(session)  # the work is not done yet
    assert session.drill.dashboard()["indicators"][0]["value"] == pytest.approx(20.0)
    session.advance_to(120)
    reached = milestones(session)
    assert reached["workaround_applied"] == pytest.approx(31 + work.detail["takes"], abs=1e-3)
    (back,) = world(session, "service_restored")
    assert 1 <= back.detail["after"] <= 4  # take_effect: triangular 1m, 2m, 4m
    assert reached["restored"] == pytest.approx(reached["workaround_applied"] + back.detail["after"], abs=1e-3)
    assert session.drill.dashboard()["indicators"][0]["value"] == pytest.approx(100.0)
    # Outage cost accrues until restoration only: 25,000 a minute x 0.8 share.
    assert session.drill.dashboard()["outage_cost"] == pytest.approx(25000 * 0.8 * reached["restored"])


def test_work_durations_come_from_the_drills_seed(tmp_path, cf_docs):
    def kill_takes(seed, name):
        session = started(DrillStore(tmp_path / f"{name}.db"), cf_docs, seed=seed)
        session.act("technical_lead", "acknowledge", at=3)
        session.act("sre", "apply_workaround", {"workaround": "kill_waf_globally"}, at=10)
        return world(session, "work_started")[0].detail["takes"]

    assert kill_takes(1, "a") == kill_takes(1, "b")
    assert len({kill_takes(seed, f"s{seed}") for seed in range(2, 7)}) == 5


def test_a_wrong_workaround_does_nothing_and_a_harmful_one_makes_it_worse_once_the_work_is_done(store, cf_docs):
    session = started(store, cf_docs)
    session.act("technical_lead", "acknowledge", at=3)
    # Switching on attack mode answers the attack theory, a wrong cause: nothing happens, after
    # its five minutes of work.
    assert cf_docs.scenario.document.workaround_by_key("under_attack_mode").answers == "ddos_attack"
    out = session.act("sre", "apply_workaround", {"workaround": "under_attack_mode"}, at=5)
    assert [(e.name, e.detail["takes"]) for e in out if e.kind == "world"] == [("work_started", 5.0)]
    session.advance_to(9.9)
    assert not world(session, "no_change")
    session.advance_to(10)
    (nothing,) = world(session, "no_change")
    assert nothing.t == 10.0 and nothing.detail["workaround"] == "under_attack_mode"
    assert session.drill.service.lost_share == pytest.approx(0.8)
    session.act("sre", "apply_workaround", {"workaround": "restart_edge_fleet"}, at=10)
    assert session.drill.service.lost_share == pytest.approx(0.8)  # ten minutes of work first
    session.advance_to(20)
    (worse,) = world(session, "worse")
    assert worse.t == 20.0 and worse.detail["lost_share"] == pytest.approx(0.9)
    assert session.drill.dashboard()["indicators"][0]["value"] == pytest.approx(10.0)
    session.advance_to(60)
    assert "restored" not in milestones(session)
    assert "workaround_applied" not in milestones(session)
    # 0.8 lost for 20 minutes, then 0.9 for 40.
    assert session.drill.service.cost_at(60) == pytest.approx(25000 * (0.8 * 20 + 0.9 * 40))


def test_the_fix_needs_the_cause_identified_or_the_facilitators_leave(tmp_path, cf_docs):
    session = started(DrillStore(tmp_path / "a.db"), cf_docs)
    session.act("technical_lead", "acknowledge", at=3)
    session.act("incident_manager", "approve_change", at=4)
    with pytest.raises(ActionRejected, match="needs the cause identified first"):
        session.act("technical_lead", "implement_fix", at=4)
    session.act("technical_lead", "identify", {"cause": "edge_release"}, at=5)  # a wrong cause
    with pytest.raises(ActionRejected, match="needs the cause identified first"):
        session.act("technical_lead", "implement_fix", at=6)
    with pytest.raises(ActionRejected, match="needs a reason"):
        session.allow_fix("   ")
    session.advance_to(7)
    session.allow_fix("the vendor has told us the cause")
    allowed = next(e for e in session.events() if e.kind == "control" and e.name == "allow_fix")
    assert (allowed.t, allowed.actor, allowed.detail["reason"]) == (7.0, "facilitator", "the vendor has told us the cause")
    session.act("technical_lead", "implement_fix", at=8)
    with pytest.raises(ActionRejected, match="already in progress"):
        session.act("technical_lead", "implement_fix", at=9)

    identified = fixing(started(DrillStore(tmp_path / "b.db"), cf_docs))
    assert world(identified, "work_started")[0].detail["work"] == "fix"


def fixing(session):
    """The cause identified at 4m, the change approved at 5m, its work started at 6m."""
    session.act("technical_lead", "acknowledge", at=3)
    session.act("technical_lead", "identify", {"cause": "waf_regex"}, at=4)
    session.act("incident_manager", "approve_change", at=5)
    session.act("technical_lead", "implement_fix", at=6)
    return session


def test_the_fix_takes_its_drawn_duration_and_restores_what_is_left_when_it_ends(store, cf_docs):
    session = fixing(started(store, cf_docs, seed=2))
    takes = world(session, "work_started")[0].detail["takes"]
    assert 5 < takes < 200  # the fix's duration: lognormal, median 25m, p90 55m
    session.advance_to(6 + takes - 0.01)
    assert "fixed" not in milestones(session) and session.drill.service.lost_share == pytest.approx(0.8)
    session.advance_to(6 + takes + 1)
    reached = milestones(session)
    assert reached["fixed"] == pytest.approx(6 + takes, abs=1e-3)
    assert reached["restored"] == reached["fixed"]  # no workaround: the fix restores the service
    assert world(session, "service_restored")[0].detail["why"] == "the permanent fix is in place"
    assert session.drill.service.lost_share == 0


def test_a_wrong_cause_is_answered_by_evidence_after_the_scenarios_wrong_hypothesis_cost(store, cf_docs):
    session = started(store, cf_docs)
    session.act("technical_lead", "acknowledge", at=3)
    out = session.act("technical_lead", "identify", {"cause": "ddos_attack"}, at=5)
    assert [e.kind for e in out if e.t == 5.0] == ["action"]  # nothing tells the team at once
    session.act("sre", "hypothesis", {"cause": "ddos_attack"}, at=5.5)  # the same theory again
    assert session.drill.wrong_hypotheses == 2
    session.advance_to(200)
    (evidence,) = world(session, "wrong_cause")
    assert evidence.detail["cause"] == "ddos_attack" and evidence.detail["named_at"] == 5.0
    assert evidence.detail["evidence_after"] > 0
    assert evidence.t == pytest.approx(5 + evidence.detail["evidence_after"], abs=1e-3)
    assert "identified" not in milestones(session)


def edited(cf_docs, old: str, new: str):
    """The Cloudflare drill's documents with one edit to its scenario."""
    text = resolve("cloudflare-2019-waf", "scenario").text
    assert old in text
    return DrillDocuments.resolve(load_text(text.replace(old, new), "edited.yaml"), cf_docs.roster)


def test_without_a_wrong_hypothesis_cost_the_evidence_comes_at_once(store, cf_docs):
    docs = edited(cf_docs, "  wrong_hypothesis:\n    probability: 0.5\n    cost: {dist: lognormal, median: 5m, p90: 12m}\n", "")
    session = started(store, docs)
    session.act("technical_lead", "acknowledge", at=3)
    out = session.act("technical_lead", "identify", {"cause": "edge_release"}, at=4)
    assert [(e.name, e.t, e.detail["evidence_after"]) for e in out if e.kind == "world"] == [("wrong_cause", 4.0, 0.0)]


def test_milestones_that_follow_an_assumed_action_or_inject_are_assumed(store, cf_docs):
    docs = edited(cf_docs, "    detects: monitoring\n",
                  "    detects: monitoring\n    assumed: The page's minute was never published.\n")
    session = started(store, docs)
    session.act("technical_lead", "acknowledge", at=3)
    session.act("technical_lead", "identify", {"cause": "waf_regex"}, at=4)
    session.act("sre", "apply_workaround", {"workaround": "kill_waf_globally"}, at=5, assumed="not published",
                pins={"takes": 2, "take_effect": 1})
    session.act("incident_manager", "approve_change", at=6)
    session.act("technical_lead", "implement_fix", at=6, assumed="a guess", pins={"takes": 30})
    session.advance_to(40)
    events = {e.name: e for e in session.events() if e.kind == "milestone"}
    assert events["detected"].detail["assumed"] == "The page's minute was never published."
    assert (events["workaround_applied"].t, events["workaround_applied"].detail["assumed"]) == (7.0, "not published")
    assert (events["restored"].t, events["restored"].detail["assumed"]) == (8.0, "not published")
    assert (events["fixed"].t, events["fixed"].detail["assumed"]) == (36.0, "a guess")
    assert "assumed" not in events["acknowledged"].detail
    work = world(session, "work_started")
    assert [(w.detail["takes"], w.detail["assumed"]) for w in work] == [(2.0, "not published"), (30.0, "a guess")]
    with pytest.raises(ActionRejected, match="say why with assumed"):
        session.act("sre", "apply_workaround", {"workaround": "kill_waf_globally"}, at=41, pins={"takes": 1})
    with pytest.raises(ActionRejected, match="identify has no world duration 'takes'"):
        session.act("technical_lead", "identify", {"cause": "waf_regex"}, at=41, assumed="x", pins={"takes": 1})


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
    (work,) = world(session, "work_started")  # an accepted claim is applied now: the work starts
    assert (work.t, work.role, work.detail["workaround"]) == (22.0, "sre", "kill_waf_globally")
    session.advance_to(120)
    assert milestones(session)["workaround_applied"] == pytest.approx(22 + work.detail["takes"], abs=1e-3)


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
    text = text.replace("  - at: 27m\n    role: incident_manager\n    action: approve_change",
                        "  - at: 27m\n    role: incident_manager\n    action: log")
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


GAMING = """kind: responses
version: 1
name: fix-at-once
scenario: cloudflare-2019-waf
roster: cloudflare-2019-team
actions:
  - {at: 3m, role: technical_lead, action: acknowledge}
  - {at: 3m, role: incident_manager, action: approve_change}
  - {at: 3m, role: technical_lead, action: implement_fix, refused: expected}
  - {at: 4m, role: incident_manager, action: declare}
"""


def test_a_refused_scripted_action_is_journaled_as_a_rejection_and_play_goes_on(store, cf_docs):
    session = play(store, cf_docs, load_text(GAMING, "gaming.yaml"))
    events = session.events()
    (rejection,) = [e for e in events if e.kind == "rejection"]
    assert (rejection.t, rejection.name, rejection.role, rejection.actor) == (3.0, "implement_fix", "technical_lead",
                                                                              "Sasha (SRE on duty)")
    assert rejection.detail["expected"] is True and rejection.detail["fields"] == {}
    assert "needs the cause identified first" in rejection.detail["reason"]
    assert "declared" in milestones(session)  # play went on past it
    assert [e.name for e in events if e.kind == "action"] == ["acknowledge", "approve_change", "declare"]


def test_a_resumed_drill_skips_its_rejections_and_carries_on(store, cf_docs):
    session = started(store, cf_docs)
    session.act("technical_lead", "acknowledge", at=3)
    session.reject("technical_lead", "implement_fix", {}, "refused for the test", expected=True, at=4)
    session.act("incident_manager", "declare", at=5)
    again = DrillSession.resume(store, session.record.id)
    assert "declared" in again.drill.milestones and "fixed" not in again.drill.milestones
    again.act("incident_manager", "open_bridge", at=6)
    kinds = [(e.seq, e.kind, e.name) for e in store.events(session.record.id)]
    assert kinds[-1][1:] == ("world", "bridge_open") and [k[0] for k in kinds] == list(range(1, len(kinds) + 1))
    assert ("rejection", "implement_fix") in [k[1:] for k in kinds]


def test_rehearsal_reports_unexpected_refusals_and_expected_ones_that_are_taken(store, cf_docs):
    unexpected = GAMING.replace(", refused: expected}", "}")
    with pytest.raises(DocumentError) as err:
        play(store, cf_docs, load_text(unexpected, "unexpected.yaml"))
    (problem,) = err.value.problems
    assert str(problem).startswith("unexpected.yaml:9: actions[2]: implement_fix by technical_lead at 3m is refused")
    wrong = GAMING.replace("{at: 4m, role: incident_manager, action: declare}",
                           "{at: 4m, role: incident_manager, action: declare, refused: expected}")
    with pytest.raises(DocumentError) as err:
        play(store, cf_docs, load_text(wrong, "wrong.yaml"))
    (problem,) = err.value.problems
    assert "wrong.yaml:10: actions[3].refused:" in str(problem) and "expected to be refused" in str(problem)
    assert store.list() == []


def test_a_pinned_duration_fixes_the_work_and_needs_a_reason():
    text = """kind: responses
version: 1
name: pinned
scenario: cloudflare-2019-waf
actions:
  - {at: 3m, role: technical_lead, action: acknowledge}
  - {at: 20m, role: sre, action: apply_workaround, workaround: kill_waf_globally, takes: 5m}
  - {at: 21m, role: sre, action: declare, takes: 5m, assumed: why not}
  - {at: 22m, role: sre, action: implement_fix, take_effect: 1m, assumed: a guess}
"""
    with pytest.raises(DocumentError) as err:
        load_text(text, "pinned.yaml")
    messages = "\n".join(str(p) for p in err.value.problems)
    assert "pinned.yaml:7: actions[1]: takes: a pinned world duration needs assumed: (why), got takes: 5m" in messages
    assert "pinned.yaml:8: actions[2]: takes: pins the work of apply_workaround or implement_fix, not of 'declare'" \
        in messages
    assert "pinned.yaml:9: actions[3]: take_effect: pins the work of apply_workaround, not of 'implement_fix'" \
        in messages


def test_the_pinned_replay_reproduces_its_published_durations(tmp_path, cf_docs):
    session = play(DrillStore(tmp_path / "a.db"), cf_docs, resolve("cloudflare-2019-actual", "responses"))
    (kill, fix) = world(session, "work_started")
    assert (kill.t, kill.detail["takes"], fix.t, fix.detail["takes"]) == (20.0, 5.0, 27.0, 43.0)
    reached = milestones(session)
    assert (reached["workaround_applied"], reached["restored"], reached["fixed"]) == (25.0, 27.0, 70.0)


def test_journals_of_the_first_format_still_load_and_score(tmp_path, cf_docs):
    session = play(DrillStore(tmp_path / "a.db"), cf_docs, resolve("cloudflare-2019-actual", "responses"))
    exported = Journal.from_store(session.store, session.record.id).to_dict()
    assert exported["format"] == "warroom.journal/2"
    old = dict(exported, format="warroom.journal/1",
               events=[e for e in exported["events"] if not (e["kind"] == "world" and e["name"] == "work_started")])
    journal = Journal.from_dict(old)
    assert score(journal).to_dict()["metrics"]["time_to_restore"]["actual_min"] == 27
    with pytest.raises(DocumentError, match="expected format warroom.journal/1 or warroom.journal/2, got 'warroom.journal/9'"):
        Journal.from_dict(dict(exported, format="warroom.journal/9"))


def broken_journals(exported: dict) -> dict[str, tuple[bytes, list[str]]]:
    """A journal file broken in the ways a hand edit or a bad tool breaks one, and the
    located problems each must give."""
    events = exported["events"]

    def as_file(data) -> bytes:
        return json.dumps(data).encode()

    return {
        "empty": (b"", ["not a warroom journal: not JSON"]),
        "NaN": (b'{"format": NaN}', ["NaN is not a JSON number"]),
        "nested 100,000 deep": (b"[" * 100_000 + b"]" * 100_000, ["nested more than 32 deep"]),
        "Latin-1": (b'{"format": "caf\xe9"}', ["not UTF-8"]),
        "a list": (b"[]", ["format: not a warroom journal"]),
        "no events": (as_file({k: v for k, v in exported.items() if k != "events"}), ["events: required field is missing"]),
        "a time that is not a number": (as_file(dict(exported, events=events[:3] + [dict(events[3], t="abc")] + events[4:])),
                                        ["events[3].t: input should be a valid number", "got 'abc'"]),
        "an unknown event kind": (as_file(dict(exported, events=[dict(events[0], kind="zzz")] + events[1:])),
                                  ["events[0].kind: input should be 'action'", "got 'zzz'"]),
        "a stored document without its text": (
            as_file(dict(exported, drill=dict(exported["drill"], documents=[{"kind": "scenario", "name": "x",
                                                                             "source": "x.yaml"}]))),
            ["drill.documents[0].text: required field is missing"]),
        "a drill that is text": (as_file(dict(exported, drill="x")), ["drill: input should be a dictionary"]),
    }


def test_a_broken_journal_file_gives_located_problems(tmp_path, cf_docs):
    from click.testing import CliRunner

    from cli import main

    session = play(DrillStore(tmp_path / "a.db"), cf_docs, resolve("cloudflare-2019-actual", "responses"))
    exported = Journal.from_store(session.store, session.record.id).to_dict()
    for name, (raw, expected) in broken_journals(exported).items():
        path = tmp_path / "journal.json"
        path.write_bytes(raw)
        with pytest.raises(DocumentError) as caught:
            Journal.read(path)
        shown = str(caught.value)
        assert all(part in shown for part in expected), (name, shown)
        assert all(p.file == str(path) for p in caught.value.problems), name
        result = CliRunner().invoke(main, ["drill", "score", str(path), "--baseline", "0"])
        assert result.exit_code == 2 and expected[0] in result.output, (name, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), (name, result.exception)
    path.write_text(json.dumps(exported))
    assert score(Journal.read(path)).to_dict()["metrics"]["time_to_restore"]["actual_min"] == 27


def test_a_drill_on_a_dated_start_keeps_its_calendar_through_a_resume(store, cf_docs, library):
    """A drill of an incident on 27 October 2026 at 16:30 UTC (09:30 in Los Angeles, PDT)
    pages a Pacific business-hours team at their desks, and still does after a resume."""
    import re

    from drills import DrillDocuments
    from drills.session import calendar_of

    dated = load_text(re.sub(r"(?m)^start: .*$", "start: {policy: fixed, date: 2026-10-27, time: '16:30'}",
                             cf_docs.scenario.text), "dated.yaml")
    docs = DrillDocuments.resolve(dated, cf_docs.roster, cf_docs.playbook, library("business-hours-pager", "staffing"))
    session = DrillSession.create(store, docs, seed=4)
    assert calendar_of(session.record).isoformat() == "2026-10-26T00:00:00+00:00"
    assert session.drill.setup.start_minute == 1 * 1440 + 16 * 60 + 30
    october = sorted(session.drill._answer_delay("incident_manager") for _ in range(41))
    winter = DrillSession.create(store, docs, seed=4, start_minute=1 * 1440 + 16 * 60 + 30)   # the reference week
    january = sorted(winter.drill._answer_delay("incident_manager") for _ in range(41))
    # The same random numbers: at the desk (median 2m) against the pager (median 8m).
    assert october[20] < 3.5 and january[20] > 2.5 * october[20]
    resumed = DrillSession.resume(store, session.record.id)
    assert resumed.drill.setup.anchor == session.drill.setup.anchor


def test_a_scripted_replay_reports_each_stage_of_a_staged_recovery_exactly(store, cf_docs):
    """The 2019 replay on a scenario with a second, non-critical service the global kill
    only half restores: the edge (and 50% of the traffic) is back when the kill takes
    effect at 27, the dashboard (and 95%) when the fix is in at 70."""
    import re

    from drills import DrillDocuments, Journal, score

    two = """services:
  - {id: edge, name: Edge proxy, users: 900, share: 0.8, cost_per_minute: 25000}
  - {id: dashboard, name: Customer dashboard, users: 100, share: 1.0, cost_per_minute: 2000, critical: false}
restore_stages: [0.5, 0.95]
"""
    text = re.sub(r"(?m)^service:\n(?:  .*\n)+impact:\n(?:  .*\n)+", two, cf_docs.scenario.text)
    text = text.replace("    name: Global kill of the managed WAF rulesets\n",
                        "    name: Global kill of the managed WAF rulesets\n    restores: {edge: 1.0, dashboard: 0.5}\n")
    staged = load_text(text, "staged.yaml")
    docs = DrillDocuments.resolve(staged, cf_docs.roster, cf_docs.playbook, cf_docs.staffing)
    session = play(store, docs, resolve("cloudflare-2019-actual", "responses"))
    journal = Journal.from_store(store, session.record.id)
    card = score(journal).to_dict()
    stages = {k: v["minute"] for k, v in card["restore_stages"].items()}
    assert stages == {"time_to_restore_50": 27.0, "time_to_restore.edge": 27.0,
                      "time_to_restore_95": 70.0, "time_to_restore.dashboard": 70.0}
    assert card["metrics"]["time_to_restore"]["actual_min"] == 27
    levels = [e for e in journal.events if e.kind == "world" and e.name == "service_restored"]
    assert levels[0].detail["levels"] == {"edge": 0.0, "dashboard": 0.5}
    end = next(e for e in reversed(journal.events) if e.kind == "control" and e.name == "end")
    assert end.detail["outage_cost"] == pytest.approx(25000 * 0.8 * 27 + 2000 * (1.0 * 27 + 0.5 * (70 - 27)), rel=1e-6)
    from reports.scorecard import render_scorecard

    md = render_scorecard(card, journal.to_dict(), "md")
    assert "| Time to restore 95% of traffic *(assumed)* | 70 |" in md or "| Time to restore 95% of traffic | 70 |" in md


def test_a_workaround_refuses_until_what_it_needs_is_there(cf_docs):
    from drills.engine import Drill, DrillSetup
    from scenarios.scenario import Workaround

    text = cf_docs.scenario.text.replace(
        "    name: Global kill of the managed WAF rulesets\n",
        "    name: Global kill of the managed WAF rulesets\n    needs:\n      identified: true\n"
        "      workarounds: [get_console_access]\n      party: {name: the CDN vendor, delay: 30m}\n")
    text = text.replace("workarounds:\n", "workarounds:\n  - id: get_console_access\n    name: Get console access\n"
                                          "    by: sre\n    apply: 10m\n    effective: false\n", 1)
    sc = load_text(text, "needy.yaml").document
    assert isinstance(sc.workaround_by_key("get_console_access"), Workaround)
    drill = Drill(DrillSetup(sc, cf_docs.playbook.document, cf_docs.roster.document, cf_docs.staffing.document, 1, 0.0))
    drill.advance_to(5)
    with pytest.raises(ActionRejected, match="needs the cause identified first"):
        drill.act("sre", "apply_workaround", {"workaround": "kill_waf_globally"})
    drill.act("technical_lead", "identify", {"cause": "waf_regex"})
    with pytest.raises(ActionRejected, match="needs 'get_console_access' done first"):
        drill.act("sre", "apply_workaround", {"workaround": "kill_waf_globally"})
    drill.act("sre", "apply_workaround", {"workaround": "get_console_access"})
    later = drill.advance_to(16)
    assert any(e.name == "work_done" for e in later) and not drill.failed_workarounds
    out = drill.act("sre", "apply_workaround", {"workaround": "kill_waf_globally"})
    started = [e for e in out if e.name == "work_started"][0]
    assert "Waiting for the CDN vendor (about 30m), then work on" in started.detail["message"]
    assert started.detail["takes"] > 30


@pytest.mark.parametrize("seed", [1, 2, 3, 7, 11])
def test_a_drill_plays_the_cascade_the_simulator_samples(seed, library):
    """The drill's cascade draws are the simulator's for its first incident with the same
    seed (the same named streams): which services the failure reaches, when, and how long
    each takes to recover after DNS is back."""
    from drills.engine import Drill, DrillSetup
    from simulator.model.engine import run_single_block
    from simulator.model.plan import compile_plan

    docs = library.drill("internal-dns-outage", "marlow-team")
    sc = docs.scenario.document
    plan = compile_plan(sc, docs.staffing.document, docs.playbook.document)
    *_, cascades, _wear = run_single_block(plan, seed, 0, 50, None)
    drill = Drill(DrillSetup(sc, docs.playbook.document, docs.roster.document, docs.staffing.document, seed, 0.0))
    events = drill.advance_to(300)        # nobody acts: DNS stays down, every drawn cascade lands
    reached = {e.detail["why"].removeprefix("the failure reached "): e.t for e in events
               if e.kind == "world" and e.name == "service_level" and e.detail["why"].startswith("the failure reached")}
    names = {s.id: s.name for s in sc.affected}
    expected = {names[sid]: rows[0, 1] for sid, rows in cascades.items() if rows[0, 0] == 1.0}
    assert reached == pytest.approx(expected)
    for sid, rows in cascades.items():
        service = next(s for s in sc.affected if s.id == sid)
        assert drill._cascade_draw(service, "recovers") == pytest.approx(rows[0, 2])


@pytest.mark.parametrize("seed", [1, 5, 9])  # impact on a Sunday morning, a Thursday noon, a Monday evening
def test_a_drill_page_is_answered_when_the_simulator_answers_it(seed, library, monkeypatch):
    """Answering a page is one rule (PoolPlan.answer) fed by the same named streams: a drill
    page to a pool, at the same minute of the week as the simulator's first page to it in
    its first incident with the same seed, is answered after the same delay, in and out of
    office hours, for the on-call pagers and the round-the-clock roles."""
    from drills.engine import Drill, DrillSetup
    from simulator.model import engine
    from simulator.model.plan import compile_plan

    docs = library.drill("internal-dns-outage", "marlow-team")
    sc, staffing = docs.scenario.document, docs.staffing.document
    plan = compile_plan(sc, staffing, docs.playbook.document)
    paged: dict = {}    # (incident, pool) -> (minute paged, the first unit)
    answered: dict = {}  # unit -> minute answered
    real_page, real_ready = engine.IncidentResponse._page, engine.IncidentResponse._ready

    def page(self, name, units):
        first = not units
        real_page(self, name, units)
        if first:
            paged[(self.i, name)] = (self.env.now - self.t0, units[0])

    def ready(self, unit):
        answered.setdefault(id(unit), self.env.now - self.t0)
        real_ready(self, unit)

    monkeypatch.setattr(engine.IncidentResponse, "_page", page)
    monkeypatch.setattr(engine.IncidentResponse, "_ready", ready)
    _m, _p, starts, *_ = engine.run_single_block(plan, seed, 0, 20, None)
    pools = sorted(name for (i, name) in paged if i == 0)
    assert {"network", "sre"} <= set(pools)
    for name in pools:
        at, unit = paged[(0, name)]
        simulated = answered[id(unit)] - at
        ready_at = 10.0  # the drill's first alert has arrived by then
        drill = Drill(DrillSetup(sc, docs.playbook.document, docs.roster.document, staffing, seed,
                                 starts[0] + at - ready_at))
        drill.advance_to(ready_at)
        caller = "technical_lead" if name == "incident_manager" else "incident_manager"
        drill.act(caller, "page", {"target": name})
        joined = [e for e in drill.advance_to(ready_at + simulated + 1) if e.kind == "joined" and e.name == name]
        assert joined, f"{name} never joined (simulated answer after {simulated:.1f} min)"
        assert joined[0].t - ready_at == pytest.approx(simulated), name
