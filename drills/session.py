"""A drill with its journal: the engine, driven by a clock or a script, with every event
made durable before the caller is told about it, and rebuilt from the journal after a
crash without duplicating or dropping anything.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import deque
from dataclasses import dataclass
from typing import Callable

from scenarios import RATINGS, DocumentError, Loaded, load_text
from scenarios.calendar import REFERENCE_MONDAY
from scenarios.crosscheck import reference_staffing
from scenarios.library import DEFAULT_PLAYBOOK, resolve
from scenarios.responses import PINNABLE
from scenarios.scenario import FixedStart
from scenarios.units import MINUTES_PER_HOUR
from scenarios.version import TOOL_VERSION

from .clock import DrillClock
from .engine import Drill, DrillSetup
from .errors import ActionRejected, DrillError
from .events import DrillEvent
from .jsonsafe import problems
from .store import DrillRecord, DrillStore, now_iso

__all__ = ["DrillDocuments", "DrillSession", "DEFAULT_START_MINUTE", "new_drill_id"]

DEFAULT_START_MINUTE = 10 * MINUTES_PER_HOUR
"""Monday 10:00 UTC: where a scenario without a fixed start begins in a drill (a working
morning), so that replays do not depend on the day they are run."""


def new_drill_id(scenario: str) -> str:
    day = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d")
    return f"{scenario[:24]}-{day}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class DrillDocuments:
    """The validated documents a drill is built from."""

    scenario: Loaded
    roster: Loaded
    playbook: Loaded
    staffing: Loaded | None = None
    classification: Loaded | None = None

    @classmethod
    def resolve(cls, scenario: Loaded, roster: Loaded, playbook: Loaded | None = None,
                staffing: Loaded | None = None, classification: Loaded | None = None) -> "DrillDocuments":
        """Fill the defaults: the default playbook, the scenario's reference staffing, the
        bundled classification policy."""
        playbook = playbook or resolve(DEFAULT_PLAYBOOK, "playbook")
        if staffing is None:
            staffing = reference_staffing(scenario)
        return cls(scenario, roster, playbook, staffing, classification or default_policy())

    @property
    def policy(self):
        """The classification policy the drill is judged by (drills.classification)."""
        return (self.classification or default_policy()).document

    def all(self) -> list[Loaded]:
        return [d for d in (self.scenario, self.roster, self.playbook, self.staffing, self.classification)
                if d is not None]

    def stored(self) -> tuple:
        return tuple({"kind": d.document.kind, "name": d.document.name, "source": d.source, "sha256": d.sha256,
                      "text": d.text} for d in self.all())

    @classmethod
    def from_record(cls, record: DrillRecord) -> "DrillDocuments":
        loaded = {}
        for doc in record.documents:
            loaded[doc["kind"]] = load_text(doc["text"], doc["source"], expect=doc["kind"])
        return cls(loaded["scenario"], loaded["roster"], loaded["playbook"], loaded.get("staffing"),
                   loaded.get("classification"))


def default_policy() -> Loaded:
    """The bundled classification policy (drills from before policies were stored use it too)."""
    from scenarios.classification import DEFAULT_CLASSIFICATION

    return resolve(DEFAULT_CLASSIFICATION, "classification")


def calendar_of(record: DrillRecord) -> dt.datetime:
    """The drill's calendar anchor (journals from before dates were known: the reference week)."""
    stored = record.extra.get("calendar_start_utc")
    return dt.datetime.fromisoformat(stored) if stored else REFERENCE_MONDAY


