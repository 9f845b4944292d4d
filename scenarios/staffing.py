"""Staffing: who responds, when they are reachable, how fast, and what it costs.

`on_call` is capacity (people on call at once, whom concurrent incidents contend for);
`rota` is cost (people sharing the rotation). Coverage places each role on a real weekly
calendar: in hours a page is answered at the desk, out of hours from a pager (slower), or
not at all until the next shift when there is no pager.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from functools import cached_property
from typing import Annotated, Literal, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from .base import Frozen, Identifier, PositiveMinutes
from .calendar import REFERENCE_MONDAY, local_spans_mask
from .classification import Triage
from .currency import DEFAULT_CURRENCY, Currency, currency_description
from .distributions import Distribution, LogNormal
from .roles import ROLES
from .units import MINUTES_PER_HOUR, MINUTES_PER_WEEK

__all__ = [
    "Staffing",
    "ResponderPool",
    "Coverage",
    "Always",
    "BusinessHours",
    "FollowTheSun",
    "Shift",
    "CalibratedFrom",
    "STANDARD_WORKING_HOURS_PER_YEAR",
]

STANDARD_WORKING_HOURS_PER_YEAR = 2080.0  # 40 h x 52 weeks

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("unknown time zone (use an IANA name such as Europe/London)")
    return name


def _check_hours(text: str) -> str:
    match = _HOURS.match(text)
    if not match:
        raise ValueError(f"hours must look like 09:00-17:00, got {text!r}")
    start = int(match[1]) * 60 + int(match[2])
    end = int(match[3]) * 60 + int(match[4])
    if end == start or end > 24 * 60:
        raise ValueError(f"hours must span some time within a day, got {text!r}")
    return text


TimeZone = Annotated[str, BeforeValidator(_check_timezone)]


def _check_role(name: str) -> str:
    if name not in ROLES:
        raise ValueError(
            f"unknown role (roles are {', '.join(ROLES)}; put teams such as database or sre under resolver_groups)"
        )
    return name


RoleName = Annotated[str, AfterValidator(_check_role)]
Hours = Annotated[str, BeforeValidator(_check_hours)]


class Shift(Frozen):
    """Working hours on given weekdays in a local time zone (an overnight span wraps)."""

    timezone: TimeZone = "UTC"
    days: list[Weekday] = Field(default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"])
    hours: Hours = "09:00-17:00"

    def mask(self, start: dt.datetime = REFERENCE_MONDAY) -> np.ndarray:
        """True for each minute of the seven days from `start` (UTC) covered by this shift,
        with the zone's real offset on each date."""
        start_text, end_text = self.hours.split("-")
        begin = int(start_text[:2]) * 60 + int(start_text[3:])
        end = int(end_text[:2]) * 60 + int(end_text[3:])
        length = (end - begin) % (24 * 60) or 24 * 60
        return local_spans_mask(start, self.timezone, set(self.days), begin, length)


class Always(Frozen):
    """Someone is at work around the clock (24x7)."""

    type: Literal["24x7"]
    pager: bool = True

    def mask(self, start: dt.datetime = REFERENCE_MONDAY) -> np.ndarray:
        return np.ones(MINUTES_PER_WEEK, dtype=bool)


class BusinessHours(Shift):
    """At work in business hours; out of hours reachable by pager unless `pager: false`."""

    type: Literal["business_hours"]
    pager: bool = True


class FollowTheSun(Frozen):
    """Regional shifts handing over around the globe; gaps fall back to the pager."""

    type: Literal["follow_the_sun"]
    shifts: Annotated[list[Shift], Field(min_length=1)]
    pager: bool = True

    def mask(self, start: dt.datetime = REFERENCE_MONDAY) -> np.ndarray:
        covered = np.zeros(MINUTES_PER_WEEK, dtype=bool)
        for shift in self.shifts:
            covered |= shift.mask(start)
        return covered


def _coverage_shorthand(value):
    if isinstance(value, str):
        return {"type": value}
    return value


