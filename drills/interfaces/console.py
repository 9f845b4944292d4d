"""The facilitator console: a terminal for an in-room tabletop.

Injects appear as they fire; the facilitator records what people do with short commands
(`tl ack`, `im declare`, `sre wa kill_waf_globally`, `im update public We are on it`),
with tab completion, and controls the clock (start, pause, resume, speed, next, end) and
may let the permanent fix go ahead before the cause is identified (`allow_fix REASON`).
Causes and workarounds are listed in the drill's shuffled order, as participants see them.
The bottom bar shows the clock, the milestones and the dashboard. Every command that is
accepted is in the journal before its echo appears.

Everything that arrives while the facilitator types (injects, world events, progress) is
printed above the prompt; the half-typed command and the bottom bar are redrawn below it.
Work that takes long after `end` (the scorecard and its simulated comparison) runs in a
worker thread while the prompt keeps answering the commands that only read the drill.
"""

from __future__ import annotations

import asyncio
import sys
import textwrap
import threading
import time
from typing import Callable, Iterable

from drills.checklist import checklist
from drills.errors import ActionRejected, DrillError
from drills.events import DrillEvent
from drills.session import DrillSession
from drills.store import DEFAULT_STORE
from scenarios import ACTIONS
from scenarios.actions import AUDIENCES
from scenarios.durations import format_duration, parse_duration
from scenarios.errors import WarroomError

from .views import offered_choices

__all__ = ["run_console", "Console", "Ending", "ROLE_ALIASES", "ACTION_ALIASES", "describe"]

ROLE_ALIASES = {
    "im": "incident_manager", "tl": "technical_lead", "cl": "communications_lead", "comms": "communications_lead",
    "sd": "service_desk", "cm": "change_manager", "pm": "problem_manager", "biz": "business_stakeholder",
    "ext": "external_consultant",
}
ACTION_ALIASES = {
    "ack": "acknowledge", "bridge": "open_bridge", "assign": "assign_role", "hyp": "hypothesis", "id": "identify",
    "req": "request_info", "ask": "request_info", "wa": "apply_workaround", "approve": "approve_change",
    "fix": "implement_fix", "pr": "problem_record", "problem": "problem_record", "review": "schedule_review",
    "note": "log",
}
POSITIONAL = {
    "page": ("target",), "update": ("audience",), "hypothesis": ("cause",), "identify": ("cause",),
    "request_info": ("topic",), "apply_workaround": ("workaround",), "schedule_review": ("within",),
    "assign_role": ("assign", "person"),
}
CONTROLS = {
    "start": "start the clock",
    "pause": "stop the clock",
    "resume": "restart the clock",
    "speed": "speed X: scenario minutes per wall minute",
    "next": "jump to the next timed inject",
    "allow_fix": "allow_fix REASON: let the permanent fix go ahead before the cause is identified (journaled)",
    "status": "milestones and metrics so far",
    "dash": "the service dashboard",
    "injects": "injects delivered so far",
    "msel": "every scripted inject with its status (scheduled, waiting, on request, sent, held, skipped)",
    "fire": "fire ID: deliver a scripted inject now, whatever its time or condition",
    "hold": "hold ID: keep a scripted inject back until release",
    "release": "release ID: let a held (or skipped) inject go; one that fell due comes at once",
    "skip": "skip ID: never deliver it (its expected actions are not scored)",
    "reschedule": "reschedule ID MINUTE: move a timed inject (or the earliest minute of another), e.g. reschedule cto_call 20",
    "validate": "validate ID met|partly|not_met [NOTE]: an evaluator's verdict on an inject's expected action",
    "claims": "free-text workaround claims waiting for a ruling",
    "accept": "accept N [reason]: apply claim N's workaround now",
    "reject": "reject N [reason]",
    "inject": "inject [to=role,role] [channel=chat] [from=Customer_support] SUBJECT[: CONTENT]: send an ad-hoc inject",
    "rate": "rate OBJECTIVE P|S|M|U REASON: an evaluator's rating",
    "roles": "who plays what, and the short names",
    "checklist": "checklist [ROLE]: the playbook's steps and where each stands (for one role: its own)",
    "help": "help [ACTION]: commands and the action vocabulary",
    "end": "end the drill and print the scorecard",
    "quit": "leave (the drill pauses; carry on with warroom drill resume)",
}
READ_ONLY = {"status", "score", "dash", "injects", "msel", "claims", "roles", "checklist", "help", "quit", "exit"}
"""The commands that still answer while the scorecard is being made."""
PROGRESS_EVERY = 10.0
"""Seconds between two 'still scoring' lines (the bottom bar's spinner moves in between)."""
SPINNER = "|/-\\"