class DrillSession:
    """One drill being played: an engine, its journal and (for live drills) a clock."""

    def __init__(self, store: DrillStore, record: DrillRecord, documents: DrillDocuments,
                 clock: DrillClock | None = None):
        self.store = store
        self.record = record
        self.documents = documents
        self.clock = clock
        self.drill = Drill(DrillSetup(
            scenario=documents.scenario.document, playbook=documents.playbook.document,
            roster=documents.roster.document,
            staffing=documents.staffing.document if documents.staffing else None,
            seed=record.seed, start_minute=record.start_minute, anchor=calendar_of(record),
            policy=documents.policy,
        ))
        self._expected: deque[DrillEvent] = deque()
        self._client_key: tuple | None = None  # (token, key, first seq) for the next append (see act)
        self._last_seq = 0
        self.listeners: list[Callable[[list[DrillEvent]], None]] = []

    # -- creating and resuming --------------------------------------------------------
    @classmethod
    def create(cls, store: DrillStore, documents: DrillDocuments, *, seed: int = 1, mode: str = "scripted",
               speed: float = 1.0, start_minute: float | None = None, drill_id: str | None = None,
               clock: DrillClock | None = None, anchor: dt.datetime | None = None) -> "DrillSession":
        """`start_minute` counts from the calendar `anchor` (a Monday 00:00 UTC; default the
        reference week); without it, the scenario's start policy gives both."""
        scenario = documents.scenario.document
        anchor = anchor or REFERENCE_MONDAY
        if start_minute is None:
            start = scenario.start
            start_minute = start.minute_of_week if isinstance(start, FixedStart) else DEFAULT_START_MINUTE
            anchor = start.anchor
        created = now_iso()
        record = DrillRecord(
            id=drill_id or new_drill_id(scenario.name), scenario=scenario.name,
            title=scenario.title or scenario.name, team=documents.roster.document.team, mode=mode, seed=seed,
            start_minute=float(start_minute), speed=float(speed), status="created", created=created,
            updated=created, tool_version=TOOL_VERSION, documents=documents.stored(),
            extra={"calendar_start_utc": anchor.isoformat()},
        )
        store.create(record)
        return cls(store, record, documents, clock)

    @classmethod
    def resume(cls, store: DrillStore, drill_id: str, clock: DrillClock | None = None) -> "DrillSession":
        """Rebuild a drill from its journal: replay every recorded input at its scenario
        minute; the world's outputs come out again and are checked against the journal."""
        record = store.get(drill_id)
        events = store.events(record.id)
        # The journal, not the drills row, says where the drill stands (a crash may fall between them).
        status = _status_from(events)
        if status != record.status:
            record = store.update(record.id, status=status)
        if record.status == "ended":
            raise DrillError(f"drill {record.id} has ended; export it or score it instead")
        try:
            documents = DrillDocuments.from_record(record)
        except DocumentError as exc:
            raise DrillError(f"drill {record.id}: its stored documents no longer validate: {exc}") from None
        session = cls(store, record, documents, clock)
        session._last_seq = events[-1].seq if events else 0
        session._expected = deque(e for e in events if not e.is_input)
        for event in events:
            if event.replayed:
                session._reconcile(session.drill.advance_to(event.t))
                session._replay_input(event)
        if events:
            session._reconcile(session.drill.advance_to(events[-1].t))
        if clock is not None:
            clock.jump_to(session.drill.now)
        return session

    def _replay_input(self, event: DrillEvent) -> None:
        d, detail = self.drill, dict(event.detail)
        if event.kind == "rejection":
            return  # a refused action changed nothing
        try:
            if event.kind == "action":
                assumed, note = detail.pop("assumed", None), detail.pop("note", "")
                pins = {pin: detail.pop(pin) for pin in PINNABLE if pin in detail}
                out = d.act(event.role, event.name, detail, actor=event.actor, assumed=assumed, note=note, pins=pins)
            elif event.kind == "control":
                out = d.control(event.name, actor=event.actor, **{k: v for k, v in detail.items() if k != "outage_cost"})
            elif event.kind == "adjudication":
                out = d.adjudicate(detail["claim"], event.name == "accepted", detail.get("reason", ""), actor=event.actor)
            elif event.kind == "rating":
                out = d.rate(event.name, detail["rating"], detail["reason"], actor=event.actor)
            else:
                out = d.send_adhoc(detail["subject"], detail.get("content", ""), detail.get("to"),
                                   detail.get("channel", "chat"), actor=event.actor,
                                   sender=detail.get("sender", "facilitator"))
        except ActionRejected as exc:
            raise DrillError(f"drill {self.record.id}: journal event {event.seq} ({event.kind} {event.name}) "
                             f"no longer applies: {exc}") from None
        # The input itself is already in the journal; what it caused is checked against it.
        self._reconcile([e for e in out if not e.is_input])

    def _reconcile(self, events: list[DrillEvent]) -> list[DrillEvent]:
        """Drop outputs the journal already holds (checking they match); persist the rest."""
        fresh = []
        for event in events:
            if self._expected:
                known = self._expected.popleft()
                if known.identity != event.identity:
                    raise DrillError(
                        f"drill {self.record.id}: the journal (event {known.seq}: {known.kind} {known.name} at "
                        f"{known.t:g}m) and the rebuilt drill ({event.kind} {event.name} at {event.t:g}m) disagree")
                continue
            fresh.append(event)
        return self._persist(fresh)

    def _persist(self, events: list[DrillEvent]) -> list[DrillEvent]:
        status = _status_from(events, None)
        key, self._client_key = self._client_key, None
        numbered = self.store.append(self.record.id, events, after=self._last_seq, status=status, key=key)
        if numbered:
            self._last_seq = numbered[-1].seq
            for listener in self.listeners:
                listener(numbered)
        return numbered

    # -- driving ----------------------------------------------------------------------
    @property
    def status(self) -> str:
        return self.record.status

    def _set_status(self, status: str, **changes) -> None:
        self.record = self.store.update(self.record.id, status=status, **changes)

    def now(self) -> float:
        return self.clock.now() if self.clock is not None else self.drill.now

    def advance_to(self, t: float | None = None) -> list[DrillEvent]:
        """Bring the world up to scenario minute `t` (default: the clock's now)."""
        t = self.now() if t is None else t
        return self._reconcile(self.drill.advance_to(t))

    def _require_running(self) -> None:
        if self.record.status == "created":
            raise ActionRejected("the drill has not started yet")
        if self.record.status == "ended":
            raise ActionRejected("the drill has ended")

    def start(self) -> list[DrillEvent]:
        if self.record.status != "created":
            raise ActionRejected(f"the drill is already {self.record.status}")
        out = self._reconcile(self.drill.control("start", speed=self.record.speed))
        self._set_status("running")
        if self.clock is not None:
            self.clock.resume()
        return out + self.advance_to()

    def act(self, role: str, action: str, fields: dict | None = None, actor: str = "",
            assumed: str | None = None, note: str = "", at: float | None = None,
            pins: dict | None = None, client_key: tuple[str, str] | None = None) -> list[DrillEvent]:
        """Take one action at `at` (default: now); durable when this returns. `pins` fixes the
        world durations of the work it starts (scripted replays; see Drill.act). `client_key`
        ((token, key)) is journaled with the action in one transaction (DrillStore.answered)."""
        self._require_running()
        _journalable(action, fields=fields or {}, actor=actor, assumed=assumed, note=note, pins=pins or {})
        before = self.advance_to(at)
        out = self.drill.act(role, action, fields, actor=actor, assumed=assumed, note=note, pins=pins)
        if client_key is not None:
            self._client_key = (*client_key, before[0].seq if before else None)
        try:
            return before + self._reconcile(out)
        finally:
            self._client_key = None

    def reject(self, role: str, action: str, fields: dict | None, reason: str, expected: bool, actor: str = "",
               at: float | None = None) -> list[DrillEvent]:
        """Journal an action the drill refused at `at` (scripted play goes on past it)."""
        self._require_running()
        _journalable("rejection", fields=fields or {}, actor=actor, reason=reason)
        before = self.advance_to(at)
        return before + self._reconcile(self.drill.reject(role, action, fields, reason, expected, actor=actor))

    def allow_fix(self, reason: str, actor: str = "facilitator") -> list[DrillEvent]:
        """The facilitator lets the permanent fix go ahead before the cause is identified."""
        self._require_running()
        _journalable("allow_fix", reason=reason, actor=actor)
        before = self.advance_to()
        return before + self._reconcile(self.drill.control("allow_fix", actor=actor, reason=reason))

    def steer(self, name: str, inject: str, at: float | None = None, actor: str = "facilitator") -> list[DrillEvent]:
        """Fire, hold, release, skip or reschedule (to scenario minute `at`) one scripted
        inject (drills.injects); journaled like every control and replayed on resume."""
        self._require_running()
        _journalable(name, inject=inject, at=at, actor=actor)
        before = self.advance_to()
        return before + self._reconcile(self.drill.steer(name, inject, at, actor))

    def validate(self, inject: str, verdict: str, note: str = "", occurrence: int = 0,
                 actor: str = "evaluator") -> list[DrillEvent]:
        """An evaluator's verdict on the expected action of a sent inject (met, partly,
        not_met) with a note: a record-only `mark` in the journal that the scorecard reads
        (drills.contributions). Allowed while the drill runs and after it ends."""
        if self.record.status == "created":
            raise ActionRejected("the drill has not started yet")
        live = self.record.status != "ended"
        before = self.advance_to() if live else []
        event = _mark(self.store.events(self.record.id), inject, verdict, note, occurrence, actor,
                      t=self.drill.now if live else None)
        return before + self._persist([event])

    @classmethod
    def validate_ended(cls, store: DrillStore, drill_id: str, inject: str, verdict: str, note: str = "",
                       occurrence: int = 0, actor: str = "evaluator") -> list[DrillEvent]:
        """A verdict after the drill has ended, appended at its last minute."""
        events = store.events(drill_id)
        event = _mark(events, inject, verdict, note, occurrence, actor, t=None)
        return store.append(drill_id, [event], after=events[-1].seq if events else 0)

    def adjudicate(self, claim: int, accept: bool, reason: str = "", actor: str = "facilitator") -> list[DrillEvent]:
        self._require_running()
        _journalable("ruling", reason=reason, actor=actor)
        before = self.advance_to()
        return before + self._reconcile(self.drill.adjudicate(claim, accept, reason, actor))

    def rate(self, objective: str, rating: str, reason: str, actor: str = "evaluator") -> list[DrillEvent]:
        if self.record.status == "created":
            raise ActionRejected("the drill has not started yet")
        _journalable("rating", objective=objective, rating=rating, reason=reason, actor=actor)
        before = self.advance_to() if self.record.status != "ended" else []
        self.drill.ended_at, ended = None, self.drill.ended_at  # ratings may come after the end
        try:
            out = self.drill.rate(objective, rating, reason, actor)
        finally:
            self.drill.ended_at = ended
        return before + self._reconcile(out)

    def send_adhoc(self, subject: str, content: str = "", to: list[str] | None = None, channel: str = "chat",
                   actor: str = "facilitator", sender: str = "facilitator") -> list[DrillEvent]:
        """An inject the facilitator writes now, from `sender` (e.g. "Customer support") on
        `channel` to the roles `to` (default everyone)."""
        self._require_running()
        _journalable("inject", subject=subject, content=content, to=to, channel=channel, actor=actor, sender=sender)
        before = self.advance_to()
        return before + self._reconcile(self.drill.send_adhoc(subject, content, to, channel, actor, sender=sender))

    def pause(self) -> list[DrillEvent]:
        self._require_running()
        if self.record.status == "paused":
            raise ActionRejected("the drill is already paused")
        out = self.advance_to()
        if self.clock is not None:
            self.clock.pause()
        out += self._reconcile(self.drill.control("pause"))
        self._set_status("paused")
        return out

    def resume_clock(self) -> list[DrillEvent]:
        self._require_running()
        if self.record.status != "paused":
            raise ActionRejected("the drill is not paused")
        # Every input is recorded at the clock's minute, never at wherever the engine happens to be.
        out = self.advance_to()
        out += self._reconcile(self.drill.control("resume"))
        self._set_status("running")
        if self.clock is not None:
            self.clock.resume()
        return out

    def set_speed(self, speed: float) -> list[DrillEvent]:
        self._require_running()
        if not speed > 0 or speed > 3600:
            raise ActionRejected(f"speed must be above 0 and at most 3600, got {speed!r}")
        out = self.advance_to()
        if self.clock is not None:
            self.clock.set_speed(speed)
        out += self._reconcile(self.drill.control("speed", speed=speed))
        self._set_status(self.record.status, speed=float(speed))
        return out

    def jump_to_next_inject(self) -> list[DrillEvent]:
        """Skip the quiet time: move the clock to the next timed inject and deliver it."""
        self._require_running()
        out = self.advance_to()
        target = self.drill.next_inject_at()
        if target is None:
            raise ActionRejected("no timed inject is left to jump to")
        out += self._reconcile(self.drill.control("jump", to=target, **{"from": self.drill.now}))
        if self.clock is not None:
            self.clock.jump_to(target)
        return out + self.advance_to(target)

    def end(self, at: float | None = None) -> list[DrillEvent]:
        if self.record.status == "ended":
            raise ActionRejected("the drill has already ended")
        if self.record.status == "created":
            raise ActionRejected("the drill has not started yet")
        out = self.advance_to(at)
        if self.clock is not None:
            self.clock.pause()
        out += self._reconcile(self.drill.control("end"))
        self._set_status("ended")
        return out

    def events(self) -> list[DrillEvent]:
        return self.store.events(self.record.id)

    @classmethod
    def rate_ended(cls, store: DrillStore, drill_id: str, objective: str, rating: str, reason: str,
                   actor: str = "evaluator") -> list[DrillEvent]:
        """An evaluator's rating after the drill has ended, appended at its last minute."""
        record = store.get(drill_id)
        scenario = DrillDocuments.from_record(record).scenario.document
        if objective not in {o.id for o in scenario.objectives}:
            raise ActionRejected(f"unknown objective {objective!r}")
        if rating not in RATINGS:
            raise ActionRejected(f"a rating is P, S, M or U, got {rating!r}")
        if not reason.strip():
            raise ActionRejected("an evaluator's rating needs a reason")
        events = store.events(drill_id)
        last = events[-1] if events else None
        event = DrillEvent(kind="rating", t=last.t if last else 0.0, name=objective, actor=actor,
                           detail={"rating": rating, "reason": reason})
        return store.append(drill_id, [event], after=last.seq if last else 0)


