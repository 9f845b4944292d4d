import pytest
from hypothesis import given
from hypothesis import strategies as st

from scenarios import format_duration, parse_duration


@pytest.mark.parametrize(
    "text, minutes",
    [("90s", 1.5), ("15m", 15), ("1h30m", 90), ("2d", 2880), ("1h 5m 30s", 65.5), (12, 12), (0.5, 0.5), ("0m", 0)],
)
def test_human_units_become_minutes(text, minutes):
    assert parse_duration(text) == pytest.approx(minutes)


@pytest.mark.parametrize("bad", ["5 minutes", "m", "", "1x", "-5m", -3, True, None, [1]])
def test_bad_durations_are_refused_quoting_the_value(bad):
    with pytest.raises(ValueError) as err:
        parse_duration(bad)
    assert repr(bad) in str(err.value)


@given(st.integers(min_value=0, max_value=10 * 24 * 3600))
def test_format_then_parse_round_trips_to_the_shown_precision(seconds):
    minutes = seconds / 60
    text = format_duration(minutes)
    if seconds >= 3600:  # past an hour the seconds are dropped by design
        assert abs(parse_duration(text) - minutes) < 1
    else:
        assert parse_duration(text) == pytest.approx(minutes)