Step = Callable[[str], None]
"""Says which step of the ending's work has begun, e.g. step("Simulating 2000 teams")."""


class Ending:
    """The work after the drill ends (scoring, the simulated comparison), run off the
    prompt's thread: the step it is on, how long it has run, and its outcome (`text` to
    print, or `error`, a message). `on_step` (optional) hears each step as it begins."""

    def __init__(self, work: Callable[[Step], str], on_step: Step | None = None,
                 step: str = "Scoring the drill"):
        self.work = work
        self.on_step = on_step
        self.step = step
        self.started = time.monotonic()
        self.finished = threading.Event()
        self.text: str | None = None
        self.error: str | None = None

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def progress(self) -> str:
        seconds = self.elapsed()
        return f"{self.step}..." + (f" {seconds:.0f} s" if seconds >= 1 else "")

    def _step(self, text: str) -> None:
        self.step = text
        if self.on_step is not None:
            self.on_step(self.progress())

    def run(self) -> None:
        """Do the work (in whichever thread calls this); never raises."""
        try:
            self.text = self.work(self._step)
        except Exception as exc:  # reported as a message: a scoring failure must not kill the console
            self.error = str(exc) if isinstance(exc, WarroomError) else f"{type(exc).__name__}: {exc}"
        except SystemExit as exc:  # e.g. a CLI helper that exits on bad input (it has said why)
            self.error = f"it stopped with exit status {exc.code}"
        finally:
            self.finished.set()


def describe(event: DrillEvent, facilitator: bool = True) -> str:
    """One event as the console shows it (facilitator view includes notes)."""
    d = event.detail
    stamp = f"[{event.t:6.1f}m]"
    pad = " " * (len(stamp) + 1)
    if event.kind == "inject":
        to = ", ".join(d.get("to") or ["everyone"])
        kind = {"red_herring": " (red herring)", "contingency": " (contingency)"}.get(d.get("type"), "")
        lines = [f"{stamp} {d['channel'].upper().replace('_', ' ')}{kind} -> {to}  from {event.actor or '?'}: {d['subject']}"]
        if d.get("content"):
            lines += textwrap.wrap(" ".join(d["content"].split()), 96, initial_indent=pad, subsequent_indent=pad)
        if facilitator:
            expected = d.get("expect_action") or ""
            if d.get("expect"):
                expected = (expected + ": " if expected else "") + d["expect"]
            if expected:
                lines += textwrap.wrap(f"expects {expected}", 96, initial_indent=pad, subsequent_indent=pad)
            if d.get("notes"):
                lines += textwrap.wrap(f"notes: {' '.join(d['notes'].split())}", 96, initial_indent=pad,
                                       subsequent_indent=pad)
        return "\n".join(lines)
    if event.kind == "milestone":
        extra = f" ({d['path']})" if d.get("path") else ""
        assumed = " [assumed]" if d.get("assumed") else ""
        return f"{stamp} * {event.name.replace('_', ' ')}{extra}{assumed}"
    if event.kind in ("world", "joined"):
        return f"{stamp} ~ {d.get('message') or event.name}"
    if event.kind == "action":
        fields = ", ".join(f"{k}={v}" for k, v in d.items() if k not in ("assumed", "note"))
        return f"{stamp} {event.role}: {event.name}{' ' + fields if fields else ''}"
    if event.kind == "adhoc_inject":
        sender = f" from {d['sender']}" if d.get("sender") else ""
        return (f"{stamp} AD-HOC {d.get('channel', 'chat').upper()} -> {', '.join(d.get('to') or ['everyone'])}"
                f"{sender}: {d['subject']}")
    if event.kind == "adjudication":
        return f"{stamp} claim {d['claim']} {event.name}: {d.get('workaround')}"
    if event.kind == "rating":
        return f"{stamp} rating {event.name}: {d['rating']} ({d['reason']})"
    if event.kind == "rejection":
        return f"{stamp} {event.role}: {event.name} REFUSED ({d.get('reason', '')})"
    if event.kind == "control":
        extra = f" {d['speed']:g}x" if "speed" in d and event.name == "speed" else ""
        if event.name == "jump":
            extra = f" to {d['to']:g}m"
        if event.name == "allow_fix":
            extra = f": {d.get('reason', '')}"
        if "inject" in d:
            extra = f" {d['inject']}" + (f" to {d['at']:g}m" if d.get("at") is not None else "")
        return f"{stamp} -- {event.name}{extra}"
    if event.kind == "mark":
        return f"{stamp} verdict on {d.get('inject')}: {d.get('verdict', '').replace('_', ' ')} ({d.get('reason', '')})"
    return f"{stamp} {event.kind} {event.name}"


