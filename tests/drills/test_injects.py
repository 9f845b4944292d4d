"""The facilitator steers the scripted injects: fire now, hold, release, skip and
reschedule, each journaled, replayed on resume, and seen (or not) by participants."""

from __future__ import annotations

import pytest

from drills import ActionRejected, DrillSession, DrillStore, Journal, score


@pytest.fixture
def session(tmp_path, cloudflare_drill):
    s = DrillSession.create(DrillStore(tmp_path / "d.db"), cloudflare_drill, seed=3)
    s.start()
    return s


def delivered(session, inject_id):
    return [e.t for e in session.events() if e.kind == "inject" and e.name == inject_id]


def status(session, inject_id):
    return next(r for r in session.drill.msel() if r["id"] == inject_id)["status"]


def test_the_msel_lists_every_inject_with_its_status(session):
    rows = session.drill.msel()
    assert {r["id"] for r in rows} == {j.id for j in session.drill.scenario.injects}
    assert status(session, "alert_flood") == "scheduled"
    assert status(session, "cto_call") == "waiting"             # from minute 12, if not declared by then
    assert status(session, "deploy_log") == "on_request"
    assert status(session, "status_page_silent") == "waiting"
    session.advance_to(4)
    assert status(session, "alert_flood") == "sent"
    flood = next(r for r in rows if r["id"] == "alert_flood")
    assert flood["expect_action"] == "declare" and flood["to"] == ["everyone"] and flood["channel"] == "dashboard"


def test_a_held_inject_waits_for_release_and_then_comes_at_once(session):
    session.steer("hold", "attack_theory")
    session.advance_to(20)
    assert delivered(session, "attack_theory") == [] and status(session, "attack_theory") == "held"
    session.steer("release", "attack_theory")
    assert delivered(session, "attack_theory") == [20.0]


def test_a_released_inject_not_yet_due_keeps_its_time(session):
    session.steer("hold", "customer_tickets")
    session.advance_to(5)
    session.steer("release", "customer_tickets")
    session.advance_to(10)
    assert delivered(session, "customer_tickets") == [7.0]


def test_rescheduling_moves_a_timed_inject_and_sets_the_earliest_minute_of_others(session):
    session.steer("reschedule", "customer_tickets", at=15)
    session.steer("reschedule", "deploy_log", at=12)          # requested: not before 12
    session.advance_to(10)
    assert delivered(session, "customer_tickets") == []
    assert session.drill.next_inject_at() == 15.0             # the next timed inject
    session.act("sre", "request_info", {"topic": "recent_changes"})
    session.advance_to(16)
    assert delivered(session, "customer_tickets") == [15.0]
    assert delivered(session, "deploy_log") == [12.0]


def test_fire_now_delivers_at_once_and_an_inject_that_detects_moves_detection(session):
    session.advance_to(1)
    session.steer("fire", "synthetic_waf_test")
    assert delivered(session, "synthetic_waf_test") == [1.0]
    assert session.drill.milestones["detected"] == 1.0
    session.advance_to(5)
    assert delivered(session, "synthetic_waf_test") == [1.0]  # its old time is void
    with pytest.raises(ActionRejected, match="already sent"):
        session.steer("fire", "synthetic_waf_test")


def test_firing_a_conditional_inject_ignores_its_condition_once(session):
    session.steer("fire", "status_page_silent")
    session.advance_to(60)
    assert delivered(session, "status_page_silent") == [0.0]


def test_a_skipped_inject_never_comes_and_its_expected_action_is_not_scored(session):
    session.steer("skip", "customer_tickets")
    session.advance_to(30)
    session.end()
    assert delivered(session, "customer_tickets") == []
    card = score(Journal.from_store(session.store, session.record.id)).to_dict()
    assert "customer_tickets" not in {r["inject"] for r in card["expected_actions"]}
    assert "alert_flood" in {r["inject"] for r in card["expected_actions"]}


def test_a_skipped_requested_inject_answers_not_available(session):
    session.steer("skip", "deploy_log")
    session.advance_to(4)    # detected at 3
    out = session.act("sre", "request_info", {"topic": "recent_changes"})
    assert any(e.name == "not_available" for e in out) and delivered(session, "deploy_log") == []


