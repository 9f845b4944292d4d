"""Errors of the drill engine, under warroom's one root."""

from scenarios.errors import WarroomError

__all__ = ["DrillError", "ActionRejected"]


class DrillError(WarroomError):
    """A drill cannot be created, resumed or driven as asked."""


class ActionRejected(DrillError):
    """An action, control or ruling that cannot be taken now; the drill is unchanged."""
