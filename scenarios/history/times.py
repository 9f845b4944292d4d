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

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["parse_time", "parse_times", "after_offset", "zone_named", "iso_z", "iso_z_column", "BEYOND_RANGE"]

# A date alone ("2024-03-01") is not a time of an incident milestone.
_DATE_AND_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
# Epoch zero and year-1 placeholders are what broken exports write for "unknown".
_EARLIEST_PLAUSIBLE_YEAR = 1980
# The table holds nanosecond times (datetime64[ns, UTC]), which end in April 2262. A later
# time is almost always a "never" placeholder (ServiceNow's 9999-12-31 23:59:59) or a
# broken offset: an error on its row, not an overflow deep inside pandas.
_LATEST = datetime(2262, 4, 11, 23, 47, 16, tzinfo=timezone.utc)
_BEFORE_PLAUSIBLE = f"before {_EARLIEST_PLAUSIBLE_YEAR}: a placeholder, not a real time"
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
    if moment.tzinfo is None and zone is None:
        raise ValueError(f"has no time zone offset; write Z or +hh:mm, or {zone_hint}")
    local = moment.replace(tzinfo=zone) if moment.tzinfo is None else moment
    try:
        utc = local.astimezone(timezone.utc)
        # A wall time skipped by a daylight-saving change does not exist; say so rather than shift it.
        skipped = moment.tzinfo is None and utc.astimezone(zone).replace(tzinfo=None) != moment
    except OverflowError:  # 9999-12-31 or 0001-01-01 shifted out of the calendar by its offset
        raise ValueError(_BEFORE_PLAUSIBLE if moment.year < _EARLIEST_PLAUSIBLE_YEAR else BEYOND_RANGE) from None
    if skipped:
        raise ValueError(f"does not exist in {zone.key} (the clocks skipped it)")
    if utc.year < _EARLIEST_PLAUSIBLE_YEAR:
        raise ValueError(_BEFORE_PLAUSIBLE)
    return _within_range(lambda: pd.Timestamp(utc).tz_convert("UTC"))


# The layout of nearly every exported time, read a whole column at a time: date, T or space,
# time to the second, up to 6 digits of fraction, Z or +hh:mm or nothing. Anything else (and
# any value this reading cannot vouch for) is read by `parse_time`, value by value.
_COMMON_LAYOUT = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})?$"
_BLANK = r"^[ \t]*$"
_NAT = np.iinfo(np.int64).min
_EARLIEST_SECOND = int(datetime(_EARLIEST_PLAUSIBLE_YEAR, 1, 1, tzinfo=timezone.utc).timestamp())
_LATEST_SECOND = int(_LATEST.timestamp())
_DAY = 86_400


def parse_times(raws: pa.StringArray, zone: ZoneInfo | None) -> tuple[np.ndarray, np.ndarray]:
    """`parse_time` over a column of texts (nulls allowed) at once: the UTC times as
    datetime64[ns] (NaT where empty or unreadable), and which values are unreadable (each
    raises ValueError in `parse_time`, which says why). The same times as value by value."""
    count = len(raws)
    moments = np.full(count, _NAT, dtype=np.int64)
    failed = np.zeros(count, dtype=bool)
    common = pc.fill_null(pc.match_substring_regex(raws, _COMMON_LAYOUT), False).to_numpy(zero_copy_only=False)
    blank = pc.fill_null(pc.match_substring_regex(raws, _BLANK), True).to_numpy(zero_copy_only=False)
    one_by_one = ~common & ~blank
    positions = np.flatnonzero(common)
    if len(positions):
        nanoseconds, vouched = _common_layout(raws, positions, zone)
        moments[positions[vouched]] = nanoseconds[vouched]
        one_by_one[positions[~vouched]] = True
    for position in np.flatnonzero(one_by_one):
        try:
            moment = parse_time(raws[int(position)].as_py(), zone)
        except ValueError:
            failed[position] = True
        else:
            if moment is not None:
                moments[position] = moment.value
    return moments.view("datetime64[ns]"), failed


