"""The live drill server's API: tokens and what each may see and do, bad requests as JSON
4xx, every accepted action journaled before the answer."""

from __future__ import annotations

import warnings
from dataclasses import replace

import pytest

from drills import DrillDocuments, DrillStore
from drills.interfaces.web import create_app, open_web_drill
from scenarios import resolve

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


@pytest.fixture
def drill(tmp_path, cloudflare_drill):
    store = DrillStore(tmp_path / "d.db")
    session, grants = open_web_drill(store, cloudflare_drill, speed=60)
    tokens = {g.capability if g.capability != "participant" else g.role: g.token for g in grants}
    with TestClient(create_app(store)) as client:
        yield client, store, session.record.id, tokens


def test_each_link_opens_only_its_own_page(drill):
    client, _, _, t = drill
    assert client.get(f"/facilitate/{t['facilitator']}").status_code == 200
    assert client.get(f"/evaluate/{t['evaluator']}").status_code == 200
    assert client.get(f"/play/{t['technical_lead']}").status_code == 200
    denied = client.get(f"/facilitate/{t['technical_lead']}")
    assert denied.status_code == 403 and "participant link" in denied.json()["error"]
    assert client.get(f"/play/{t['facilitator']}").status_code == 403
    assert client.get("/play/not-a-token").status_code == 404
    assert client.get("/api/not-a-token/state").json()["status"] == 404
    page = client.get(f"/play/{t['technical_lead']}")
    assert "Content-Security-Policy" in page.headers and page.headers["Cache-Control"] == "no-store"


def test_tokens_are_unguessable(drill):
    _, store, drill_id, _ = drill
    tokens = [g.token for g in store.grants(drill_id)]
    assert len(set(tokens)) == len(tokens) and all(len(tok) >= 40 for tok in tokens)


def test_participants_cannot_control_the_clock_or_act_as_another_role(drill):
    client, store, drill_id, t = drill
    tl = t["technical_lead"]
    for path, body in (("control", {"name": "start"}), ("inject", {"subject": "x"}), ("adjudicate", {"claim": 1, "accept": True}),
                       ("rate", {"objective": "diagnose", "rating": "P", "reason": "x"})):
        response = client.post(f"/api/{tl}/{path}", json=body)
        assert response.status_code == 403, path
        assert "error" in response.json()
    client.post(f"/api/{t['facilitator']}/control", json={"name": "start"})
    client.post(f"/api/{t['facilitator']}/control", json={"name": "next"})
    # The role comes from the token: a 'role' in the body changes nothing.
    response = client.post(f"/api/{tl}/action", json={"action": "acknowledge", "role": "incident_manager"})
    assert response.status_code == 200
    actions = [e for e in store.events(drill_id) if e.kind == "action"]
    assert [(a.role, a.actor) for a in actions] == [("technical_lead", "Sasha (SRE on duty)")]


def test_participants_see_only_what_their_role_is_sent(drill):
    client, _, _, t = drill
    fac = t["facilitator"]
    client.post(f"/api/{fac}/control", json={"name": "start"})
    client.post(f"/api/{fac}/control", json={"name": "next"})  # 3m: the page to the technical lead and SRE
    client.post(f"/api/{fac}/inject", json={"subject": "Only for the IM", "to": ["incident_manager"]})
    client.post(f"/api/{fac}/control", json={"name": "next"})  # 3.5m
    client.post(f"/api/{fac}/control", json={"name": "next"})  # 6m: a red herring
    tl_events = client.get(f"/api/{t['technical_lead']}/events").json()
    im_events = client.get(f"/api/{t['incident_manager']}/events").json()
    tl_injects = [e for e in tl_events if e["kind"] in ("inject", "adhoc_inject")]
    im_subjects = {e["detail"]["subject"] for e in im_events if e["kind"] in ("inject", "adhoc_inject")}
    assert "PAGE: external WAF probe failing from every region" in {e["detail"]["subject"] for e in tl_injects}
    assert "PAGE: external WAF probe failing from every region" not in im_subjects
    assert "Only for the IM" in im_subjects
    assert "Only for the IM" not in {e["detail"]["subject"] for e in tl_injects}
    for event in tl_injects:
        assert not {"notes", "expect", "expect_action", "type", "objective"} & set(event["detail"]), event
    fac_events = client.get(f"/api/{fac}/events").json()
    herring = next(e for e in fac_events if e["name"] == "attack_theory")
    assert herring["detail"]["type"] == "red_herring" and herring["detail"]["notes"]
    # Future injects are nowhere in a participant's state.
    state = client.get(f"/api/{t['technical_lead']}/state").json()
    assert "next_inject_at" not in state and "scoreboard" not in state and "roster" not in state


