"""Who may do what on the live drill server: one explicit table over every route the app
declares (a route added without a row fails here), called by every kind of link on a
running drill and on an ended one; and what each link sees: a participant's state, events
and stream never hold injects meant only for other roles, facilitator notes, expected
actions, ratings, or which cause is the right one.

Statuses, as docs/reference/drills.md has them: 404 for a link the server does not know
(whatever the route), 403 for a known link without the capability (checked before the
body or the drill's state), 409 when the drill refuses (not started, ended, no comms
check...). A link reaches only its own drill: a second drill's links act on the second
drill and never touch or show the first.
"""

from __future__ import annotations

import warnings

import pytest
from web_routes import declared_endpoints, open_drill, read_stream, strict

from drills import DrillStore
from drills.interfaces.views import PLAYER_INJECT_FIELDS
from drills.interfaces.web import create_app
from drills.session import HOT_WASH_QUESTIONS

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

KINDS = ("outsider", "participant", "evaluator", "facilitator")
PARTICIPANTS = ("incident_manager", "technical_lead", "sre")  # the Cloudflare team roster

# The expected status for each kind of caller: an outsider (a token the server does not
# know), a participant (each role), an evaluator and the facilitator; first on a running
# drill (started, detected, with a workaround claim open and a comms check under way),
# then on an ended one. The bodies sent are in BODIES.
#                                               running                   ended
#                                        out  par  eva  fac      out  par  eva  fac
MATRIX = {
    ("GET", "/"):                         ((200, 200, 200, 200), (200, 200, 200, 200)),
    ("GET", "/favicon.ico"):              ((204, 204, 204, 204), (204, 204, 204, 204)),
    ("GET", "/static/{path}"):            ((200, 200, 200, 200), (200, 200, 200, 200)),
    ("GET", "/play/{token}"):             ((404, 200, 403, 403), (404, 200, 403, 403)),
    ("GET", "/facilitate/{token}"):       ((404, 403, 403, 200), (404, 403, 403, 200)),
    ("GET", "/evaluate/{token}"):         ((404, 403, 200, 403), (404, 403, 200, 403)),
    ("GET", "/api/{token}/state"):        ((404, 200, 200, 200), (404, 200, 200, 200)),
    ("GET", "/api/{token}/events"):       ((404, 200, 200, 200), (404, 200, 200, 200)),
    ("GET", "/api/{token}/stream"):       ((404, 200, 200, 200), (404, 200, 200, 200)),
    ("POST", "/api/{token}/action"):      ((404, 200, 403, 403), (404, 409, 403, 403)),
    ("POST", "/api/{token}/control"):     ((404, 403, 403, 200), (404, 403, 403, 409)),
    ("POST", "/api/{token}/inject"):      ((404, 403, 403, 200), (404, 403, 403, 409)),
    ("POST", "/api/{token}/adjudicate"):  ((404, 403, 403, 200), (404, 403, 403, 409)),
    ("POST", "/api/{token}/rate"):        ((404, 403, 200, 200), (404, 403, 200, 200)),
    ("POST", "/api/{token}/validate"):    ((404, 403, 200, 200), (404, 403, 200, 200)),
    ("GET", "/api/{token}/scorecard"):    ((404, 403, 200, 200), (404, 403, 200, 200)),
    ("POST", "/api/{token}/commscheck"):  ((404, 403, 403, 200), (404, 403, 403, 409)),
    ("POST", "/api/{token}/confirm"):     ((404, 200, 403, 403), (404, 409, 403, 403)),
    ("POST", "/api/{token}/feedback"):    ((404, 409, 403, 403), (404, 200, 403, 403)),
    # No link reaches the chat command: only a participant's chat signature does
    # (test_chat_command.py), so every caller here, sending it unsigned, gets 401.
    ("POST", "/chat/{drill_id}/command"): ((401, 401, 401, 401), (401, 401, 401, 401)),
}

BODIES = {
    "action": {"action": "hypothesis", "fields": {"text": "a bad WAF rule?"}},
    "control": {"name": "speed", "speed": 60},
    "inject": {"subject": "Matrix check", "content": "nothing to do", "to": ["incident_manager"]},
    "adjudicate": {"claim": 1, "accept": False, "reason": "not what the dashboards show"},
    "rate": {"objective": "diagnose", "rating": "S", "reason": "took a while"},
    "validate": {"inject": "synthetic_waf_test", "verdict": "partly", "note": "acknowledged, then went quiet"},
    "feedback": {"answers": {HOT_WASH_QUESTIONS[0]: "we split the work early"}},
}


