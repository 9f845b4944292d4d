"""The drill server under random requests: every route the app declares, any method, any
body (well-shaped, random JSON, raw bytes, NaN and Infinity, lone surrogates, deep
nesting, huge, Latin-1, the wrong content type), from every kind of caller (the
facilitator, an evaluator, each participant role, an ended drill's links, another drill's
links, garbage). No answer is a 5xx; every error under /api/ is a JSON body with "error";
every JSON answer is strict JSON; and afterwards every drill still serves each of its
links its state, events and stream, and exports, as strict JSON.

The drill under fuzz runs on a real clock; when a random request ends it, a fresh one
takes its place (the ended one stays, for the callers of an ended drill). The requests
sent are counted in FUZZ_COUNTS (route, method, status); set WARROOM_FUZZ_COUNTS=FILE to
have a run write them there as JSON.
"""

from __future__ import annotations

import json
import os
import warnings
from collections import Counter
from dataclasses import dataclass, replace
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from web_routes import (
    KNOWN_API_PATHS,
    Endpoint,
    declared_endpoints,
    open_drill,
    read_stream,
    strict,
)

from drills import DrillStore
from drills.interfaces.limits import Limits
from drills.interfaces.web import create_app
from drills.session import HOT_WASH_QUESTIONS
from scenarios import ACTIONS, RATINGS
from scenarios.actions import AUDIENCES
from scenarios.exercise import CHANNELS

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

FUZZ_COUNTS: Counter = Counter()
"""(route path, method, status) -> requests sent, over every fuzz run of the session."""

METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")
ROLES = ("incident_manager", "technical_lead", "sre")  # the Cloudflare team roster's participants
CALLERS = ("facilitator", "evaluator", *ROLES, "ended:facilitator", "ended:evaluator", "ended:technical_lead",
           "ended:incident_manager", "other:facilitator", "other:evaluator", "other:sre", "mangled:facilitator")
FITTING = {"action": ROLES, "confirm": ROLES, "feedback": ("ended:technical_lead", "ended:incident_manager"),
           "control": ("facilitator",), "inject": ("facilitator",), "adjudicate": ("facilitator",),
           "commscheck": ("facilitator",), "rate": ("evaluator", "ended:evaluator", "facilitator"),
           "validate": ("evaluator", "ended:evaluator", "facilitator"),
           "play": ROLES, "facilitate": ("facilitator", "other:facilitator"), "evaluate": ("evaluator",)}
"""Callers an endpoint serves, for the well-formed half of the requests, so that drawn bodies
reach the drill's rules (the wild half draws any caller for any endpoint;
test_web_authorization.py holds the rules themselves)."""
INJECTS = ("synthetic_waf_test", "alert_flood", "customer_tickets", "attack_theory", "cto_call", "deploy_log", "nope")
"""Scripted injects of the Cloudflare drill (the first two expect actions and come early), and one that is not."""
GARBAGE_TOKENS = ("not-a-token", "", " ", "latest", "..", ".", "a" * 43, "a" * 129, "x" * 5000, "%00", "\x00",
                  "café", "🔥", "drill-id", "' OR 1=1 --")
POISON_MARK = "\x00poison\x00"
POISONS = ("NaN", "-NaN", "Infinity", "-Infinity", "1e999", "-1e400", '"\\ud800"', '"x\\udfff"', '"\\udc80\\ud800"',
           "1" + "0" * 5000)
POISON_BODIES = (b"NaN", b"Infinity", b"[NaN]", b'{"a": Infinity}', b'"\\ud800"', b'{"\\udfff": 1}', b"{", b"[",
                 b"}", b"null", b"true", b"0", b'""', b"[]", b"{}" * 2, b'{"a": 1,}', b"\xef\xbb\xbf{}",
                 b"\xff\xfe{\x00}\x00", b'{"name": "caf\xe9"}', b'{"a": "\x00"}', b"\x00", b" " * 100)
