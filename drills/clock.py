"""The drill clock: scenario minutes advanced by wall time times a speed factor.

1 = real time, 4 = four times faster. The facilitator can pause, resume, change speed
and jump ahead; the clock never runs backwards. Replays do not use a clock at all: they
step the engine straight to each recorded scenario minute.
"""

from __future__ import annotations

import time
from typing import Callable

from scenarios.units import SECONDS_PER_MINUTE

__all__ = ["DrillClock"]


class DrillClock:
    def __init__(self, start: float = 0.0, speed: float = 1.0, running: bool = False,
                 wall: Callable[[], float] = time.monotonic):
        if speed <= 0:
            raise ValueError(f"speed must be > 0, got {speed!r}")
        self._wall = wall
        self._anchor_t = float(start)
        self._anchor_wall = wall()
        self.speed = float(speed)
        self.running = running

    def now(self) -> float:
        """Scenario minutes now."""
        if not self.running:
            return self._anchor_t
        return self._anchor_t + (self._wall() - self._anchor_wall) * self.speed / SECONDS_PER_MINUTE

    def _reanchor(self, t: float) -> None:
        self._anchor_t = t
        self._anchor_wall = self._wall()

    def pause(self) -> None:
        self._reanchor(self.now())
        self.running = False

    def resume(self) -> None:
        self._reanchor(self.now())
        self.running = True

    def set_speed(self, speed: float) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be > 0, got {speed!r}")
        self._reanchor(self.now())
        self.speed = float(speed)

    def jump_to(self, t: float) -> None:
        """Move ahead to scenario minute `t` (never back)."""
        self._reanchor(max(t, self.now()))

    def wall_seconds_until(self, t: float) -> float | None:
        """Wall seconds until scenario minute `t` at the current speed (None when paused)."""
        if not self.running:
            return None
        return max(t - self.now(), 0.0) * SECONDS_PER_MINUTE / self.speed
