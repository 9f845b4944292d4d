"""Limits per token on the live drill server, so one participant (or one runaway script)
cannot stall a drill for everyone: how many writes a minute and how many open streams.

Defaults are generous for people and tight for floods: a person acting every second for
a minute is far beyond any real bridge; three streams cover a page open in a few tabs.
`warroom drill serve --max-actions-per-minute/--max-streams` set them.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

__all__ = ["Limits", "Throttle", "LimitExceeded"]


@dataclass(frozen=True)
class Limits:
    """The server's limits per token. `actions_per_minute` counts every POST a token makes
    (actions, controls, injects, ratings), over a sliding minute."""

    actions_per_minute: int = 60
    streams: int = 3
    body_bytes: int = 64 * 1024
    json_depth: int = 32

    def __post_init__(self):
        for name in ("actions_per_minute", "streams", "body_bytes", "json_depth"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}")


class LimitExceeded(Exception):
    """A token went over one of its limits; `retry_after` is in seconds."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class Throttle:
    """Counts each token's recent writes and open streams (one server process, one loop)."""

    limits: Limits = field(default_factory=Limits)
    clock: Callable[[], float] = time.monotonic
    _writes: dict = field(default_factory=dict)
    _streams: dict = field(default_factory=dict)

    def write(self, token: str) -> None:
        """Count one write by `token`, or raise LimitExceeded if it has had its minute's share."""
        now = self.clock()
        recent = self._writes.setdefault(token, deque())
        while recent and recent[0] <= now - 60.0:
            recent.popleft()
        if len(recent) >= self.limits.actions_per_minute:
            wait = max(1, int(recent[0] + 60.0 - now + 0.999))
            raise LimitExceeded(f"too many requests: at most {self.limits.actions_per_minute} a minute per link; "
                                f"try again in {wait} s", wait)
        recent.append(now)

    def open_stream(self, token: str) -> None:
        open_now = self._streams.get(token, 0)
        if open_now >= self.limits.streams:
            raise LimitExceeded(f"too many open streams: at most {self.limits.streams} per link; close another "
                                f"tab of this page first", 5)
        self._streams[token] = open_now + 1

    def close_stream(self, token: str) -> None:
        left = self._streams.get(token, 0) - 1
        if left > 0:
            self._streams[token] = left
        else:
            self._streams.pop(token, None)