CONTENT_TYPES = ("application/json", "application/json; charset=latin-1", "text/plain", "text/html",
                 "application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz", "application/octet-stream",
                 "", "application/json; charset=utf-16", "*/*")


# -- what a request is made of ----------------------------------------------------------

json_scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                | st.text(max_size=30))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
words = st.sampled_from(["WAF?", "caf\u00e9 \U0001f525", "<script>alert(1)</script>", "rolled back", "x" * 4000]) | st.text(
    min_size=1, max_size=40).filter(str.strip)
"""Text a person might type: never blank."""
text = st.one_of(st.text(max_size=40), st.sampled_from(["", "   ", "x" * 4001]), words, st.just(POISON_MARK))
"""Any text, blank, too long or poisoned (POISON_MARK) among it."""
anything = json_values | text | st.integers(min_value=-(10 ** 400), max_value=10 ** 400) | st.just(POISON_MARK)


def weighted(common, rare, odds: int):
    """`common`, or `rare` once in `odds + 1` draws. (Repeating a strategy in st.one_of does
    not weight it: Hypothesis draws the branches alike.)"""
    return st.integers(min_value=0, max_value=odds).flatmap(lambda n: rare if n == odds else common)


@dataclass(frozen=True)
class Vocabulary:
    """The scenario's own names, so shaped bodies reach the drill's rules, not just the parser.
    `hostile` draws invalid values often; otherwise one value in ten."""

    roles: tuple
    causes: tuple
    workarounds: tuple
    topics: tuple
    objectives: tuple
    hostile: bool = False

    @classmethod
    def of(cls, scenario, hostile: bool = False) -> "Vocabulary":
        return cls(tuple(scenario.participant_roles), tuple(c.id for c in scenario.diagnosis.causes),
                   tuple(w.key for w in scenario.workarounds), tuple(scenario.topics),
                   tuple(o.id for o in scenario.objectives), hostile)

    def choice(self, *valid):
        """One of the valid values, or sometimes anything at all."""
        return weighted(st.sampled_from(valid), anything, 2 if self.hostile else 9)

    @property
    def text(self):
        return weighted(words, text, 1 if self.hostile else 9)

    def field(self, name: str):
        values = {"target": self.roles, "assign": self.roles, "audience": AUDIENCES, "cause": self.causes,
                  "topic": self.topics, "workaround": self.workarounds, "claims_workaround": self.workarounds,
                  "within": ("15m", "2d", 30, "1h30m", "-5m", 0, 1e308, "9" * 400 + "d", True),
                  "person": ("Sasha", "", "x" * 4001)}.get(name)
        return self.choice(*values) if values else self.text

    def action(self):
        def shaped(name):
            spec = ACTIONS[name]
            fields = st.fixed_dictionaries({f: self.field(f) for f in spec.required},
                                           optional={f: self.field(f) for f in spec.fields if f not in spec.required})
            return st.fixed_dictionaries({"action": st.just(name), "fields": weighted(fields, anything, 4)},
                                         optional={"role": self.choice(*self.roles)})
        named = st.sampled_from(list(ACTIONS)).flatmap(shaped)
        return weighted(named, st.fixed_dictionaries(
            {"action": anything}, optional={"fields": st.dictionaries(st.text(max_size=8), anything, max_size=3)}), 4)

    def shaped(self, name: str):
        """A body shaped like what endpoint `name` expects."""
        if name == "action":
            return self.action()
        if name == "control":
            # The first value is the one Hypothesis starts from and comes back to most.
            return st.fixed_dictionaries({
                "name": self.choice("speed", "next", "pause", "resume", "next", "allow_fix", "end", "start",
                                    "fire", "hold", "release", "skip", "reschedule"),
                "speed": self.choice(60, 0.5, 1, 3600, 3601, 0, -1, 1e308, 10 ** 400, "fast", "60", None),
                "reason": self.text},
                optional={"inject": self.choice(*INJECTS), "at": self.choice(30, "45m", 0, -1, 1e308, "soon", None)})
        if name == "inject":
            return st.fixed_dictionaries(
                {"subject": self.text},
                optional={"content": self.text, "channel": self.choice(*CHANNELS),
                          "to": st.lists(self.choice(*self.roles, "everyone"), max_size=3) | anything})
        if name == "adjudicate":
            return st.fixed_dictionaries({"claim": self.choice(1, 1, 1, 2, 0, -1, 10 ** 400),
                                          "accept": self.choice(True, False)}, optional={"reason": self.text})
        if name == "rate":
            return st.fixed_dictionaries({"objective": self.choice(*self.objectives),
                                          "rating": self.choice(*RATINGS), "reason": self.text})
        if name == "validate":
            return st.fixed_dictionaries({"inject": self.choice(*INJECTS),
                                          "verdict": self.choice("met", "partly", "not_met", "maybe")},
                                         optional={"note": self.text, "occurrence": self.choice(0, 0, 1, -1, True)})
        if name == "feedback":
            answers = st.dictionaries(st.sampled_from(HOT_WASH_QUESTIONS) | st.text(max_size=20), self.text,
                                      min_size=0 if self.hostile else 1, max_size=3)
            return st.fixed_dictionaries({"answers": self.choice(None) | answers if self.hostile else answers})
        return st.dictionaries(st.text(max_size=8), json_values, max_size=3)