def declared_pairs(app) -> set[tuple[str, str]]:
    """(method, path) for every route the app declares; HEAD goes with GET."""
    return {(method, e.path) for e in declared_endpoints(app) for method in e.methods - {"HEAD"}}


def test_the_table_has_a_row_for_every_declared_route(tmp_path):
    app = create_app(DrillStore(tmp_path / "d.db"))
    declared = declared_pairs(app)
    assert declared - set(MATRIX) == set(), "a route without a row in MATRIX: decide who may call it"
    assert set(MATRIX) - declared == set(), "a row in MATRIX for a route the app no longer declares"


class Phase:
    """Two drills in one store, both running (or both ended): `ours` and `theirs`."""

    def __init__(self, client, store, documents, ended: bool):
        self.client, self.store = client, store
        self.ours, self.theirs = (self._prepared(documents, ended) for _ in range(2))

    def _prepared(self, documents, ended: bool):
        drill = open_drill(self.store, documents)
        fac, tl = drill.tokens["facilitator"], drill.tokens["technical_lead"]
        for control in ("start", "next"):
            assert self.client.post(f"/api/{fac}/control", json={"name": control}).status_code == 200
        claim = {"action": "log", "fields": {"text": "turned the WAF off", "claims_workaround": "kill_waf_globally"}}
        assert self.client.post(f"/api/{tl}/action", json=claim).status_code == 200
        assert self.client.post(f"/api/{fac}/commscheck").status_code == 200
        if ended:
            assert self.client.post(f"/api/{fac}/control", json={"name": "end"}).status_code == 200
        return drill

    def journals(self) -> tuple:
        """The inputs each drill's journal holds (its clock adds the world's outputs as it runs)."""
        return tuple([(e.seq, e.kind, e.name) for e in self.store.events(d.drill_id) if e.is_input]
                     for d in (self.ours, self.theirs))


def call(client, method: str, path: str, token: str) -> tuple[int, dict | None]:
    """One request to the route `path` with `token`; (status, JSON body or None)."""
    name = path.rstrip("/").rsplit("/", 1)[-1]
    url = path.replace("{token}", token).replace("{path}", "drill.css")
    if name == "stream":
        status, headers, text = read_stream(client, url, method=method)
        if headers.get("content-type", "").startswith("text/event-stream"):
            for line in text.splitlines():
                if line.startswith("data: "):
                    strict(line[6:])
        return status, (strict(text) if status >= 400 and method != "HEAD" else None)
    response = client.request(method, url, json=BODIES.get(name, {}) if method == "POST" else None)
    is_json = response.headers.get("content-type", "").startswith("application/json")
    return response.status_code, (strict(response.text) if is_json and method != "HEAD" else None)


def callers(phase: Phase):
    """(kind, label, token, drill it belongs to) for every caller of the table."""
    ours, theirs = phase.ours, phase.theirs
    fac = ours.tokens["facilitator"]
    yield "outsider", "garbage", "not-a-token", None
    yield "outsider", "a facilitator token with one letter changed", fac[:-1] + ("A" if fac[-1] != "A" else "B"), None
    yield "outsider", "the drill's id", ours.drill_id, None
    for role in PARTICIPANTS:
        yield "participant", role, ours.tokens[role], ours
    yield "evaluator", "evaluator", ours.tokens["evaluator"], ours
    yield "facilitator", "facilitator", fac, ours
    yield "participant", "another drill's sre", theirs.tokens["sre"], theirs
    yield "evaluator", "another drill's evaluator", theirs.tokens["evaluator"], theirs
    yield "facilitator", "another drill's facilitator", theirs.tokens["facilitator"], theirs