Coverage = Annotated[
    Union[Always, BusinessHours, FollowTheSun],
    Field(discriminator="type"),
    BeforeValidator(_coverage_shorthand),
]


class Acknowledgement(Frozen):
    """How long a paged responder takes to acknowledge, at work and from the pager."""

    in_hours: Distribution = LogNormal(dist="lognormal", median=2, p90=5)
    out_of_hours: Distribution = LogNormal(dist="lognormal", median=8, p90=20)


class Escalation(Frozen):
    """A page not acknowledged within `timeout` goes to a backup as well; first answer wins."""

    timeout: PositiveMinutes
    backup_acknowledge: Distribution = LogNormal(dist="lognormal", median=5, p90=15)


class ResponderPool(Frozen):
    """One role or resolver group: how many, when reachable, how fast, what it costs."""

    on_call: int = Field(1, ge=0, description="People on call at once: the capacity incidents contend for.")
    rota: int | None = Field(None, ge=0, description="People sharing the rotation (cost); defaults to on_call. When an incident needs "
                                 "more people than are on call, the others are called in from the rota: in stream mode "
                                 "at most rota - on_call at once across concurrent incidents, a further call-in waiting "
                                 "for one of them.")
    coverage: Coverage = Always(type="24x7")
    acknowledge: Acknowledgement = Acknowledgement()
    escalation: Escalation | None = None
    call_in: Distribution = Field(
        LogNormal(dist="lognormal", median=30, p90=75),
        description="Delay to call in an off-call member of the rota when an incident needs more people than are on call.",
    )
    working_hours: Shift | None = Field(
        None, description="When the rota's people are at work (default: the coverage's hours for business_hours "
                          "coverage, otherwise never). Someone needed beyond those on call answers from the desk "
                          "(the in-hours acknowledgement) within these hours, and is called in (call_in) outside them.")
    skill: float = Field(1.0, gt=0, description="Speed factor: diagnosis, workaround and fix durations are divided by it.")
    hourly_rate: float = Field(0.0, ge=0)
    on_call_pay: float = Field(0.0, ge=0, description="On-call allowance per person per year.")
    hours_per_year: float | None = Field(
        None, gt=0, description="Paid hours per person per year; defaults to the coverage's hours, at most a working year."
    )

    @model_validator(mode="after")
    def _rota_covers_on_call(self):
        if self.rota is not None and self.rota < self.on_call:
            raise ValueError(f"rota ({self.rota}) must be >= on_call ({self.on_call})")
        return self

    @property
    def people(self) -> int:
        return self.on_call if self.rota is None else self.rota

    @cached_property
    def in_hours(self) -> np.ndarray:
        return self.coverage.mask()

    @cached_property
    def zones(self) -> frozenset[str]:
        """The time zones its cover and working hours are written in (none for 24x7 alone)."""
        shifts = []
        if isinstance(self.coverage, BusinessHours):
            shifts.append(self.coverage)
        elif isinstance(self.coverage, FollowTheSun):
            shifts.extend(self.coverage.shifts)
        if self.working_hours is not None:
            shifts.append(self.working_hours)
        return frozenset(s.timezone for s in shifts)

    @cached_property
    def at_work(self) -> np.ndarray:
        """True for each UTC minute of the reference week when the rota's people are at work."""
        return self.at_work_from(REFERENCE_MONDAY)

    def at_work_from(self, start: dt.datetime) -> np.ndarray:
        """True for each minute of the seven days from `start` when the rota's people are at work."""
        if self.working_hours is not None:
            return self.working_hours.mask(start)
        if isinstance(self.coverage, BusinessHours):
            return self.coverage.mask(start)
        return np.zeros(MINUTES_PER_WEEK, dtype=bool)

    @property
    def covered_hours_per_week(self) -> float:
        return float(self.in_hours.sum()) / MINUTES_PER_HOUR

    @property
    def paid_hours_per_person(self) -> float:
        if self.hours_per_year is not None:
            return self.hours_per_year
        return min(self.covered_hours_per_week * 52.0, STANDARD_WORKING_HOURS_PER_YEAR)

    @property
    def cost_per_year(self) -> float:
        """SPEC 3.4: rota x hourly rate x covered hours, plus on-call pay."""
        return self.people * (self.hourly_rate * self.paid_hours_per_person + self.on_call_pay)

    def rota_for(self, on_call: int) -> int | None:
        """The rota when `on_call` people are on call at once instead, each person keeping the
        same share of on-call time: 20 people for 3 on call become 7 for 1, 14 for 2, 27 for 4
        (rounded up, never below `on_call`), so more people on call costs more and fewer costs
        less. None when the rota follows on_call (not written); kept as it is when nobody is on
        call now (there is no share to keep)."""
        if self.rota is None:
            return None
        if self.on_call == 0:
            return max(self.rota, on_call)
        return max(math.ceil(self.rota * on_call / self.on_call), on_call)