def poisoned(value, draw) -> bytes:
    """`value` as JSON, with each POISON_MARK string swapped for a poison literal (drawn)."""
    raw = json.dumps(value).replace(json.dumps(POISON_MARK), "{poison}").encode("utf-8")
    while b"{poison}" in raw:
        raw = raw.replace(b"{poison}", draw(st.sampled_from(POISONS)).encode(), 1)
    return raw


@st.composite
def bodies(draw, vocabulary: Vocabulary, name: str):
    kind = draw(st.sampled_from(("none", "shaped", "json", "bytes", "poison", "deep", "huge", "latin1")))
    if kind == "none":
        return None
    if kind in ("shaped", "json"):
        return poisoned(draw(vocabulary.shaped(name) if kind == "shaped" else json_values), draw)
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    if kind == "poison":
        return draw(st.sampled_from(POISON_BODIES))
    if kind == "deep":
        depth = draw(st.sampled_from((31, 32, 33, 100, 1000, 100_000)))
        opener, closer = draw(st.sampled_from(((b"[", b"]"), (b'{"a":', b"}"))))
        return opener * depth + b"1" + closer * depth
    if kind == "huge":
        size = draw(st.sampled_from((60_000, 65_536, 70_000, 300_000)))
        return json.dumps({"action": "log", "fields": {"text": "x" * size}, "subject": "y" * size}).encode()
    value = draw(vocabulary.shaped(name))
    latin1 = json.dumps({**value, "note": "caf\u00e9"}, ensure_ascii=False).replace(json.dumps(POISON_MARK), '"x"')
    return latin1.encode("latin-1", "replace")


@dataclass(frozen=True)
class FuzzRequest:
    endpoint: Endpoint
    method: str
    caller: str  # a name in CALLERS, or a literal token
    rest: str  # a mount's sub-path
    query: str
    headers: tuple
    body: bytes | None

    def __repr__(self):
        body = self.body if self.body is None or len(self.body) < 200 else self.body[:200] + b"..."
        return (f"{self.method} {self.endpoint.path} as {self.caller[:60]!r} rest={self.rest[:60]!r} "
                f"query={self.query[:60]!r} headers={self.headers} body={body!r}")