@pytest.mark.parametrize("ended", [False, True], ids=["running", "ended"])
def test_every_caller_gets_what_the_table_says_on_every_route(tmp_path, cloudflare_drill, ended):
    store = DrillStore(tmp_path / "d.db")
    app = create_app(store)
    wrong = []
    with TestClient(app, raise_server_exceptions=False) as client:
        phase = Phase(client, store, cloudflare_drill, ended)
        for method, path in sorted(declared_pairs(app)):
            expected = dict(zip(KINDS, MATRIX[(method, path)][ended]))
            for kind, label, token, drill in callers(phase):
                before = phase.journals()
                status, body = call(client, method, path, token)
                if status != expected[kind]:
                    wrong.append(f"{method} {path} as {label}: {status}, expected {expected[kind]} ({body})")
                if status >= 400 and path.startswith("/api/"):
                    assert body["status"] == status and body["error"], (path, label, body)
                if method == "GET":  # HEAD answers as GET does
                    head, _ = call(client, "HEAD", path, token)
                    if head != status:
                        wrong.append(f"HEAD {path} as {label}: {head}, but GET {status}")
                after = phase.journals()
                if status >= 400:
                    assert after == before, f"a refused {method} {path} as {label} changed a journal"
                elif drill is phase.theirs:
                    assert after[0] == before[0], f"{method} {path} with another drill's link changed this drill"
                if path == "/api/{token}/state" and drill is not None:
                    assert body["drill"]["id"] == drill.drill_id  # a link shows its own drill only
    assert not wrong, "\n".join(wrong)


# -- what a participant sees -------------------------------------------------------------

def _walk(value, path=()):
    """Every (path, key or text) in a JSON value."""
    if isinstance(value, dict):
        for key, sub in value.items():
            yield path, key
            yield from _walk(sub, path + (key,))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            yield from _walk(sub, path + (index,))
    elif isinstance(value, str):
        yield path, value


@pytest.fixture
def played(tmp_path, cloudflare_drill):
    """A Cloudflare drill with something hidden from each participant: injects for other
    roles (one with facilitator notes and a red herring), an ad-hoc inject for the incident
    manager only, an evaluator's rating, a request for information that is not yet
    available and a workaround claim (the sre's and the technical lead's own), the right
    cause identified by the technical lead and a wrong one by the sre."""
    store = DrillStore(tmp_path / "d.db")
    drill = open_drill(store, cloudflare_drill)
    t = drill.tokens
    fac = t["facilitator"]
    with TestClient(create_app(store), raise_server_exceptions=False) as client:
        def ok(response):
            assert response.status_code == 200, response.text
        ok(client.post(f"/api/{fac}/control", json={"name": "start"}))
        for _ in range(4):  # 3m the page, 3.5m alerts, 6m the attack theory (a red herring), 7m customer tickets
            ok(client.post(f"/api/{fac}/control", json={"name": "next"}))
        ok(client.post(f"/api/{fac}/inject", json={"subject": "IM-ONLY: the CEO is asking", "to": ["incident_manager"]}))
        ok(client.post(f"/api/{t['evaluator']}/rate",
                       json={"objective": "diagnose", "rating": "M", "reason": "EVALUATOR-ONLY: chased the attack"}))
        ok(client.post(f"/api/{t['sre']}/action", json={"action": "request_info", "fields": {"topic": "cpu_profile"}}))
        ok(client.post(f"/api/{t['sre']}/action", json={"action": "request_info", "fields": {"topic": "traffic_volume"}}))
        ok(client.post(f"/api/{t['technical_lead']}/action",
                       json={"action": "log", "fields": {"text": "WAF off?", "claims_workaround": "kill_waf_globally"}}))
        ok(client.post(f"/api/{t['technical_lead']}/action", json={"action": "identify", "fields": {"cause": "waf_regex"}}))
        ok(client.post(f"/api/{t['sre']}/action", json={"action": "identify", "fields": {"cause": "ddos_attack"}}))
        yield client, drill, cloudflare_drill.scenario.document


def views_of(client, token: str) -> tuple[dict, list, list]:
    state = strict(client.get(f"/api/{token}/state").text)
    events = strict(client.get(f"/api/{token}/events").text)
    _, _, text = read_stream(client, f"/api/{token}/stream")
    streamed = [strict(line[6:]) for line in text.splitlines() if line.startswith("data: ")]
    return state, events, streamed


def test_the_facilitator_sees_what_participants_must_not(played):
    """The secrets below exist in this drill (so the participant checks are not vacuous)."""
    client, drill, scenario = played
    state, events, streamed = views_of(client, drill.tokens["facilitator"])
    assert streamed == events
    kinds = {(e["kind"], e["name"]) for e in events}
    assert {("milestone", "identified"), ("rating", "diagnose"), ("world", "not_yet_available"),
            ("world", "claim_open")} <= kinds
    herring = next(e for e in events if e["name"] == "attack_theory")
    assert herring["detail"]["type"] == "red_herring" and herring["detail"]["notes"]
    assert any(e["detail"].get("subject", "").startswith("IM-ONLY") for e in events)
    assert {"scoreboard", "roster", "next_inject_at", "objectives"} <= set(state)


