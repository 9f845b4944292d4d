"""The live drill server: an ASGI app (Starlette) for participants, the facilitator and
evaluators, each reaching the drill through their own unguessable token.

Pages: /play/TOKEN (a participant), /facilitate/TOKEN, /evaluate/TOKEN. The JSON API
lives under /api/TOKEN/: `state`, `events?after=N`, `stream` (server-sent events that
resume from Last-Event-ID; a participant's events are numbered in their own view, so
the journal's gaps, events they may not see, tell them nothing), and the POSTs `action`, `control` (the clock, and `allow_fix`
with a reason), `inject`, `adjudicate`, `rate`. Every accepted request is in the journal before the response is sent. Bad
requests get a 4xx with a JSON error body.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from drills.checklist import checklist
from drills.contributions import expected_actions
from drills.errors import ActionRejected, DrillError
from drills.injects import STEERING
from drills.jsonsafe import JSONRefused, loads_strict
from drills.session import DrillDocuments, DrillSession
from drills.store import Access, DrillStore
from scenarios import ACTIONS
from scenarios.actions import AUDIENCES, typed_fields
from scenarios.durations import parse_duration
from scenarios.exercise import CHANNELS
from scenarios.timeline import Timeline

from .answers import error_response as _error
from .answers import limit_response
from .chat_command import command as chat_command
from .limits import LimitExceeded, Limits, Throttle
from .live import Hub, LiveDrill
from .views import as_seen, offered_choices, visible

__all__ = ["create_app", "open_web_drill", "links", "Server", "ROUTES"]

HERE = Path(__file__).resolve().parent
_PAGES = {"participant": "play", "facilitator": "facilitate", "evaluator": "evaluate"}
_CONTROLS = ("start", "pause", "resume", "speed", "next", "end", "allow_fix", *STEERING)
_templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))


def open_web_drill(store: DrillStore, documents: DrillDocuments, *, seed: int = 1, speed: float = 1.0,
                   start_minute: float | None = None, anchor=None) -> tuple[DrillSession, list[Access]]:
    """Create a web drill and one token per facilitator, evaluator and participant."""
    session = DrillSession.create(store, documents, seed=seed, mode="web", speed=speed, start_minute=start_minute,
                                  anchor=anchor)
    roster = documents.roster.document
    grants = [store.grant(session.record.id, "facilitator", person="facilitator")]
    grants += [store.grant(session.record.id, "evaluator", person=name) for name in roster.evaluators or ["Evaluator"]]
    grants += [store.grant(session.record.id, "participant", role=p.role, person=p.name) for p in roster.participants]
    return session, grants


def links(base_url: str, grants: list[Access]) -> list[tuple[Access, str]]:
    return [(g, f"{base_url.rstrip('/')}/{_PAGES[g.capability]}/{g.token}") for g in grants]


class _Problem(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Server:
    """What every endpoint shares, kept on `app.state.server`: the journal, the running
    drills, and each token's limits."""

    store: DrillStore
    hub: Hub
    limits: Limits
    throttle: Throttle


# -- what endpoints share ----------------------------------------------------------

def access_of(request: Request) -> Access:
    """The token's access; a POST also counts against its write limit."""
    server = request.app.state.server
    token = request.path_params["token"]
    access = server.store.access(token) if len(token) <= 128 else None
    if access is None:
        raise _Problem(404, "unknown or expired link")
    if request.method == "POST":
        server.throttle.write(access.token)
    return access


def live_of(server: "Server", access: Access) -> LiveDrill | None:
    try:
        return server.hub.live(access.drill_id)
    except DrillError as exc:
        raise _Problem(409, str(exc))


def session_of(server: "Server", access: Access) -> DrillSession:
    live = live_of(server, access)
    if live is None:
        raise _Problem(409, "the drill has ended")
    return live.session


def require(access: Access, *capabilities: str) -> None:
    if access.capability not in capabilities:
        raise _Problem(403, f"{'an' if access.capability[0] in 'aeiou' else 'a'} {access.capability} link cannot do this")