@st.composite
def request_to(draw, endpoint: Endpoint, vocabulary: Vocabulary, wild: bool):
    """A request to `endpoint`: `wild`, anything goes (method, caller, body, content type);
    otherwise the method it serves, a caller it serves and a body of its shape (with values
    still drawn, hostile ones among them), so that the drill's own rules are reached too."""
    own = sorted(endpoint.methods - {"HEAD"}) or ["GET"]
    fitting = FITTING.get(endpoint.name, CALLERS)
    after = st.sampled_from(("0", "3", "-1", "abc", "", "1e3", "9" * 5000, "0x10", "\u0661")) | st.integers().map(str)
    rest = st.sampled_from(("drill.js", "drill.css", "", "missing.js", "../web.py", "..%2fweb.py",
                            "%2e%2e/%2e%2e/pyproject.toml")) | st.text(max_size=20).map(lambda s: quote(s, safe=""))
    headers = {}
    if wild:
        method = draw(st.sampled_from(own) | st.sampled_from(METHODS))
        caller = draw(st.sampled_from(CALLERS + GARBAGE_TOKENS) | st.text(max_size=60))
        query = draw(st.none() | after.map(lambda a: "after=" + quote(a, safe="")) | st.text(max_size=20).map(quote))
        if draw(st.booleans()):
            headers["Last-Event-ID"] = draw(after.filter(lambda a: a.isascii()))
        content_type = draw(st.sampled_from(CONTENT_TYPES) | st.none())
        body = draw(bodies(replace(vocabulary, hostile=True), endpoint.name))
    else:
        method = draw(st.sampled_from(own))
        caller = draw(st.sampled_from(fitting))
        query = draw(st.none() | st.integers(min_value=0, max_value=60).map(lambda n: f"after={n}"))
        content_type = draw(st.sampled_from(("application/json", None)))
        body = poisoned(draw(vocabulary.shaped(endpoint.name)), draw) if method != "GET" else None
    if content_type is not None:
        headers["Content-Type"] = content_type
    return FuzzRequest(endpoint, method, caller, draw(rest), query or "", tuple(sorted(headers.items())), body)


def rounds(endpoints: list[Endpoint], vocabulary: Vocabulary):
    """One example: to each route a well-formed request and a wild one, in a drawn order
    (Hypothesis left to pick routes itself favours a few and leaves others nearly untried
    in a small budget)."""
    return st.tuples(*(request_to(e, vocabulary, wild) for e in endpoints for wild in (False, True))).flatmap(
        st.permutations)


# -- the drills under fuzz ---------------------------------------------------------------

class Drills:
    """The drills the callers reach: the current one (running), the latest ended one, and
    another drill in the same store. When the current one ends, a fresh one replaces it."""

    def __init__(self, store: DrillStore, documents, client):
        self.store, self.documents, self.client = store, documents, client
        self.ended = self._started()
        assert client.post(f"/api/{self.ended.tokens['facilitator']}/control", json={"name": "end"}).status_code == 200
        self.other = self._started()
        self.current = self._started()

    def _started(self):
        """A drill started and detected, with a workaround claim open for the facilitator to
        rule on (so that adjudication is reachable, not only refused)."""
        drill = open_drill(self.store, self.documents)
        fac, tl = drill.tokens["facilitator"], drill.tokens["technical_lead"]
        for control in ("start", "next"):
            assert self.client.post(f"/api/{fac}/control", json={"name": control}).status_code == 200
        claim = {"action": "log", "fields": {"text": "turned the WAF off", "claims_workaround": "kill_waf_globally"}}
        assert self.client.post(f"/api/{tl}/action", json=claim).status_code == 200
        return drill

    def token(self, caller: str) -> str:
        if caller.startswith("mangled:"):
            real = self.current.tokens[caller.split(":", 1)[1]]
            return real[:-1] + ("A" if real[-1] != "A" else "B")
        if caller == "drill-id":
            return self.current.drill_id
        where, _, who = caller.rpartition(":")
        drill = {"": self.current, "ended": self.ended, "other": self.other}.get(where)
        if drill is None or who not in drill.tokens:
            return caller  # a literal token
        return drill.tokens[who]

    def renew(self) -> None:
        if self.store.get(self.current.drill_id).status == "ended":
            self.ended, self.current = self.current, self._started()