def test_a_held_requested_inject_is_delivered_to_who_asked_on_release(session):
    session.steer("hold", "traffic_volume")
    session.advance_to(4)
    session.act("technical_lead", "request_info", {"topic": "traffic_volume"})
    session.advance_to(9)
    assert delivered(session, "traffic_volume") == []
    out = session.steer("release", "traffic_volume")
    sent = [e for e in out if e.kind == "inject"]
    assert [e.detail["to"] for e in sent] == [["technical_lead"]] and sent[0].t == 9.0


@pytest.mark.parametrize("name,inject,at,message", [
    ("hold", "nope", None, "unknown inject 'nope'"),
    ("reschedule", "customer_tickets", None, "needs `at`"),
    ("reschedule", "customer_tickets", 0.0, None),
    ("skip", "customer_tickets", 3.0, "takes no `at`"),
    ("release", "customer_tickets", None, "neither held nor skipped"),
])
def test_steering_that_cannot_apply_is_refused_and_changes_nothing(session, name, inject, at, message):
    session.advance_to(2)
    before = len(session.events())
    if message is None:   # into the past
        with pytest.raises(ActionRejected, match="into the past"):
            session.steer(name, inject, at=at)
    else:
        with pytest.raises(ActionRejected, match=message):
            session.steer(name, inject, at=at)
    assert len(session.events()) == before


def test_steering_is_replayed_on_resume(session):
    session.steer("hold", "attack_theory")
    session.steer("reschedule", "customer_tickets", at=9)
    session.steer("skip", "cto_call")
    session.advance_to(10)
    session.steer("fire", "status_page_silent")
    store, drill_id = session.store, session.record.id
    resumed = DrillSession.resume(store, drill_id)
    assert [r["status"] for r in resumed.drill.msel()] == [r["status"] for r in session.drill.msel()]
    resumed.advance_to(30)
    assert delivered(resumed, "customer_tickets") == [9.0]
    assert delivered(resumed, "attack_theory") == [] and delivered(resumed, "cto_call") == []
    resumed.steer("release", "attack_theory")
    assert delivered(resumed, "attack_theory") == [30.0]


def test_the_facilitator_steers_injects_over_http_and_participants_see_only_the_effect(tmp_path, cloudflare_drill):
    import warnings

    from drills.interfaces.web import create_app, open_web_drill

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    store = DrillStore(tmp_path / "d.db")
    session, grants = open_web_drill(store, cloudflare_drill, speed=60)
    t = {g.capability if g.capability != "participant" else g.role: g.token for g in grants}
    fac, tl = t["facilitator"], t["technical_lead"]
    with TestClient(create_app(store)) as client:
        client.post(f"/api/{fac}/control", json={"name": "start"})
        assert client.post(f"/api/{fac}/control", json={"name": "hold", "inject": "attack_theory"}).status_code == 200
        moved = client.post(f"/api/{fac}/control", json={"name": "reschedule", "inject": "customer_tickets", "at": "2m"})
        assert moved.status_code == 200
        msel = {r["id"]: r for r in client.get(f"/api/{fac}/state").json()["msel"]}
        assert msel["attack_theory"]["status"] == "held" and msel["customer_tickets"]["due"] == 2.0
        assert msel["attack_theory"]["notes"] and msel["alert_flood"]["expect_action"] == "declare"
        fired = client.post(f"/api/{fac}/control", json={"name": "fire", "inject": "attack_theory"}).json()
        assert [e["name"] for e in fired["events"] if e["kind"] == "inject"] == ["attack_theory"]
        for body, status in (({"name": "hold"}, 422), ({"name": "hold", "inject": "nope"}, 409),
                             ({"name": "reschedule", "inject": "alert_flood", "at": "soon"}, 422),
                             ({"name": "reschedule", "inject": "alert_flood", "at": -1}, 422)):
            answer = client.post(f"/api/{fac}/control", json=body)
            assert answer.status_code == status and "error" in answer.json(), body
        sent = client.post(f"/api/{fac}/inject", json={"subject": "Press enquiry", "sender": "The Register",
                                                       "channel": "email", "to": ["technical_lead"]})
        assert sent.status_code == 200
        assert client.post(f"/api/{tl}/control", json={"name": "skip", "inject": "cto_call"}).status_code == 403
        assert "msel" not in client.get(f"/api/{tl}/state").json()
        seen = client.get(f"/api/{tl}/events").json()
        assert not [e for e in seen if e["kind"] == "control" and e["name"] in ("hold", "fire", "reschedule")]
        press = [e for e in seen if e["kind"] == "adhoc_inject"]
        assert press and press[0]["detail"]["sender"] == "The Register" and press[0]["detail"]["channel"] == "email"
        assert "notes" not in next(e for e in seen if e["kind"] == "inject" and e["name"] == "attack_theory")["detail"]


