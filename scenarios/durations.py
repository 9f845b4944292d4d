"""Durations as practitioners write them (`90s`, `15m`, `1h30m`, `3d`), held in minutes.

Every time in warroom is a float number of minutes; this module is the one place where
human units are turned into minutes and back.
"""

from __future__ import annotations

import math
import re

from .units import MINUTES_PER_DAY, MINUTES_PER_HOUR, SECONDS_PER_MINUTE

__all__ = ["parse_duration", "format_duration", "minutes_text", "DURATION_UNITS"]

DURATION_UNITS = {"d": MINUTES_PER_DAY, "h": MINUTES_PER_HOUR, "m": 1.0, "s": 1.0 / SECONDS_PER_MINUTE}

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([dhms])")
_WHOLE = re.compile(r"^\s*-?\s*(?:\d+(?:\.\d+)?\s*[dhms]\s*)+$")


def parse_duration(value: object) -> float:
    """Minutes from `90s`, `15m`, `1h30m`, `2d` or a bare number (already minutes).

    Raises ValueError quoting the bad value; negative durations are refused here so that
    every document field gets the same message.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as 90s, 15m or 1h30m, got {value!r}")
    if isinstance(value, (int, float)):
        try:
            minutes = float(value)
        except OverflowError:
            raise ValueError(f"duration is too large, got {value!r}") from None
    elif isinstance(value, str):
        text = value.strip().lower()
        if not _WHOLE.match(text):
            raise ValueError(f"expected a duration such as 90s, 15m or 1h30m, got {value!r}")
        minutes = sum(float(n) * DURATION_UNITS[u] for n, u in _PART.findall(text))
        if text.startswith("-"):
            minutes = -minutes
    else:
        raise ValueError(f"expected a duration such as 90s, 15m or 1h30m, got {value!r}")
    if not math.isfinite(minutes):
        raise ValueError(f"duration must be finite, got {value!r}")
    if minutes < 0:
        raise ValueError(f"duration must be >= 0, got {value!r}")
    return minutes


def format_duration(minutes: float) -> str:
    """Short human form (`1h30m`, `45m`, `90s`) for messages and reports."""
    if minutes is None or not math.isfinite(minutes):
        return "-"
    total_seconds = int(round(minutes * 60))
    if total_seconds < 60:
        return f"{total_seconds}s"
    days, rest = divmod(total_seconds, 86400)
    hours, rest = divmod(rest, 3600)
    mins, secs = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days}d")
    if hours:
        parts.append(f"{hours}h")
    if mins:
        parts.append(f"{mins}m")
    if secs and not days and not hours:
        parts.append(f"{secs}s")
    return "".join(parts) or "0s"


def minutes_text(minutes: float | None) -> str:
    """Scenario minutes as every scorecard and report shows them: whole minutes (`7`), or
    minutes and seconds (`8:30`) when not whole; `-` when there is no value."""
    if minutes is None or not math.isfinite(minutes):
        return "-"
    seconds = int(round(abs(minutes) * 60))
    sign = "-" if minutes < 0 and seconds else ""
    whole, rest = divmod(seconds, 60)
    return f"{sign}{whole}" if rest == 0 else f"{sign}{whole}:{rest:02d}"
