"""An improvement plan: owners and dates for the after-action report's corrective actions,
written by the team in a small YAML document:

    kind: improvement_plan
    version: 1
    name: edge-sre-q3
    items:
      time_to_declare:
        owner: Morgan
        start: 2026-12-01
        complete: 2027-01-15
        action: Put the declaration criteria on the on-call dashboard   # optional: replaces the suggestion
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from .base import Frozen

__all__ = ["ImprovementPlan", "PlanItem", "CAPABILITY_ELEMENTS"]

CAPABILITY_ELEMENTS = ("planning", "organization", "equipment", "training", "exercises")
"""HSEEP's capability elements (POETE)."""


class PlanItem(Frozen):
    owner: str = ""
    start: dt.date | None = None
    complete: dt.date | None = None
    action: str | None = Field(None, description="The corrective action, replacing warroom's suggestion.")
    element: Literal["planning", "organization", "equipment", "training", "exercises"] | None = None

    @model_validator(mode="after")
    def _dates_in_order(self):
        if self.start and self.complete and self.complete < self.start:
            raise ValueError(f"complete ({self.complete}) is before start ({self.start})")
        return self


class ImprovementPlan(Frozen):
    kind: Literal["improvement_plan"]
    version: Literal[1]
    name: str
    title: str = ""
    items: dict[str, PlanItem] = Field(default_factory=dict, description="Item id (as the AAR shows it) -> owner and dates.")
