"""Live drills inside the web server: each running drill's session, its clock ticking on
the server's event loop, and the fan-out of journaled events to connected browsers.

Everything happens on one asyncio loop, so sessions need no locks; every event reaches
subscribers only after the journal has it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt

from drills.baseline import warm_baseline
from drills.clock import DrillClock
from drills.errors import DrillError
from drills.events import DrillEvent
from drills.session import DrillSession
from drills.store import DrillStore
from scenarios.exercise import EVERYONE

from .chat import ChatMessage, Webhooks

__all__ = ["Hub", "LiveDrill"]


class LiveDrill:
    """A drill the server is running: its session, who is listening, its chat webhooks and
    the communications check."""

    def __init__(self, session: DrillSession):
        self.session = session
        self.subscribers: set[asyncio.Queue] = set()
        self.seen: dict[str, str] = {}  # token -> when its holder last reached the server (wall, ISO)
        self.webhooks = Webhooks(session.documents.roster.document.chat_routes)
        self.comms_check: dict | None = None
        self._rendered: dict[tuple, str] = {}
        session.listeners.append(self._publish)
        # The simulated teams the scorecard compares with, computed while the drill runs.
        self.baseline = warm_baseline(session.record, session.documents)

    def _publish(self, events: list[DrillEvent]) -> None:
        for queue in list(self.subscribers):
            queue.put_nowait(events)
        for event in events:
            if event.kind in ("inject", "adhoc_inject"):
                d = event.detail
                self.webhooks.send(ChatMessage(
                    d.get("subject", ""), d.get("content", ""), d.get("channel", "chat"), event.actor, event.t,
                    self.session.record.title, tuple(d.get("to") or (EVERYONE,))))

    def rendered(self, event: DrillEvent, access, render) -> str:
        """An event's stream text for one kind of viewer, rendered once for all of them
        (what a participant sees depends only on their role)."""
        key = (event.seq, access.capability, access.role if access.capability == "participant" else "")
        text = self._rendered.get(key)
        if text is None:
            text = self._rendered[key] = render()
            if len(self._rendered) > 5000:
                for old in list(self._rendered)[:2500]:
                    del self._rendered[old]
        return text

    def notify(self, message: dict) -> None:
        """Something for every open page that is not a journal event (the comms check)."""
        for queue in list(self.subscribers):
            queue.put_nowait(message)

    def touch(self, token: str) -> None:
        self.seen[token] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")

    def start_comms_check(self, tokens: list[str]) -> dict:
        """Ask every participant to confirm they receive, and test every webhook."""
        self.comms_check = {"started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                            "expected": list(tokens), "confirmed": {}, "webhooks": []}
        for route in self.webhooks.routes:
            delivery = self.webhooks.post(route, ChatMessage(
                "Communications check: this channel works", "No action needed; this is a test before the drill.",
                route.channels[0] if route.channels else "chat", "facilitator", self.session.drill.now,
                self.session.record.title))
            self.comms_check["webhooks"].append(delivery)
        self.notify({"type": "comms_check", "started": self.comms_check["started"]})
        return self.comms_check

    def confirm(self, token: str) -> bool:
        if self.comms_check is None:
            return False
        self.comms_check["confirmed"][token] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        return True

    def subscribe(self) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue()
        self.subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        self.subscribers.discard(queue)

    def tick(self) -> None:
        if self.session.status == "running":
            self.session.advance_to()


class Hub:
    """The server's live drills, loaded from the journal on first use (which resumes them
    after a crash at the minute of their last recorded event)."""

    def __init__(self, store: DrillStore, tick: float = 0.25):
        self.store = store
        self.tick_seconds = tick
        self.drills: dict[str, LiveDrill] = {}
        self._task: asyncio.Task | None = None

    def live(self, drill_id: str) -> LiveDrill | None:
        """The live drill, resuming it if needed; None once it has ended."""
        found = self.drills.get(drill_id)
        if found is not None:
            return found
        record = self.store.get(drill_id)
        if record.status == "ended":
            return None
        session = DrillSession.resume(self.store, drill_id, clock=DrillClock(speed=record.speed))
        if session.status == "running":
            session.clock.resume()
        found = self.drills[drill_id] = LiveDrill(session)
        return found

    def adopt(self, session: DrillSession) -> LiveDrill:
        found = self.drills[session.record.id] = LiveDrill(session)
        return found

    async def run(self) -> None:
        while True:
            for drill_id, live in list(self.drills.items()):
                try:
                    live.tick()
                except DrillError:
                    # Another process took the drill over; let it go rather than fork the journal.
                    self.drills.pop(drill_id, None)
                if live.session.status == "ended" and not live.subscribers:
                    self.drills.pop(drill_id, None)
            await asyncio.sleep(self.tick_seconds)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
