"""Scored time: a drill is scored in scenario minutes, less the minutes the facilitator
jumped over (control `jump` {from, to}), which are never counted against the team in any
span that contains them. Speed changes need nothing here: journal times are already
scenario minutes, whatever the clock's speed was."""

from __future__ import annotations

from dataclasses import dataclass

from .events import DrillEvent

__all__ = ["Timeline"]


@dataclass(frozen=True)
class Timeline:
    """The spans jumped over, as (from, to) scenario minutes in time order."""

    jumps: tuple[tuple[float, float], ...] = ()

    @classmethod
    def of(cls, events: tuple[DrillEvent, ...] | list[DrillEvent]) -> "Timeline":
        jumps = []
        for e in events:
            if e.kind == "control" and e.name == "jump":
                start, end = float(e.detail.get("from", e.t)), float(e.detail.get("to", e.t))
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
