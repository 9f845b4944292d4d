"""The journal's rows: flat, frozen events in scenario time (minutes from impact start).

Inputs are what people did (actions, facilitator controls, adjudications, ratings,
ad-hoc injects); outputs are what the world did in response (injects delivered,
milestones reached, responders joining, work started, the service changing). A drill is
rebuilt by replaying its inputs at their scenario times: the outputs come out again,
identically. Some inputs are only for the record and change nothing in the world, so
replay skips them: participants' hot-wash feedback, evaluators' marks on expected actions,
and actions the drill refused in scripted play.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Mapping

__all__ = ["DrillEvent", "INPUT_KINDS", "RECORD_ONLY_KINDS", "OUTPUT_KINDS", "EVENT_KINDS"]

RECORD_ONLY_KINDS = ("feedback", "mark", "rejection")
"""Inputs replay skips: `feedback` {answers: {question: text}} from a participant after the
drill (the hot wash), `mark` {inject, met, reason, occurrence?} from an evaluator, overriding
whether an inject's expected action was met, and `rejection` {action, fields, reason,
expected} for an action scripted play saw refused (role and actor as the action's)."""
INPUT_KINDS = ("action", "control", "adjudication", "rating", "adhoc_inject") + RECORD_ONLY_KINDS
OUTPUT_KINDS = ("inject", "milestone", "world", "joined")
EVENT_KINDS = INPUT_KINDS + OUTPUT_KINDS


@dataclass(frozen=True)
class DrillEvent:
    """One journal row. `name` is the action, inject id, milestone or control; `detail`
    carries the rest as JSON-ready values (format in docs/reference/drills.md)."""

    kind: str
    t: float
    name: str
    role: str = ""
    actor: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)
    seq: int | None = None
    wall: str | None = None

    def __post_init__(self):
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {self.kind!r}")
        object.__setattr__(self, "detail", MappingProxyType(dict(self.detail)))

    @property
    def is_input(self) -> bool:
        return self.kind in INPUT_KINDS

    @property
    def replayed(self) -> bool:
        """Whether rebuilding the drill replays this input (record-only inputs are not)."""
        return self.kind in INPUT_KINDS and self.kind not in RECORD_ONLY_KINDS

    @property
    def identity(self) -> tuple:
        """What a rebuilt drill must reproduce for this output, exactly."""
        return (self.kind, self.name, self.role, self.t)

    def numbered(self, seq: int, wall: str) -> "DrillEvent":
        return replace(self, seq=seq, wall=wall)

    def to_dict(self) -> dict:
        return {"seq": self.seq, "t": self.t, "wall": self.wall, "kind": self.kind, "name": self.name,
                "role": self.role, "actor": self.actor, "detail": dict(self.detail)}

    @classmethod
    def from_dict(cls, row: Mapping) -> "DrillEvent":
        return cls(kind=row["kind"], t=float(row["t"]), name=row["name"], role=row.get("role", ""),
                   actor=row.get("actor", ""), detail=row.get("detail") or {}, seq=row.get("seq"),
                   wall=row.get("wall"))
