"""A classification policy: how an incident's severity, priority and the major-incident call
follow from its impact, agreed before the outage (ITIL's impact x urgency matrix).

Severity is the impact level: the first (most severe) level any of whose criteria the
impact meets, the last level being the floor. Priority is read from the matrix by severity
and the scenario's urgency (how fast the damage grows: high, medium or low). The incident
is major when its priority is one of `major.priorities` or its severity one of
`major.severities`. The same rule judges a drill at every minute (drills.classification)
and decides whether a simulated incident is one to declare.

`triage` says how clear the policy is in practice: the chance that the first
classification is wrong (a major incident first triaged below the major line), and how
long until it is corrected; it delays the declaration in the simulator. A staffing may
give its own (a trained service desk).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field, model_validator

from .base import Frozen, Identifier, Minutes
from .distributions import ZERO, Distribution

__all__ = ["ClassificationPolicy", "Severity", "Triage", "Impact", "Classification", "URGENCIES",
           "DEFAULT_CLASSIFICATION"]

URGENCIES = ("high", "medium", "low")
DEFAULT_CLASSIFICATION = "itil-impact-urgency"
"""The bundled policy drills and simulations use unless told otherwise."""

Urgency = Literal["high", "medium", "low"]


class Severity(Frozen):
    """One impact level and the criteria that put an incident at it (any one suffices)."""

    id: Identifier
    title: str = ""
    lost_share: float | None = Field(None, gt=0, le=1, description="At least this share of all users (or "
                                                                     "traffic) lost at once.")
    cost_per_minute: float | None = Field(None, gt=0, description="At least this outage cost per minute.")
    critical_service_down: bool = Field(False, description="Any service the scenario marks critical is down.")
    data_exposure: bool = Field(False, description="Data or security exposure (the scenario's `exposure.data`).")
    regulated: bool = Field(False, description="A regulated service is hit (the scenario's `exposure.regulated`).")

    @property
    def has_criteria(self) -> bool:
        return (self.lost_share is not None or self.cost_per_minute is not None or self.critical_service_down
                or self.data_exposure or self.regulated)


class Major(Frozen):
    """What makes an incident a major incident, to be declared and run by a major-incident team."""

    priorities: list[str] = Field(default_factory=lambda: ["P1"], description="Priorities that are major.")
    severities: list[Identifier] = Field(default_factory=list, description="Severities that are major whatever the "
                                                                           "priority.")


class Triage(Frozen):
    """How often the first classification misses the major line, and how long until it is put right."""

    first_wrong: float = Field(0.0, ge=0, le=1, description="Chance the first classification of a major incident "
                                                            "is below the major line (e.g. P2 for a P1).")
    corrected_after: Distribution = Field(ZERO, description="From the wrong classification until it is corrected "
                                                            "(it delays the declaration by as much).")


class ClassificationPolicy(Frozen):
    """Severity levels with their criteria, the priority matrix and the major-incident criteria."""

    kind: Literal["classification"]
    version: Literal[1]
    name: str
    title: str = ""
    description: str = ""
    severities: list[Severity] = Field(min_length=2, description="Most severe first; the last, with no criteria, "
                                                                "is the floor.")
    priorities: dict[Identifier, dict[Urgency, str]] = Field(
        description="Severity -> urgency (high, medium, low) -> priority (e.g. P1).")
    major: Major = Field(default_factory=Major)
    classify_within: Minutes = Field(15.0, description="Drills: the target from detection to a right "
                                                       "classification (the `classification` check's credit).")
    triage: Triage = Field(default_factory=Triage)

    @model_validator(mode="after")
    def _matrix_complete(self):
        ids = [s.id for s in self.severities]
        if len(set(ids)) != len(ids):
            raise ValueError("severities: each id once")
        if self.severities[-1].has_criteria:
            raise ValueError(f"severities: the last one ({ids[-1]}) is the floor and takes no criteria")
        missing = [s for s in ids if s not in self.priorities]
        unknown = [s for s in self.priorities if s not in ids]
        if missing or unknown:
            raise ValueError(f"priorities: give a row for each severity ({', '.join(ids)})"
                             + (f"; missing {', '.join(missing)}" if missing else "")
                             + (f"; unknown {', '.join(unknown)}" if unknown else ""))
        for sid, row in self.priorities.items():
            absent = [u for u in URGENCIES if u not in row]
            if absent:
                raise ValueError(f"priorities.{sid}: give the priority for urgency {', '.join(absent)}")
        known = {p for row in self.priorities.values() for p in row.values()}
        strange = [p for p in self.major.priorities if p not in known]
        if strange:
            raise ValueError(f"major.priorities: {', '.join(strange)} is not in the matrix ({', '.join(sorted(known))})")
        strange = [s for s in self.major.severities if s not in ids]
        if strange:
            raise ValueError(f"major.severities: unknown severity {', '.join(strange)}")
        return self

    @property
    def severity_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.severities)

    @property
    def priority_ids(self) -> tuple[str, ...]:
        """Every priority of the matrix, most urgent first (as the matrix's first row reads)."""
        seen: dict[str, None] = {}
        for sid in self.severity_ids:
            for urgency in URGENCIES:
                seen.setdefault(self.priorities[sid][urgency], None)
        return tuple(sorted(seen, key=_priority_order))

    def rank(self, severity: str) -> int:
        """0 for the most severe level, 1 for the next..."""
        return self.severity_ids.index(severity)

    def classify(self, impact: "Impact") -> "Classification":
        """The classification the policy gives this impact."""
        chosen = self.severities[-1]
        for level in self.severities[:-1]:
            if ((level.lost_share is not None and impact.lost_share >= level.lost_share - 1e-12)
                    or (level.cost_per_minute is not None and impact.cost_per_minute >= level.cost_per_minute)
                    or (level.critical_service_down and impact.critical_down)
                    or (level.data_exposure and impact.data_exposure)
                    or (level.regulated and impact.regulated)):
                chosen = level
                break
        priority = self.priorities[chosen.id][impact.urgency]
        major = priority in self.major.priorities or chosen.id in self.major.severities
        return Classification(chosen.id, priority, major)


@dataclass(frozen=True)
class Impact:
    """What the policy looks at, at one minute."""

    lost_share: float
    cost_per_minute: float
    critical_down: bool
    data_exposure: bool = False
    regulated: bool = False
    urgency: str = "high"


@dataclass(frozen=True)
class Classification:
    severity: str
    priority: str
    major: bool

    def text(self) -> str:
        return f"{self.severity}/{self.priority}, {'major' if self.major else 'not major'}"


def _priority_order(priority: str) -> tuple:
    digits = "".join(ch for ch in priority if ch.isdigit())
    return (int(digits) if digits else 99, priority)
