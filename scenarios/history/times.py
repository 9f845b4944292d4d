"""Timestamps at the history boundary: parsed strictly, made UTC, written back as ISO 8601 with Z.

A time without an offset is only accepted when its zone is known: the format defines it
(ServiceNow's Table API is UTC; PagerDuty Analytics gives `time_zone`) or the caller says
which zone to assume. Guessing a zone silently would shift every duration that crosses
two sources, so it is an error instead.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

__all__ = ["parse_time", "after_offset", "zone_named", "iso_z", "BEYOND_RANGE"]

# A date alone ("2024-03-01") is not a time of an incident milestone.
_DATE_AND_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
# Epoch zero and year-1 placeholders are what broken exports write for "unknown".
_EARLIEST_PLAUSIBLE_YEAR = 1980
# The table holds nanosecond times (datetime64[ns, UTC]), which end in April 2262. A later
# time is almost always a "never" placeholder (ServiceNow's 9999-12-31 23:59:59) or a
# broken offset: an error on its row, not an overflow deep inside pandas.
_LATEST = datetime(2262, 4, 11, 23, 47, 16, tzinfo=timezone.utc)
BEYOND_RANGE = "beyond 2262 (the latest time a history can hold): a placeholder for 'never'? leave it empty"


def zone_named(name: str) -> ZoneInfo:
    """The IANA time zone called `name` (e.g. "Europe/Paris", "UTC"); ValueError if unknown."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError("a time zone must be an IANA name such as 'Europe/Paris' or 'UTC'")
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (expected an IANA name such as 'Europe/Paris' or 'UTC')") from None


def parse_time(raw: object, zone: ZoneInfo | None, *, zone_hint: str = "pass --assume-timezone") -> pd.Timestamp | None:
    """`raw` (ISO 8601 text) as a UTC timestamp; None when empty.

    A time with an offset (or Z) keeps it. A time without one is read in `zone`, and is an
    error when `zone` is None. Raises ValueError saying what is wrong.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if not isinstance(raw, str):
        raise ValueError("expected an ISO 8601 date and time as text")
    text = raw.strip()
    if not _DATE_AND_TIME.match(text):
        raise ValueError("not an ISO 8601 date and time (expected e.g. 2024-03-01T14:05:00Z)")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"not a valid date and time ({exc})") from None
    if moment.tzinfo is None:
        if zone is None:
            raise ValueError(f"has no time zone offset; write Z or +hh:mm, or {zone_hint}")
        local = moment.replace(tzinfo=zone)
        # A wall time skipped by a daylight-saving change does not exist; say so rather than shift it.
        if local.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) != moment:
            raise ValueError(f"does not exist in {zone.key} (the clocks skipped it)")
        moment = local
    try:
        utc = moment.astimezone(timezone.utc)
    except OverflowError:  # 9999-12-31 23:59 in a zone east of UTC
        raise ValueError(BEYOND_RANGE) from None
    if utc.year < _EARLIEST_PLAUSIBLE_YEAR:
        raise ValueError(f"before {_EARLIEST_PLAUSIBLE_YEAR}: a placeholder, not a real time")
    return _within_range(lambda: pd.Timestamp(utc).tz_convert("UTC"))


def _within_range(compute) -> pd.Timestamp:
    """The time `compute()` gives, as a ValueError when the table cannot hold it."""
    try:
        moment = compute()
    except (OverflowError, pd.errors.OutOfBoundsDatetime, pd.errors.OutOfBoundsTimedelta):
        raise ValueError(BEYOND_RANGE) from None
    if moment > _LATEST:
        raise ValueError(BEYOND_RANGE)
    return moment


def after_offset(start: pd.Timestamp, amount: object, unit: str) -> pd.Timestamp | None:
    """`start` plus `amount` `unit`s ("ms" or "s"); None when the amount is absent.

    Durations platforms report as offsets (Opsgenie's `report.ackTime` in milliseconds,
    PagerDuty Analytics' `seconds_to_first_ack`) become times this way.
    """
    if amount is None or (isinstance(amount, str) and not amount.strip()):
        return None
    if isinstance(amount, bool):
        raise ValueError("expected a number")
    if isinstance(amount, str):
        try:
            amount = float(amount)
        except ValueError:
            raise ValueError("expected a number") from None
    if not isinstance(amount, (int, float)) or not math.isfinite(amount):
        raise ValueError("expected a number")
    if amount < 0:
        raise ValueError("a negative duration: it would come before the time it is measured from")
    return _within_range(lambda: start + pd.to_timedelta(amount, unit=unit))


def iso_z(moment: pd.Timestamp | datetime | None) -> str:
    """UTC ISO 8601 with a Z suffix ('' for a missing time); fractions of a second only when present."""
    if moment is None or pd.isna(moment):
        return ""
    utc = pd.Timestamp(moment)
    utc = utc.tz_localize("UTC") if utc.tzinfo is None else utc.tz_convert("UTC")
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        fraction = f"{utc.microsecond:06d}"
        text += "." + (fraction[:3] if fraction.endswith("000") else fraction)
    return text + "Z"