HOT_WASH_QUESTIONS = (
    "What went well?",
    "What would you do differently next time?",
    "What got in your way (tools, information, people)?",
)
"""The hot wash: what each participant is asked on their page when the drill ends."""


def give_feedback(store: DrillStore, drill_id: str, role: str, actor: str, answers: dict) -> list[DrillEvent]:
    """A participant's hot-wash answers after the drill has ended, appended at its last
    minute (a record-only input: it changes nothing in the world)."""
    record = store.get(drill_id)
    if record.status != "ended":
        raise ActionRejected("the hot wash opens when the drill has ended")
    if not isinstance(answers, dict) or not answers:
        raise ActionRejected("give answers as {question: answer}")
    unknown = [q for q in answers if q not in HOT_WASH_QUESTIONS]
    if unknown:
        raise ActionRejected(f"unknown question {unknown[0]!r} (questions: {'; '.join(HOT_WASH_QUESTIONS)})")
    clean = {q: str(a).strip()[:4000] for q, a in answers.items() if isinstance(a, str) and a.strip()}
    if not clean:
        raise ActionRejected("the answers are empty")
    _journalable("feedback", answers=clean, actor=actor)
    events = store.events(drill_id)
    last = events[-1] if events else None
    event = DrillEvent(kind="feedback", t=last.t if last else 0.0, name="feedback", role=role, actor=actor,
                       detail={"answers": clean})
    return store.append(drill_id, [event], after=last.seq if last else 0)


