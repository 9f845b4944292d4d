"""Scored time of a drill: scenario minutes less the minutes the facilitator jumped over
(control `jump` {from, to}), which never count for or against the team in any span that
contains them (SPEC 3.7). Speed changes need nothing here: journal times are already
scenario minutes, whatever the clock's speed was.

One rule for both readers of a journal: the drill's scoring (its DrillEvents) and the
history importer (the exported JSON's event dicts)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Timeline"]


def _fields(event: Any) -> tuple[Any, Any, Any, Mapping]:
    """(kind, name, t, detail) of a DrillEvent or of an exported event dict."""
    if isinstance(event, Mapping):
        return event.get("kind"), event.get("name"), event.get("t"), event.get("detail") or {}
    return event.kind, event.name, event.t, event.detail or {}


@dataclass(frozen=True)
class Timeline:
    """The spans jumped over, as (from, to) scenario minutes in time order."""

    jumps: tuple[tuple[float, float], ...] = ()

    @classmethod
    def of(cls, events: Iterable[Any]) -> "Timeline":
        """The jumps among a journal's `events` (DrillEvents, or the dicts `drill export` writes)."""
        jumps = []
        for event in events:
            kind, name, t, detail = _fields(event)
            if kind == "control" and name == "jump":
                start, end = float(detail.get("from", t)), float(detail.get("to", t))
                if end > start:
                    jumps.append((start, end))
        return cls(tuple(sorted(jumps)))

    def jumped(self, begin: float, end: float) -> float:
        """Minutes jumped over between scenario minutes `begin` and `end`."""
        return sum(max(0.0, min(end, hi) - max(begin, lo)) for lo, hi in self.jumps)

    def span(self, begin: float, end: float) -> float:
        """Scored minutes from `begin` to `end`: the scenario minutes less those jumped over."""
        return end - begin - self.jumped(begin, end)

    def scored(self, t: float) -> float:
        """Scenario minute `t` on the scored clock (minutes since impact start, less jumps)."""
        return t - self.jumped(0.0, t)
