"""Simulation errors share warroom's one exception root."""

from scenarios.errors import WarroomError

__all__ = ["SimulationError"]


class SimulationError(WarroomError):
    """The documents are valid but cannot be simulated as given."""