async def body_of(request: Request) -> dict:
    """The request's JSON object, parsed strictly within the server's limits."""
    limits = request.app.state.server.limits
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.body_bytes:
        raise _Problem(413, f"request too large (at most {limits.body_bytes // 1024} KiB)")
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limits.body_bytes:
            raise _Problem(413, f"request too large (at most {limits.body_bytes // 1024} KiB)")
    try:
        data = loads_strict(raw or b"{}", max_depth=limits.json_depth)
    except JSONRefused as exc:
        raise _Problem(400 if exc.malformed else 422, f"the body must be JSON: {exc}")
    if not isinstance(data, dict):
        raise _Problem(400, "the body must be a JSON object")
    return data


def events_for(store: DrillStore, access: Access, after: int = 0) -> list[dict]:
    """The events this token may see, numbered as it sees them, after number `after`."""
    return [row for _, row in as_seen(store.events(access.drill_id), access) if row["seq"] > after]


def shown(store: DrillStore, access: Access, events) -> list[dict]:
    """Events just journaled, as this token sees them (numbered in its view)."""
    wanted = {e.seq for e in events}
    return [row for seq, row in as_seen(store.events(access.drill_id), access) if seq in wanted]


def state_of(server: "Server", access: Access) -> dict:
    """What the token's holder sees of the drill now (SPEC: role-scoped)."""
    record = server.store.get(access.drill_id)
    live = server.hub.drills.get(access.drill_id) if record.status != "ended" else None
    if live is None and record.status != "ended":
        live = live_of(server, access)
    documents = live.session.documents if live else DrillDocuments.from_record(record)
    scenario = documents.scenario.document
    events = server.store.events(access.drill_id)
    if live is not None:
        if live.session.status == "running":
            live.session.advance_to()
        drill = live.session.drill
        now, running = live.session.now(), live.session.status == "running"
        dashboard = drill.dashboard()
    else:
        now, running, dashboard = (events[-1].t if events else 0.0), False, None
    out = {
        "drill": {"id": record.id, "title": record.title, "scenario": record.scenario, "team": record.team,
                  "status": (live.session.record if live else record).status,
                  "speed": (live.session.record if live else record).speed, "now": now, "running": running},
        "me": {"capability": access.capability, "role": access.role, "person": access.person},
        "dashboard": dashboard,
        "last_seq": (len(as_seen(events, access)) if access.capability == "participant"
                     else events[-1].seq if events else 0),
    }
    if access.capability == "participant":
        out["actions"] = _action_forms(scenario, record.seed, documents.policy)
        if record.status == "ended":
            from drills.session import HOT_WASH_QUESTIONS

            given = any(e.kind == "feedback" and e.actor == access.person for e in events)
            out["hot_wash"] = {"questions": list(HOT_WASH_QUESTIONS), "given": given}
        seen = [e for e in events if visible(e, access) is not None]
        out["checklist"] = checklist(seen, scenario, documents.playbook.document, documents.roster.document,
                                     access.role)
    else:
        grants = server.store.grants(access.drill_id)
        joined = _joined_at(events, documents.roster.document)
        out["roster"] = [{"person": g.person, "role": g.role, "capability": g.capability,
                          "seen": (live.seen.get(g.token) if live else None),
                          "joined_at": joined.get(g.person) if g.capability == "participant" else None}
                         for g in grants]
        if live is not None:
            out["webhooks"] = [d.to_dict() for d in live.webhooks.deliveries[-50:]]
            check = live.comms_check
            if check is not None:
                by_token = {g.token: g for g in grants}
                out["comms_check"] = {
                    "started": check["started"],
                    "people": [{"person": by_token[t].person, "role": by_token[t].role,
                                "confirmed": check["confirmed"].get(t)} for t in check["expected"]],
                    "webhooks": [d.to_dict() for d in check["webhooks"]],
                }
        out["objectives"] = [{"id": o.id, "title": o.title} for o in scenario.objectives]
        out["expected"] = expected_actions(tuple(events), scenario, documents.roster.document, Timeline.of(events))
        out["checklist"] = checklist(events, scenario, documents.playbook.document, documents.roster.document)
        if live is not None:
            board = live.session.drill.scoreboard()
            out["scoreboard"] = board
            out["next_inject_at"] = live.session.drill.next_inject_at()
            out["msel"] = live.session.drill.msel()
            out["claims"] = [{"claim": k, "role": e.role, "text": e.detail.get("text"),
                              "workaround": e.detail.get("claims_workaround")}
                             for k, e in live.session.drill.pending_claims.items()]
    return out


