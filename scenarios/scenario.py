"""The scenario: the incident itself (SPEC 3.3). Drill injects will join it later."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal, Union
from zoneinfo import ZoneInfo

from pydantic import BeforeValidator, Field, field_validator, model_validator

from .base import Frozen, Identifier, Minutes
from .distributions import ZERO, Distribution
from .metrics import MetricName
from .staffing import MINUTES_PER_WEEK, REFERENCE_MONDAY, WEEKDAYS, TimeZone, Weekday

__all__ = [
    "Scenario",
    "Service",
    "Impact",
    "Detection",
    "Monitoring",
    "UserReports",
    "Diagnosis",
    "WrongHypothesis",
    "Workaround",
    "Fix",
    "StartPolicy",
    "UniformWeek",
    "FixedStart",
    "WeeklyProfile",
    "DEFAULT_TARGETS",
    "parse_frequency",
]

DEFAULT_TARGETS = {"time_to_first_update": 15.0}
"""SPEC 2's common target; a scenario's own targets are added to (or override) it."""

_PER = {"minute": 1.0, "min": 1.0, "hour": 60.0, "day": 1440.0, "week": 10080.0, "year": 525600.0}
_FREQUENCY = re.compile(r"^\s*(\d+(?:\.\d+)?(?:e-?\d+)?)\s*/\s*([a-z]+)\s*$")


def parse_frequency(value: object) -> float:
    """Incidents per year from `12/year`, `3/week`, `0.9/minute` or a bare number (per year)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a rate such as 12/year, got {value!r}")
    if isinstance(value, (int, float)):
        per_year = float(value)
    elif isinstance(value, str) and (m := _FREQUENCY.match(value.lower())) and m[2] in _PER:
        per_year = float(m[1]) / _PER[m[2]] * _PER["year"]
    else:
        raise ValueError(f"expected a rate such as 12/year, 3/week or 0.5/hour, got {value!r}")
    if per_year < 0:
        raise ValueError(f"rate must be >= 0, got {value!r}")
    return per_year


Frequency = Annotated[float, BeforeValidator(parse_frequency)]


class Service(Frozen):
    name: str
    description: str = ""


class Impact(Frozen):
    """Who is hit and what an outage minute costs (SPEC 3.4 outage cost)."""

    users: int = Field(0, ge=0)
    share: float = Field(1.0, ge=0, le=1, description="Share of traffic or users lost (0-1).")
    cost_per_minute: float = Field(0.0, ge=0, description="Cost of a minute of full outage.")


class Monitoring(Frozen):
    """An alert fires with this probability, after this delay from impact start."""

    probability: float = Field(1.0, ge=0, le=1)
    delay: Distribution = ZERO


class UserReports(Frozen):
    """Users report the outage as a Poisson stream; the service desk triages the first."""

    rate_per_hour: float = Field(gt=0)
    triage: Distribution = ZERO


class Detection(Frozen):
    monitoring: Monitoring | None = None
    user_reports: UserReports | None = None

    @model_validator(mode="after")
    def _always_detected(self):
        certain_alert = self.monitoring is not None and self.monitoring.probability == 1
        if not certain_alert and self.user_reports is None:
            raise ValueError(
                "the incident might never be detected: give user_reports, or monitoring with probability 1"
            )
        return self


class WrongHypothesis(Frozen):
    """The chance the team first chases the wrong cause, and what that costs."""

    probability: float = Field(ge=0, le=1)
    cost: Distribution


class Diagnosis(Frozen):
    by: str = Field("technical_lead", description="Role or resolver group that diagnoses.")
    time: Distribution
    wrong_hypothesis: WrongHypothesis | None = None


class Workaround(Frozen):
    """A way to restore service before the cause is fixed."""

    name: str
    by: str = "technical_lead"
    apply: Distribution
    take_effect: Distribution = ZERO
    effective: bool = True
    description: str = ""


class Fix(Frozen):
    """The permanent fix, implemented as a change (approval, then the work)."""

    by: str = "technical_lead"
    change_approval: Distribution = ZERO
    duration: Distribution


