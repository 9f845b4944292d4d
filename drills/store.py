"""The drill journal: one SQLite file per workspace (WAL), every event committed before
anyone is told it happened.

Two tables: `drills` (one row per drill: its documents, seed and state) and `events`
(the append-only log, numbered per drill). The documents are stored whole, so a drill is
rebuilt from the journal alone even if the files it came from change or disappear.
Beside them, who may reach a live drill: `access` (one unguessable token per link),
`chat_secrets` (each participant's key for signing chat commands) and `chat_signatures`
(the signatures of chat commands already taken, so none is taken twice, even across a
restart). Tables added later are created when an older store is opened.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import sqlite3
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from typing_extensions import NotRequired, TypedDict

from .errors import DrillError
from .events import DrillEvent
from .jsonsafe import problems, repaired

__all__ = ["DrillStore", "DrillRecord", "Access", "DEFAULT_STORE", "STATUSES", "CAPABILITIES"]

DEFAULT_STORE = Path(".warroom") / "drills.db"
STATUSES = ("created", "running", "paused", "ended")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS drills (
    id TEXT PRIMARY KEY,
    scenario TEXT NOT NULL,
    title TEXT NOT NULL,
    team TEXT NOT NULL,
    mode TEXT NOT NULL,
    seed INTEGER NOT NULL,
    start_minute REAL NOT NULL,
    speed REAL NOT NULL,
    status TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    tool_version TEXT NOT NULL,
    documents TEXT NOT NULL,
    extra TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS events (
    drill_id TEXT NOT NULL REFERENCES drills(id),
    seq INTEGER NOT NULL,
    t REAL NOT NULL,
    wall TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    actor TEXT NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY (drill_id, seq)
);
CREATE TABLE IF NOT EXISTS action_keys (
    drill_id TEXT NOT NULL REFERENCES drills(id),
    token TEXT NOT NULL,
    key TEXT NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    PRIMARY KEY (drill_id, token, key)
);
CREATE TABLE IF NOT EXISTS access (
    token TEXT PRIMARY KEY,
    drill_id TEXT NOT NULL REFERENCES drills(id),
    capability TEXT NOT NULL,
    role TEXT NOT NULL,
    person TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chat_secrets (
    token TEXT PRIMARY KEY REFERENCES access(token),
    drill_id TEXT NOT NULL REFERENCES drills(id),
    secret TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chat_signatures (
    signature TEXT PRIMARY KEY,
    drill_id TEXT NOT NULL,
    timestamp INTEGER NOT NULL
);
"""

CAPABILITIES = ("facilitator", "evaluator", "participant")


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")


class StoredDocument(TypedDict):
    """A document a drill was built from, kept whole with the drill."""

    kind: str
    name: str
    source: str
    text: str
    sha256: NotRequired[str]


@dataclass(frozen=True)
class DrillRecord:
    """A drill's row: what it was built from and where it stands."""

    id: str
    scenario: str
    title: str
    team: str
    mode: str
    seed: int
    start_minute: float
    speed: float
    status: str
    created: str
    updated: str
    tool_version: str
    documents: tuple[StoredDocument, ...]
    extra: dict[str, Any] = field(default_factory=dict)

    def document(self, kind: str) -> dict | None:
        return next((d for d in self.documents if d["kind"] == kind), None)


@dataclass(frozen=True)
class Access:
    """What one unguessable token lets its holder do in one drill."""

    token: str
    drill_id: str
    capability: str  # facilitator, evaluator or participant
    role: str  # the participant's role ("" for facilitator and evaluator)
    person: str