def _mark(events, inject: str, verdict: str, note: str, occurrence: int, actor: str, t: float | None) -> DrillEvent:
    from .contributions import VERDICTS

    if verdict not in VERDICTS:
        raise ActionRejected(f"a verdict is {', '.join(VERDICTS)}, got {verdict!r}")
    sent = [e for e in events if e.kind == "inject" and e.name == inject and e.detail.get("expect_action")]
    if not sent:
        raise ActionRejected(f"{inject!r} is not a sent inject that expects an action")
    if not any(e.detail.get("occurrence", 0) == occurrence for e in sent):
        raise ActionRejected(f"{inject} was sent {len(sent)} time(s); occurrence {occurrence} does not exist")
    _journalable("mark", inject=inject, note=note, actor=actor)
    last = events[-1].t if events else 0.0
    return DrillEvent(kind="mark", t=last if t is None else max(t, last), name=inject, actor=actor,
                      detail={"inject": inject, "occurrence": occurrence, "verdict": verdict,
                              "met": verdict == "met", "reason": note.strip()[:2000]})


_CONTROL_STATUS = {"start": "running", "pause": "paused", "resume": "running", "end": "ended"}


def _journalable(what: str, **values) -> None:
    """Refuse an input the journal could not serve back as valid JSON, before the world
    sees it (a refused input leaves the drill as it was)."""
    found = problems(values)
    if found:
        raise ActionRejected(f"{what}: refused, not valid JSON text ({'; '.join(found)})")


def _status_from(events, default: str | None = "created") -> str | None:
    """The status the last start, pause, resume or end control among `events` leaves."""
    status = default
    for event in events:
        if event.kind == "control" and event.name in _CONTROL_STATUS:
            status = _CONTROL_STATUS[event.name]
    return status