class WeeklyProfile(Frozen):
    """How stream-mode arrivals vary over the week: a factor per weekday times a factor per
    UTC hour. Factors are relative; they are scaled so the week's average is the scenario's
    `frequency`."""

    days: dict[Weekday, Annotated[float, Field(ge=0)]] = Field(default_factory=dict)
    hours: Annotated[list[Annotated[float, Field(ge=0)]], Field(min_length=24, max_length=24)] | None = None

    @model_validator(mode="after")
    def _not_all_zero(self):
        if self.factors_by_hour().max() <= 0:
            raise ValueError("a weekly profile needs some factor above zero")
        return self

    def factors_by_hour(self):
        """168 factors, one per UTC hour of the week from Monday 00:00, averaging 1."""
        import numpy as np

        day = np.array([self.days.get(d, 1.0) for d in WEEKDAYS])
        hour = np.array(self.hours if self.hours is not None else [1.0] * 24)
        factors = (day[:, None] * hour[None, :]).ravel()
        mean = factors.mean()
        return factors / mean if mean > 0 else factors


class UniformWeek(Frozen):
    """Impact starts at any minute of the week, uniformly (so coverage schedules matter)."""

    policy: Literal["uniform_week"]


_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class FixedStart(Frozen):
    """Impact always starts at the same weekday and local time (e.g. a real incident's)."""

    policy: Literal["fixed"]
    weekday: Weekday
    time: str
    timezone: TimeZone = "UTC"

    @field_validator("time", mode="before")
    @classmethod
    def _clock(cls, value):
        if not isinstance(value, str) or not _CLOCK.match(value.strip()):
            raise ValueError(f"time must look like 13:42, got {value!r}")
        return value.strip()

    @property
    def minute_of_week(self) -> float:
        """UTC minutes since Monday 00:00 of the repeating week."""
        hours, minutes = (int(x) for x in self.time.split(":"))
        offset = ZoneInfo(self.timezone).utcoffset(REFERENCE_MONDAY.replace(tzinfo=None))
        local = WEEKDAYS.index(self.weekday) * 1440 + hours * 60 + minutes
        return float((local - offset // dt.timedelta(minutes=1)) % MINUTES_PER_WEEK)


def _start_shorthand(value):
    return {"policy": value} if isinstance(value, str) else value


StartPolicy = Annotated[
    Union[UniformWeek, FixedStart], Field(discriminator="policy"), BeforeValidator(_start_shorthand)
]


class Scenario(Frozen):
    """A major incident to simulate or drill (SPEC 3.3)."""

    kind: Literal["scenario"]
    version: Literal[1]
    name: str
    title: str = ""
    description: str = ""
    service: Service
    impact: Impact = Impact()
    frequency: Frequency = Field(
        1.0, description="Incidents like this per year; also '4/year', '1/week', '0.5/day' (stream mode and annual cost)."
    )
    start: StartPolicy = UniformWeek(policy="uniform_week")
    weekly_profile: WeeklyProfile | None = Field(
        None, description="Stream mode: how arrivals vary by weekday and UTC hour (default: flat)."
    )
    detection: Detection
    needs: dict[Identifier, Annotated[int, Field(ge=1)]] = Field(
        default_factory=dict, description="Resolver groups (or roles) needed on the bridge, with headcount."
    )
    diagnosis: Diagnosis
    workarounds: list[Workaround] = Field(default_factory=list)
    fix: Fix | None = None
    targets: dict[MetricName, Minutes] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _restorable(self):
        if self.fix is None and not any(w.effective for w in self.workarounds):
            raise ValueError("service can never be restored: give an effective workaround or a fix")
        return self

    @property
    def rate_per_minute(self) -> float:
        return self.frequency / _PER["year"]

    @property
    def incidents_per_year(self) -> float:
        return self.frequency

    @property
    def workaround(self) -> Workaround | None:
        """The workaround the simulated team applies: the first effective one."""
        return next((w for w in self.workarounds if w.effective), None)

    @property
    def all_targets(self) -> dict[str, float]:
        return {**DEFAULT_TARGETS, **self.targets}

    def doers(self) -> dict[str, str]:
        """Field path -> role or group that must exist to do that work."""
        out = {"diagnosis.by": self.diagnosis.by}
        for i, w in enumerate(self.workarounds):
            if w.effective:
                out[f"workarounds[{i}].by"] = w.by
        if self.fix is not None:
            out["fix.by"] = self.fix.by
        return out
