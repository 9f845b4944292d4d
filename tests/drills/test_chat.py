"""Chat both ways: injects posted to the roster's webhooks per role and per channel, in
plain, Slack and Teams formats (received by a real local HTTP server); and participants
acting from the chat with a signed `/warroom` command (test_chat_command.py)."""

from __future__ import annotations

import json
import threading
import time
import warnings
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from drills import DrillStore
from drills.interfaces.chat import FORMATS, ChatMessage, routes_for
from drills.interfaces.web import create_app, open_web_drill
from scenarios import DocumentError, load_text
from scenarios.roster import CHAT_FORMATS, ChatRoute

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


class Receiver:
    """Incoming webhooks on 127.0.0.1 (a random port): records (path, JSON body) per POST."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                received.append((self.path, json.loads(self.rfile.read(length))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def at(self, path: str) -> list[dict]:
        return [body for where, body in self.received if where == path]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.close()


def wait_for(predicate, timeout=10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def routed_roster(base_text: str, hooks: str) -> str:
    return base_text + f"""webhooks:
  alert: {hooks}/alert-shared
chat:
  - {{url: {hooks}/im, roles: [incident_manager], format: slack}}
  - {{url: {hooks}/chat-shared, channels: [chat], format: teams}}
  - {{url: {hooks}/tl-chat, roles: [technical_lead], channels: [chat]}}