@pytest.mark.parametrize("role", PARTICIPANTS)
def test_a_participant_sees_only_what_their_role_is_sent(played, role):
    client, drill, scenario = played
    state, events, streamed = views_of(client, drill.tokens[role])
    assert streamed == events  # the stream shows exactly what the events endpoint shows
    for event in events:
        if event["kind"] in ("inject", "adhoc_inject"):
            assert role in event["detail"]["to"] or "everyone" in event["detail"]["to"], event
            assert set(event["detail"]) <= set(PLAYER_INJECT_FIELDS), event
        assert event["kind"] != "rating", event
        assert (event["kind"], event["name"]) != ("milestone", "identified"), event
        if event["kind"] == "world" and event["name"] in ("not_yet_available", "claim_open"):
            assert event["role"] == role, event
    if role != "incident_manager":
        assert not any("IM-ONLY" in str(e["detail"].get("subject")) for e in events)
    assert {"scoreboard", "roster", "next_inject_at", "claims", "webhooks", "comms_check", "objectives"} \
        .isdisjoint(state)

    # Nothing of what only the facilitator and evaluators hold, anywhere in the view.
    secrets = {"EVALUATOR-ONLY: chased the attack", "red_herring"}
    for inject in scenario.injects:
        secrets |= {text for text in (inject.notes, inject.expect) if text}
    correct = [c for c in scenario.diagnosis.causes if c.correct]
    secrets |= {c.title for c in correct}
    forbidden_keys = {"notes", "expect", "expect_action", "correct", "effective"}
    view = {"state": {k: v for k, v in state.items() if k != "actions"}, "events": [
        # A teammate's own action names a cause: that is what they did, not the truth.
        {**e, "detail": {k: v for k, v in e["detail"].items() if not (e["kind"] == "action" and k == "cause")}}
        for e in events]}
    for where, found in _walk(view):
        assert found not in forbidden_keys, (where, found)
        assert not any(secret in found for secret in secrets), (where, found)
        assert not any(c.id == found for c in correct), (where, found)
    # The action forms offer every cause, none marked (the order is tested in test_web.py).
    identify = next(a for a in state["actions"] if a["name"] == "identify")
    cause = next(f for f in identify["fields"] if f["name"] == "cause")
    assert set(cause) == {"name", "required", "choices", "titles"}
    assert sorted(cause["choices"]) == sorted(c.id for c in scenario.diagnosis.causes)


def test_sequence_numbers_do_not_tell_a_participant_whether_the_cause_they_named_is_right(tmp_path, cloudflare_drill):
    store = DrillStore(tmp_path / "d.db")
    drill = open_drill(store, cloudflare_drill)
    t = drill.tokens
    with TestClient(create_app(store), raise_server_exceptions=False) as client:
        for control in ("start", "next"):
            client.post(f"/api/{t['facilitator']}/control", json={"name": control})
        gaps = {}
        for role, cause in (("technical_lead", "waf_regex"), ("sre", "ddos_attack")):
            named = client.post(f"/api/{t[role]}/action", json={"action": "identify", "fields": {"cause": cause}})
            after = client.post(f"/api/{t[role]}/action", json={"action": "log", "fields": {"text": "next step"}})
            gaps[cause] = after.json()["events"][0]["seq"] - named.json()["events"][0]["seq"]
        assert gaps["waf_regex"] == gaps["ddos_attack"] == 1, gaps  # journal numbers: 2 for the right cause, 1 else
        for role in ("technical_lead", "sre"):
            seen = [row["seq"] for row in client.get(f"/api/{t[role]}/events").json()]
            assert seen == list(range(1, len(seen) + 1))
            assert client.get(f"/api/{t[role]}/state").json()["last_seq"] == len(seen)
            later = client.get(f"/api/{t[role]}/events", params={"after": len(seen) - 2}).json()
            assert [row["seq"] for row in later] == seen[-2:]
        journal = [row["seq"] for row in client.get(f"/api/{t['facilitator']}/events").json()]
        assert len(journal) > len(seen) and journal == list(range(1, len(journal) + 1))