def check_answer(request: FuzzRequest, path: str, status: int, headers, content: bytes) -> None:
    assert status < 500, (request, content[:500])
    if request.method == "HEAD":
        return  # no body to judge
    content_type = headers.get("content-type", "")
    if content_type.startswith("application/json"):
        strict(content)
    if path.startswith("/api/") and status >= 400:
        assert content_type.startswith("application/json"), (request, status, content[:300])
        error = strict(content)
        assert isinstance(error, dict) and isinstance(error.get("error"), str) and error["error"], (request, error)
        assert error.get("status") == status, (request, error)
    if content_type.startswith("text/event-stream"):
        for line in content.decode("utf-8").splitlines():
            if line.startswith("data: "):
                strict(line[6:])


def send(client, drills: Drills, request: FuzzRequest) -> int:
    token = drills.token(request.caller)
    path = request.endpoint.url(token, request.rest)
    url = path + ("?" + request.query if request.query else "")
    endless = (request.endpoint.name == "stream" and request.method in ("GET", "HEAD")
               and drills.store.access(token) is not None)
    if endless:
        # A live drill's stream never ends: read what it sends at once, then hang up.
        status, headers, content = read_stream(client, url, dict(request.headers), method=request.method)
        content, checked_path = content.encode("utf-8"), path
    else:
        response = client.request(request.method, url, content=request.body, headers=dict(request.headers))
        status, headers, content = response.status_code, response.headers, response.content
        checked_path = response.request.url.path
    FUZZ_COUNTS[(request.endpoint.path, request.method, status)] += 1
    check_answer(request, checked_path, status, headers, content)
    drills.renew()
    return status


def every_drill_still_serves(client, store: DrillStore) -> None:
    """Each link of each drill in the store: state, events and stream as strict JSON; and the
    journal export (`warroom drill export`) strict JSON too."""
    from click.testing import CliRunner

    from cli import main

    for record in store.list():
        for grant in store.grants(record.id):
            for what in ("state", "events"):
                response = client.get(f"/api/{grant.token}/{what}")
                assert response.status_code == 200, (record.id, grant, what, response.text[:300])
                strict(response.text)
            status, headers, text = read_stream(client, f"/api/{grant.token}/stream")
            assert status == 200 and headers["content-type"].startswith("text/event-stream"), (grant, status)
            rows = [strict(line[6:]) for line in text.splitlines() if line.startswith("data: ")]
            assert all(isinstance(row, dict) for row in rows)
        exported = CliRunner().invoke(main, ["drill", "export", record.id, "--store", str(store.path)])
        assert exported.exit_code == 0, exported.output
        journal = strict(exported.output)
        assert journal["drill"]["id"] == record.id and journal["problems"] == []


def report_counts() -> dict:
    """FUZZ_COUNTS as {route: {method: {status: requests}}}."""
    out: dict = {}
    for (route, method, status), n in sorted(FUZZ_COUNTS.items()):
        out.setdefault(route, {}).setdefault(method, {})[str(status)] = n
    return out


def run_fuzz(tmp_path, documents, examples: int) -> tuple[list[Endpoint], Counter]:
    store = DrillStore(tmp_path / "fuzz.db")
    # Generous limits: the fuzz sends far more than 60 writes a minute per link (the limit
    # itself is tested in test_web_hostile.py).
    app = create_app(store, limits=Limits(actions_per_minute=10 ** 9, streams=10 ** 6))
    endpoints = declared_endpoints(app)
    assert endpoints and KNOWN_API_PATHS <= {e.path for e in endpoints}
    vocabulary = Vocabulary.of(documents.scenario.document)
    before = Counter(FUZZ_COUNTS)
    with TestClient(app, raise_server_exceptions=False) as client:
        drills = Drills(store, documents, client)

        # Reproducible (derandomize, no example database) and with a fixed budget. No shrinking:
        # the drill has moved on by then, so a replay is not the same request; the failing
        # request is in the assertion's message instead.
        @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                         HealthCheck.large_base_example, HealthCheck.filter_too_much])
        @given(rounds(endpoints, vocabulary))
        def fuzz(round_of_requests):
            for request in round_of_requests:
                send(client, drills, request)

        fuzz()
        every_drill_still_serves(client, store)
    if os.environ.get("WARROOM_FUZZ_COUNTS"):
        with open(os.environ["WARROOM_FUZZ_COUNTS"], "w", encoding="utf-8") as out:
            json.dump(report_counts(), out, indent=1)
    return endpoints, FUZZ_COUNTS - before


