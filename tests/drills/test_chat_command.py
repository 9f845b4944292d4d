"""Acting from the chat: `/warroom` commands signed with a participant's own chat secret
(Slack's v0 scheme), refused when unsigned, badly signed, stale or replayed (also after a
restart), and taken once, as the signer's role only."""

from __future__ import annotations

import time
import warnings
from urllib.parse import urlencode

import pytest

from drills import DrillStore
from drills.interfaces.chat_command import CommandError, parse_command, signature_of, words_of
from drills.interfaces.web import create_app, open_web_drill

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

FORM = "application/x-www-form-urlencoded"


class ChatDrill:
    """A started web drill and each participant's chat secret, by person."""

    def __init__(self, store: DrillStore, documents):
        self.store = store
        session, grants = open_web_drill(store, documents, speed=0.01)
        self.id = session.record.id
        self.facilitator = next(g.token for g in grants if g.capability == "facilitator")
        self.secrets = {access.person: secret for access, secret in store.chat_signers(self.id)}
        self.person: dict[str, str] = {}  # role -> the first person in it
        for access, _ in store.chat_signers(self.id):
            self.person.setdefault(access.role, access.person)

    def secret(self, role: str) -> str:
        return self.secrets[self.person[role]]

    def actions(self) -> list:
        return [e for e in self.store.events(self.id) if e.kind in ("action", "rejection")]


def slash(text: str, user_name: str = "someone", user_id: str = "U1") -> bytes:
    return urlencode({"token": "legacy", "command": "/warroom", "text": text, "user_name": user_name,
                      "user_id": user_id, "response_url": "https://hooks.example/r"}).encode()


def post(client, drill_id: str, body: bytes, secret: str | None, timestamp: int | None = None,
         content_type: str = FORM, signature: str | None = None):
    """POST a chat command, signed with `secret` (unsigned when None) at `timestamp` (now)."""
    headers = {"Content-Type": content_type}
    if secret is not None or signature is not None:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        headers["X-Slack-Request-Timestamp"] = stamp
        headers["X-Slack-Signature"] = signature or signature_of(secret, stamp, body)
    return client.post(f"/chat/{drill_id}/command", content=body, headers=headers)


@pytest.fixture
def chat(tmp_path, cloudflare_drill):
    store = DrillStore(tmp_path / "d.db")
    drill = ChatDrill(store, cloudflare_drill)
    with TestClient(create_app(store)) as client:
        for control in ("start", "next"):
            assert client.post(f"/api/{drill.facilitator}/control", json={"name": control}).status_code == 200
        yield client, drill


def test_each_participant_has_their_own_chat_secret_in_the_store_not_the_roster(chat, cloudflare_drill):
    _, drill = chat
    assert len(drill.secrets) == len(cloudflare_drill.roster.document.participants) == 4
    assert len(set(drill.secrets.values())) == 4 and all(len(s) == 64 for s in drill.secrets.values())
    assert not any(s in cloudflare_drill.roster.text for s in drill.secrets.values())
    grants = drill.store.grants(drill.id)
    assert all((drill.store.chat_secret(g.token) is not None) == (g.capability == "participant") for g in grants)


def test_a_signed_command_is_taken_once_and_its_replay_refused(chat):
    client, drill = chat
    body = slash("identify waf_regex the regex backtracks")
    stamp = int(time.time())
    answer = post(client, drill.id, body, drill.secret("technical_lead"), stamp)
    assert answer.status_code == 200, answer.text
    reply = answer.json()
    assert reply["response_type"] == "ephemeral" and reply["accepted"] is True
    assert reply["text"].startswith('Done: identify cause=waf_regex text="the regex backtracks"')
    replayed = post(client, drill.id, body, drill.secret("technical_lead"), stamp)
    assert replayed.status_code == 409 and "replayed" in replayed.json()["error"]
    assert replayed.json()["status"] == 409
    identified = [e for e in drill.actions() if e.name == "identify"]
    assert len(identified) == 1
    assert identified[0].role == "technical_lead" and identified[0].actor == drill.person["technical_lead"]
    assert dict(identified[0].detail)["cause"] == "waf_regex"


