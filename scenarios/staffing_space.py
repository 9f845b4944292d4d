"""A staffing space: the staffing options `warroom optimize` searches for the cheapest one
that meets a target.

    kind: staffing_space
    version: 1
    name: cloudflare-2019-space
    base: cloudflare-2019-sre            # bundled name, or a path relative to this file
    alternatives: [24x7-comms-lead]      # other staffing documents to choose from instead
    choices:
      sre:
        on_call: [1, 2, 3]               # people on call at once to try
        rota: [12, 20]                   # optional: rota sizes to try (default: see below)
        coverage:                        # optional: alternative coverage blocks
          - 24x7
          - {type: business_hours, timezone: America/Los_Angeles}
      technical_lead:
        on_call: [1, 2]

Every candidate is a base (or an alternative) with one option per listed role or resolver
group; everything else stays as that staffing document says. Without a `rota` list, the
rota keeps the base's number of people per on-call slot (rota = base rota x on_call / base
on_call, rounded up), so more people on call costs more; `on_call: 0` then means nobody in
that role, and the playbook's role effects say who stands in.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from .base import Frozen, Identifier
from .staffing import Always, BusinessHours, Coverage, FollowTheSun

__all__ = ["StaffingSpace", "PoolChoices", "coverage_label", "MAX_CANDIDATES"]

MAX_CANDIDATES = 500
"""A space larger than this is refused: every candidate is simulated, so narrow the lists."""

Headcount = Annotated[int, Field(ge=0)]


def _no_repeats(values: list | None, what: str) -> None:
    if values is not None and len(set(map(repr, values))) != len(values):
        raise ValueError(f"each {what} may be listed once, got {values}")


class PoolChoices(Frozen):
    """The options to try for one role or resolver group; each list replaces the base's value."""

    on_call: Annotated[list[Headcount], Field(min_length=1)] | None = Field(
        None, description="People on call at once to try, e.g. [1, 2, 3] (default: the base's).")
    rota: Annotated[list[Headcount], Field(min_length=1)] | None = Field(
        None, description="Rota sizes to try (cost); combinations with rota below on_call are skipped. Default: "
                          "the base's people per on-call slot times on_call, rounded up.")
    coverage: Annotated[list[Coverage], Field(min_length=1)] | None = Field(
        None, description="Alternative coverage blocks to try (default: the base's).")

    @model_validator(mode="after")
    def _something_to_try(self):
        if self.on_call is None and self.rota is None and self.coverage is None:
            raise ValueError("give on_call, rota or coverage options to try")
        _no_repeats(self.on_call, "on_call value")
        _no_repeats(self.rota, "rota value")
        _no_repeats(self.coverage, "coverage")
        return self


class StaffingSpace(Frozen):
    """Staffing options for `warroom optimize`: a base staffing and, per role or resolver group,
    the headcounts and coverage to try."""

    kind: Literal["staffing_space"]
    version: Literal[1]
    name: str
    title: str = ""
    description: str = ""
    base: str = Field(description="The staffing every candidate starts from: a bundled name or a path "
                                  "(relative to this file).")
    alternatives: list[str] = Field(
        default_factory=list, description="Other staffing documents to choose from instead of the base; "
                                          "the choices apply to each of them.")
    choices: dict[Identifier, PoolChoices] = Field(
        default_factory=dict, description="Role or resolver group -> the options to try.")

    def problems(self) -> list[tuple[str, str]]:
        found = []
        seen = {self.base: "base"}
        for i, name in enumerate(self.alternatives):
            if name in seen:
                found.append((f"alternatives[{i}]", f"{name!r} is already listed (as {seen[name]})"))
            seen.setdefault(name, f"alternatives[{i}]")
        return found


def coverage_label(coverage) -> str:
    """A coverage block in a few words: `24x7`, `business hours 09:00-17:00 Europe/London`..."""
    if isinstance(coverage, Always):
        text = "24x7"
    elif isinstance(coverage, BusinessHours):
        days = "" if list(coverage.days) == ["mon", "tue", "wed", "thu", "fri"] else " " + ",".join(coverage.days)
        text = f"business hours {coverage.hours}{days} {coverage.timezone}"
    elif isinstance(coverage, FollowTheSun):
        text = f"follow the sun ({len(coverage.shifts)} shifts)"
    else:  # pragma: no cover - every coverage type is listed above
        text = type(coverage).__name__
    return text if getattr(coverage, "pager", True) else text + ", no pager"
