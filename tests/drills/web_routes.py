"""What the web tests share: the routes the drill server's app declares (read from the app,
so a new endpoint is covered without editing a list), strict JSON parsing as a browser
does it, drills opened with a token per caller, and a bounded read of the endless event
stream."""

from __future__ import annotations

import asyncio
import json
import math
import time
from dataclasses import dataclass
from urllib.parse import quote

from starlette.routing import Mount, Route

from drills import DrillStore
from drills.interfaces.web import open_web_drill

__all__ = ["Endpoint", "declared_endpoints", "strict", "WebDrill", "open_drill", "read_stream", "KNOWN_API_PATHS"]

KNOWN_API_PATHS = {f"/api/{{token}}/{name}" for name in (
    "state", "events", "stream", "action", "control", "inject", "adjudicate", "rate", "scorecard", "commscheck",
    "confirm", "feedback", "validate")}
"""API paths documented in docs/reference/drills.md (and feedback): the enumeration from the
app must hold at least these, so an emptied or renamed route table cannot pass unnoticed."""


@dataclass(frozen=True)
class Endpoint:
    """One route as the app declares it: its path template and methods. A mount (static
    files) is `/static/{path}` with the methods its app serves."""

    path: str
    methods: frozenset[str]
    mount: bool = False

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def name(self) -> str:
        """The last fixed part of the path: `state` for /api/{token}/state, `play` for /play/{token}."""
        fixed = [part for part in self.path.split("/") if part and not part.startswith("{")]
        return fixed[-1] if fixed else ""

    def url(self, token: str = "", rest: str = "") -> str:
        """The path with `{token}` (quoted as one segment) or, for a mount, `rest` filled in."""
        if self.mount:
            return self.path.replace("{path}", rest)
        return self.path.replace("{token}", quote(token, safe=""))


def declared_endpoints(app) -> list[Endpoint]:
    out = []
    for route in app.routes:
        if isinstance(route, Route):
            out.append(Endpoint(route.path, frozenset(route.methods or ())))
        elif isinstance(route, Mount):
            out.append(Endpoint(route.path + "/{path}", frozenset({"GET", "HEAD"}), mount=True))
        else:  # a websocket or another kind of route: the tests would need to learn it
            raise AssertionError(f"the web tests do not know how to call {route!r}")
    return out


def strict(text: str | bytes):
    """Parse as a strict JSON consumer would: a browser's JSON.parse refuses NaN and Infinity,
    and reads a number beyond a double (1e999, or 1 and 400 zeros) as Infinity."""
    def refuse(name):
        raise ValueError(f"{name} in output")

    def finite(number: str):
        value = float(number)
        if not math.isfinite(value):
            raise ValueError(f"the number {number[:40]} in output is beyond a double")
        return int(number) if number.lstrip("-").isdigit() else value
    return json.loads(text, parse_constant=refuse, parse_float=finite, parse_int=finite)


@dataclass
class WebDrill:
    """A web drill: its id and one token per caller (facilitator, evaluator, each participant role)."""

    drill_id: str
    tokens: dict[str, str]


def open_drill(store: DrillStore, documents, *, speed: float = 60) -> WebDrill:
    session, grants = open_web_drill(store, documents, speed=speed)
    tokens = {g.capability if g.capability != "participant" else g.role: g.token for g in grants}
    return WebDrill(session.record.id, tokens)


def read_stream(client, path: str, headers: dict | None = None, method: str = "GET", quiet: float = 0.02,
                timeout: float = 2.0) -> tuple[int, dict, str]:
    """GET the server-sent event stream at `path` through the client's app and event loop,
    and hang up once it has been quiet for `quiet` seconds (or after `timeout`): the stream
    never ends by itself while its drill runs. Returns (status, headers, text read)."""
    app = client.app

    async def run():
        started: dict = {}
        chunks: list[bytes] = []
        last = [time.monotonic()]
        hung_up = asyncio.Event()
        sent_request = False

        async def receive():
            nonlocal sent_request
            if not sent_request:
                sent_request = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await hung_up.wait()
            return {"type": "http.disconnect"}

        async def send(message):
            last[0] = time.monotonic()
            if message["type"] == "http.response.start":
                started.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        raw_path, _, query = path.partition("?")
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
                 "scheme": "http", "path": raw_path, "raw_path": raw_path.encode(), "root_path": "",
                 "query_string": query.encode(), "server": ("testserver", 80), "client": ("testclient", 50000),
                 "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()],
                 "state": {}}
        task = asyncio.ensure_future(app(scope, receive, send))
        deadline = time.monotonic() + timeout
        while not task.done() and time.monotonic() < deadline and time.monotonic() - last[0] < quiet:
            await asyncio.sleep(quiet / 5)
        hung_up.set()
        try:
            await asyncio.wait_for(task, timeout=timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"the stream at {path} did not close when the client hung up") from None
        return started.get("status"), {k.decode(): v.decode() for k, v in started.get("headers", [])}, \
            b"".join(chunks).decode("utf-8")

    # On the client's own loop, where the server's hub ticks and publishes to its streams.
    return client.portal.call(run)
