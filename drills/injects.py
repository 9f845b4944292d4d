"""The facilitator's hold on the master scenario events list: each scripted inject's
status in a running drill, and the rules for firing, holding, skipping and rescheduling it.

An inject is one of three kinds: timed (`at:` only), conditional (`when:`, from `at:` if
given) or requested (a topic a participant asks for). Its status:

- `scheduled`: timed, due at `due`;
- `waiting`: conditional, waiting for its condition (and for `not_before`, if rescheduled);
- `on_request`: requested, delivered when a participant asks for its topic;
- `sent`: delivered (a repeating conditional inject keeps waiting after it is sent);
- `held`: the facilitator holds it: nothing delivers it until it is released;
- `skipped`: it will not be delivered (its expected actions are not scored).

Every change is a facilitator control in the journal (`fire`, `hold`, `release`, `skip`,
`reschedule`), replayed on resume like any other input. Rescheduling a timed inject moves
when it is due; rescheduling a conditional or requested inject sets the earliest minute it
may be delivered. Firing delivers it now, whatever its condition; firing an inject that
detects the incident moves detection to now.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scenarios.exercise import Inject

from .errors import ActionRejected

__all__ = ["InjectSchedule", "Planned", "STEERING", "STATUSES"]

STEERING = ("fire", "hold", "release", "skip", "reschedule")
"""The facilitator's controls over one scripted inject."""

STATUSES = ("scheduled", "waiting", "on_request", "sent", "held", "skipped")


@dataclass
class Planned:
    """One scripted inject as the drill plans it."""

    inject: Inject
    due: float | None            # a timed inject: when it is due next
    not_before: float = 0.0      # a conditional or requested inject: the earliest minute it may be delivered
    held: bool = False
    skipped: bool = False
    generation: int = 0          # bumped when its due time moves; older timers find it stale
    overdue: bool = False        # fell due while held: delivered on release
    requests: list[str] = field(default_factory=list)  # roles that asked while it was held

    @property
    def kind(self) -> str:
        j = self.inject
        return "requested" if j.requested is not None else "conditional" if j.when is not None else "timed"


class InjectSchedule:
    """Every scripted inject of a drill with its plan; the engine delivers, this decides."""

    def __init__(self, injects: list[Inject]):
        self.planned: dict[str, Planned] = {
            j.id: Planned(j, due=j.at if j.timed else None, not_before=j.at or 0.0) for j in injects}

    def __getitem__(self, inject_id: str) -> Planned:
        found = self.planned.get(inject_id)
        if found is None:
            known = ", ".join(self.planned) or "none"
            raise ActionRejected(f"unknown inject {inject_id!r} (injects: {known})")
        return found

    def may_deliver(self, planned: Planned, now: float) -> bool:
        """Nothing held or skipped is delivered, nor anything before its earliest minute."""
        return not planned.held and not planned.skipped and now >= planned.not_before - 1e-9

    def status(self, planned: Planned, sent: int) -> str:
        if planned.skipped:
            return "skipped"
        if planned.held:
            return "held"
        repeats = planned.inject.repeat is not None
        if sent and not repeats:
            return "sent"
        return {"timed": "scheduled", "conditional": "waiting", "requested": "on_request"}[planned.kind]

    def check(self, name: str, planned: Planned, sent: int, now: float, at: float | None) -> None:
        """Refuse a steering control that cannot apply (nothing changes)."""
        inject = planned.inject
        done = sent and inject.repeat is None
        if name == "reschedule":
            if at is None:
                raise ActionRejected("reschedule needs `at`: the scenario minute to move it to")
            if at < now - 1e-9:
                raise ActionRejected(f"cannot reschedule {inject.id} into the past (now {now:g}m, asked {at:g}m)")
        elif at is not None:
            raise ActionRejected(f"{name} takes no `at` (only reschedule does)")
        if name in ("hold", "skip", "reschedule") and done:
            raise ActionRejected(f"{inject.id} was already sent; send an ad-hoc inject to add to it")
        if name == "fire" and done:
            raise ActionRejected(f"{inject.id} was already sent; send an ad-hoc inject to repeat it")
        if name == "hold" and planned.held:
            raise ActionRejected(f"{inject.id} is already held")
        if name == "skip" and planned.skipped:
            raise ActionRejected(f"{inject.id} is already skipped")
        if name == "release" and not (planned.held or planned.skipped):
            raise ActionRejected(f"{inject.id} is neither held nor skipped")

    def next_due(self, now: float) -> float | None:
        """When the next timed inject that may fire is due."""
        upcoming = [p.due for p in self.planned.values()
                    if p.due is not None and p.due >= now - 1e-9 and not p.held and not p.skipped]
        return min(upcoming) if upcoming else None