def _joined_at(events, roster) -> dict[str, float]:
    """Each participant's first minute on the drill: their role joining the bridge (for
    everyone in it) or their own first action, whichever came first."""
    first: dict[str, float] = {}
    for e in events:
        if e.kind == "joined":
            people = roster.people_in(e.name)
        elif e.kind in ("action", "rejection") and e.actor:
            people = [e.actor]
        else:
            continue
        for person in people:
            first.setdefault(person, e.t)
    return first


def handle(func):
    async def endpoint(request: Request):
        try:
            return await func(request)
        except _Problem as problem:
            return _error(problem.status, problem.message)
        except LimitExceeded as exc:
            return limit_response(exc)
        except ActionRejected as exc:
            return _error(409, str(exc))
        except DrillError as exc:
            return _error(409, str(exc))
    return endpoint


@handle
async def page(request: Request):
    access = access_of(request)
    server = request.app.state.server
    kind = request.url.path.split("/")[1]
    wanted = {v: k for k, v in _PAGES.items()}[kind]
    if access.capability != wanted:
        raise _Problem(403, f"this is a {access.capability} link, not a {wanted} link")
    record = server.store.get(access.drill_id)
    html = _templates.get_template("drill.html").render(
        token=access.token, capability=access.capability, role=access.role, person=access.person,
        title=record.title, drill_id=record.id)
    return HTMLResponse(html, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                                       "X-Content-Type-Options": "nosniff",
                                       "Content-Security-Policy": "default-src 'self'; style-src 'self' "
                                                                  "'unsafe-inline'; img-src 'self' data:"})


def touch(server: "Server", access: Access) -> None:
    live = server.hub.drills.get(access.drill_id)
    if live is not None:
        live.touch(access.token)


@handle
async def state(request: Request):
    access = access_of(request)
    server = request.app.state.server
    out = state_of(server, access)
    touch(server, access)
    return JSONResponse(out)


@handle
async def comms_check(request: Request):
    access = access_of(request)
    server = request.app.state.server
    require(access, "facilitator")
    live = live_of(server, access)
    if live is None:
        raise _Problem(409, "the drill has ended")
    participants = [g.token for g in server.store.grants(access.drill_id) if g.capability == "participant"]
    check = live.start_comms_check(participants)
    return JSONResponse({"accepted": True, "started": check["started"], "participants": len(participants),
                         "webhooks": len(check["webhooks"])})


@handle
async def confirm(request: Request):
    access = access_of(request)
    server = request.app.state.server
    require(access, "participant")
    live = live_of(server, access)
    if live is None or not live.confirm(access.token):
        raise _Problem(409, "there is no communications check to confirm")
    return JSONResponse({"accepted": True})


@handle
async def events(request: Request):
    access = access_of(request)
    server = request.app.state.server
    try:
        after = int(request.query_params.get("after", "0"))
    except ValueError:
        raise _Problem(400, "after must be an event number")
    return JSONResponse(events_for(server.store, access, after))


