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
    "CHANNELS", "INJECT_TYPES", "EVERYONE", "Inject", "Objective", "Scoring", "Caps", "GRADES", "CHECKS", "HARMS",
    "DEFAULT_WEIGHTS", "DETECTION_PATHS",
]

CHANNELS = ("alert", "ticket", "chat", "phone", "email", "status_page", "dashboard")
INJECT_TYPES = ("standard", "contingency", "red_herring")
EVERYONE = "everyone"

CHECKS = {
    "update_cadence": "stakeholder updates kept the playbook's cadence until service was restored",
    "problem_record": "a problem record was raised",
    "review_scheduled": "the post-incident review was scheduled within the scoring's review window (default 7 days)",
    "separate_milestones": "workaround and permanent fix were tracked as separate milestones",
    "raci": "each step was done by the role the playbook's RACI makes responsible or accountable",
    "playbook_steps": "the playbook's other steps were done, in their order",
    "classification": "the incident was classified right (severity, priority, major or not) against the policy, "
                      "soon after detection",
}
"""Process checks, judged against the team's own playbook: a check whose step the playbook
does not have (no problem-record step, say) is not applicable and never costs points."""

HARMS = {
    "worse_workaround": "a workaround made the outage worse",
    "wrong_cause": "time spent on wrong causes",
    "outage_cost": "outage cost above that of the typical simulated team",
    "misclassification": "minutes the standing classification was above or below the policy's",
    "over_declaration": "a major incident declared although the policy's major criteria were never met",
}
"""Harm the response did: points taken off the score (docs/reference/drills.md)."""

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
    "raci": 5,
    "playbook_steps": 5,
    "classification": 10,
    "worse_workaround": 8,
    "wrong_cause": 10,
    "outage_cost": 10,
    "misclassification": 10,
    "over_declaration": 20,
}
"""The score's weights, in one place. Metric and check weights are shares of the 100
points, normalised over the components that apply to a drill (a timing metric applies
only where it has a target); harm weights are points taken off: `worse_workaround` per
workaround that made things worse, `wrong_cause` at most (all of it at 30 minutes on wrong
causes), `outage_cost` at most (all of it when every simulated team's outage cost less),
`misclassification` at most (all of it at an hour misclassified), `over_declaration` all of
it when a major incident is declared that the classification policy says is not one.
A scenario's `scoring.weights` replaces any of them; 0 drops a component."""


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
    checks: list[Literal["update_cadence", "problem_record", "review_scheduled", "separate_milestones", "raci",
                         "playbook_steps"]] = Field(default_factory=list)


GRADES = ("A", "B", "C", "D")
"""Grades with a floor; below D's floor is F."""


class Caps(Frozen):
    """The highest grade a drill can get, whatever its points, when an objective is finally
    rated M or U (SPEC 3.7: never an A), or when service was never restored."""

    M: Literal["B", "C", "D", "F"] = Field("B", description="Highest grade while an objective is rated M "
                                                           "(performed with major challenges).")
    U: Literal["B", "C", "D", "F"] = Field("C", description="Highest grade while an objective is rated U "
                                                           "(unable to be performed).")
    never_restored: Literal["A", "B", "C", "D", "F"] = Field("D", description="Highest grade when service was "
                                                                              "never restored in the drill.")


class Scoring(Frozen):
    """How a drill is scored: weights of the 0-100 score (metric keys of SPEC 3.1, checks and
    harms; those given replace the defaults, DEFAULT_WEIGHTS), the grade floors and caps, how an
    objective's rating is computed, and the windows the checks and harms judge by."""

    weights: dict[str, float] = Field(default_factory=dict, description=(
        "Component -> weight, replacing its default (scenarios/exercise.py DEFAULT_WEIGHTS; "
        "docs/reference/drills.md); 0 drops the component."))
    grades: dict[Literal["A", "B", "C", "D"], Annotated[float, Field(gt=0, le=100)]] = Field(
        default_factory=lambda: {"A": 90.0, "B": 80.0, "C": 70.0, "D": 60.0},
        description="The lowest score of each grade (below D's is F); those given replace the defaults "
                    "A 90, B 80, C 70, D 60. A capped drill gets one point below the next grade's floor.")
    caps: Caps = Field(default_factory=Caps, description="The highest grade when an objective is rated M or U, "
                                                         "or service was never restored.")
    satisfactory_from: float = Field(
        0.5, gt=0, le=1, description="An objective's computed rating: P when all its judged metrics and checks "
                                     "are met, S when at least this share is, M when some are (or none but the "
                                     "incident ended), U when none is and it never ended. An evaluator may override.")
    review_within: PositiveMinutes = Field(
        7 * MINUTES_PER_DAY, description="The review_scheduled check passes when the post-incident review is "
                                         "scheduled at most this long after the incident.")
    wrong_cause_full_after: PositiveMinutes = Field(
        30.0, description="Minutes on wrong causes that cost the whole wrong_cause weight (in proportion below).")
    misclassified_full_after: PositiveMinutes = Field(
        60.0, description="Minutes misclassified that cost the whole misclassification weight (in proportion below).")

    @field_validator("grades")
    @classmethod
    def _grades_descend(cls, grades):
        merged = {"A": 90.0, "B": 80.0, "C": 70.0, "D": 60.0, **grades}
        floors = [merged[g] for g in GRADES]
        if any(round(f, 1) != f for f in floors):
            raise ValueError("grade floors are scores to one decimal (as the score is), got "
                             + ", ".join(f"{g} {merged[g]:g}" for g in GRADES))
        if any(higher - lower < 1 for higher, lower in zip(floors, floors[1:])):
            raise ValueError("grade floors must fall by at least one point from A to D, got "
                             + ", ".join(f"{g} {merged[g]:g}" for g in GRADES))
        return merged

    def grade_of(self, score: float) -> str:
        """The grade of a 0-100 score."""
        for grade in GRADES:
            if score >= self.grades[grade]:
                return grade
        return "F"

    def ceiling(self, grade: str) -> float:
        """The highest score a drill capped at `grade` keeps: one point below the next grade's floor."""
        order = GRADES + ("F",)
        return 100.0 if grade == "A" else max(0.0, self.grades[order[order.index(grade) - 1]] - 1.0)

    @field_validator("weights")
    @classmethod
    def _known_weights(cls, weights):
        from .metrics import METRICS

        for key, weight in weights.items():
            if key not in METRICS and key not in CHECKS and key not in HARMS:
                raise ValueError(f"unknown score component {key!r} (metrics {', '.join(METRICS)}; "
                                 f"checks {', '.join(CHECKS)}; harms {', '.join(HARMS)})")
            if not math.isfinite(weight) or weight < 0:
                raise ValueError(f"weight of {key} must be a finite number >= 0, got {weight!r}")
        merged = {**DEFAULT_WEIGHTS, **weights}
        if sum(w for k, w in merged.items() if k not in HARMS) <= 0:
            raise ValueError("at least one metric or check weight must be above zero")
        return weights

    def weights_for(self, targets: dict[str, float]) -> dict[str, float]:
        """Every component's weight for a scenario with these targets: the defaults with
        the stated ones in their place; a timing metric without a target is left out."""
        from .metrics import METRICS

        merged = {**DEFAULT_WEIGHTS, **self.weights}
        return {k: w for k, w in merged.items() if k not in METRICS or k in targets}