class DrillStore:
    """The SQLite journal. Safe to share between threads of one process."""

    def __init__(self, path: str | Path = DEFAULT_STORE):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise DrillError(f"{self.path}: not a warroom drill store ({exc})") from None
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    # -- drills -----------------------------------------------------------------------
    def create(self, record: DrillRecord) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO drills VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (record.id, record.scenario, record.title, record.team, record.mode, record.seed,
                 record.start_minute, record.speed, record.status, record.created, record.updated,
                 record.tool_version, json.dumps(list(record.documents)), json.dumps(record.extra)),
            )

    def get(self, drill_id: str) -> DrillRecord:
        """A drill by its id, a unique prefix of it, or `latest` (the newest drill)."""
        if drill_id == "latest":
            row = self._db.execute("SELECT * FROM drills ORDER BY created DESC, rowid DESC LIMIT 1").fetchone()
            if row is None:
                raise DrillError(f"no drills yet in {self.path}")
            return _record(row)
        row = self._db.execute("SELECT * FROM drills WHERE id = ?", (drill_id,)).fetchone()
        if row is None:
            matches = [r[0] for r in self._db.execute("SELECT id FROM drills WHERE substr(id, 1, ?) = ?",
                                                      (len(drill_id), drill_id))]
            if len(matches) == 1:
                return self.get(matches[0])
            known = ", ".join(r.id for r in self.list()[-5:]) or "none yet"
            raise DrillError(f"no drill {drill_id!r} in {self.path} (recent: {known})")
        return _record(row)

    def list(self) -> list[DrillRecord]:
        return [_record(r) for r in self._db.execute("SELECT * FROM drills ORDER BY created, id")]

    def update(self, drill_id: str, **changes) -> DrillRecord:
        allowed = {"status", "speed", "extra"}
        if set(changes) - allowed:
            raise ValueError(f"cannot change {sorted(set(changes) - allowed)}")
        record = replace(self.get(drill_id), **changes, updated=now_iso())
        with self._lock:
            self._db.execute("UPDATE drills SET status=?, speed=?, extra=?, updated=? WHERE id=?",
                             (record.status, record.speed, json.dumps(record.extra), record.updated, drill_id))
        return record

    # -- access -----------------------------------------------------------------------
    def grant(self, drill_id: str, capability: str, role: str = "", person: str = "") -> Access:
        """A new unguessable token (256 bits) for one capability in one drill. A participant
        also gets a chat secret (256 bits) to sign chat commands with (`chat_secret`)."""
        if capability not in CAPABILITIES:
            raise ValueError(f"unknown capability {capability!r}")
        access = Access(secrets.token_urlsafe(32), drill_id, capability, role, person)
        with self._lock:
            cursor = self._db.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                cursor.execute("INSERT INTO access VALUES (?,?,?,?,?)", (access.token, drill_id, capability, role, person))
                if capability == "participant":
                    cursor.execute("INSERT INTO chat_secrets VALUES (?,?,?)",
                                   (access.token, drill_id, secrets.token_hex(32)))
                cursor.execute("COMMIT")
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
        return access

    def access(self, token: str) -> Access | None:
        row = self._db.execute("SELECT token, drill_id, capability, role, person FROM access WHERE token = ?",
                               (token,)).fetchone()
        return Access(*row) if row else None

    def grants(self, drill_id: str) -> list[Access]:
        rows = self._db.execute("SELECT token, drill_id, capability, role, person FROM access WHERE drill_id = ? "
                                "ORDER BY rowid", (drill_id,))
        return [Access(*row) for row in rows]

    def chat_secret(self, token: str) -> str | None:
        """The participant's key for signing chat commands (None for other links, and for
        participants of drills opened before chat commands existed)."""
        row = self._db.execute("SELECT secret FROM chat_secrets WHERE token = ?", (token,)).fetchone()
        return row[0] if row else None

    def chat_signers(self, drill_id: str) -> list[tuple[Access, str]]:
        """(participant's access, chat secret) for every participant of a drill."""
        rows = self._db.execute(
            "SELECT a.token, a.drill_id, a.capability, a.role, a.person, c.secret FROM access a "
            "JOIN chat_secrets c ON c.token = a.token WHERE a.drill_id = ? ORDER BY a.rowid", (drill_id,))
        return [(Access(*row[:5]), row[5]) for row in rows]

    def first_sight(self, drill_id: str, signature: str, timestamp: int, forget_before: int) -> bool:
        """Remember a chat command's signature; False if it was seen before (a replay).
        Signatures with a timestamp before `forget_before` are dropped: requests that old
        are refused as stale anyway."""
        with self._lock:
            self._db.execute("DELETE FROM chat_signatures WHERE timestamp < ?", (forget_before,))
            cursor = self._db.execute("INSERT OR IGNORE INTO chat_signatures VALUES (?,?,?)",
                                      (signature, drill_id, timestamp))
        return cursor.rowcount == 1

    # -- events -----------------------------------------------------------------------
    def append(self, drill_id: str, events: list[DrillEvent], after: int | None = None,
               status: str | None = None, key: tuple | None = None) -> list[DrillEvent]:
        """Number and commit events in one transaction; return them numbered.

        `after` is the last sequence number the writer knows: if someone else has written
        to the drill since, nothing is written (two writers would corrupt the journal).
        `status`, if given, is stored in the same transaction as the events; so is `key`
        ((token, client key, first seq of the answer or None)): a client's key for the action
        these events answer, so that a retry gets the same answer (`answered`)."""
        if not events:
            return []
        for event in events:
            found = problems({"name": event.name, "role": event.role, "actor": event.actor, "t": event.t,
                              "detail": dict(event.detail)})
            if found:
                raise DrillError(f"drill {drill_id}: {event.kind} {event.name!r} cannot be journaled, "
                                 f"it would not be valid JSON ({'; '.join(found)})")
        with self._lock:
            cursor = self._db.cursor()
            try:
                cursor.execute("BEGIN IMMEDIATE")
                (last,) = cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM events WHERE drill_id = ?",
                                         (drill_id,)).fetchone()
                if after is not None and last != after:
                    raise DrillError(f"drill {drill_id} is being run elsewhere too (the journal has moved on "
                                     f"to event {last}); close the other console and resume this drill again")
                if status is not None:
                    cursor.execute("UPDATE drills SET status = ?, updated = ? WHERE id = ?",
                                   (status, now_iso(), drill_id))
                wall = now_iso()
                numbered = [e.numbered(last + k + 1, wall) for k, e in enumerate(events)]
                cursor.executemany(
                    "INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?)",
                    [(drill_id, e.seq, e.t, e.wall, e.kind, e.name, e.role, e.actor, json.dumps(dict(e.detail), allow_nan=False))
                     for e in numbered],
                )
                if key is not None:
                    token, client_key, first = key
                    cursor.execute("INSERT INTO action_keys VALUES (?,?,?,?,?)",
                                   (drill_id, token, client_key, first or numbered[0].seq, numbered[-1].seq))
                cursor.execute("COMMIT")
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
        return numbered

    def answered(self, drill_id: str, token: str, key: str) -> list[DrillEvent] | None:
        """The events that answered this token's action with this client key, or None if
        no action with that key was journaled."""
        row = self._db.execute("SELECT first_seq, last_seq FROM action_keys WHERE drill_id = ? AND token = ? "
                               "AND key = ?", (drill_id, token, key)).fetchone()
        if row is None:
            return None
        rows = self._db.execute(
            "SELECT seq, t, wall, kind, name, role, actor, detail FROM events WHERE drill_id = ? AND seq BETWEEN ? "
            "AND ? ORDER BY seq", (drill_id, *row))
        return [_event(*r) for r in rows]

    def events(self, drill_id: str) -> list[DrillEvent]:
        rows = self._db.execute(
            "SELECT seq, t, wall, kind, name, role, actor, detail FROM events WHERE drill_id = ? ORDER BY seq",
            (drill_id,))
        return [_event(*row) for row in rows]

    def summary(self, drill_id: str) -> tuple[int, float]:
        """(event count, scenario minute of the last event)."""
        count, last = self._db.execute("SELECT COUNT(*), COALESCE(MAX(t), 0) FROM events WHERE drill_id = ?",
                                       (drill_id,)).fetchone()
        return int(count), float(last)


