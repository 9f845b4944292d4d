"""The roster: who plays which role in a drill, who evaluates, where chat goes."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from .base import Frozen, Identifier, duplicates
from .exercise import CHANNELS

__all__ = ["Roster", "Participant", "roster_for"]


class Participant(Frozen):
    name: str = Field(min_length=1)
    role: Identifier = Field(description="An incident role (incident_manager, ...) or a resolver group the scenario needs.")
    contact: str = ""


class Roster(Frozen):
    """People mapped to roles for one drill (or one team's drills: `team` groups them for trends)."""

    kind: Literal["roster"]
    version: Literal[1]
    name: str
    title: str = ""
    description: str = ""
    team: str = Field(description="The team being exercised; drills of one team form its trend.")
    participants: list[Participant] = Field(min_length=1)
    evaluators: list[str] = Field(default_factory=list)
    webhooks: dict[str, str] = Field(default_factory=dict, description="Channel -> incoming-webhook URL (live drills).")
    join_code: bool = Field(False, description="Live drills: allow joining with a code and choosing a role.")

    @field_validator("webhooks")
    @classmethod
    def _known_channels(cls, webhooks):
        for channel, url in webhooks.items():
            if channel not in CHANNELS:
                raise ValueError(f"unknown channel {channel!r} (channels are {', '.join(CHANNELS)})")
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"webhook for {channel} must be an http(s) URL, got {url!r}")
        return webhooks

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.role for p in self.participants))

    def people_in(self, role: str) -> list[str]:
        return [p.name for p in self.participants if p.role == role]

    def problems(self) -> list[tuple[str, str]]:
        return duplicates([p.name for p in self.participants], "participants[{}].name", "participant")


def roster_for(scenario) -> str:
    """A one-person-per-role roster (YAML) for a scenario, when none is given: the
    incident roles a major incident always needs plus every resolver group it needs."""
    roles = ["incident_manager", "technical_lead", "communications_lead", *scenario.needs]
    people = "\n".join(f"  - {{name: {role.replace('_', ' ').title()}, role: {role}}}" for role in dict.fromkeys(roles))
    return (f"kind: roster\nversion: 1\nname: {scenario.name}-default-roster\n"
            f"title: One player per role for {scenario.name}\nteam: Default team\nparticipants:\n{people}\n")