def test_an_evaluator_validates_expected_actions_and_the_verdict_reaches_the_scorecard(session, monkeypatch):
    session.advance_to(4)                       # the page (expects acknowledge) and the alert flood (declare)
    session.act("technical_lead", "acknowledge")
    session.validate("synthetic_waf_test", "partly", "acknowledged, but nobody looked at the probe", actor="Eve")
    with pytest.raises(ActionRejected, match="verdict is met, partly, not_met"):
        session.validate("alert_flood", "maybe")
    with pytest.raises(ActionRejected, match="not a sent inject that expects an action"):
        session.validate("attack_theory", "met")        # no expected action
    with pytest.raises(ActionRejected, match="not a sent inject"):
        session.validate("customer_tickets", "met")     # not sent yet
    session.end()
    # After the end, as for ratings: appended at the last minute; the latest verdict stands.
    DrillSession.validate_ended(session.store, session.record.id, "alert_flood", "met", "declared at once", actor="Eve")
    DrillSession.validate_ended(session.store, session.record.id, "alert_flood", "not_met", "on reflection, no",
                                actor="Eve")
    card = score(Journal.from_store(session.store, session.record.id)).to_dict()
    rows = {r["inject"]: r for r in card["expected_actions"]}
    assert rows["synthetic_waf_test"]["verdict"] == "partly" and rows["synthetic_waf_test"]["met"] is False
    assert rows["synthetic_waf_test"]["mark"]["reason"] == "acknowledged, but nobody looked at the probe"
    assert rows["alert_flood"]["verdict"] == "not_met" and rows["alert_flood"]["mark"]["by"] == "Eve"
    from reports.scorecard import render_scorecard
    from reports.text.scorecard import scorecard_text

    monkeypatch.setenv("COLUMNS", "300")  # a terminal wide enough that the note is not wrapped
    for shown in (render_scorecard(card, None, "md"), render_scorecard(card, None, "html"), scorecard_text(card)):
        assert "acknowledged, but nobody looked at the probe" in shown and "partly" in shown
    # Participants never see the verdicts.
    from drills.interfaces.views import visible
    from drills.store import Access

    im = Access("x", session.record.id, "participant", "incident_manager", "Ira")
    assert not [e for e in session.events() if e.kind == "mark" and visible(e, im) is not None]


def test_the_console_offers_the_same_steering_and_validation(tmp_path, cloudflare_drill):
    from drills.interfaces.console import Console

    session = DrillSession.create(DrillStore(tmp_path / "d.db"), cloudflare_drill, mode="console")
    said: list[str] = []
    console = Console(session, said.append)
    for line in ("start", "hold attack_theory", "reschedule customer_tickets 9", "skip cto_call",
                 "inject to=technical_lead channel=email from=The_Register Press enquiry: comment?"):
        console.execute(line)
    assert not [s for s in said if s.startswith("refused")], said
    console.execute("msel")
    rows = {line.split()[0]: line for line in said if line.startswith("  ")}
    assert "held" in rows["attack_theory"] and "skipped" in rows["cto_call"] and "9m" in rows["customer_tickets"]
    assert any("AD-HOC EMAIL -> technical_lead from The Register: Press enquiry" in s for s in said)
    console.execute("reschedule customer_tickets")
    assert said[-1].startswith("refused: reschedule ID MINUTE")
    session.advance_to(4)
    console.execute("validate alert_flood partly declared only after the CTO called")
    assert said[-1].endswith("verdict on alert_flood: partly (declared only after the CTO called)")
    console.execute("fire nope")
    assert said[-1].startswith("refused: unknown inject 'nope'")
