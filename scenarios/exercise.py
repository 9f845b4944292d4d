"""The exercise parts of a scenario (HSEEP): the master scenario events list of injects,
the objectives they test, and the weights of the drill score.

An inject is delivered at a time offset (`at`), when a condition first holds (`when`,
see conditions.py), both (the first moment at or after `at` when the condition holds),
or when a participant asks for it (`requested`: a topic such as `waf_logs`, available
from `at` if given). A
`contingency` inject nudges a stuck team; a `red_herring` is plausible and wrong.
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from .actions import ACTION_NAMES
from .base import Frozen, Identifier, Minutes, PositiveMinutes
from .conditions import Condition, ConditionError, parse_condition
from .metrics import DETECTION_PATHS, MetricName
from .units import MINUTES_PER_DAY

__all__ = [
    "CHANNELS", "INJECT_TYPES", "EVERYONE", "Inject", "Objective", "Scoring", "CHECKS",
    "DEFAULT_WEIGHTS", "DETECTION_PATHS",
]

CHANNELS = ("alert", "ticket", "chat", "phone", "email", "status_page", "dashboard")
INJECT_TYPES = ("standard", "contingency", "red_herring")
EVERYONE = "everyone"

CHECKS = {
    "update_cadence": "stakeholder updates kept the playbook's cadence until service was restored",
    "problem_record": "a problem record was raised",
    "review_scheduled": "the post-incident review was scheduled within 5 business days",
    "separate_milestones": "workaround and permanent fix were tracked as separate milestones",
    "raci": "each step was done by the role the playbook's RACI makes responsible or accountable",
}

DEFAULT_WEIGHTS = {
    "time_to_acknowledge": 10,
    "time_to_declare": 15,
    "time_to_first_update": 15,
    "time_to_assemble": 5,
    "time_to_identify": 10,
    "time_to_restore": 20,
    "update_cadence": 10,
    "problem_record": 5,
    "review_scheduled": 5,
    "separate_milestones": 5,
}
"""Used when a scenario states no weights; timing weights count only where a target exists."""


class Inject(Frozen):
    """One row of the master scenario events list."""

    model_config = ConfigDict(frozen=True, extra="forbid", serialize_by_alias=True, validate_by_name=True,
                              validate_by_alias=True)

    id: Identifier
    at: Annotated[Minutes, Field(le=60 * MINUTES_PER_DAY)] | None = Field(
        None, description="Scenario minutes from impact start (earliest delivery).")
    when: str | None = Field(None, description="Condition that must hold (conditional or contingency inject).")
    requested: Identifier | None = Field(None, description="Topic a participant asks for with request_info.")
    repeat: PositiveMinutes | None = Field(
        None, description="A conditional inject fires again this long after, while its condition still holds.")
    to: list[str] | Literal["everyone"] = Field(EVERYONE, description="Roles or resolver groups, or everyone.")
    channel: Literal["alert", "ticket", "chat", "phone", "email", "status_page", "dashboard"]
    sender: str = Field("", alias="from", description="Who it appears to come from.")
    subject: str
    content: str = ""
    expect: str = Field("", description="The player action this inject is meant to prompt.")
    expect_action: str | None = Field(None, description="That action in the drill vocabulary, if there is one.")
    objective: Identifier | None = None
    notes: str = Field("", description="For the facilitator only: never shown to players.")
    type: Literal["standard", "contingency", "red_herring"] = "standard"
    detects: Literal["monitoring", "user_report"] | None = Field(
        None, description="Delivering this inject is how the incident is detected (first one wins).")
    assumed: str | None = Field(
        None, description="Why this inject's time is an assumption (never published, say); a milestone it causes "
                          "(detected) is assumed too.")

    @field_validator("expect_action")
    @classmethod
    def _known_action(cls, name):
        if name is not None and name not in ACTION_NAMES:
            raise ValueError(f"unknown action {name!r} (actions are {', '.join(ACTION_NAMES)})")
        return name

    @model_validator(mode="after")
    def _delivered_somehow(self):
        if self.at is None and self.when is None and self.requested is None:
            raise ValueError("an inject needs at:, when: or requested: (or a combination)")
        if self.requested is not None and self.when is not None:
            raise ValueError("a requested inject is delivered when asked for (from at: if given); it takes no when:")
        if self.repeat is not None and self.when is None:
            raise ValueError("repeat: needs a when: condition (it re-fires while the condition holds)")
        if self.detects is not None and self.requested is not None:
            raise ValueError("a requested inject cannot be how the incident is detected")
        return self

    @cached_property
    def condition(self) -> Condition | None:
        """The parsed condition (the scenario's validation has already reported a bad one)."""
        return parse_condition(self.when) if self.when is not None else None

    def condition_problem(self) -> str | None:
        if self.when is None:
            return None
        try:
            parse_condition(self.when)
        except ConditionError as exc:
            return f"condition does not parse: {exc}, in {self.when!r}"
        return None

    @property
    def audience(self) -> tuple[str, ...] | None:
        """The roles it is for, or None for everyone."""
        return None if self.to == EVERYONE else tuple(self.to)

    def is_for(self, role: str) -> bool:
        return self.to == EVERYONE or role in self.to

    @property
    def timed(self) -> bool:
        return self.when is None and self.requested is None


class Objective(Frozen):
    """An exercise objective: what the drill tests, judged by metrics and checks."""

    id: Identifier
    title: str
    description: str = ""
    metrics: list[MetricName] = Field(default_factory=list)
    checks: list[Literal["update_cadence", "problem_record", "review_scheduled", "separate_milestones", "raci"]] = Field(
        default_factory=list)


class Scoring(Frozen):
    """Weights of the 0-100 drill score: metric keys (SPEC 3.1) and checks."""

    weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS))

    @field_validator("weights")
    @classmethod
    def _known_weights(cls, weights):
        from .metrics import METRICS

        for key, weight in weights.items():
            if key not in METRICS and key not in CHECKS:
                raise ValueError(f"unknown score component {key!r} (metrics {', '.join(METRICS)}; "
                                 f"checks {', '.join(CHECKS)})")
            if not math.isfinite(weight) or weight < 0:
                raise ValueError(f"weight of {key} must be a finite number >= 0, got {weight!r}")
        if weights and sum(weights.values()) <= 0:
            raise ValueError("at least one weight must be above zero")
        return weights
