"""The sensitivity sweep's variants: each parameter moved one way, one at a time, as a
whole new document (made by scenarios.edit.with_changes, so its text re-loads to the same
model and its sha256 names exactly what was run). Names of scenarios and playbook steps are
kept, because the simulator's random streams are keyed by them: a variant sees the same
incidents as the original (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scenarios.crosscheck import check_together
from scenarios.distributions import Fixed
from scenarios.durations import format_duration
from scenarios.edit import pool_path, with_changes
from scenarios.errors import DocumentError
from scenarios.loader import Loaded
from scenarios.staffing import ResponderPool

__all__ = ["Variant", "Skipped", "describe_distribution", "sensitivity_variants", "DIRECTIONS"]

DIRECTIONS = ("down", "up")


@dataclass(frozen=True)
class Variant:
    """One parameter moved one way, as a whole new document of its `kind`."""

    parameter: str   # stable key, e.g. "staffing.resolver_groups.sre.on_call"
    label: str       # what a reader sees, e.g. "sre: people on call"
    kind: str        # the document that changed: scenario, staffing or playbook
    direction: str   # down or up
    change: str      # "-1", "+1", "x0.75", "x1.25"
    before: str
    after: str
    document: Loaded
    leaves_nobody_in: str | None = None   # the role or group this change leaves with no one at all


@dataclass(frozen=True)
class Skipped:
    """A change that was not run, and why (impossible, unused, or no change at all)."""

    parameter: str
    label: str
    kind: str
    direction: str
    change: str
    reason: str


def describe_distribution(dist) -> str:
    """A delay as people state it: `5m`, `median 2m, p90 5m`, `3m/5m/10m`..."""
    d = format_duration
    family = dist.dist
    if family == "fixed":
        return d(dist.value)
    if family == "lognormal":
        return f"median {d(dist.median)}, p90 {d(dist.p90)}"
    if family == "triangular":
        return f"{d(dist.min)}/{d(dist.mode)}/{d(dist.max)}"
    if family == "gamma":
        return f"gamma mean {d(dist.mean)}, sd {d(dist.sd)}"
    if family == "exponential":
        return f"exponential mean {d(dist.mean)}"
    if family == "weibull":
        return f"weibull shape {dist.shape:g}, scale {d(dist.scale)}"
    return f"{family}, mean {d(dist.mean)}"


def _dump(dist) -> dict:
    return dist.model_dump(mode="json")


def _factor_text(factor: float) -> str:
    return f"x{factor:g}"


class _Sweep:
    """Collects variants and skipped changes for one baseline trio."""

    def __init__(self, scenario: Loaded, staffing: Loaded, playbook: Loaded, change: float):
        self.scenario, self.staffing, self.playbook = scenario, staffing, playbook
        self.factors = {"down": 1 - change, "up": 1 + change}
        self.variants: list[Variant] = []
        self.skipped: list[Skipped] = []

    def _original(self, kind: str) -> Loaded:
        return {"scenario": self.scenario, "staffing": self.staffing, "playbook": self.playbook}[kind]

    def add(self, parameter: str, label: str, kind: str, direction: str, change: str, before: str, after: str,
            changes: dict | None, reason: str | None = None, leaves_nobody_in: str | None = None) -> None:
        skip = Skipped(parameter, label, kind, direction, change, reason or "")
        if changes is None:
            self.skipped.append(skip)
            return
        original = self._original(kind)
        note = f"{label} {change}"
        # Staffing options are compared side by side, so each needs its own name; scenario
        # and playbook names stay (the random streams are keyed by the scenario's name).
        name = f"{original.document.name} [{parameter.removeprefix('staffing.')} {change}]" if kind == "staffing" else None
        try:
            varied = with_changes(original, changes, note, name)
        except DocumentError as exc:
            self.skipped.append(Skipped(parameter, label, kind, direction, change,
                                        "not a valid document: " + "; ".join(p.message for p in exc.problems)))
            return
        if varied.document.model_dump(exclude={"name"}) == original.document.model_dump(exclude={"name"}):
            self.skipped.append(Skipped(parameter, label, kind, direction, change, "changes nothing"))
            return
        trio = {"scenario": self.scenario, "staffing": self.staffing, "playbook": self.playbook, kind: varied}
        problems = check_together(trio["scenario"], trio["staffing"], trio["playbook"])
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            self.skipped.append(Skipped(parameter, label, kind, direction, change,
                                        f"the documents would not fit together: {problems[0].message}{more}"))
            return
        self.variants.append(Variant(parameter, label, kind, direction, change, before, after, varied, leaves_nobody_in))

    # -- staffing ------------------------------------------------------------------------
    def pools(self) -> None:
        staffing = self.staffing.document
        for name, pool in staffing.pools.items():
            where = pool_path(staffing, name)
            key = f"staffing.{where[0]}.{name}"
            self.on_call(name, pool, where, key)
            self.acknowledge(name, pool, where, key)
            self.escalation(name, pool, where, key)
            self.skill(name, pool, where, key)

    def on_call(self, name: str, pool: ResponderPool, where: tuple, key: str) -> None:
        # The rota moves in step (ResponderPool.rota_for: each person keeps their share of
        # on-call time), as optimize's candidates do, so a person more or fewer on call has a price.
        label = f"{name}: people on call"
        before = str(pool.on_call) + ("" if pool.rota is None else f"/{pool.rota}")  # on call/rota
        for direction, step in (("down", -1), ("up", 1)):
            change = f"{step:+d}"
            new = pool.on_call + step
            if new < 0:
                self.add(f"{key}.on_call", label, "staffing", direction, change, before, "", None,
                         "nobody is on call already")
                continue
            rota = pool.rota_for(new)
            changes = {where + ("on_call",): new, where + ("rota",): rota}
            after = str(new) + ("" if rota is None else f"/{rota}")
            people = new if rota is None else rota
            self.add(f"{key}.on_call", label, "staffing", direction, change, before, after, changes,
                     leaves_nobody_in=name if people == 0 and pool.people > 0 else None)

    def acknowledge(self, name: str, pool: ResponderPool, where: tuple, key: str) -> None:
        pager = getattr(pool.coverage, "pager", True)
        for which, words in (("in_hours", "acknowledgement delay at work"),
                             ("out_of_hours", "acknowledgement delay from the pager")):
            dist = getattr(pool.acknowledge, which)
            reason = None
            if which == "out_of_hours" and bool(pool.in_hours.all()):
                reason = "never used: the role is at work around the clock"
            elif which == "out_of_hours" and not pager:
                reason = "never used: no pager out of hours (pages wait for the next shift)"
            self.scaled(f"{key}.acknowledge.{which}", f"{name}: {words}", "staffing",
                        {where + ("acknowledge", which): dist}, reason)

    def escalation(self, name: str, pool: ResponderPool, where: tuple, key: str) -> None:
        if pool.escalation is None:
            return
        timeout = pool.escalation.timeout
        for direction, factor in self.factors.items():
            self.add(f"{key}.escalation.timeout", f"{name}: escalation timeout", "staffing", direction,
                     _factor_text(factor), format_duration(timeout), format_duration(timeout * factor),
                     {where + ("escalation", "timeout"): timeout * factor})

    def skill(self, name: str, pool: ResponderPool, where: tuple, key: str) -> None:
        for direction, factor in self.factors.items():
            self.add(f"{key}.skill", f"{name}: skill factor (higher is faster)", "staffing", direction,
                     _factor_text(factor), f"{pool.skill:g}", f"{pool.skill * factor:g}",
                     {where + ("skill",): pool.skill * factor})

    # -- scaled delays -------------------------------------------------------------------
    def scaled(self, parameter: str, label: str, kind: str, dists: dict[tuple, Any], reason: str | None = None,
               names: dict[tuple, str] | None = None) -> None:
        """Scale every distribution in `dists` (path -> distribution) by the same factor."""
        names = names or {}

        def text(scaled: dict) -> str:
            return "; ".join((f"{names[p]}: " if p in names else "") + describe_distribution(d) for p, d in scaled.items())

        for direction, factor in self.factors.items():
            change = _factor_text(factor)
            before = text(dists)
            if reason is not None:
                self.add(parameter, label, kind, direction, change, before, "", None, reason)
                continue
            if all(isinstance(d, Fixed) and d.value == 0 for d in dists.values()):
                self.add(parameter, label, kind, direction, change, before, before, None,
                         "the delay is zero, so scaling it changes nothing")
                continue
            scaled = {p: d.scaled(factor) for p, d in dists.items()}
            self.add(parameter, label, kind, direction, change, before, text(scaled),
                     {p: _dump(d) for p, d in scaled.items()})

    # -- scenario and playbook -----------------------------------------------------------
    def diagnosis(self) -> None:
        self.scaled("scenario.diagnosis.time", "diagnosis time (scenario)", "scenario",
                    {("diagnosis", "time"): self.scenario.document.diagnosis.time})

    def declaration(self) -> None:
        book = self.playbook.document
        steps = _declaration_steps(book)
        label = "declaration delay (playbook)"
        if not steps:
            for direction, factor in self.factors.items():
                self.add("playbook.declaration", label, "playbook", direction, _factor_text(factor), "", "", None,
                         "no coordinate step leads to the declared milestone")
            return
        self.scaled("playbook.declaration", label, "playbook",
                    {("steps", i, "duration"): book.steps[i].duration for i in steps},
                    names={("steps", i, "duration"): book.steps[i].id for i in steps})

    def communications(self) -> None:
        book = self.playbook.document
        steps = _communication_steps(book)
        label = "communications overhead (playbook)"
        if not steps:
            for direction, factor in self.factors.items():
                self.add("playbook.communications", label, "playbook", direction, _factor_text(factor), "", "", None,
                         "no coordinate step writes stakeholder updates")
            return
        self.scaled("playbook.communications", label, "playbook",
                    {("steps", i, "duration"): book.steps[i].duration for i in steps},
                    names={("steps", i, "duration"): book.steps[i].id for i in steps})


def _declaration_steps(book) -> list[int]:
    """Coordinate steps on the way to `declared`: the step marking it and the coordinate
    steps it depends on, directly or not."""
    index = {s.id: i for i, s in enumerate(book.steps)}
    marking = [i for i, s in enumerate(book.steps) if s.milestone == "declared"]
    found: set[int] = set()
    todo = list(marking)
    while todo:
        i = todo.pop()
        if i in found:
            continue
        found.add(i)
        todo.extend(index[d] for d in book.steps[i].after if d in index)
    return sorted(i for i in found if book.steps[i].action == "coordinate" and book.steps[i].duration is not None)


def _communication_steps(book) -> list[int]:
    """Coordinate steps that write stakeholder updates: the one marking `first_update`, and
    any the communications lead is Responsible for."""
    out = []
    for i, s in enumerate(book.steps):
        if s.action != "coordinate" or s.duration is None:
            continue
        if s.milestone == "first_update" or "R" in s.raci.get("communications_lead", ""):
            out.append(i)
    return out


def sensitivity_variants(scenario: Loaded, staffing: Loaded, playbook: Loaded,
                         change: float) -> tuple[list[Variant], list[Skipped]]:
    """Every one-at-a-time change of a sensitivity sweep, down and up.

    Per role and resolver group of the staffing: people on call -1 and +1, the rota moving in
    step so that each person keeps their share of on-call time (so a role with one person on
    call goes down to nobody: `leaves_nobody_in` names it, and the playbook's role effects say
    who stands in), acknowledgement delays at work and from the pager, escalation
    timeout and skill factor, each times (1 - change) and (1 + change). From the scenario:
    the diagnosis time. From the playbook: the declaration delay (coordinate steps leading to
    `declared`) and the communications overhead (update-writing steps). Changes that are
    impossible, never used or change nothing are returned as Skipped with the reason.
    Raises DocumentError if the baseline documents do not fit together.
    """
    if not 0 < change < 1:
        raise ValueError(f"the change must be above 0% and below 100%, got {change:.0%}")
    problems = check_together(scenario, staffing, playbook)
    if problems:
        raise DocumentError(problems)
    sweep = _Sweep(scenario, staffing, playbook, change)
    sweep.pools()
    sweep.diagnosis()
    sweep.declaration()
    sweep.communications()
    return sweep.variants, sweep.skipped