class Console:
    """Parses and runs facilitator commands against a session. Output goes to `write`.
    `finish` is the work to do once the drill has ended (see Ending); `end` starts it."""

    def __init__(self, session: DrillSession, write: Callable[[str], None],
                 finish: Callable[[Step], str] | None = None):
        self.session = session
        self.write = write
        self.finish = finish
        self.scenario = session.documents.scenario.document
        self.roster = session.documents.roster.document
        self.done = False
        self.ending: Ending | None = None

    # -- vocabulary for completion ----------------------------------------------------
    def roles(self) -> list[str]:
        return list(self.scenario.participant_roles)

    def role_words(self) -> list[str]:
        present = set(self.roster.roles)
        aliases = [a for a, r in ROLE_ALIASES.items() if r in present]
        return sorted(set(aliases) | present)

    def values_for(self, field: str) -> list[str]:
        """What a field may be: causes and workarounds in the drill's shuffled order, as
        participants see them (the room often reads the facilitator's screen)."""
        offered = offered_choices(self.scenario, self.session.record.seed)
        causes = [key for key, _ in offered["cause"]]
        workarounds = [key for key, _ in offered["workaround"]]
        return {
            "target": self.roles(), "assign": self.roles(), "audience": list(AUDIENCES),
            "cause": causes, "topic": list(self.scenario.topics),
            "workaround": workarounds, "claims_workaround": workarounds,
            "within": ["1d", "3d", "5d"],
        }.get(field, [])

    def completions(self, words: list[str], current: str) -> Iterable[str]:
        """What may come next, given the words before the cursor."""
        if not words:
            return [w for w in self.role_words() + list(CONTROLS) if w.startswith(current)]
        first = words[0]
        if first == "checklist" and len(words) == 1:
            return [w for w in self.role_words() if w.startswith(current)]
        if first == "help" and len(words) == 1:
            return [a for a in ACTIONS if a.startswith(current)]
        if first == "rate" and len(words) == 1:
            return [o.id for o in self.scenario.objectives if o.id.startswith(current)]
        if first == "rate" and len(words) == 2:
            return [r for r in "PSMU" if r.startswith(current.upper())]
        role = ROLE_ALIASES.get(first, first)
        if role not in self.roles():
            return []
        if len(words) == 1:
            names = list(ACTIONS) + list(ACTION_ALIASES)
            return sorted(n for n in names if n.startswith(current))
        action = ACTION_ALIASES.get(words[1], words[1])
        spec = ACTIONS.get(action)
        if spec is None:
            return []
        if "=" in current:
            key, _, partial = current.partition("=")
            return [f"{key}={v}" for v in self.values_for(key) if v.startswith(partial)]
        position = len(words) - 2
        positional = POSITIONAL.get(action, ())
        if position < len(positional):
            return [v for v in self.values_for(positional[position]) if v.startswith(current)]
        return [f"{f}=" for f in spec.fields if f"{f}=".startswith(current) and f not in positional]

    # -- commands ---------------------------------------------------------------------
    def show(self, events: list[DrillEvent]) -> None:
        for event in events:
            self.write(describe(event))

    def execute(self, line: str) -> None:
        words = line.strip().split()
        if not words:
            return
        command = words[0].lower()
        if self.ending is not None and not self.ending.finished.is_set() and command not in READ_ONLY:
            self.write(f"the drill has ended and its scorecard is being made ({self.ending.elapsed():.0f} s); "
                       f"meanwhile {', '.join(sorted(READ_ONLY - {'exit', 'score'}))} still answer")
            return
        try:
            handler = getattr(self, f"_cmd_{command}", None)
            if handler is not None:
                handler(words[1:], line.strip()[len(words[0]):].strip())
            else:
                self._action(words)
        except (ActionRejected, DrillError) as exc:
            self.write(f"refused: {exc}")
        except ValueError as exc:
            self.write(f"refused: {exc}")

    def _action(self, words: list[str]) -> None:
        role = ROLE_ALIASES.get(words[0].lower(), words[0].lower())
        if role not in self.roles():
            self.write(f"unknown command or role {words[0]!r}; type help")
            return
        if len(words) < 2:
            self.write(f"what did {role} do? e.g. {words[0]} declare (type help for the actions)")
            return
        action = ACTION_ALIASES.get(words[1].lower(), words[1].lower())
        spec = ACTIONS.get(action)
        if spec is None:
            self.write(f"unknown action {words[1]!r}; actions: {', '.join(ACTIONS)}")
            return
        fields: dict = {}
        rest = words[2:]
        positional = list(POSITIONAL.get(action, ()))
        text_words = []
        for word in rest:
            key, eq, value = word.partition("=")
            if eq and key in spec.fields:
                fields[key] = value
            elif positional:
                fields[positional.pop(0)] = word
            else:
                text_words.append(word)
        if text_words:
            if "text" not in spec.fields:
                raise ValueError(f"{action} takes no free text (fields: {', '.join(spec.fields) or 'none'})")
            fields["text"] = " ".join(text_words)
        if "within" in fields:
            fields["within"] = parse_duration(fields["within"])
        people = self.roster.people_in(role)
        self.show(self.session.act(role, action, fields, actor=people[0] if people else role))

    def _cmd_start(self, args, rest):
        self.show(self.session.start())
        self.write("The clock is running. Injects will appear here; type help for commands.")

    def _cmd_pause(self, args, rest):
        self.show(self.session.pause())

    def _cmd_resume(self, args, rest):
        self.show(self.session.resume_clock())

    def _cmd_speed(self, args, rest):
        if not args:
            raise ValueError(f"speed is {self.session.record.speed:g}; give a new one, e.g. speed 4")
        self.show(self.session.set_speed(_number(args[0], "speed", "speed 4")))

    def _cmd_next(self, args, rest):
        self.show(self.session.jump_to_next_inject())

    def _cmd_allow_fix(self, args, rest):
        if not rest:
            raise ValueError("allow_fix needs a reason, e.g. allow_fix the cause is known from the vendor's notice")
        self.show(self.session.allow_fix(rest))

    def _cmd_end(self, args, rest):
        self.show(self.session.end())
        if self.finish is None:
            self.done = True
            return
        self.ending = Ending(self.finish)
        self.write(self.ending.progress())

    def _cmd_quit(self, args, rest):
        if self.ending is not None and not self.ending.finished.is_set():
            self.write(f"Left before the scorecard was ready; the drill has ended and is in the journal: "
                       f"{self.score_command()}")
        elif self.session.status == "running":
            self.show(self.session.pause())
        self.done = True

    def score_command(self) -> str:
        """The command that makes this drill's scorecard again."""
        store = self.session.store.path
        where = "" if str(store) == str(DEFAULT_STORE) else f" --store {store}"
        return f"warroom drill score {self.session.record.id}{where}"

    _cmd_exit = _cmd_quit

    def _cmd_status(self, args, rest):
        board = self.session.drill.scoreboard()
        self.write(f"scenario minute {self.session.now():.1f}, {self.session.status}, speed {self.session.record.speed:g}x")
        reached = ", ".join(f"{k} {v:g}" for k, v in board["milestones"].items())
        self.write(f"milestones: {reached}")
        targets = board["targets"]
        for metric, value in board["metrics"].items():
            target = targets.get(metric)
            mark = "" if target is None else (" (met)" if value <= target else f" (MISSED {target:g})")
            self.write(f"  {metric:<22} {value:7.1f}m{mark}")
        self.write(f"updates sent {board['updates']}; outage cost so far {board['outage_cost']:,.0f}")

    _cmd_score = _cmd_status

    def _cmd_dash(self, args, rest):
        dash = self.session.drill.dashboard()
        for i in dash["indicators"]:
            self.write(f"  {i['title']:<36} {i['value']:10.1f} {i['unit']}  (healthy {i['healthy']:g})")
        self.write(f"  outage cost so far {dash['outage_cost']:,.0f} ({dash['cost_per_minute_now']:,.0f} a minute now)")

    def _cmd_injects(self, args, rest):
        for event in self.session.events():
            if event.kind in ("inject", "adhoc_inject"):
                self.write(describe(event).splitlines()[0])
        nxt = self.session.drill.next_inject_at()
        self.write(f"next timed inject at {nxt:g}m" if nxt is not None else "no timed inject left")

    def _cmd_msel(self, args, rest):
        for row in self.session.drill.msel():
            when = (f"{row['due']:g}m" if row["due"] is not None else f"when {row['when']}" if row["when"]
                    else f"on request ({row['requested']})")
            sent = f" at {', '.join(f'{t:g}m' for t in row['sent_at'])}" if row["sent_at"] else ""
            self.write(f"  {row['id']:<22} {row['status'] + sent:<18} {when:<28} {row['subject']}")

    def _steer(self, name, args):
        if not args:
            raise ValueError(f"{name} which inject? e.g. {name} {self.session.drill.msel()[0]['id']} (see msel)")
        at = None
        if name == "reschedule":
            if len(args) < 2:
                raise ValueError("reschedule ID MINUTE, e.g. reschedule cto_call 20")
            at = _number(args[1], "minute", "reschedule cto_call 20")
        self.show(self.session.steer(name, args[0], at))

    def _cmd_fire(self, args, rest):
        self._steer("fire", args)

    def _cmd_hold(self, args, rest):
        self._steer("hold", args)

    def _cmd_release(self, args, rest):
        self._steer("release", args)

    def _cmd_skip(self, args, rest):
        self._steer("skip", args)

    def _cmd_reschedule(self, args, rest):
        self._steer("reschedule", args)

    def _cmd_validate(self, args, rest):
        if len(args) < 2:
            raise ValueError("validate ID met|partly|not_met [NOTE], e.g. validate alert_flood partly declared late")
        self.show(self.session.validate(args[0], args[1], " ".join(args[2:]), actor="facilitator"))

    def _cmd_claims(self, args, rest):
        claims = self.session.drill.pending_claims
        if not claims:
            self.write("no open claims")
        for number, event in claims.items():
            self.write(f"  claim {number}: {event.role} says {event.detail.get('text')!r} "
                       f"(claims {event.detail.get('claims_workaround')})")

    def _cmd_accept(self, args, rest):
        if not args:
            raise ValueError("accept which claim? e.g. accept 1")
        self.show(self.session.adjudicate(_claim(args[0]), True, " ".join(args[1:])))

    def _cmd_reject(self, args, rest):
        if not args:
            raise ValueError("reject which claim? e.g. reject 1")
        self.show(self.session.adjudicate(_claim(args[0]), False, " ".join(args[1:])))

    def _cmd_inject(self, args, rest):
        to, channel, subject, sender = None, "chat", [], "facilitator"
        for word in args:
            key, eq, value = word.partition("=")
            if eq and key == "to":
                to = [ROLE_ALIASES.get(r, r) for r in value.split(",") if r]
            elif eq and key == "channel":
                channel = value
            elif eq and key == "from":
                sender = value.replace("_", " ")
            else:
                subject.append(word)
        text = " ".join(subject)
        title, _, content = text.partition(":")
        self.show(self.session.send_adhoc(title.strip(), content.strip(), to, channel, sender=sender))

    def _cmd_rate(self, args, rest):
        if len(args) < 3:
            raise ValueError("rate OBJECTIVE P|S|M|U REASON")
        self.show(self.session.rate(args[0], args[1].upper(), " ".join(args[2:])))

    def _cmd_checklist(self, args, rest):
        role = ROLE_ALIASES.get(args[0], args[0]) if args else None
        if role is not None and role not in self.roles():
            raise ValueError(f"unknown role {args[0]!r}")
        docs = self.session.documents
        rows = checklist(self.session.events(), self.scenario, docs.playbook.document, self.roster, role)
        marks = {"done": "[x]", "late": "[x] late", "out_of_order": "[x] out of order", "skipped": "[ ]",
                 "not_observed": "[?]", "not_applicable": "[-]"}
        title = f"Checklist for {role}" if role else f"Playbook {docs.playbook.document.name}"
        self.write(title + ":")
        for row in rows:
            when = f" at {row['t']:.1f}m" if row["t"] is not None else ""
            by = f" by {row['by']}" if row.get("by") else ""
            wrong = " (not the RACI's role)" if row.get("raci_ok") is False else ""
            self.write(f"  {marks.get(row['status'], row['status']):<18} {row['name']}{when}{by}{wrong}  "
                       f"[R {row['responsible']}, A {row['accountable']}]")

    def _cmd_roles(self, args, rest):
        for person in self.roster.participants:
            alias = next((a for a, r in ROLE_ALIASES.items() if r == person.role), person.role)
            self.write(f"  {alias:<8} {person.role:<22} {person.name}")

    def _cmd_help(self, args, rest):
        if args:
            name = ACTION_ALIASES.get(args[0], args[0])
            spec = ACTIONS.get(name)
            if spec is None:
                raise ValueError(f"no action {args[0]!r}")
            positional = POSITIONAL.get(name, ())
            example = " ".join(f"<{f}>" for f in positional) + (" [text...]" if "text" in spec.fields else "")
            self.write(f"ROLE {name} {example}  - {spec.summary}" + (f" (reaches {spec.milestone})" if spec.milestone else ""))
            self.write(f"  fields: {', '.join(spec.fields) or 'none'}; also as key=value")
            offered = offered_choices(self.scenario, self.session.record.seed)
            for field in spec.fields:
                titled = offered.get("workaround" if field == "claims_workaround" else field)
                if titled:
                    self.write(f"  {field}:")
                    for key, title in titled:
                        self.write(f"    {key:<28} {title}")
                    continue
                values = self.values_for(field)
                if values:
                    self.write(f"  {field}: {', '.join(values)}")
            return
        self.write("Record what people do:  ROLE ACTION [values] [free text]   e.g.")
        self.write("  tl ack | im declare | tl page sre | im update public We are investigating")
        cause = next(iter(self.values_for("cause")), "CAUSE")
        workaround = next(iter(self.values_for("workaround")), "WORKAROUND")
        self.write(f"  tl identify {cause} | tl wa {workaround} | cm approve | tl fix | im resolve | im review 3d")
        self.write(f"Roles: {', '.join(self.role_words())}")
        self.write("Actions: " + ", ".join(ACTIONS) + f"  (short: {', '.join(ACTION_ALIASES)})")
        self.write("Facilitator:")
        for name, text in CONTROLS.items():
            self.write(f"  {name:<8} {text}")

    # -- the bottom bar ---------------------------------------------------------------
    def toolbar(self) -> str:
        """The bottom bar; a fault in it is shown in it rather than ending the console."""
        try:
            bar = self._toolbar()
        except Exception as exc:  # pragma: no cover - a bug here must not take the prompt down
            bar = f" (the bar failed: {type(exc).__name__}: {exc}) "
        ending = self.ending
        if ending is not None and not ending.finished.is_set():
            spin = SPINNER[int(ending.elapsed() * 2) % len(SPINNER)]
            bar = f" {spin} {ending.step}... {ending.elapsed():.0f} s |" + bar
        return bar

    def _toolbar(self) -> str:
        s = self.session
        drill = s.drill
        state = s.status if s.status != "running" else f"running {s.record.speed:g}x"
        ms = drill.milestones
        flags = " ".join(f"{label}{'+' if key in ms else '-'}" for label, key in
                         (("declared", "declared"), ("updated", "first_update"), ("identified", "identified"),
                          ("restored", "restored"), ("fixed", "fixed")))
        reading = drill.service.readings()
        first = next(iter(reading.items()), None)
        dash = f"{first[0]} {first[1]:.0f}" if first else ""
        nxt = drill.next_inject_at()
        upcoming = f"next inject {nxt:g}m" if nxt is not None else "no timed inject left"
        claims = f" | {len(drill.pending_claims)} claim(s) to rule" if drill.pending_claims else ""
        return (f" {format_duration(s.now())} ({s.now():.1f}m) {state} | {flags} | {dash} | "
                f"cost {drill.service.cost_at(drill.now):,.0f} | {upcoming}{claims} ")


