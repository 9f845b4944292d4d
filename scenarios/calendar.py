"""The model's calendar: simulated minutes mapped to real UTC dates, so working hours and
on-call cover given in local time follow each zone's daylight saving.

A run has an anchor, a UTC instant (Monday 00:00 of the week the scenario's start
policy names, or the stream's first day); minute m of the run is `anchor + m minutes`.
Coverage is worked out one seven-day window at a time from the anchor: window w covers
minutes [w * 10080, (w + 1) * 10080). A run with no date anchors at REFERENCE_MONDAY,
a January week, which is how warroom read local hours before it knew dates.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np

from .units import MINUTES_PER_WEEK

__all__ = ["REFERENCE_MONDAY", "WEEKDAYS", "monday_of", "window_start", "local_spans_mask", "as_utc"]

REFERENCE_MONDAY = dt.datetime(2025, 1, 6, tzinfo=dt.timezone.utc)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEK = dt.timedelta(minutes=MINUTES_PER_WEEK)


def as_utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.timezone.utc)


def monday_of(moment: dt.datetime) -> dt.datetime:
    """Monday 00:00 UTC of the UTC week holding `moment`."""
    utc = as_utc(moment)
    day = utc.date() - dt.timedelta(days=utc.weekday())
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)


def window_start(anchor: dt.datetime, window: int) -> dt.datetime:
    return anchor + window * _WEEK


def local_spans_mask(start: dt.datetime, timezone: str, days, begin: int, length: int) -> np.ndarray:
    """True for each minute of the seven days from `start` (UTC) that falls in a local span
    beginning `begin` minutes after local midnight and lasting `length` minutes of wall-clock
    time, on one of `days`, in `timezone` with its real offset on each date (so a span
    follows daylight saving, and a night span over the change is an hour shorter or longer)."""
    zone = ZoneInfo(timezone)
    covered = np.zeros(MINUTES_PER_WEEK, dtype=bool)
    first_local = as_utc(start).astimezone(zone).date() - dt.timedelta(days=1)
    wanted = {WEEKDAYS.index(d) for d in days}
    minute = dt.timedelta(minutes=1)
    for k in range(9):
        day = first_local + dt.timedelta(days=k)
        if day.weekday() not in wanted:
            continue
        midnight = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
        opens = midnight + dt.timedelta(minutes=begin)           # wall-clock arithmetic in the zone
        closes = opens + dt.timedelta(minutes=length)
        lo = max(int((as_utc(opens) - start) // minute), 0)
        hi = min(int((as_utc(closes) - start) // minute), MINUTES_PER_WEEK)
        if lo < hi:
            covered[lo:hi] = True
    return covered