def _event(seq, t, wall, kind, name, role, actor, detail) -> DrillEvent:
    """A stored row as an event. A row that is not valid JSON (written by an older version,
    or by hand) is repaired and marked with what was wrong, so its drill still serves and
    exports: one bad event is reported, never a failure for everyone."""
    try:
        values = json.loads(detail)
    except ValueError as exc:
        values = {"text": detail}
        found = [f"detail: not JSON ({exc})"]
    else:
        found = problems({"name": name, "role": role, "actor": actor, "t": t, "detail": values})
    if not isinstance(values, dict):
        values, found = {"value": values}, found + ["detail: not an object"]
    if found:
        values = {**repaired(values), "journal_problem": "; ".join(found)}
        t = repaired(t)
        t, name, role, actor = (t if t is not None else 0.0), repaired(name), repaired(role), repaired(actor)
    return DrillEvent(kind=kind, t=t, name=name, role=role, actor=actor, detail=values, seq=seq, wall=wall)


def _record(row) -> DrillRecord:
    (id_, scenario, title, team, mode, seed, start_minute, speed, status, created, updated, tool_version,
     documents, extra) = row
    return DrillRecord(id=id_, scenario=scenario, title=title, team=team, mode=mode, seed=int(seed),
                       start_minute=float(start_minute), speed=float(speed), status=status, created=created,
                       updated=updated, tool_version=tool_version, documents=tuple(json.loads(documents)),
                       extra=json.loads(extra))