def _number(text: str, what: str, example: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{what} is a number, e.g. {example}; got {text!r}") from None


def _claim(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"a claim is named by its number (type claims to list them), got {text!r}") from None


async def _interactive(console: Console, tick: float) -> None:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.completion import Completer, Completion
    from prompt_toolkit.patch_stdout import patch_stdout

    class _Completer(Completer):
        def get_completions(self, document, complete_event):
            text = document.text_before_cursor
            words = text.split()
            current = "" if text.endswith(" ") or not words else words.pop()
            for word in console.completions(words, current):
                yield Completion(word, start_position=-len(current))

    prompt = PromptSession(completer=_Completer(), bottom_toolbar=console.toolbar, refresh_interval=0.5,
                           complete_while_typing=False)

    def leave_the_prompt() -> None:
        """Close the prompt under the facilitator's fingers: the drill is over."""
        if prompt.app.is_running:
            prompt.app.erase_when_done = True  # no dead 'drill>' line above the scorecard
            prompt.app.exit(result="")

    async def clock():
        last_error = None
        while not console.done:
            if console.session.status == "running":
                try:
                    console.show(console.session.advance_to())
                    last_error = None
                except Exception as exc:  # reported (once), not hidden, and the console carries on
                    message = f"error: the clock could not advance: {type(exc).__name__}: {exc}"
                    if message != last_error:
                        console.write(message)
                    last_error = message
            await asyncio.sleep(tick)

    async def finishing(ending: Ending):
        """The ending's work in a worker thread (a daemon: quitting does not wait for it);
        meanwhile a line says what it is doing whenever the step changes and every
        PROGRESS_EVERY seconds, and the prompt keeps answering."""
        said, said_at = ending.step, ending.elapsed()  # the first line was written by `end`
        threading.Thread(target=ending.run, name="warroom-drill-ending", daemon=True).start()
        while not ending.finished.is_set():
            await asyncio.sleep(0.1)
            if ending.step != said or ending.elapsed() - said_at >= PROGRESS_EVERY:
                said, said_at = ending.step, ending.elapsed()
                console.write(ending.progress())
        console.done = True
        leave_the_prompt()

    # Everything printed while the prompt is up goes above it (prints must look up
    # sys.stdout when they happen, inside this block; see run_console's write).
    with patch_stdout(raw=True):
        ticker = asyncio.create_task(clock())
        finisher = None
        try:
            while not console.done:
                try:
                    line = await prompt.prompt_async("drill> ")
                except KeyboardInterrupt:
                    continue
                except EOFError:
                    line = "quit"
                if console.done:  # the scorecard came while the facilitator was typing
                    break
                console.execute(line)
                if console.ending is not None and finisher is None:
                    finisher = asyncio.create_task(finishing(console.ending))
        finally:
            console.done = True
            await ticker
            if finisher is not None and not finisher.done():
                finisher.cancel()


def _plain(console: Console, lines: Iterable[str]) -> None:
    """No terminal (commands piped in): each command at the clock's minute, no live output between."""
    for line in lines:
        if console.session.status == "running":
            console.show(console.session.advance_to())
        console.execute(line)
        if console.ending is not None:
            console.ending.on_step = console.write
            console.ending.run()
            return
        if console.done:
            return
    console.execute("quit")


def run_console(session: DrillSession, tick: float = 0.25, out=None,
                finish: Callable[[Step], str] | None = None) -> bool:
    """Run the facilitator console until the drill ends or the facilitator quits.

    `finish(step)` is what to do once the facilitator ends the drill (make and store the
    scorecard): it runs in a worker thread, may call `step(text)` as each step begins,
    and returns the text to print. Returns False if that work failed (the failure is
    printed as a message), else True."""

    def write(text: str) -> None:
        # sys.stdout is looked up at each call: while the prompt is up it is prompt_toolkit's
        # proxy, which prints above the prompt and redraws it.
        print(text, file=out or sys.stdout, flush=True)

    console = Console(session, write, finish)
    sc = console.scenario
    write(f"Drill {session.record.id}: {sc.title or sc.name}")
    write(f"Team {console.roster.team}; {len(sc.injects)} injects; speed {session.record.speed:g}x; "
          f"journal {session.store.path}")
    if session.status == "created":
        write("Type 'start' to start the clock, 'help' for commands, TAB to complete.")
    elif session.status == "paused":
        write("The drill is paused: type 'resume' to carry on.")
    if session.clock is not None and session.status == "running":
        session.clock.resume()
    if sys.stdin.isatty() and sys.stdout.isatty():
        asyncio.run(_interactive(console, tick))
    else:
        _plain(console, sys.stdin)
    ending = console.ending
    if ending is None or not ending.finished.is_set():
        return True
    if ending.error is not None:
        write(f"error: the scorecard could not be made: {ending.error}")
        write(f"The drill has ended and is in the journal; try again with: {console.score_command()}")
        return False
    if ending.text:
        write(ending.text)
    return True