class CalibratedFrom(Frozen):
    """Where a document's delays were fitted from: written by `warroom history fit`, read by
    `simulate` and `compare`, which say next to their verdict what change in MTTR the history
    behind it could detect at all."""

    file: str = Field(description="The incident history fitted (as given to `history fit`).")
    source: str = Field("", description="Its format: canonical, pagerduty, servicenow...")
    sha256: str = Field("", description="Hash of the history file.")
    incidents: int = Field(ge=0, description="Incidents used (drills and other services left out, unless asked for).")
    drills: int = Field(0, ge=0, description="How many of them were drills (rehearsals, `history fit --drills` or "
                                            "`--include-drills`), not real incidents.")
    incidents_per_year: float | None = Field(
        None, gt=0, description="Incidents a year over the history's span; none when it spans under three months."
    )
    period: str = Field("", description="First to last incident start, e.g. `2025-02-03 to 2025-06-30`.")
    log_sd: float | None = Field(
        None, ge=0, description="Standard deviation of the history's log restore times (none: too few to tell)."
    )
    log_sd_of: Literal["time_to_restore", "time_to_resolve"] = Field(
        "time_to_restore", description="Which durations `log_sd` is of (resolve when restore was not recorded)."
    )
    stages: list[str] = Field(default_factory=list, description="The fitted stages this document took (e.g. `acknowledge` for a staffing).")
    as_of: str | None = Field(None, description="When the history was taken: still-open incidents censored there.")
    fitted_at: str = Field("", description="When the fit was made (UTC).")


class Staffing(Frozen):
    """Who responds to major incidents (SPEC 3.3)."""

    kind: Literal["staffing"]
    version: Literal[1]
    name: str
    title: str = ""
    description: str = ""
    calibrated_from: CalibratedFrom | None = Field(
        None, description="Set by `warroom history fit`: the history the delays were fitted to."
    )
    currency: Currency = Field(DEFAULT_CURRENCY, description=currency_description("hourly rates and on-call pay"))
    roles: dict[RoleName, ResponderPool] = Field(default_factory=dict)
    resolver_groups: dict[Identifier, ResponderPool] = Field(default_factory=dict)
    triage: Triage | None = Field(None, description="How these people classify against the policy (replaces the "
                                                    "classification policy's `triage`), e.g. a trained service desk.")

    @model_validator(mode="after")
    def _no_clash(self):
        clash = set(self.roles) & set(self.resolver_groups)
        if clash:
            raise ValueError(f"{sorted(clash)[0]!r} is both a role and a resolver group")
        return self

    @property
    def pools(self) -> dict[str, ResponderPool]:
        """Roles and resolver groups together, keyed by name."""
        return {**self.roles, **self.resolver_groups}

    def has(self, name: str) -> bool:
        pool = self.pools.get(name)
        return pool is not None and pool.people > 0

    @property
    def cost_per_year(self) -> float:
        return sum(pool.cost_per_year for pool in self.pools.values())