def test_unsigned_badly_signed_and_stale_commands_are_refused_with_json(chat):
    client, drill = chat
    body = slash("declare")
    im = drill.secret("incident_manager")
    now = int(time.time())
    cases = {
        "unsigned": post(client, drill.id, body, None),
        "another key": post(client, drill.id, body, "0" * 64),
        "another body": post(client, drill.id, body, im, now, signature=signature_of(im, str(now), slash("resolve"))),
        "another time": post(client, drill.id, body, im, now, signature=signature_of(im, str(now - 1), body)),
        "not v0": post(client, drill.id, body, im, now, signature="v1=" + signature_of(im, str(now), body)[3:]),
        "stale": post(client, drill.id, body, im, now - 301),
        "from the future": post(client, drill.id, body, im, int(time.time()) + 360),   # clear of SKEW under load
        "another drill": post(client, "no-such-drill", body, im),
    }
    for case, answer in cases.items():
        assert answer.status_code == 401, (case, answer.text)
        assert answer.json()["status"] == 401 and answer.json()["error"], case
    assert "unsigned" in cases["unsigned"].json()["error"] and "stale" in cases["stale"].json()["error"]
    assert cases["another drill"].json() == cases["another key"].json()  # no hint that a drill exists
    garbage = client.post(f"/chat/{drill.id}/command", content=body,
                          headers={"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"})
    assert garbage.status_code == 401
    assert drill.actions() == []
    # Just inside the window is fine.
    assert post(client, drill.id, body, im, now - 290).json()["accepted"] is True


def test_a_replay_is_refused_after_a_restart(tmp_path, cloudflare_drill):
    path = tmp_path / "d.db"
    drill = ChatDrill(DrillStore(path), cloudflare_drill)
    body, stamp = slash("hypothesis cause=waf_regex"), int(time.time())
    with TestClient(create_app(drill.store)) as client:
        for control in ("start", "next"):
            client.post(f"/api/{drill.facilitator}/control", json={"name": control})
        assert post(client, drill.id, body, drill.secret("sre"), stamp).json()["accepted"] is True
    drill.store.close()
    store = DrillStore(path)  # the server restarts on the same journal
    with TestClient(create_app(store)) as client:
        again = post(client, drill.id, body, drill.secret("sre"), stamp)
        assert again.status_code == 409, again.text
        fresh = post(client, drill.id, body, drill.secret("sre"), stamp + 1)
        assert fresh.json()["accepted"] is True
    assert len([e for e in store.events(drill.id) if e.name == "hypothesis"]) == 2


def test_a_participant_cannot_act_for_another_role_through_the_chat(chat, tmp_path, cloudflare_drill):
    client, drill = chat
    im_name = drill.person["incident_manager"]
    # Priya (sre) claims in the body to be the incident manager: the signature decides.
    claimed = post(client, drill.id, slash("log all clear", user_name=im_name, user_id="U-IM"), drill.secret("sre"))
    assert claimed.json()["accepted"] is True and "(as Priya (SRE), sre," in claimed.json()["text"]
    refused = post(client, drill.id, slash("declare role=incident_manager"), drill.secret("sre"))
    assert refused.status_code == 200 and refused.json()["accepted"] is False
    assert "role is not a field" in refused.json()["text"]
    # Another drill's participant cannot act in this one, even as the same role.
    other = ChatDrill(drill.store, cloudflare_drill)
    crossed = post(client, drill.id, slash("log from elsewhere"), other.secret("incident_manager"))
    assert crossed.status_code == 401
    assert [(e.name, e.role, e.actor) for e in drill.actions()] == [("log", "sre", "Priya (SRE)")]


def test_help_typos_and_the_drills_refusals_answer_the_sender(chat):
    client, drill = chat
    tl = drill.secret("technical_lead")

    def say(text):
        answer = post(client, drill.id, slash(text), tl)
        assert answer.status_code == 200, answer.text
        return answer.json()
    assert "identify" in say("help")["text"] and "schedule_review" in say("")["text"]
    assert say("help identify")["text"].startswith("/warroom identify <cause> [text...]")
    assert "unknown action 'identfy'" in say("identfy waf_regex")["text"]
    assert "identify needs cause" in say("identify")["text"]
    assert "too many words" in say("acknowledge now please")["text"]
    assert "within:" in say("schedule_review within=soonish")["text"]
    assert "unknown" in say("identify no_such_cause")["text"].lower()
    long = say("log " + "x" * 4001)
    assert long["accepted"] is False and "too long" in long["text"]
    assert drill.actions() == [] or all(e.kind == "rejection" for e in drill.actions())


def test_an_answer_does_not_tell_whether_a_cause_is_right(chat):
    client, drill = chat
    right = post(client, drill.id, slash("identify waf_regex"), drill.secret("technical_lead")).json()
    wrong = post(client, drill.id, slash("identify ddos_attack"), drill.secret("sre")).json()
    strip = lambda reply: reply["text"].split(" (as ")[0].replace("waf_regex", "C").replace("ddos_attack", "C")  # noqa: E731
    assert strip(right) == strip(wrong) and set(right) == set(wrong)