"""


def test_the_short_and_the_rich_form_are_one_list_of_routes(cloudflare_drill):
    roster = load_text(routed_roster(cloudflare_drill.roster.text, "https://hooks.example"), "team.yaml").document
    assert [(r.url.rsplit("/", 1)[1], r.roles, r.channels, r.format) for r in roster.chat_routes] == [
        ("alert-shared", [], ["alert"], "plain"), ("im", ["incident_manager"], [], "slack"),
        ("chat-shared", [], ["chat"], "teams"), ("tl-chat", ["technical_lead"], ["chat"], "plain")]
    plain = load_text(cloudflare_drill.roster.text + "webhooks:\n  chat: https://hooks.example/chat\n", "t.yaml")
    assert plain.document.chat_routes == (ChatRoute(url="https://hooks.example/chat", channels=["chat"]),)


def test_a_bad_route_is_a_located_problem(cloudflare_drill):
    text = cloudflare_drill.roster.text + ("chat:\n  - {url: ftp://x, channels: [fax], format: pigeon}\n"
                                           "  - {url: https://ok.example, rolez: [sre]}\n")
    with pytest.raises(DocumentError) as raised:
        load_text(text, "team.yaml")
    where = {(p.path, p.line) for p in raised.value.problems}
    first_route = text.splitlines().index("  - {url: ftp://x, channels: [fax], format: pigeon}") + 1
    assert {("chat[0].url", first_route), ("chat[0].channels", first_route), ("chat[0].format", first_route),
            ("chat[1].rolez", first_route + 1)} <= where, where
    ghost = cloudflare_drill.roster.text + "chat:\n  - {url: https://ok.example, roles: [sre, ghost]}\n"
    with pytest.raises(DocumentError) as raised:
        load_text(ghost, "team.yaml")
    (problem,) = raised.value.problems
    assert problem.path == "chat[0].roles[1]" and "nobody in the roster plays 'ghost'" in problem.message


def test_what_is_meant_for_a_role_with_its_own_room_never_reaches_a_shared_room():
    im = ChatRoute(url="https://h/im", roles=["incident_manager"])
    tl_chat = ChatRoute(url="https://h/tl", roles=["technical_lead"], channels=["chat"])
    shared = ChatRoute(url="https://h/shared", channels=["chat"])
    anything = ChatRoute(url="https://h/all")
    routes = (im, tl_chat, shared, anything)
    assert routes_for(routes, "chat", ("incident_manager",)) == [im]
    assert routes_for(routes, "chat", ("sre",)) == [shared, anything]
    assert routes_for(routes, "chat", ("technical_lead", "sre")) == [tl_chat, shared, anything]
    assert routes_for(routes, "chat", ("everyone",)) == list(routes)
    # On another channel the technical lead has no room of their own: the shared ones serve.
    assert routes_for(routes, "email", ("technical_lead",)) == [anything]
    assert routes_for(routes, "email", ("incident_manager",)) == [im]


def test_every_format_the_roster_accepts_has_a_payload():
    message = ChatMessage("DB down", "x" * 5000, "status_page", "Vendor", 12.25, "Drill", ("sre",))
    assert set(FORMATS) == set(CHAT_FORMATS)
    slack = FORMATS["slack"](message)
    assert all(len(b["text"]["text"]) <= 3000 for b in slack["blocks"] if b["type"] == "section" and "text" in b)


def test_injects_reach_each_role_and_channel_webhook_in_its_format(tmp_path, cloudflare_drill, receiver):
    docs = replace(cloudflare_drill, roster=load_text(routed_roster(cloudflare_drill.roster.text, receiver.base),
                                                      "team.yaml"))
    store = DrillStore(tmp_path / "d.db")
    session, grants = open_web_drill(store, docs, speed=0.01)  # the clock stays at the 3m page
    fac = next(g.token for g in grants if g.capability == "facilitator")
    with TestClient(create_app(store)) as client:
        def inject(subject, to, channel="chat"):
            body = {"subject": subject, "content": f"about {subject}", "to": to, "channel": channel}
            assert client.post(f"/api/{fac}/inject", json=body).status_code == 200

        assert client.post(f"/api/{fac}/control", json={"name": "start"}).status_code == 200
        assert client.post(f"/api/{fac}/control", json={"name": "next"}).status_code == 200  # the 3m page, on alert
        inject("IM only", ["incident_manager"])
        inject("SRE only", ["sre"])
        inject("TL and SRE", ["technical_lead", "sre"])
        inject("All hands", None)
        expected = {"/im": 2, "/chat-shared": 3, "/tl-chat": 2, "/alert-shared": 1}
        assert wait_for(lambda: all(len(receiver.at(p)) >= n for p, n in expected.items())), receiver.received
        time.sleep(0.2)  # nothing more arrives
        hooks = client.get(f"/api/{fac}/state").json()["webhooks"]
    assert {p: len(receiver.at(p)) for p in expected} == expected, receiver.received
    assert all(h["status"] == "delivered" for h in hooks) and len(hooks) == sum(expected.values())

    def subjects(path):
        return [_subject_of(body) for body in receiver.at(path)]
    assert subjects("/im") == ["IM only", "All hands"]
    assert subjects("/chat-shared") == ["SRE only", "TL and SRE", "All hands"]
    assert subjects("/tl-chat") == ["TL and SRE", "All hands"]
    assert subjects("/alert-shared") == ["PAGE: external WAF probe failing from every region"]

    # Slack: Block Kit with a header, the facts, the content, and a text fallback.
    slack = receiver.at("/im")[0]
    assert slack["text"].startswith("[warroom drill - ") and "IM only" in slack["text"]
    header, facts, content, context = slack["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": "IM only"}}
    fields = " ".join(f["text"] for f in facts["fields"])
    assert "*From:*\nfacilitator" in fields and "*Channel:*\nchat" in fields and "*Scenario minute:*" in fields
    assert content["text"]["text"] == "about IM only" and context["type"] == "context"
    # Teams: a message with one Adaptive Card attachment.
    teams = receiver.at("/chat-shared")[0]
    assert teams["type"] == "message"
    (attachment,) = teams["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] and card["body"][0]["text"] == "SRE only"
    facts = {f["title"]: f["value"] for f in card["body"][1]["facts"]}
    assert facts["From"] == "facilitator" and facts["Channel"] == "chat" and float(facts["Scenario minute"]) >= 3
    # Plain: today's JSON.
    plain = receiver.at("/alert-shared")[0]
    assert plain["is_drill"] is True and plain["channel"] == "alert" and "warroom drill" in plain["text"]


def _subject_of(body: dict) -> str:
    if "blocks" in body:
        return body["blocks"][0]["text"]["text"]
    if "attachments" in body:
        return body["attachments"][0]["content"]["body"][0]["text"]
    return body["subject"]
