"""A responses file: what each role did in a drill and when, played back instantly.

Used by tests, demos and replays of real incidents. Times never published are given as
explicit assumptions (`assumed: why`), and scorecards show the metrics they touch as
assumed. A replay of a published timeline may pin how long the world's work took on the
action that starts it (`takes:`, `take_effect:`, with `assumed:`), and a script may say
that the drill refuses an action (`refused: expected`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from .actions import ACTION_FIELDS, ACTION_NAMES, ACTIONS, AUDIENCES
from .base import Frozen, Identifier, Minutes
from .units import MINUTES_PER_DAY

__all__ = ["Responses", "ResponseAction", "Rating", "RATINGS", "RATING_TITLES", "PINNABLE"]

RATING_TITLES = {
    "P": "Performed without challenges",
    "S": "Performed with some challenges",
    "M": "Performed with major challenges",
    "U": "Unable to be performed",
}
RATINGS = tuple(RATING_TITLES)


PINNABLE = {"takes": ("apply_workaround", "implement_fix"), "take_effect": ("apply_workaround",)}
"""Which world durations a responses action may pin, and on which actions."""

MAX_DRILL_MINUTES = 60 * MINUTES_PER_DAY
"""Sixty days: longer than any incident a drill replays, short enough to run."""


class ResponseAction(Frozen):
    """One thing one role did, at a scenario minute."""

    at: Annotated[Minutes, Field(le=MAX_DRILL_MINUTES)]
    role: Identifier
    by: str = Field("", description="The person, if it matters (default: the roster's first in the role).")
    action: str
    assign: str | None = None
    person: str | None = None
    target: str | None = None
    audience: str | None = None
    text: str | None = None
    cause: str | None = None
    topic: str | None = None
    workaround: str | None = None
    within: Annotated[Minutes, Field(le=365 * MINUTES_PER_DAY)] | None = None
    claims_workaround: str | None = None
    about: str | None = Field(None, description="say only: the inject the message answers (threads it under it).")
    severity: str | None = Field(None, description="classify only: a severity of the classification policy.")
    priority: str | None = Field(None, description="classify only: a priority of the policy's matrix (e.g. P1).")
    major: Literal["yes", "no"] | None = Field(None, description="classify only: a major incident or not.")
    assumed: str | None = Field(None, description="Why this time is an assumption (never published, say).")
    takes: Annotated[Minutes, Field(le=MAX_DRILL_MINUTES)] | None = Field(
        None, description="Pins how long the work this action starts takes in the world (apply_workaround: the "
                          "workaround's apply; implement_fix: the fix's duration), e.g. to replay a published "
                          "timeline; needs assumed:.")
    take_effect: Annotated[Minutes, Field(le=MAX_DRILL_MINUTES)] | None = Field(
        None, description="apply_workaround only: pins the workaround's take_effect (from applied to restored); "
                          "needs assumed:.")
    refused: Literal["expected"] | None = Field(
        None, description="The drill is expected to refuse this action: scripted play journals it as a rejection "
                          "and goes on (without it, a refused action is a problem with the file).")
    note: str = ""

    @model_validator(mode="after")
    def _fields_fit_the_action(self):
        spec = ACTIONS.get(self.action)
        if spec is None:
            raise ValueError(f"unknown action {self.action!r} (actions are {', '.join(ACTION_NAMES)})")
        given = {f for f in ACTION_FIELDS if getattr(self, f) is not None}
        missing = [f for f in spec.required if f not in given]
        extra = sorted(given - set(spec.fields))
        if missing:
            raise ValueError(f"action {self.action!r} needs {', '.join(missing)}")
        if extra:
            raise ValueError(f"action {self.action!r} takes no {', '.join(extra)} (it takes: {', '.join(spec.fields) or 'nothing'})")
        if self.audience is not None and self.audience not in AUDIENCES:
            raise ValueError(f"unknown audience {self.audience!r} (audiences are {', '.join(AUDIENCES)})")
        for pin, actions in PINNABLE.items():
            value = getattr(self, pin)
            if value is None:
                continue
            if self.action not in actions:
                raise ValueError(f"{pin}: pins the work of {' or '.join(actions)}, not of {self.action!r}, "
                                 f"got {pin}: {value:g}m")
            if not self.assumed:
                raise ValueError(f"{pin}: a pinned world duration needs assumed: (why), got {pin}: {value:g}m "
                                 f"and no assumed")
        return self

    @property
    def pins(self) -> dict[str, float]:
        """The world durations this action pins (`takes`, `take_effect`), as the drill engine takes them."""
        return {pin: getattr(self, pin) for pin in PINNABLE if getattr(self, pin) is not None}

    def fields(self) -> dict[str, object]:
        """The action's own fields, as the drill engine takes them."""
        return {f: getattr(self, f) for f in ACTION_FIELDS if getattr(self, f) is not None}


class Rating(Frozen):
    """An evaluator's HSEEP rating of one objective, overriding the computed one."""

    objective: Identifier
    rating: Literal["P", "S", "M", "U"]
    reason: str = Field(min_length=1)
    by: str = "evaluator"

    @field_validator("reason")
    @classmethod
    def _says_something(cls, reason: str) -> str:
        if not reason.strip():
            raise ValueError("an evaluator's rating needs a reason, got only spaces")
        return reason.strip()


class Responses(Frozen):
    kind: Literal["responses"]
    version: Literal[1]
    name: str
    title: str = ""
    description: str = ""
    scenario: str = Field(description="The scenario these responses were written for.")
    roster: str | None = Field(None, description="The roster they were written for (the default for drill run).")
    actions: list[ResponseAction] = Field(min_length=1)
    ratings: list[Rating] = Field(default_factory=list)
    end: Annotated[Minutes, Field(le=MAX_DRILL_MINUTES)] | None = Field(
        None, description="When the drill ends (default: at the last action).")

    def problems(self) -> list[tuple[str, str]]:
        found = []
        for i in range(1, len(self.actions)):
            if self.actions[i].at < self.actions[i - 1].at:
                found.append((f"actions[{i}].at", f"actions must be in time order: {self.actions[i].at:g}m comes "
                                                  f"after {self.actions[i - 1].at:g}m"))
        if self.end is not None and self.end < self.actions[-1].at:
            found.append(("end", f"the drill cannot end ({self.end:g}m) before its last action ({self.actions[-1].at:g}m)"))
        return found
