"""The roster: who plays which role in a drill, who evaluates, where chat goes."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import Field, field_validator

from .base import Frozen, Identifier, duplicates
from .exercise import CHANNELS

__all__ = ["Roster", "Participant", "ChatRoute", "CHAT_FORMATS", "roster_for"]

ChatFormat = Literal["plain", "slack", "teams"]
CHAT_FORMATS = get_args(ChatFormat)
"""How a chat webhook wants its messages: `plain` JSON with a ready `text` line, Slack
Block Kit, or a Microsoft Teams message with an Adaptive Card."""


class Participant(Frozen):
    name: str = Field(min_length=1)
    role: Identifier = Field(description="An incident role (incident_manager, ...) or a resolver group the scenario needs.")
    contact: str = ""


class ChatRoute(Frozen):
    """One incoming webhook of a live drill and the injects it gets.

    An inject goes to every route whose `channels` include its channel (or are empty) and,
    when the route has `roles`, only if the inject is sent to one of them (or to everyone).
    A route without roles (a shared channel) gets an inject sent to particular roles only
    for those of them that have no role route on that channel: what is meant for one role
    never lands in a room shared with others when that role has a room of its own."""

    url: str = Field(description="The incoming-webhook URL (http or https).")
    roles: list[Identifier] = Field(default_factory=list,
                                    description="Only injects sent to these roles (or to everyone); empty: any role.")
    channels: list[str] = Field(default_factory=list,
                                description="Only injects on these channels; empty: every channel.")
    format: ChatFormat = Field(
        "plain", description="plain JSON with a `text` line, `slack` (Block Kit) or `teams` (an Adaptive Card).")

    @field_validator("url")
    @classmethod
    def _http(cls, url):
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"a webhook must be an http(s) URL, got {url!r}")
        return url

    @field_validator("channels")
    @classmethod
    def _known(cls, channels):
        for channel in channels:
            if channel not in CHANNELS:
                raise ValueError(f"unknown channel {channel!r} (channels are {', '.join(CHANNELS)})")
        return channels

    def serves(self, channel: str) -> bool:
        return not self.channels or channel in self.channels


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
    webhooks: dict[str, str] = Field(default_factory=dict,
                                     description="Channel -> incoming-webhook URL (live drills; plain JSON). "
                                                 "The short form of a `chat` route with one channel.")
    chat: list[ChatRoute] = Field(default_factory=list,
                                  description="Live drills: incoming webhooks per role and/or channel, each with its "
                                              "format (see ChatRoute for which injects each gets).")
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
    def chat_routes(self) -> tuple[ChatRoute, ...]:
        """Every chat webhook: the `webhooks` short form (one plain route per channel) and `chat`."""
        short = (ChatRoute(url=url, channels=[channel]) for channel, url in self.webhooks.items())
        return (*short, *self.chat)

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.role for p in self.participants))

    def people_in(self, role: str) -> list[str]:
        return [p.name for p in self.participants if p.role == role]

    def problems(self) -> list[tuple[str, str]]:
        found = duplicates([p.name for p in self.participants], "participants[{}].name", "participant")
        for i, route in enumerate(self.chat):
            for j, role in enumerate(route.roles):
                if role not in self.roles:
                    found.append((f"chat[{i}].roles[{j}]", f"nobody in the roster plays {role!r} "
                                                           f"(roles: {', '.join(self.roles)})"))
        return found


def roster_for(scenario) -> str:
    """A one-person-per-role roster (YAML) for a scenario, when none is given: the
    incident roles a major incident always needs plus every resolver group it needs."""
    roles = ["incident_manager", "technical_lead", "communications_lead", *scenario.needs]
    people = "\n".join(f"  - {{name: {role.replace('_', ' ').title()}, role: {role}}}" for role in dict.fromkeys(roles))
    return (f"kind: roster\nversion: 1\nname: {scenario.name}-default-roster\n"
            f"title: One player per role for {scenario.name}\nteam: Default team\nparticipants:\n{people}\n")