@handle
async def stream(request: Request):
    access = access_of(request)
    server = request.app.state.server
    try:
        after = int(request.headers.get("last-event-id") or request.query_params.get("after", "0"))
    except ValueError:
        raise _Problem(400, "Last-Event-ID must be an event number")
    ended = server.store.get(access.drill_id).status == "ended"
    live = server.hub.drills.get(access.drill_id) or (None if ended else live_of(server, access))
    server.throttle.open_stream(access.token)

    async def generate():
        queue = live.subscribe() if live else None
        sent = 0        # the journal's number of the last event looked at
        numbered = 0    # how many this token has seen: its own numbering (a participant's differs)
        try:
            yield ": open\n\n"  # headers go out at once, so the client knows the stream is up
            for sent, row in as_seen(server.store.events(access.drill_id), access):
                numbered = row["seq"]
                if numbered > after:
                    yield _sse(row)
            if live is None:
                return
            live.touch(access.token)
            if live.comms_check is not None and access.token not in live.comms_check["confirmed"] \
                    and access.capability == "participant":
                yield f"event: comms\ndata: {json.dumps({'type': 'comms_check'})}\n\n"
            while True:
                try:
                    batch = await asyncio.wait_for(queue.get(), timeout=10.0)
                except asyncio.TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                if isinstance(batch, dict):
                    if access.capability == "participant" or batch.get("type") != "comms_check":
                        yield f"event: comms\ndata: {json.dumps(batch)}\n\n"
                    continue
                for event in batch:
                    if event.seq <= sent:
                        continue
                    sent = event.seq
                    text = live.rendered(event, access, lambda e=event, n=numbered + 1: _sse_or_none(
                        _numbered(visible(e, access), n, access)))
                    if text:
                        numbered += 1
                        yield text
        finally:
            server.throttle.close_stream(access.token)
            if queue is not None:
                live.unsubscribe(queue)

    return StreamingResponse(generate(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@handle
async def action(request: Request):
    access = access_of(request)
    server = request.app.state.server
    require(access, "participant")
    data = await body_of(request)
    name = data.get("action")
    if not isinstance(name, str) or name not in ACTIONS:
        raise _Problem(422, f"unknown action {name!r} (actions: {', '.join(ACTIONS)})")
    fields = data.get("fields") or {}
    if not isinstance(fields, dict) or not all(isinstance(k, str) for k in fields):
        raise _Problem(422, "fields must be an object")
    try:
        clean = typed_fields(fields)
    except ValueError as exc:
        raise _Problem(422, str(exc))
    key = data.get("key", request.headers.get("idempotency-key"))
    if key is not None and (not isinstance(key, str) or not 0 < len(key) <= 128):
        raise _Problem(422, "key must be text of 1 to 128 characters (one per action; a retry sends the same)")
    if key is not None:
        answered = server.store.answered(access.drill_id, access.token, key)
        if answered is not None:   # a retry: the first answer, journaled once
            return JSONResponse({"accepted": True, "repeated": True, "events": shown(server.store, access, answered)})
    session = session_of(server, access)
    touch(server, access)
    out = session.act(access.role, name, clean, actor=access.person,
                      client_key=(access.token, key) if key is not None else None)
    return JSONResponse({"accepted": True, "events": shown(server.store, access, out)})


@handle
async def control(request: Request):
    access = access_of(request)
    server = request.app.state.server
    require(access, "facilitator")
    data = await body_of(request)
    name = data.get("name")
    if name not in _CONTROLS:
        raise _Problem(422, f"unknown control {name!r} (controls: {', '.join(_CONTROLS)})")
    session = session_of(server, access)
    if name in STEERING:
        inject, at = data.get("inject"), data.get("at")
        if not isinstance(inject, str) or not inject:
            raise _Problem(422, f"{name} needs inject (the id of a scripted inject)")
        if at is not None:
            at = _minute(at)
        out = session.steer(name, inject, at)
    elif name == "start":
        out = session.start()
    elif name == "pause":
        out = session.pause()
    elif name == "resume":
        out = session.resume_clock()
    elif name == "speed":
        try:
            speed = float(data.get("speed"))
        except (TypeError, ValueError):
            raise _Problem(422, "speed must be a number")
        out = session.set_speed(speed)
    elif name == "next":
        out = session.jump_to_next_inject()
    elif name == "allow_fix":
        reason = data.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise _Problem(422, "allow_fix needs a reason (text): it is journaled")
        out = session.allow_fix(reason.strip())
    else:
        out = session.end()
    return _accepted(out)


def _minute(value) -> float:
    """A scenario minute given as a number or a duration (`12m`, `1h 30m`)."""
    if not isinstance(value, (int, float, str)):
        raise _Problem(422, "at must be a scenario minute: a number or a duration such as 12m")
    try:
        minute = parse_duration(value)
    except ValueError as exc:
        raise _Problem(422, f"at: {exc}")
    if not 0 <= minute < 1e7:
        raise _Problem(422, f"at must be a scenario minute from 0, got {value!r}")
    return minute


@handle
async def inject(request: Request):
    access = access_of(request)
    server = request.app.state.server
    require(access, "facilitator")
    data = await body_of(request)
    to = data.get("to") or None
    if to is not None and (not isinstance(to, list) or not all(isinstance(r, str) for r in to)):
        raise _Problem(422, "to must be a list of roles")
    channel = data.get("channel") or "chat"
    if channel not in CHANNELS:
        raise _Problem(422, f"unknown channel {channel!r} (channels: {', '.join(CHANNELS)})")
    subject, content = data.get("subject"), data.get("content") or ""
    sender = data.get("sender") or "facilitator"
    if not all(isinstance(x, str) for x in (subject, content, sender)):
        raise _Problem(422, "subject, content and sender must be text")
    return _accepted(session_of(server, access).send_adhoc(subject, content, to, channel, sender=sender))


@handle
async def adjudicate(request: Request):
    access = access_of(request)
    server = request.app.state.server
    require(access, "facilitator")
    data = await body_of(request)
    claim, accept = data.get("claim"), data.get("accept")
    if not isinstance(claim, int) or isinstance(claim, bool) or not isinstance(accept, bool):
        raise _Problem(422, "give claim (a number) and accept (true or false)")
    return _accepted(session_of(server, access).adjudicate(claim, accept, str(data.get("reason") or "")))


def _live_or_ended(server: "Server", access: Access) -> LiveDrill | None:
    """The running drill, or None once it has ended (evaluators' inputs are taken either way)."""
    return server.hub.drills.get(access.drill_id) or live_of(server, access)


def _recorded(events) -> JSONResponse:
    return JSONResponse({"accepted": True, "events": [e.to_dict() for e in events]})


@handle
async def rate(request: Request):
    access = access_of(request)
    server = request.app.state.server
    require(access, "evaluator", "facilitator")
    data = await body_of(request)
    objective, rating, reason = data.get("objective"), data.get("rating"), data.get("reason")
    if not all(isinstance(x, str) for x in (objective, rating, reason)):
        raise _Problem(422, "give objective, rating (P, S, M or U) and reason as text")
    live = _live_or_ended(server, access)
    if live is not None:
        out = live.session.rate(objective, rating, reason, actor=access.person)
    else:
        out = DrillSession.rate_ended(server.store, access.drill_id, objective, rating, reason, actor=access.person)
    return _recorded(out)


@handle
async def validate(request: Request):
    """An evaluator's verdict on a sent inject's expected action: met, partly or not_met."""
    access = access_of(request)
    server = request.app.state.server
    require(access, "evaluator", "facilitator")
    data = await body_of(request)
    inject, verdict, note = data.get("inject"), data.get("verdict"), data.get("note", "")
    occurrence = data.get("occurrence", 0)
    if not all(isinstance(x, str) for x in (inject, verdict, note)):
        raise _Problem(422, "give inject, verdict (met, partly or not_met) and note as text")
    if not isinstance(occurrence, int) or isinstance(occurrence, bool) or not 0 <= occurrence < 10_000:
        raise _Problem(422, "occurrence must be a whole number from 0 (the inject's first sending)")
    live = _live_or_ended(server, access)
    if live is not None:
        out = live.session.validate(inject, verdict, note, occurrence, actor=access.person)
    else:
        out = DrillSession.validate_ended(server.store, access.drill_id, inject, verdict, note, occurrence,
                                          actor=access.person)
    return _recorded(out)


@handle
async def scorecard(request: Request):
    access = access_of(request)
    server = request.app.state.server
    require(access, "facilitator", "evaluator")
    from drills.baseline import drill_baseline
    from drills.journal import Journal
    from drills.scoring import score

    journal = Journal.from_store(server.store, access.drill_id)
    documents = DrillDocuments.from_record(journal.record)
    # Computed while the drill ran (LiveDrill warms it), so this is usually instant.
    simulated, about = await asyncio.to_thread(drill_baseline, journal.record, documents)
    return JSONResponse(score(journal, simulated, about).to_dict())


async def index(request: Request):
    return JSONResponse({"warroom": "live drill server", "hint": "open the link printed for you"})


async def favicon(request: Request):
    return Response(status_code=204)


async def not_found(request: Request, exc: HTTPException):
    return _error(exc.status_code, exc.detail if isinstance(exc.detail, str) else "not found")


async def server_error(request: Request, exc: Exception):
    return _error(500, "warroom hit an internal error; the drill is unharmed and its journal intact")


@asynccontextmanager
async def lifespan(app: Starlette):
    hub = app.state.server.hub
    hub.start()
    try:
        yield
    finally:
        await hub.stop()


@handle
async def feedback(request: Request):
    """A participant's hot-wash answers, once the drill has ended."""
    from drills.session import give_feedback

    access = access_of(request)
    server = request.app.state.server
    require(access, "participant")
    data = await body_of(request)
    answers = data.get("answers")
    if not isinstance(answers, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in answers.items()):
        raise _Problem(422, "answers must be an object of question to answer (text)")
    out = give_feedback(server.store, access.drill_id, access.role, access.person, answers)
    return JSONResponse({"accepted": True, "events": shown(server.store, access, out)})


ROUTES = [
    Route("/", index),
    Route("/favicon.ico", favicon),
    Route("/play/{token}", page),
    Route("/facilitate/{token}", page),
    Route("/evaluate/{token}", page),
    Route("/api/{token}/state", state),
    Route("/api/{token}/events", events),
    Route("/api/{token}/stream", stream),
    Route("/api/{token}/action", action, methods=["POST"]),
    Route("/api/{token}/control", control, methods=["POST"]),
    Route("/api/{token}/inject", inject, methods=["POST"]),
    Route("/api/{token}/adjudicate", adjudicate, methods=["POST"]),
    Route("/api/{token}/rate", rate, methods=["POST"]),
    Route("/api/{token}/validate", validate, methods=["POST"]),
    Route("/api/{token}/scorecard", scorecard),
    Route("/api/{token}/commscheck", comms_check, methods=["POST"]),
    Route("/api/{token}/confirm", confirm, methods=["POST"]),
    Route("/api/{token}/feedback", feedback, methods=["POST"]),
    Route("/chat/{drill_id}/command", chat_command, methods=["POST"]),  # signed by a participant, not a token
    Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
]


def create_app(store: DrillStore, hub: Hub | None = None, limits: Limits | None = None) -> Starlette:
    """The server's app. `limits` bounds each token's writes, streams and request bodies
    (defaults in drills.interfaces.limits.Limits)."""
    limits = limits or Limits()
    app = Starlette(routes=ROUTES, lifespan=lifespan,
                    exception_handlers={HTTPException: not_found, Exception: server_error})
    app.state.server = Server(store=store, hub=hub or Hub(store), limits=limits, throttle=Throttle(limits))
    return app


def _accepted(events) -> JSONResponse:
    return JSONResponse({"accepted": True, "events": [e.to_dict() for e in events]})


def _numbered(row: dict | None, number: int, access: Access) -> dict | None:
    if row is not None and access.capability == "participant":
        row["seq"] = number
    return row


def _sse_or_none(row: dict | None) -> str:
    return _sse(row) if row is not None else ""


def _sse(row: dict) -> str:
    return f"id: {row['seq']}\nevent: drill\ndata: {json.dumps(row)}\n\n"


def _action_forms(scenario, seed: int, policy) -> list[dict]:
    """The action vocabulary as forms, with the choices this scenario offers: causes and
    workarounds in the drill's own shuffled order (views.offered_choices), none marked."""
    offered = offered_choices(scenario, seed)
    causes = [key for key, _ in offered["cause"]]
    workarounds = [key for key, _ in offered["workaround"]]
    choices = {
        "target": list(scenario.participant_roles), "assign": list(scenario.participant_roles),
        "audience": list(AUDIENCES), "cause": causes, "topic": list(scenario.topics),
        "workaround": workarounds, "claims_workaround": workarounds,
        "severity": list(policy.severity_ids), "priority": list(policy.priority_ids), "major": ["yes", "no"],
    }
    titles = {"cause": dict(offered["cause"]), "workaround": dict(offered["workaround"]),
              "claims_workaround": dict(offered["workaround"]),
              "severity": {s.id: s.title for s in policy.severities if s.title}}
    forms = []
    for name, spec in ACTIONS.items():
        fields = [{"name": f, "required": f in spec.required, "choices": choices.get(f),
                   "titles": titles.get(f)} for f in spec.fields]
        forms.append({"name": name, "summary": spec.summary, "milestone": spec.milestone, "fields": fields})
    return forms
