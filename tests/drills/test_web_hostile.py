"""Hostile input cannot poison a drill: bodies are parsed strictly (no NaN, Infinity, lone
surrogates, deep nesting), nothing is journaled that cannot be served back as JSON, a
journal that somehow holds a bad row still serves and exports, and each link has limits."""

from __future__ import annotations

import json
import sqlite3
import warnings

import pytest

from drills import DrillStore, Journal
from drills.interfaces.limits import LimitExceeded, Limits, Throttle
from drills.interfaces.web import create_app, open_web_drill
from drills.jsonsafe import JSONRefused, loads_strict, problems, repaired

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


def strict(text: str):
    """Parse as a strict JSON consumer would (a browser's JSON.parse refuses NaN)."""
    def refuse(name):
        raise ValueError(f"{name} in output")
    return json.loads(text, parse_constant=refuse)


def open_drill(tmp_path, docs, limits=None):
    store = DrillStore(tmp_path / "d.db")
    session, grants = open_web_drill(store, docs, speed=60)
    tokens = {g.capability if g.capability != "participant" else g.role: g.token for g in grants}
    return store, session.record.id, tokens, create_app(store, limits=limits)


@pytest.fixture
def running(tmp_path, cloudflare_drill):
    store, drill_id, tokens, app = open_drill(tmp_path, cloudflare_drill)
    with TestClient(app, raise_server_exceptions=False) as client:
        fac = tokens["facilitator"]
        assert client.post(f"/api/{fac}/control", json={"name": "start"}).status_code == 200
        assert client.post(f"/api/{fac}/control", json={"name": "next"}).status_code == 200  # detected
        yield client, store, drill_id, tokens


POISON = [
    (b'{"action": "hypothesis", "fields": {"text": NaN}}', 422),
    (b'{"action": "hypothesis", "fields": {"text": Infinity}}', 422),
    (b'{"action": "hypothesis", "fields": {"text": -Infinity}}', 422),
    (b'{"action": "hypothesis", "fields": {"text": 1e999}}', 422),
    (b'{"action": "hypothesis", "fields": {"text": "\\ud800"}}', 422),
    (b'{"action": "hypothesis", "fields": {"\\udfff": "x"}}', 422),
    (b'{"action": "hypothesis", "fields": {"text": "caf\xe9"}}', 400),  # Latin-1, not UTF-8
    (b"[" * 60000, 422),
    (b'{"a":' * 40 + b"1" + b"}" * 40, 422),
]


@pytest.mark.parametrize("body,status", POISON, ids=[repr(b[:30]) for b, _ in POISON])
def test_a_poisoned_action_is_refused_and_the_drill_serves_everyone_after(running, body, status):
    client, store, drill_id, t = running
    before = store.summary(drill_id)
    response = client.post(f"/api/{t['technical_lead']}/action", content=body,
                           headers={"Content-Type": "application/json"})
    assert response.status_code == status, response.text
    assert "error" in response.json()
    assert store.summary(drill_id) == before  # nothing journaled
    for who in ("facilitator", "incident_manager", "technical_lead", "evaluator"):
        assert client.get(f"/api/{t[who]}/events").status_code == 200
        assert client.get(f"/api/{t[who]}/state").status_code == 200
    # A normal action still works afterwards.
    ok = client.post(f"/api/{t['technical_lead']}/action", json={"action": "hypothesis", "fields": {"text": "WAF?"}})
    assert ok.status_code == 200


def test_unicode_that_is_valid_is_kept_exactly(running):
    client, store, drill_id, t = running
    text = "caf\u00e9 \U0001f525 \u2014 <b>WAF</b>"
    response = client.post(f"/api/{t['technical_lead']}/action", json={"action": "hypothesis", "fields": {"text": text}})
    assert response.status_code == 200
    assert [e.detail["text"] for e in store.events(drill_id) if e.kind == "action"] == [text]


def test_the_session_refuses_what_the_journal_could_not_serve(tmp_path, cloudflare_drill):
    """The same rule below HTTP (console, scripts): refused before the world sees it."""
    from drills import ActionRejected, DrillSession

    store, drill_id, tokens, _ = open_drill(tmp_path, cloudflare_drill)
    session = DrillSession.resume(store, drill_id)
    session.start()
    session.jump_to_next_inject()
    before = store.summary(drill_id)
    with pytest.raises(ActionRejected, match="not valid JSON"):
        session.act("technical_lead", "hypothesis", {"text": float("nan")})
    with pytest.raises(ActionRejected, match="lone surrogate"):
        session.send_adhoc("\ud800")
    assert store.summary(drill_id) == before
    with pytest.raises(Exception, match="cannot be journaled"):
        from drills import DrillEvent
        store.append(drill_id, [DrillEvent("world", 1.0, "x", detail={"level": float("inf")})])
    assert store.summary(drill_id) == before