def test_an_outgoing_webhooks_json_and_durations_in_fields(chat):
    client, drill = chat
    import json

    body = json.dumps({"text": "<at>warroom</at> log 'WAF off' \"in every region\"", "from": {"name": "x"}}).encode()
    assert post(client, drill.id, body, drill.secret("sre"), content_type="application/json").json()["accepted"]
    scheduled = post(client, drill.id, slash("/warroom schedule_review within=2d"), drill.secret("incident_manager"))
    assert scheduled.json()["accepted"] is True, scheduled.text
    by_name = {e.name: dict(e.detail) for e in drill.actions()}
    assert by_name["log"]["text"] == "WAF off in every region"
    assert by_name["schedule_review"]["within"] == 2 * 24 * 60
    bad = post(client, drill.id, b'{"text": ', drill.secret("sre"), content_type="application/json")
    assert bad.status_code == 400 and bad.json()["status"] == 400
    missing = post(client, drill.id, b'{"user_name": "x"}', drill.secret("sre"), content_type="application/json")
    assert missing.status_code == 422


def test_a_command_before_the_start_is_refused_by_the_drill(tmp_path, cloudflare_drill):
    store = DrillStore(tmp_path / "d.db")
    drill = ChatDrill(store, cloudflare_drill)
    with TestClient(create_app(store)) as client:
        answer = post(client, drill.id, slash("acknowledge"), drill.secret("sre")).json()
    assert answer == {"response_type": "ephemeral", "text": "Not done: the drill has not started yet",
                      "accepted": False}


@pytest.mark.parametrize("text, expected", [
    ("identify waf_regex", ("identify", {"cause": "waf_regex"})),
    ("/warroom update customers We are on it", ("update", {"audience": "customers", "text": "We are on it"})),
    ("update text='All good' audience=public", ("update", {"audience": "public", "text": "All good"})),
    ("assign-role technical_lead Sasha", ("assign_role", {"assign": "technical_lead", "person": "Sasha"})),
    ("log we can't see it", ("log", {"text": "we can't see it"})),
    ("apply_workaround kill_waf_globally", ("apply_workaround", {"workaround": "kill_waf_globally"})),
    ("declare", ("declare", {})),
    ("identify the regex cause=waf_regex", ("identify", {"cause": "waf_regex", "text": "the regex"})),
])
def test_words_map_to_fields(text, expected):
    assert parse_command(words_of(text)) == expected


@pytest.mark.parametrize("text, says", [
    ("page", "page needs target"), ("log", "log needs some text"), ("acknowledge x", "too many words"),
    ("identify cause=a cause=b", "cause is given twice"), ("update audience=x", "update needs some text"),
    ("identify x workaround=y", "workaround is an action field, but not one identify takes"),
])
def test_what_is_not_a_command_says_how_to_write_it(text, says):
    with pytest.raises(CommandError, match=says) as raised:
        parse_command(words_of(text))
    assert "Usage: /warroom" in str(raised.value)


def test_signed_junk_never_gets_a_5xx(tmp_path, cloudflare_drill):
    """Correctly signed, so that the body reaches the parser and the drill: never a 5xx, always JSON."""
    import json

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from drills.interfaces.limits import Limits

    store = DrillStore(tmp_path / "d.db")
    drill = ChatDrill(store, cloudflare_drill)
    secret = drill.secret("technical_lead")
    texts = st.text(max_size=80) | st.sampled_from(["identify", "log \x00", "update x=y", "help nothing", "'\"",
                                                     "schedule_review within=1e999", "page " + "x" * 5000])
    junk = texts.map(slash) | st.binary(max_size=200) | texts.map(lambda t: json.dumps({"text": t}).encode())
    statuses = set()
    with TestClient(create_app(store, limits=Limits(actions_per_minute=10 ** 9))) as client:
        for control in ("start", "next"):
            client.post(f"/api/{drill.facilitator}/control", json={"name": control})

        @settings(max_examples=150, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow])
        @given(junk, st.sampled_from([FORM, "application/json", "text/plain", ""]))
        def send(body, content_type):
            answer = post(client, drill.id, body, secret, content_type=content_type)
            assert answer.status_code < 500, (body, answer.text)
            assert isinstance(answer.json(), dict)
            statuses.add((answer.status_code, answer.json().get("accepted")))

        send()
    assert {(200, True), (200, False)} <= statuses, statuses  # junk reached the drill, and some of it was taken


def test_the_facilitator_gets_each_participants_chat_secret_with_the_links(tmp_path):
    from click.testing import CliRunner

    from cli import main

    db = tmp_path / "d.db"
    started = CliRunner().invoke(main, ["drill", "start", "cloudflare-2019-waf", "--roster", "cloudflare-2019-team",
                                        "--web", "--no-serve", "--port", "9000", "--store", str(db)])
    assert started.exit_code == 0, started.output
    store = DrillStore(db)
    (record,) = store.list()
    assert f"request URL http://127.0.0.1:9000/chat/{record.id}/command" in started.output
    signers = store.chat_signers(record.id)
    assert len(signers) == 4 and all(f"({a.role})" in started.output and s in started.output for a, s in signers)
    again = CliRunner().invoke(main, ["drill", "links", record.id, "--port", "9000", "--store", str(db)])
    assert again.exit_code == 0 and all(s in again.output for _, s in signers)
