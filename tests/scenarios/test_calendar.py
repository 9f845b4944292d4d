"""Local hours follow daylight saving on real dates: cover, working hours and start times
given in a time zone land on the right UTC minutes on each side of a clock change."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from scenarios.calendar import REFERENCE_MONDAY, monday_of
from scenarios.scenario import FixedStart
from scenarios.staffing import BusinessHours, Shift

UTC = dt.timezone.utc


def first_covered(mask: np.ndarray, day: int) -> str:
    """The UTC clock time of the first covered minute of day `day` of the window."""
    minute = int(np.flatnonzero(mask[day * 1440:(day + 1) * 1440])[0])
    return f"{minute // 60:02d}:{minute % 60:02d}"


def test_business_hours_in_los_angeles_move_an_hour_in_utc_when_the_clocks_change():
    la = BusinessHours(type="business_hours", timezone="America/Los_Angeles", hours="09:00-17:00")
    # US clocks went forward on Sunday 8 March 2026 and back on Sunday 1 November 2026.
    march_before, march_after = dt.datetime(2026, 3, 2, tzinfo=UTC), dt.datetime(2026, 3, 9, tzinfo=UTC)
    assert first_covered(la.mask(march_before), 0) == "17:00"     # 09:00 PST
    assert first_covered(la.mask(march_after), 0) == "16:00"      # 09:00 PDT
    assert first_covered(la.mask(dt.datetime(2026, 10, 26, tzinfo=UTC)), 0) == "16:00"
    assert first_covered(la.mask(dt.datetime(2026, 11, 2, tzinfo=UTC)), 0) == "17:00"
    for start in (march_before, march_after):
        assert la.mask(start).sum() == 5 * 8 * 60                 # still eight hours a weekday


def test_a_week_with_a_clock_change_has_both_offsets():
    london = Shift(timezone="Europe/London", days=["fri", "sat", "sun", "mon"], hours="09:00-17:00")
    # Europe went forward on Sunday 29 March 2026: Friday and Saturday in GMT, Sunday in BST.
    mask = london.mask(dt.datetime(2026, 3, 23, tzinfo=UTC))
    assert first_covered(mask, 4) == "09:00" and first_covered(mask, 5) == "09:00"
    assert first_covered(mask, 6) == "08:00"


def test_a_night_shift_over_the_change_is_an_hour_shorter_or_longer():
    night = Shift(timezone="Europe/London", days=["sat"], hours="22:00-06:00")
    spring = night.mask(dt.datetime(2026, 3, 23, tzinfo=UTC)).sum()
    autumn = night.mask(dt.datetime(2026, 10, 19, tzinfo=UTC)).sum()
    assert (spring, autumn) == (7 * 60, 9 * 60)


def test_the_reference_week_is_what_undated_documents_always_meant():
    la = BusinessHours(type="business_hours", timezone="America/Los_Angeles", hours="09:00-17:00")
    assert np.array_equal(la.mask(), la.mask(REFERENCE_MONDAY))
    assert first_covered(la.mask(), 0) == "17:00"


def test_a_dated_start_reads_the_local_time_with_that_dates_offset():
    october = FixedStart(policy="fixed", date=dt.date(2026, 10, 27), time="09:30", timezone="America/Los_Angeles")
    assert october.moment == dt.datetime(2026, 10, 27, 16, 30, tzinfo=UTC)       # PDT, UTC-7
    assert october.anchor == dt.datetime(2026, 10, 26, tzinfo=UTC) == monday_of(october.moment)
    assert october.minute_of_week == 1 * 1440 + 16 * 60 + 30
    january = FixedStart(policy="fixed", weekday="tue", time="09:30", timezone="America/Los_Angeles")
    assert january.anchor == REFERENCE_MONDAY and january.minute_of_week == 1 * 1440 + 17 * 60 + 30


def test_a_fixed_start_needs_a_day_and_a_date_agrees_with_its_weekday():
    with pytest.raises(ValueError, match="needs a weekday"):
        FixedStart(policy="fixed", time="09:30")
    with pytest.raises(ValueError, match="2026-10-27 is a tue, not a wed"):
        FixedStart(policy="fixed", date=dt.date(2026, 10, 27), weekday="wed", time="09:30")