def test_a_journal_already_holding_bad_rows_still_serves_and_exports(running, tmp_path):
    client, store, drill_id, t = running
    count, _ = store.summary(drill_id)
    db = sqlite3.connect(store.path)
    rows = [(drill_id, count + 1, 4.0, "w", "action", "hypothesis", "technical_lead", "Sasha", '{"text": NaN}'),
            (drill_id, count + 2, 4.0, "w", "action", "hypothesis", "technical_lead", "Sasha", '{"text": "\\ud800x"}'),
            (drill_id, count + 3, 4.0, "w", "action", "hypothesis", "technical_lead", "Sasha", "{broken")]
    db.executemany("INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?)", rows)
    db.commit()
    db.close()
    for who in ("facilitator", "technical_lead"):
        response = client.get(f"/api/{t[who]}/events")
        assert response.status_code == 200
        events = strict(response.text)
        bad = [e for e in events if e["seq"] > count]
        assert [e["detail"]["text"] for e in bad] == [None, "\ufffdx", "{broken"]
    exported = json.dumps(Journal.from_store(store, drill_id).to_dict(), allow_nan=False)
    problems_found = strict(exported)["problems"]
    assert len(problems_found) == 3 and problems_found[0].startswith(f"event {count + 1}: detail.text: nan")


def test_drill_export_of_a_damaged_journal_is_valid_json(running, tmp_path):
    from click.testing import CliRunner

    from cli import main

    client, store, drill_id, t = running
    db = sqlite3.connect(store.path)
    db.execute("INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?)",
               (drill_id, store.summary(drill_id)[0] + 1, 5.0, "w", "action", "hypothesis", "technical_lead", "S",
                '{"text": Infinity}'))
    db.commit()
    db.close()
    result = CliRunner().invoke(main, ["drill", "export", drill_id, "--store", str(store.path)])
    assert result.exit_code == 0, result.output
    assert len(strict(result.output)["problems"]) == 1


def test_each_link_has_a_limit_of_writes_a_minute(tmp_path, cloudflare_drill):
    store, drill_id, t, app = open_drill(tmp_path, cloudflare_drill, Limits(actions_per_minute=5))
    with TestClient(app, raise_server_exceptions=False) as client:
        fac, tl = t["facilitator"], t["technical_lead"]
        client.post(f"/api/{fac}/control", json={"name": "start"})
        client.post(f"/api/{fac}/control", json={"name": "next"})
        answers = [client.post(f"/api/{tl}/action", json={"action": "hypothesis", "fields": {"text": f"h{k}"}})
                   for k in range(7)]
        assert [a.status_code for a in answers] == [200] * 5 + [429, 429]
        assert "at most 5 a minute" in answers[-1].json()["error"] and int(answers[-1].headers["Retry-After"]) >= 1
        # Another link is not affected, and reading is not limited.
        assert client.post(f"/api/{t['incident_manager']}/action", json={"action": "declare"}).status_code == 200
        assert client.get(f"/api/{tl}/events").status_code == 200
    assert len([e for e in store.events(drill_id) if e.kind == "action" and e.role == "technical_lead"]) == 5


def test_the_write_window_slides():
    now = [0.0]
    throttle = Throttle(Limits(actions_per_minute=2), clock=lambda: now[0])
    throttle.write("a")
    now[0] = 30.0
    throttle.write("a")
    with pytest.raises(LimitExceeded) as refused:
        throttle.write("a")
    assert refused.value.retry_after == 30
    now[0] = 60.0  # the first write has left the minute
    throttle.write("a")
    with pytest.raises(LimitExceeded):
        throttle.write("a")


def test_streams_per_link_are_counted_and_released():
    throttle = Throttle(Limits(streams=2))
    throttle.open_stream("a")
    throttle.open_stream("a")
    throttle.open_stream("b")
    with pytest.raises(LimitExceeded, match="at most 2"):
        throttle.open_stream("a")
    throttle.close_stream("a")
    throttle.open_stream("a")


def test_limits_are_checked():
    with pytest.raises(ValueError, match="streams"):
        Limits(streams=0)


def test_only_participants_post_participant_endpoints(running):
    client, _, _, t = running
    for who in ("facilitator", "evaluator"):
        for path, body in (("action", {"action": "acknowledge"}), ("confirm", {})):
            response = client.post(f"/api/{t[who]}/{path}", json=body)
            assert response.status_code == 403, (who, path)


def test_strict_json_rules():
    assert loads_strict(b'{"a": [1, 2.5, "x\\u00e9"]}') == {"a": [1, 2.5, "x\u00e9"]}
    for bad in (b"NaN", b"[Infinity]", b'"\\ud800"', b"[" * 33 + b"]" * 33, b"\xff"):
        with pytest.raises(JSONRefused):
            loads_strict(bad)
    # Brackets inside strings are text, not nesting.
    assert loads_strict(json.dumps({"t": "[" * 100})) == {"t": "[" * 100}
    assert problems({"x": [1.0, float("nan")]}) == ["x[1]: nan is not a JSON number"]
    assert repaired({"x": [float("inf"), "a\udc80"]}) == {"x": [None, "a\ufffd"]}
