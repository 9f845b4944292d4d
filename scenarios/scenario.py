"""The scenario: the incident itself (SPEC 3.3), and for drills its injects, objectives,
causes, dashboard and score weights."""

from __future__ import annotations

import datetime as dt
import graphlib
import re
from typing import Annotated, Literal, Union
from zoneinfo import ZoneInfo

from pydantic import BeforeValidator, Field, field_validator, model_validator

from .actions import ACTION_NAMES
from .base import Frozen, Identifier, Minutes, duplicates
from .calendar import REFERENCE_MONDAY, WEEKDAYS, monday_of
from .conditions import FUNCTIONS, STATE_NAMES
from .currency import DEFAULT_CURRENCY, Currency, currency_description
from .distributions import ZERO, Distribution
from .exercise import Inject, Objective, Scoring
from .metrics import MILESTONES, MetricName
from .roles import ROLES
from .staffing import CalibratedFrom, TimeZone, Weekday
from .units import MINUTES_PER_DAY, MINUTES_PER_HOUR, MINUTES_PER_WEEK, MINUTES_PER_YEAR
from .world import Indicator, World, default_indicators

__all__ = [
    "AffectedService",
    "Cascade",
    "Scenario",
    "Service",
    "Impact",
    "Detection",
    "Monitoring",
    "UserReports",
    "Diagnosis",
    "WrongHypothesis",
    "Cause",
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

_PER = {"minute": 1.0, "min": 1.0, "hour": MINUTES_PER_HOUR, "day": MINUTES_PER_DAY, "week": float(MINUTES_PER_WEEK),
        "year": MINUTES_PER_YEAR}
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


class Cascade(Frozen):
    """A service hit because one it depends on failed: `after` the failure reaches it (if
    it does, with `probability`), and it recovers `recovers_after` the dependency is back
    (caches refilled, clients reconnected), unless a workaround or the fix restores it first."""

    service: Identifier = Field(description="The service it depends on (one the incident hits first).")
    probability: float = Field(1.0, ge=0, le=1)
    after: Distribution = Field(ZERO, description="From impact start until the failure reaches it.")
    recovers_after: Distribution = Field(ZERO, description="From its dependency's restoration until it is back.")


class Monitoring(Frozen):
    """An alert fires with this probability, `delay` after the lost share first reaches
    `threshold` of its full size (at impact start unless the onset ramps)."""

    probability: float = Field(1.0, ge=0, le=1)
    delay: Distribution = ZERO
    threshold: float = Field(0.0, ge=0, le=1, description="Share of the full impact the alert needs to see (0-1).")


class AffectedService(Frozen):
    """One service the incident hits: how much of it is lost at full impact and what a
    minute of it fully down costs (SPEC 3.1, 3.4)."""

    id: Identifier
    name: str
    description: str = ""
    users: int = Field(0, ge=0, description="Its users (or traffic); weights it in the staged restore metrics.")
    share: float = Field(1.0, ge=0, le=1, description="Share of its users or traffic lost at full impact (0-1).")
    cost_per_minute: float = Field(0.0, ge=0, description="Cost of a minute of this service fully down.")
    critical: bool = Field(True, description="Service counts as restored once every critical service's impact is gone.")
    depends_on: Cascade | None = Field(None, description="Hit through a service it depends on, later and maybe not at all.")
    acceptable: float = Field(0.0, ge=0, lt=1, description="Share of its loss that may remain for it to count as "
                                                           "restored (e.g. 0.05: 95% back is back; the rest still "
                                                           "costs until the fix).")
    monitoring: Monitoring | None = Field(
        None, description="Its own alert, another way the incident is detected: for a service hit through another, "
                          "counted from when the failure reaches it (if it does); otherwise as the scenario's alert.")


class Exposure(Frozen):
    """What the incident exposes besides lost service, for the classification policy."""

    data: bool = Field(False, description="Data or security exposure (a breach, leaked credentials).")
    regulated: bool = Field(False, description="A regulated service is hit (payments, health, a reporting duty).")


class Onset(Frozen):
    """How impact begins: a trigger (a bad change deployed) before impact start, and a ramp
    over which the lost share grows to full. Metrics count from impact start."""

    trigger_before: Minutes = Field(0.0, description="The trigger precedes impact start by this much (recorded, not counted).")
    ramp: Minutes = Field(0.0, description="The lost share grows linearly to full over this long after impact start.")


class UserReports(Frozen):
    """Users report the outage; the service desk triages the first."""

    rate_per_hour: float = Field(gt=0)
    first_after: Distribution | None = Field(
        None, description="From impact start to the first report (default: exponential with mean 60 / "
                          "rate_per_hour minutes, i.e. reports arrive as a Poisson stream).")
    triage: Distribution = ZERO

    @property
    def first_report(self) -> Distribution:
        """The first report's delay: `first_after`, or the Poisson stream's exponential wait."""
        if self.first_after is not None:
            return self.first_after
        from .distributions import Exponential

        return Exponential(dist="exponential", mean=60.0 / self.rate_per_hour)


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
    """The chance the team first chases the wrong cause, and what that costs. In a drill the
    cost is how long the evidence against a wrong cause a player names takes to arrive."""

    probability: float = Field(ge=0, le=1)
    cost: Distribution


class Cause(Frozen):
    """A cause a drill's players may name: the real one, or a plausible wrong one."""

    id: Identifier
    title: str
    correct: bool = False


class Diagnosis(Frozen):
    by: str = Field("technical_lead", description="Role or resolver group that diagnoses.")
    time: Distribution
    wrong_hypothesis: WrongHypothesis | None = None
    causes: list[Cause] = Field(default_factory=list, description="Drills: causes players may identify.")


class OutsideParty(Frozen):
    """Someone outside the team (a vendor, a provider, another company) whose part takes
    `delay` before the workaround's own work can start."""

    name: str
    delay: Distribution


class Prerequisites(Frozen):
    """What a workaround needs before its work can start."""

    identified: bool = Field(False, description="The cause identified first (by the team, or the facilitator's allow_fix).")
    workarounds: list[Identifier] = Field(default_factory=list,
                                          description="Other workarounds (ids) whose work must be done first.")
    party: OutsideParty | None = Field(None, description="An outside party's part, which takes its own time first.")


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return slug if slug and slug[0].isalpha() else f"w_{slug}"


class Workaround(Frozen):
    """A way to restore service before the cause is fixed: `apply` is the work, `take_effect`
    the wait from the work being done until service is back (in the simulator and in drills)."""

    id: Identifier | None = Field(None, description="Short name players use in drills; defaults to the name, snake_cased.")
    name: str
    by: str = "technical_lead"
    apply: Distribution
    take_effect: Distribution = ZERO
    effective: bool = True
    worsens: float = Field(0.0, ge=0, le=1, description="Drills: share of service additionally lost when a wrong workaround is applied.")
    restores: dict[Identifier, Annotated[float, Field(ge=0, le=1)]] | None = Field(
        None, description="Share of each service's loss its effect takes away, by service id (default: all of "
                          "every service). A partial workaround leaves the rest to the fix.")
    needs: Prerequisites = Field(default_factory=Prerequisites,
                                 description="What must happen before its work can start: the cause identified, "
                                             "other workarounds done, an outside party's part.")
    lasts: Distribution | None = Field(
        None, description="A temporary mitigation: its effect wears off this long after it arrives and the loss "
                          "it took away comes back until the fix (default: it holds).")
    answers: Identifier | None = Field(
        None, description="The cause (an id in diagnosis.causes) this workaround answers; one that answers a wrong "
                          "cause must be effective: false.")
    description: str = ""

    @model_validator(mode="before")
    @classmethod
    def _no_drill_only_delay(cls, data):
        if isinstance(data, dict) and "restores_after" in data:
            raise ValueError(
                "restores_after was removed: drills take the workaround's own apply and take_effect; a replay of a "
                "published timeline pins them on its responses action (takes:, take_effect:, with assumed:), "
                f"got restores_after: {data['restores_after']!r}")
        return data

    @model_validator(mode="after")
    def _worse_only_if_wrong(self):
        if self.effective and self.worsens > 0:
            raise ValueError("an effective workaround cannot also make things worse (worsens > 0)")
        return self

    @property
    def key(self) -> str:
        return self.id or _slug(self.name)


class Fix(Frozen):
    """The permanent fix, implemented as a change (approval, then the work). In a drill the
    work needs the cause identified first (or the facilitator's allow_fix) and takes
    `duration`, after which whatever impact is left is restored."""

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
    week_of: dt.date | None = Field(
        None, description="A date in the week to use: local hours then follow the zones' daylight saving on "
                          "those dates (default: a January week).")

    @property
    def anchor(self) -> dt.datetime:
        """Monday 00:00 UTC of the week incidents start in."""
        if self.week_of is None:
            return REFERENCE_MONDAY
        return monday_of(dt.datetime(self.week_of.year, self.week_of.month, self.week_of.day, tzinfo=dt.timezone.utc))


_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class FixedStart(Frozen):
    """Impact always starts at the same weekday and local time (e.g. a real incident's), or
    on a given date: local hours then follow the zones' daylight saving on that date."""

    policy: Literal["fixed"]
    weekday: Weekday | None = None
    date: dt.date | None = Field(None, description="The date of the start, in `timezone` (e.g. 2026-10-27).")
    time: str
    timezone: TimeZone = "UTC"

    @field_validator("time", mode="before")
    @classmethod
    def _clock(cls, value):
        if not isinstance(value, str) or not _CLOCK.match(value.strip()):
            raise ValueError(f"time must look like 13:42, got {value!r}")
        return value.strip()

    @model_validator(mode="after")
    def _day_given(self):
        if self.date is None and self.weekday is None:
            raise ValueError("a fixed start needs a weekday (e.g. tue) or a date (e.g. 2026-10-27)")
        if self.date is not None and self.weekday is not None and WEEKDAYS[self.date.weekday()] != self.weekday:
            raise ValueError(f"{self.date.isoformat()} is a {WEEKDAYS[self.date.weekday()]}, not a {self.weekday}")
        return self

    @property
    def moment(self) -> dt.datetime:
        """The start as a UTC instant: on `date`, or on `weekday` of the reference week."""
        hours, minutes = (int(x) for x in self.time.split(":"))
        zone = ZoneInfo(self.timezone)
        if self.date is not None:
            day = self.date
        else:
            local_monday = REFERENCE_MONDAY.replace(tzinfo=None).date()
            day = local_monday + dt.timedelta(days=WEEKDAYS.index(self.weekday))
        return dt.datetime(day.year, day.month, day.day, hours, minutes, tzinfo=zone).astimezone(dt.timezone.utc)

    @property
    def anchor(self) -> dt.datetime:
        """Monday 00:00 UTC of the week the run's calendar starts in."""
        return REFERENCE_MONDAY if self.date is None else monday_of(self.moment)

    @property
    def minute_of_week(self) -> float:
        """Minutes from the anchor (Monday 00:00 UTC) to the start."""
        return float(((self.moment - self.anchor) // dt.timedelta(minutes=1)) % MINUTES_PER_WEEK)


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
    aliases: list[str] = Field(default_factory=list, description="Other names the scenario answers to.")
    title: str = ""
    description: str = ""
    calibrated_from: CalibratedFrom | None = Field(
        None, description="Set by `warroom history fit`: the history the delays were fitted to."
    )
    service: Service | None = Field(None, description="The one service hit (with `impact`); or give `services`.")
    impact: Impact | None = Field(None, description="The one service's impact (default: all of it lost, no cost).")
    services: list[AffectedService] = Field(
        default_factory=list, description="The services hit, each with its users, lost share and cost "
                                          "(instead of service and impact).")
    onset: Onset = Field(default_factory=Onset)
    urgency: Literal["high", "medium", "low"] = Field(
        "high", description="How fast the damage grows or must be stopped: with the impact, it sets the priority "
                            "(classification policy).")
    exposure: Exposure = Field(default_factory=Exposure)
    restore_stages: list[Annotated[float, Field(gt=0, lt=1)]] = Field(
        default_factory=list, description="Extra restore metrics: the share of lost traffic back (e.g. [0.5, 0.95] "
                                          "gives time_to_restore_50 and time_to_restore_95).")
    currency: Currency = Field(DEFAULT_CURRENCY, description=currency_description("the outage costs per minute"))
    frequency: Frequency = Field(
        1.0, description="Incidents like this per year; also '4/year', '1/week', '0.5/day' (stream mode and annual cost)."
    )
    frequency_range: tuple[Frequency, Frequency] | None = Field(
        None, description="How uncertain `frequency` is: the lowest and highest rates you find plausible, e.g. "
                          "[2/year, 8/year] (`warroom history fit` writes the 95% interval of the rate it observed). "
                          "The comparison's yearly risk and cost figures are shown across it, and `compare "
                          "--input-uncertainty` draws rates from it. It must contain `frequency`.")
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
    simulated_workaround: Identifier | None = Field(
        None, description="The workaround the simulated team applies (default: the first effective one in the list).")
    fix: Fix | None = None
    targets: dict[MetricName, Minutes] = Field(default_factory=dict)
    reference_staffing: str | None = Field(
        None, description="Staffing a drill is compared with by default (bundled name or path).")
    world: World | None = Field(None, description="Drills: the dashboard indicators (default: requests served).")
    objectives: list[Objective] = Field(default_factory=list)
    injects: list[Inject] = Field(default_factory=list, description="Drills: the master scenario events list.")
    scoring: Scoring = Field(default_factory=Scoring)

    @model_validator(mode="after")
    def _restorable(self):
        if self.services and (self.service is not None or self.impact is not None):
            raise ValueError("give either service and impact (one service) or services (one or more), not both")
        if not self.services and self.service is None:
            raise ValueError("name the service hit: service (with impact) or services")
        if self.fix is None and not any(w.effective for w in self.workarounds):
            raise ValueError("service can never be restored: give an effective workaround or a fix")
        return self

    @field_validator("frequency_range")
    @classmethod
    def _ordered_range(cls, value):
        if value is not None and value[0] > value[1]:
            raise ValueError(f"give the lowest rate first, got [{value[0]:g}/year, {value[1]:g}/year]")
        return value

    @property
    def affected(self) -> tuple[AffectedService, ...]:
        """The services hit: `services`, or the one `service` with its `impact`."""
        if self.services:
            return tuple(self.services)
        impact = self.impact or Impact()
        return (AffectedService(id=_slug(self.service.name), name=self.service.name,
                                description=self.service.description, users=impact.users, share=impact.share,
                                cost_per_minute=impact.cost_per_minute),)

    @property
    def full_share(self) -> float:
        """Share of all users (or traffic) lost at full impact, over every service hit."""
        services = self.affected
        weights = [s.users or 1 for s in services]
        return sum(w * s.share for w, s in zip(weights, services)) / sum(weights)

    @property
    def full_cost_per_minute(self) -> float:
        """What a minute at full impact costs, over every service hit."""
        return sum(s.cost_per_minute * s.share for s in self.affected)

    def restored_share(self, workaround: Workaround, service: AffectedService) -> float:
        """The share of `service`'s loss that `workaround`'s effect takes away."""
        if workaround.restores is None:
            return 1.0
        return workaround.restores.get(service.id, 0.0)

    def restores_enough(self, workaround: Workaround | None, service: AffectedService) -> bool:
        """Whether `workaround`'s effect alone brings `service` to its acceptable level."""
        return workaround is not None and self.restored_share(workaround, service) >= 1.0 - service.acceptable - 1e-12

    @property
    def workaround_restores_all(self) -> bool:
        """Whether the simulated team's workaround alone restores every critical service hit
        first (those hit through them recover after them, or with the workaround itself)."""
        w = self.workaround
        return w is not None and all(self.restores_enough(w, s) for s in self.affected
                                     if s.critical and s.depends_on is None)

    @property
    def rate_per_minute(self) -> float:
        return self.frequency / _PER["year"]

    @property
    def incidents_per_year(self) -> float:
        return self.frequency

    @property
    def frequency_bounds(self) -> tuple[float, float]:
        """The lowest and highest plausible incidents per year: `frequency_range`, or
        `frequency` at both ends when no range is stated."""
        return self.frequency_range if self.frequency_range is not None else (self.frequency, self.frequency)

    @property
    def workaround(self) -> Workaround | None:
        """The workaround the simulated team applies: `simulated_workaround`, or the first effective one."""
        if self.simulated_workaround is not None:
            return self.workaround_by_key(self.simulated_workaround)
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

    # -- drills ---------------------------------------------------------------------
    @property
    def indicators(self) -> tuple[Indicator, ...]:
        if self.world is not None and self.world.indicators:
            return tuple(self.world.indicators)
        return default_indicators(self.full_share)

    def needed_before(self, workaround: Workaround) -> list[Workaround]:
        """The workarounds whose work must be done before `workaround`'s, each once, deepest first."""
        out: list[Workaround] = []

        def visit(w: Workaround, trail: tuple) -> None:
            for key in w.needs.workarounds:
                other = self.workaround_by_key(key)
                if other is not None and other not in out and key not in trail:
                    visit(other, trail + (key,))
                    out.append(other)

        visit(workaround, (workaround.key,))
        return out

    def workaround_by_key(self, key: str) -> Workaround | None:
        return next((w for w in self.workarounds if w.key == key), None)

    def cause_by_id(self, cause_id: str) -> Cause | None:
        return next((c for c in self.diagnosis.causes if c.id == cause_id), None)

    @property
    def participant_roles(self) -> tuple[str, ...]:
        """Roles and resolver groups that can act in a drill of this scenario."""
        return ROLES + tuple(g for g in self.needs if g not in ROLES)

    @property
    def topics(self) -> dict[str, list[Inject]]:
        out: dict[str, list[Inject]] = {}
        for inject in self.injects:
            if inject.requested is not None:
                out.setdefault(inject.requested, []).append(inject)
        return out

    @property
    def score_weights(self) -> dict[str, float]:
        """The drill score's weights (Scoring.weights_for this scenario's targets)."""
        return self.scoring.weights_for(self.all_targets)

    def problems(self) -> list[tuple[str, str]]:
        """Cross-field problems as (field path, message): ids, references, conditions."""
        found: list[tuple[str, str]] = []
        if self.world is not None:
            found.extend(self.world.problems())
        found.extend(duplicates([w.key for w in self.workarounds], "workarounds[{}].id", "workaround"))
        low, high = self.frequency_bounds
        if not low <= self.frequency <= high:
            found.append(("frequency_range", f"must contain frequency ({self.frequency:g}/year), got "
                                             f"[{low:g}/year, {high:g}/year]"))
        found.extend(duplicates([c.id for c in self.diagnosis.causes], "diagnosis.causes[{}].id", "cause"))
        found.extend(duplicates([s.id for s in self.services], "services[{}].id", "service"))
        if self.simulated_workaround is not None:
            chosen = self.workaround_by_key(self.simulated_workaround)
            if chosen is None:
                found.append(("simulated_workaround", f"no workaround {self.simulated_workaround!r} (this scenario's: "
                                                      f"{', '.join(w.key for w in self.workarounds) or 'none'})"))
            elif not chosen.effective:
                found.append(("simulated_workaround", f"{self.simulated_workaround!r} is not effective: the simulated "
                                                      f"team would never restore service with it"))
        if self.services and not any(s.critical for s in self.services):
            found.append(("services", "no service is critical: true, so nothing says when service is restored"))
        ids = {s.id for s in self.affected}
        for i, workaround in enumerate(self.workarounds):
            for service in workaround.restores or {}:
                if service not in ids:
                    found.append((f"workarounds[{i}].restores.{service}",
                                  f"unknown service {service!r} (services: {', '.join(sorted(ids))})"))
        roots = {s.id for s in self.services if s.depends_on is None}
        for i, s in enumerate(self.services):
            if s.depends_on is not None and s.depends_on.service not in roots:
                found.append((f"services[{i}].depends_on.service",
                              f"{s.depends_on.service!r} is not a service hit first (one with no depends_on): "
                              f"{', '.join(sorted(roots)) or 'none'}"))
        if self.fix is None:        # nothing would end what a workaround leaves
            for i, w in enumerate(self.workarounds):
                if not w.effective:
                    continue
                if w.lasts is not None:
                    found.append((f"workarounds[{i}].lasts", "a temporary workaround wears off, so the outage needs "
                                                             "a fix to end: add fix, or drop lasts"))
                if w is self.workaround and not all(self.restored_share(w, s) >= 1.0 for s in self.affected
                                                    if s.depends_on is None):
                    found.append((f"workarounds[{i}].restores", "service can never be fully restored: this "
                                                                "workaround leaves part of a service down and "
                                                                "there is no fix"))
        keys = {w.key for w in self.workarounds}
        for i, workaround in enumerate(self.workarounds):
            for j, other in enumerate(workaround.needs.workarounds):
                if other not in keys or other == workaround.key:
                    found.append((f"workarounds[{i}].needs.workarounds[{j}]",
                                  f"{other!r} is not another workaround of this scenario "
                                  f"({', '.join(sorted(keys - {workaround.key})) or 'none'})"))
        try:
            graphlib.TopologicalSorter({w.key: set(w.needs.workarounds) for w in self.workarounds}).prepare()
        except graphlib.CycleError as exc:
            found.append(("workarounds", "workarounds need each other first: " + " -> ".join(reversed(exc.args[1]))))
        if len(set(self.restore_stages)) != len(self.restore_stages):
            found.append(("restore_stages", f"each stage once, got {self.restore_stages}"))
        if self.diagnosis.causes and not any(c.correct for c in self.diagnosis.causes):
            found.append(("diagnosis.causes", "no cause is marked correct: true, so nobody could identify it"))
        for i, workaround in enumerate(self.workarounds):
            if workaround.answers is None:
                continue
            cause = self.cause_by_id(workaround.answers)
            if cause is None:
                known = ", ".join(c.id for c in self.diagnosis.causes) or "none"
                found.append((f"workarounds[{i}].answers", f"unknown cause {workaround.answers!r} "
                                                           f"(diagnosis.causes: {known})"))
            elif workaround.effective and not cause.correct:
                found.append((f"workarounds[{i}].answers",
                              f"an effective workaround cannot answer a wrong cause: {workaround.answers!r} is not "
                              f"marked correct (make the workaround effective: false, or answer the correct cause)"))
        found.extend(duplicates([o.id for o in self.objectives], "objectives[{}].id", "objective"))
        found.extend(duplicates([j.id for j in self.injects], "injects[{}].id", "inject"))
        if self.injects and not self.diagnosis.causes:
            found.append(("diagnosis.causes", "a scenario with injects needs causes (one correct) for players to identify"))
        reserved = set(STATE_NAMES) | set(MILESTONES) | {"and", "or", "not", "true", "false", "last_update"}
        for i, indicator in enumerate(self.indicators if self.world else ()):
            if indicator.id in reserved:
                found.append((f"world.indicators[{i}].id", f"{indicator.id!r} is already a name in conditions; choose another"))
        for i, inject in enumerate(self.injects):
            if inject.id in reserved:
                found.append((f"injects[{i}].id", f"{inject.id!r} is already a name in conditions; choose another"))
        if self.injects and not any(j.detects for j in self.injects):
            found.append(("injects", "no inject has detects: monitoring or user_report, so the drill never detects the incident"))
        objectives = {o.id for o in self.objectives}
        inject_ids = {j.id for j in self.injects}
        roles = set(self.participant_roles)
        milestones = set(MILESTONES)
        names = set(STATE_NAMES) | milestones | {i.id for i in self.indicators}
        arguments = {
            "since": milestones | {"last_update"} | inject_ids,
            "at": milestones,
            "delivered": inject_ids,
            "count": set(ACTION_NAMES),
            "done": set(ACTION_NAMES),
            "paged": roles,
            "joined": roles,
            "started": {w.key for w in self.workarounds},
        }
        for i, inject in enumerate(self.injects):
            where = f"injects[{i}]"
            if inject.objective is not None and inject.objective not in objectives:
                known = ", ".join(sorted(objectives)) or "none defined"
                found.append((f"{where}.objective", f"unknown objective {inject.objective!r} (objectives: {known})"))
            if inject.to != "everyone":
                for j, role in enumerate(inject.to):
                    if role not in roles:
                        found.append((f"{where}.to[{j}]", f"unknown role or resolver group {role!r} "
                                                         f"(roles, or groups the scenario needs: {', '.join(sorted(roles))})"))
            broken = inject.condition_problem()
            if broken:
                found.append((f"{where}.when", broken))
                continue
            condition = inject.condition
            if condition is None:
                continue
            for name in sorted(condition.names()):
                if name not in names:
                    found.append((f"{where}.when", f"unknown name {name!r} in condition {inject.when!r} "
                                                   f"(known: {', '.join(sorted(names))})"))
            for function, argument in sorted(condition.calls()):
                if argument not in arguments[function]:
                    found.append((f"{where}.when", f"{function}({argument}) in {inject.when!r}: unknown "
                                                   f"{argument!r} ({FUNCTIONS[function]})"))
        found.extend(self._inject_cycle())
        return found

    def _inject_cycle(self) -> list[tuple[str, str]]:
        """Injects whose conditions wait for each other to be delivered: none of them ever is."""
        index = {j.id: i for i, j in enumerate(self.injects)}
        waits = {}
        for inject in self.injects:
            try:
                condition = inject.condition
            except ValueError:
                continue  # reported above
            if condition is not None:
                waits[inject.id] = condition.requires() & index.keys()
        try:
            graphlib.TopologicalSorter(waits).prepare()
        except graphlib.CycleError as exc:
            ring = list(reversed(exc.args[1]))[:-1]      # each waits for the next to be delivered
            start = ring.index(min(ring, key=index.__getitem__))
            ring = ring[start:] + ring[:start]
            return [(f"injects[{index[ring[0]]}].when",
                     "inject cycle: " + " -> ".join(ring + ring[:1]) + ": each waits for the next to be delivered, "
                     "so none of them ever is (give one an at: time, or a condition that does not wait)")]
        return []

