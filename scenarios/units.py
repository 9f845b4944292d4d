"""Time units. warroom counts time in minutes (floats) everywhere; calendars are minutes of
a week from Monday 00:00 UTC. Every conversion goes through these names."""

from __future__ import annotations

__all__ = ["SECONDS_PER_MINUTE", "MINUTES_PER_HOUR", "MINUTES_PER_DAY", "MINUTES_PER_WEEK", "MINUTES_PER_YEAR",
           "DAYS_PER_AVERAGE_YEAR", "MINUTES_PER_AVERAGE_YEAR"]

SECONDS_PER_MINUTE = 60.0
MINUTES_PER_HOUR = 60.0
MINUTES_PER_DAY = 1440.0
MINUTES_PER_WEEK = 7 * 24 * 60  # an int: it indexes the weekly calendars
MINUTES_PER_YEAR = 525600.0  # 365 days: a simulated year (the stream horizon, rates per year)
DAYS_PER_AVERAGE_YEAR = 365.25  # calendar history: incidents per year over real dates
MINUTES_PER_AVERAGE_YEAR = DAYS_PER_AVERAGE_YEAR * MINUTES_PER_DAY