def _common_layout(raws: pa.StringArray, positions: np.ndarray, zone: ZoneInfo | None) -> tuple[np.ndarray, np.ndarray]:
    """The UTC nanoseconds of the values at `positions` (all in the common layout, so ASCII)
    and which of them this reading vouches for: a real date and time, an offset under 24
    hours, a zone for a time without one (existing and unambiguous there), 1980 to 2262."""
    offsets = np.frombuffer(raws.buffers()[1], dtype=np.int32)[raws.offset:raws.offset + len(raws) + 1]
    data = np.frombuffer(raws.buffers()[2], dtype=np.uint8)
    starts = offsets[positions].astype(np.int64)
    ends = offsets[positions + 1].astype(np.int64)

    def number(at: np.ndarray, digits: int = 2) -> np.ndarray:
        value = np.zeros(len(at), dtype=np.int64)
        for place in range(digits):
            value = value * 10 + data[at + place] - 48
        return value

    year, month, day = number(starts, 4), number(starts + 5), number(starts + 8)
    hour, minute, second = number(starts + 11), number(starts + 14), number(starts + 17)
    utc_marked = data[ends - 1] == ord("Z")
    signed = (ends - starts >= 25) & np.isin(data[ends - 6], (ord("+"), ord("-")))
    fraction_digits = np.maximum(ends - starts - 19 - utc_marked - 6 * signed - 1, 0)
    microseconds = np.zeros(len(positions), dtype=np.int64)
    for place in range(6):
        present = place < fraction_digits
        digit = data[np.where(present, starts + 20 + place, starts)].astype(np.int64) - 48
        microseconds += np.where(present, digit, 0) * 10 ** (5 - place)
    offset_hours = number(np.where(signed, ends - 5, starts))
    offset_minutes = number(np.where(signed, ends - 2, starts))
    east = np.where(data[ends - 6] == ord("-"), -1, 1)
    vouched = ((year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= _days_in_month(year, month))
               & (hour < 24) & (minute < 60) & (second < 60)
               & (~signed | ((offset_hours < 24) & (offset_minutes < 60))))
    wall = _days_from_civil(year, month, day) * _DAY + hour * 3600 + minute * 60 + second
    seconds = wall - np.where(signed, east * (offset_hours * 3600 + offset_minutes * 60), 0)
    local = ~utc_marked & ~signed
    if local.any():
        if zone is None:
            vouched &= ~local  # an error, worded by parse_time
        else:
            # Two days' margin either side: no zone is that far from UTC.
            placeable = local & vouched & (wall > _EARLIEST_SECOND - 2 * _DAY) & (wall < _LATEST_SECOND - 2 * _DAY)
            at = np.flatnonzero(placeable)
            placed = pd.DatetimeIndex(wall[at] * 10**9 + microseconds[at] * 1000, dtype="datetime64[ns]").tz_localize(
                zone, ambiguous="NaT", nonexistent="NaT")
            utc_nanoseconds = placed.asi8
            known = ~np.asarray(placed.isna())
            seconds[at] = np.where(known, utc_nanoseconds // 10**9, 0)
            vouched &= ~local | placeable
            vouched[at[~known]] = False  # skipped or repeated by a clock change: parse_time says which
    vouched &= (seconds >= _EARLIEST_SECOND) & (
        (seconds < _LATEST_SECOND) | ((seconds == _LATEST_SECOND) & (microseconds == 0)))
    nanoseconds = np.where(vouched, seconds, 0) * 10**9 + np.where(vouched, microseconds, 0) * 1000
    return nanoseconds, vouched


def _days_in_month(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    lengths = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    return np.where((month == 2) & leap, 29, lengths[np.clip(month, 1, 12) - 1])


def _days_from_civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's algorithm)."""
    shifted = year - (month <= 2)
    era = shifted // 400
    year_of_era = shifted - era * 400
    day_of_year = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146_097 + day_of_era - 719_468


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


def iso_z_column(moments: pd.Series) -> list[str]:
    """`iso_z` of each time of a column at once ('' where missing; times without a zone are UTC)."""
    utc = pd.to_datetime(moments, utc=True).dt.tz_localize(None)
    nanoseconds = utc.to_numpy(dtype="datetime64[ns]").view(np.int64)
    missing = nanoseconds == _NAT
    seconds = np.where(missing, 0, nanoseconds // 10**9).astype("datetime64[s]")
    texts = np.datetime_as_string(seconds, unit="s", timezone="UTC").tolist()  # ends in Z
    microseconds = np.where(missing, 0, (nanoseconds // 1000) % 10**6)
    for position in np.flatnonzero(microseconds).tolist():
        fraction = f"{microseconds[position]:06d}"
        texts[position] = f"{texts[position][:-1]}.{fraction[:3] if fraction.endswith('000') else fraction}Z"
    for position in np.flatnonzero(missing).tolist():
        texts[position] = ""
    return texts