def test_participants_see_work_in_progress_but_not_whether_a_cause_was_right(drill):
    client, store, drill_id, t = drill
    fac, tl, im = t["facilitator"], t["technical_lead"], t["incident_manager"]
    client.post(f"/api/{fac}/control", json={"name": "start"})
    client.post(f"/api/{fac}/control", json={"name": "next"})
    for fields in ({"action": "identify", "fields": {"cause": "waf_regex"}},
                   {"action": "apply_workaround", "fields": {"workaround": "kill_waf_globally"}}):
        assert client.post(f"/api/{tl}/action", json=fields).status_code == 200
    for token in (tl, im):
        seen = {(e["kind"], e["name"]): e for e in client.get(f"/api/{token}/events").json()}
        assert ("milestone", "identified") not in seen
        work = seen[("world", "work_started")]
        assert work["detail"]["work"] == "workaround" and work["detail"]["takes"] > 0
        assert "about" in work["detail"]["message"]
    facilitator_sees = {(e["kind"], e["name"]) for e in client.get(f"/api/{fac}/events").json()}
    assert ("milestone", "identified") in facilitator_sees
    # The participant's checklist counts the diagnosis as done, whichever cause was named.
    checklist = {r["id"]: r["status"] for r in client.get(f"/api/{tl}/state").json()["checklist"]}
    assert checklist["diagnose"] in ("done", "out_of_order")


def test_the_facilitator_may_allow_the_fix_with_a_reason(drill):
    client, store, drill_id, t = drill
    fac, tl = t["facilitator"], t["technical_lead"]
    client.post(f"/api/{fac}/control", json={"name": "start"})
    assert client.post(f"/api/{tl}/control", json={"name": "allow_fix", "reason": "x"}).status_code == 403
    missing = client.post(f"/api/{fac}/control", json={"name": "allow_fix"})
    assert missing.status_code == 422 and "reason" in missing.json()["error"]
    allowed = client.post(f"/api/{fac}/control", json={"name": "allow_fix", "reason": "the vendor named the cause"})
    assert allowed.status_code == 200
    again = client.post(f"/api/{fac}/control", json={"name": "allow_fix", "reason": "twice"})
    assert again.status_code == 409
    (control,) = [e for e in store.events(drill_id) if e.kind == "control" and e.name == "allow_fix"]
    assert control.detail["reason"] == "the vendor named the cause"


def test_causes_and_workarounds_reach_participants_in_the_drills_own_order_unmarked(tmp_path):
    scenario = resolve("cloudflare-2019-waf", "scenario")
    docs = DrillDocuments.resolve(scenario, resolve("cloudflare-2019-team", "roster"))
    causes = {c.id: c.title for c in scenario.document.diagnosis.causes}
    workarounds = {w.key: w.name for w in scenario.document.workarounds}
    orders = set()
    for seed in range(1, 9):
        store = DrillStore(tmp_path / f"{seed}.db")
        _, grants = open_web_drill(store, docs, seed=seed)
        tl = next(g.token for g in grants if g.role == "technical_lead")
        with TestClient(create_app(store)) as client:
            forms = client.get(f"/api/{tl}/state").json()["actions"]
            assert client.get(f"/api/{tl}/state").json()["actions"] == forms  # stable for the drill
        identify = next(f for a in forms if a["name"] == "identify" for f in a["fields"] if f["name"] == "cause")
        apply = next(f for a in forms if a["name"] == "apply_workaround" for f in a["fields"] if f["name"] == "workaround")
        for field, offered in ((identify, causes), (apply, workarounds)):
            assert set(field) == {"name", "required", "choices", "titles"}  # nothing marks the right one
            assert sorted(field["choices"]) == sorted(offered) and field["titles"] == offered
        orders.add((tuple(identify["choices"]), tuple(apply["choices"])))
    assert len(orders) >= 6  # the order follows the drill's seed, not the scenario file