def test_random_requests_to_every_route_never_get_a_5xx(tmp_path, cloudflare_drill):
    """40 rounds of two requests to each route (1,440 requests)."""
    endpoints, counts = run_fuzz(tmp_path, cloudflare_drill, examples=40)
    assert {route for route, _, _ in counts} == {e.path for e in endpoints}, "every declared route was requested"
    assert sum(counts.values()) >= 10 * 2 * len(endpoints)


@pytest.mark.slow
def test_many_random_requests_reach_every_endpoint_and_never_get_a_5xx(tmp_path, cloudflare_drill):
    """300 rounds (10,800 requests); each route must also have been reached past the router,
    and each API route must have accepted some request."""
    endpoints, counts = run_fuzz(tmp_path, cloudflare_drill, examples=300)
    for endpoint in endpoints:
        seen = {(method, status) for (route, method, status) in counts if route == endpoint.path}
        assert seen, endpoint
        # The endpoint's own code ran (a link it knows, a method it serves), not only the router.
        assert any(status not in (404, 405) for _, status in seen), (endpoint, seen)
        if endpoint.api:
            assert any(200 <= status < 300 for _, status in seen), (endpoint, sorted(seen))


# -- what the fuzz found -----------------------------------------------------------------

def test_an_integer_beyond_a_double_is_refused_like_1e999(tmp_path, cloudflare_drill):
    """JSON integers have no size limit in Python, but a browser reads 10**400 as Infinity:
    such a number is refused at the door (422, as 1e999 is) and never reaches the journal,
    and a speed of 10**400 is not a 500."""
    store = DrillStore(tmp_path / "d.db")
    drill = open_drill(store, cloudflare_drill)
    fac, tl = drill.tokens["facilitator"], drill.tokens["technical_lead"]
    huge = "1" + "0" * 400
    with TestClient(create_app(store), raise_server_exceptions=False) as client:
        assert client.post(f"/api/{fac}/control", json={"name": "start"}).status_code == 200
        assert client.post(f"/api/{fac}/control", json={"name": "next"}).status_code == 200
        before = store.summary(drill.drill_id)
        for token, body in ((fac, '{"name": "speed", "speed": %s}' % huge),
                            (fac, '{"name": "speed", "speed": -%s}' % huge),
                            (tl, '{"action": "hypothesis", "fields": {"text": %s}}' % huge),
                            (tl, '{"action": "log", "fields": {"text": "x"}, "extra": [%s]}' % ("9" * 5000))):
            response = client.post(f"/api/{token}/{'control' if token == fac else 'action'}", content=body,
                                   headers={"Content-Type": "application/json"})
            assert response.status_code == 422, (body[:60], response.text)
            assert "too large for JSON" in response.json()["error"]
        assert store.summary(drill.drill_id) == before
        fine = client.post(f"/api/{tl}/action", json={"action": "hypothesis", "fields": {"text": 2 ** 1000}})
        assert fine.status_code == 200  # large, but a double holds it


def test_the_journal_refuses_an_integer_beyond_a_double():
    from drills.jsonsafe import problems, repaired

    assert problems({"x": [10 ** 400]}) == ["x[0]: an integer of 1329 bits is too large for JSON"]
    assert problems(-(10 ** 5000)) == ["value: an integer of 16610 bits is too large for JSON"]
    assert problems({"x": -(10 ** 308), "y": 2 ** 1023}) == []
    assert repaired({"x": 10 ** 400}) == {"x": None}