def test_bad_requests_get_json_4xx_and_leave_the_drill_unharmed(drill):
    client, store, drill_id, t = drill
    tl, fac = t["technical_lead"], t["facilitator"]
    before = store.summary(drill_id)
    cases = [
        (f"/api/{tl}/action", b"{not json", 400),
        (f"/api/{tl}/action", b"[1, 2]", 400),
        (f"/api/{tl}/action", b'{"action": "teleport"}', 422),
        (f"/api/{tl}/action", b'{"action": "update", "fields": {"audience": ["x"]}}', 422),
        (f"/api/{tl}/action", b'{"action": "acknowledge"}', 409),  # the drill has not started
        (f"/api/{fac}/control", b'{"name": "explode"}', 422),
        (f"/api/{fac}/control", b'{"name": "speed", "speed": "fast"}', 422),
        (f"/api/{fac}/inject", b'{"subject": "x", "channel": "pigeon"}', 422),
        (f"/api/{fac}/adjudicate", b'{"claim": "one", "accept": true}', 422),
    ]
    for path, body, status in cases:
        response = client.post(path, content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == status, (path, body, response.text)
        assert response.json()["error"]
    assert client.get(f"/api/{tl}/events?after=abc").status_code == 400
    assert store.summary(drill_id) == before
    assert client.post(f"/api/{tl}/action", content=b"x" * 70000).status_code == 413


def test_accepted_actions_are_journaled_before_the_answer(drill):
    client, store, drill_id, t = drill
    fac, tl = t["facilitator"], t["technical_lead"]
    client.post(f"/api/{fac}/control", json={"name": "start"})
    client.post(f"/api/{fac}/control", json={"name": "next"})
    answer = client.post(f"/api/{tl}/action", json={"action": "hypothesis", "fields": {"text": "<b>attack?</b>"}}).json()
    seq = answer["events"][0]["seq"]
    stored = {e.seq: e for e in store.events(drill_id)}
    assert stored[seq].kind == "action" and stored[seq].detail["text"] == "<b>attack?</b>"


def test_evaluators_rate_objectives_and_the_rating_reaches_the_scorecard(drill):
    from drills import Journal, score

    client, store, drill_id, t = drill
    client.post(f"/api/{t['facilitator']}/control", json={"name": "start"})
    rated = client.post(f"/api/{t['evaluator']}/rate", json={"objective": "diagnose", "rating": "S", "reason": "slow start"})
    assert rated.status_code == 200
    bad = client.post(f"/api/{t['evaluator']}/rate", json={"objective": "juggling", "rating": "S", "reason": "x"})
    assert bad.status_code == 409 and "unknown objective" in bad.json()["error"]
    client.post(f"/api/{t['facilitator']}/control", json={"name": "end"})
    after_end = client.post(f"/api/{t['evaluator']}/rate", json={"objective": "restore", "rating": "U", "reason": "never"})
    assert after_end.status_code == 200
    card = score(Journal.from_store(store, drill_id)).to_dict()
    assert card["ratings"]["diagnose"]["override"]["reason"] == "slow start"
    assert card["ratings"]["restore"]["rating"] == "U"


def test_the_scribe_log_is_part_of_the_journal(tmp_path, cloudflare_drill):
    store = DrillStore(tmp_path / "d.db")
    roster = cloudflare_drill.roster
    from scenarios import load_text

    text = roster.text.replace("  - {name: Priya (SRE), role: sre}", "  - {name: Priya (SRE), role: sre}\n  - {name: Sam, role: scribe}")
    docs = replace(cloudflare_drill, roster=load_text(text, "r.yaml"))
    session, grants = open_web_drill(store, docs)
    scribe = next(g.token for g in grants if g.role == "scribe")
    fac = next(g.token for g in grants if g.capability == "facilitator")
    with TestClient(create_app(store)) as client:
        client.post(f"/api/{fac}/control", json={"name": "start"})
        client.post(f"/api/{fac}/control", json={"name": "next"})
        response = client.post(f"/api/{scribe}/action", json={"action": "log", "fields": {"text": "IM asked for an update"}})
        assert response.status_code == 200
    logged = [e for e in store.events(session.record.id) if e.kind == "action" and e.name == "log"]
    assert logged[0].role == "scribe" and logged[0].actor == "Sam"


class _Receiver:
    """A local incoming-webhook endpoint that records what it is sent."""

    def __init__(self):
        import json as _json
        import threading
        from http.server import BaseHTTPRequestHandler, HTTPServer

        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                received.append(_json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def _wait_for(predicate, timeout=10.0):
    import time

    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_webhooks_deliver_injects_and_a_failing_one_is_retried_reported_and_harmless(tmp_path, cloudflare_drill):
    import socket

    from scenarios import load_text

    receiver = _Receiver()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/gone"
    roster = cloudflare_drill.roster.text + f"webhooks:\n  alert: {receiver.url}\n  dashboard: {dead}\n"
    store = DrillStore(tmp_path / "d.db")
    docs = replace(cloudflare_drill, roster=load_text(roster, "team.yaml"))
    session, grants = open_web_drill(store, docs)
    fac = next(g.token for g in grants if g.capability == "facilitator")
    tl = next(g.token for g in grants if g.role == "technical_lead")
    try:
        with TestClient(create_app(store)) as client:
            assert client.post(f"/api/{fac}/commscheck").json()["webhooks"] == 2
            assert client.post(f"/api/{tl}/confirm").status_code == 200
            check = client.get(f"/api/{fac}/state").json()["comms_check"]
            confirmed = {p["role"]: bool(p["confirmed"]) for p in check["people"]}
            assert confirmed["technical_lead"] is True and confirmed["incident_manager"] is False
            client.post(f"/api/{fac}/control", json={"name": "start"})
            client.post(f"/api/{fac}/control", json={"name": "next"})  # the alert at 3m
            client.post(f"/api/{fac}/control", json={"name": "next"})  # the dashboard inject at 3.5m
            assert _wait_for(lambda: any(r["subject"].startswith("PAGE: external WAF probe") for r in receiver.received))
            page = next(r for r in receiver.received if r["subject"].startswith("PAGE"))
            assert page["is_drill"] is True and page["channel"] == "alert" and "warroom drill" in page["text"]

            def failed():
                hooks = client.get(f"/api/{fac}/state").json()["webhooks"]
                return [h for h in hooks if h["channel"] == "dashboard" and h["status"] == "failed"]
            assert _wait_for(failed, timeout=20)
            assert failed()[0]["attempts"] == 4 and failed()[0]["error"]
            # The drill went on regardless.
            assert client.post(f"/api/{tl}/action", json={"action": "acknowledge"}).status_code == 200
            comms = client.get(f"/api/{fac}/state").json()["comms_check"]["webhooks"]
            assert {w["channel"]: w["status"] for w in comms} == {"alert": "delivered", "dashboard": "failed"}
    finally:
        receiver.close()


def test_participants_give_hot_wash_feedback_after_the_end_and_it_reaches_the_aar(drill):
    from drills import Journal
    from drills.session import HOT_WASH_QUESTIONS
    from reports.aar import hot_wash

    client, store, drill_id, t = drill
    fac, tl = t["facilitator"], t["technical_lead"]
    question = HOT_WASH_QUESTIONS[0]
    client.post(f"/api/{fac}/control", json={"name": "start"})
    client.post(f"/api/{fac}/control", json={"name": "next"})
    early = client.post(f"/api/{tl}/feedback", json={"answers": {question: "too soon"}})
    assert early.status_code == 409 and "ended" in early.json()["error"]
    client.post(f"/api/{fac}/control", json={"name": "end"})
    state = client.get(f"/api/{tl}/state").json()
    assert state["hot_wash"] == {"questions": list(HOT_WASH_QUESTIONS), "given": False}
    assert client.post(f"/api/{fac}/feedback", json={"answers": {question: "x"}}).status_code == 403
    assert client.post(f"/api/{tl}/feedback", json={"answers": {"Who won?": "x"}}).status_code == 409
    answer = client.post(f"/api/{tl}/feedback", json={"answers": {question: "We <b>split</b> the work early."}})
    assert answer.status_code == 200
    assert client.get(f"/api/{tl}/state").json()["hot_wash"]["given"] is True
    journal = Journal.from_store(store, drill_id)
    given = [e for e in journal.events if e.kind == "feedback"]
    assert [(e.role, dict(e.detail["answers"])) for e in given] == [
        ("technical_lead", {question: "We <b>split</b> the work early."})]
    assert "We <b>split</b> the work early." in repr(hot_wash(journal.to_dict()))


def test_a_retried_action_with_the_same_key_is_journaled_once_and_answered_the_same(tmp_path, cloudflare_drill):
    store = DrillStore(tmp_path / "d.db")
    session, grants = open_web_drill(store, cloudflare_drill, speed=60)
    t = {g.capability if g.capability != "participant" else g.role: g.token for g in grants}
    tl, im = t["technical_lead"], t["incident_manager"]
    with TestClient(create_app(store)) as client:
        client.post(f"/api/{t['facilitator']}/control", json={"name": "start"})
        client.post(f"/api/{t['facilitator']}/control", json={"name": "next"})
        body = {"action": "log", "fields": {"text": "WAF CPU at 100%"}, "key": "tab-1/action-7"}
        first = client.post(f"/api/{tl}/action", json=body).json()
        again = client.post(f"/api/{tl}/action", json=body).json()
        assert again["repeated"] is True and again["events"] == first["events"]
        # The key belongs to the token: another participant's same key is another action.
        assert "repeated" not in client.post(f"/api/{im}/action", json=body).json()
        # A header works as well as the body field.
        header = {"Idempotency-Key": "tab-1/action-8"}
        client.post(f"/api/{tl}/action", json={"action": "acknowledge"}, headers=header)
        assert client.post(f"/api/{tl}/action", json={"action": "acknowledge"}, headers=header).json()["repeated"]
        for bad in ("", "x" * 129, 7):
            answer = client.post(f"/api/{tl}/action", json=body | {"key": bad})
            assert answer.status_code == 422 and "key" in answer.json()["error"]
    logs = [e for e in store.events(session.record.id) if e.kind == "action" and e.name == "log"]
    assert [e.role for e in logs] == ["technical_lead", "incident_manager"]
    # After a restart (a new app on the same store), the retry still gets the first answer.
    with TestClient(create_app(store)) as client:
        again = client.post(f"/api/{tl}/action", json=body).json()
        assert again["repeated"] is True and again["events"] == first["events"]
    assert len([e for e in store.events(session.record.id) if e.kind == "action" and e.name == "log"]) == 2


def test_the_scorecards_baseline_is_computed_while_the_drill_runs_once(tmp_path, cloudflare_drill, monkeypatch):
    """The live server warms the simulated baseline when it takes the drill on; the
    scorecard at the end reuses it (and a scorecard asked for meanwhile waits for it)."""
    from drills import baseline

    calls = []
    real = baseline._simulate

    def counting(*args, **kwargs):
        calls.append(args[3:])
        return real(*args, **kwargs)

    monkeypatch.setattr(baseline, "_simulate", counting)
    baseline.clear_baselines()
    store = DrillStore(tmp_path / "d.db")
    session, grants = open_web_drill(store, cloudflare_drill, speed=60, start_minute=3 * 24 * 60 + 13 * 60 + 7)
    t = {g.capability if g.capability != "participant" else g.role: g.token for g in grants}
    app = create_app(store)
    with TestClient(app) as client:
        client.post(f"/api/{t['facilitator']}/control", json={"name": "start"})
        live = app.state.server.hub.drills[session.record.id]
        client.post(f"/api/{t['facilitator']}/control", json={"name": "end"})
        card = client.get(f"/api/{t['facilitator']}/scorecard").json()
        live.baseline.join(timeout=60)
    assert len(calls) == 1 and card["simulated"]["replications"] == baseline.LIVE_REPLICATIONS
    assert card["percentiles"] is not None


def test_the_roster_keeps_who_joined_after_the_end(drill):
    client, _, _, t = drill
    fac = t["facilitator"]
    client.post(f"/api/{fac}/control", json={"name": "start"})
    client.post(f"/api/{fac}/control", json={"name": "next"})
    client.post(f"/api/{t['technical_lead']}/action", json={"action": "acknowledge"})
    client.post(f"/api/{fac}/control", json={"name": "end"})
    roster = {r["person"]: r for r in client.get(f"/api/{fac}/state").json()["roster"]}
    tl = next(r for r in roster.values() if r["role"] == "technical_lead")
    im = next(r for r in roster.values() if r["role"] == "incident_manager")
    assert 3.0 <= tl["joined_at"] < 4 and im["joined_at"] is None   # acted just after the 3-minute page
    assert roster["facilitator"]["joined_at"] is None
