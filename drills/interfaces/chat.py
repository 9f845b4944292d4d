"""Chat delivery: injects are also POSTed to the incoming webhooks the roster gives
(`Roster.chat_routes`), each in its own format (plain JSON, Slack Block Kit, a Teams
Adaptive Card).

Which webhooks get an inject (ChatRoute has the rule): every route on its channel that
either has no role filter or names a role the inject is sent to; a route without a role
filter (a shared channel) gets an inject sent to particular roles only for those of them
with no role route of their own on that channel. A failing webhook is retried with
backoff and reported to the facilitator; it never stops or slows the drill."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

import httpx

from scenarios.exercise import EVERYONE
from scenarios.roster import CHAT_FORMATS, ChatRoute

__all__ = ["ChatMessage", "WebhookDelivery", "Webhooks", "FORMATS", "payload_for", "routes_for"]

RETRIES = (0.5, 1.0, 2.0)
_SLACK_HEADER_CHARACTERS = 150  # Block Kit's limit for a header's text
_SLACK_SECTION_CHARACTERS = 3000  # and for a section's


@dataclass(frozen=True)
class ChatMessage:
    """An inject (or a communications check) as the chat shows it."""

    subject: str
    content: str
    channel: str
    sender: str
    minute: float
    drill_title: str
    to: tuple[str, ...] = (EVERYONE,)

    @property
    def line(self) -> str:
        """One line that says it all, for plain chats and as the fallback of rich ones."""
        text = (f"[warroom drill - {self.drill_title}] {self.minute:.1f}m {self.channel.replace('_', ' ')} "
                f"from {self.sender or '?'}: {self.subject}")
        return text + (f"\n{self.content}" if self.content else "")

    @property
    def facts(self) -> list[tuple[str, str]]:
        return [("From", self.sender or "?"), ("Channel", self.channel.replace("_", " ")),
                ("Scenario minute", f"{self.minute:.1f}"), ("Drill", self.drill_title)]


def payload_for(message: ChatMessage) -> dict:
    """The plain format: a ready `text` line (Slack and Teams show it as is) and the fields."""
    return {"text": message.line, "channel": message.channel, "subject": message.subject,
            "content": message.content, "from": message.sender, "scenario_minute": message.minute,
            "is_drill": True}


def slack_payload(message: ChatMessage) -> dict:
    """Slack Block Kit: a header (the subject), the facts, the content; `text` is the fallback
    shown in notifications."""
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(message.subject or "(no subject)",
                                                                      _SLACK_HEADER_CHARACTERS)}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{name}:*\n{_cut(value, 1900)}"}
                                       for name, value in message.facts]},
    ]
    if message.content:
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": _cut(message.content, _SLACK_SECTION_CHARACTERS)}})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": "warroom drill: not a real incident"}]})
    return {"text": message.line, "blocks": blocks}


def teams_payload(message: ChatMessage) -> dict:
    """A Microsoft Teams message with one Adaptive Card: the subject, the facts, the content."""
    body = [{"type": "TextBlock", "text": message.subject or "(no subject)", "weight": "Bolder", "size": "Medium",
             "wrap": True},
            {"type": "FactSet", "facts": [{"title": name, "value": value} for name, value in message.facts]}]
    if message.content:
        body.append({"type": "TextBlock", "text": message.content, "wrap": True})
    body.append({"type": "TextBlock", "text": "warroom drill: not a real incident", "isSubtle": True, "wrap": True})
    card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
            "version": "1.4", "body": body}
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]}


FORMATS: dict[str, Callable[[ChatMessage], dict]] = {"plain": payload_for, "slack": slack_payload,
                                                     "teams": teams_payload}
assert set(FORMATS) == set(CHAT_FORMATS), "every chat format the roster accepts has a payload"


def routes_for(routes: tuple[ChatRoute, ...], channel: str, to: tuple[str, ...]) -> list[ChatRoute]:
    """The routes an inject on `channel` sent to roles `to` goes to (the rule is in the module
    docstring and on ChatRoute)."""
    on_channel = [r for r in routes if r.serves(channel)]
    if EVERYONE in to:
        return on_channel
    with_room = {role for r in on_channel for role in r.roles}
    return [r for r in on_channel
            if set(r.roles) & set(to) or (not r.roles and any(role not in with_room for role in to))]


@dataclass
class WebhookDelivery:
    channel: str
    subject: str
    route: str = ""  # which webhook: its roles and channels
    status: str = "pending"  # pending, delivered, failed
    attempts: int = 0
    error: str = ""
    at: str = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))

    def to_dict(self) -> dict:
        return {"channel": self.channel, "subject": self.subject, "route": self.route, "status": self.status,
                "attempts": self.attempts, "error": self.error, "at": self.at}


class Webhooks:
    """Posts to a roster's chat routes in the background and remembers how each delivery went."""

    def __init__(self, routes: tuple[ChatRoute, ...], timeout: float = 5.0):
        self.routes = tuple(routes)
        self.timeout = timeout
        self.deliveries: list[WebhookDelivery] = []
        self._tasks: set[asyncio.Task] = set()

    def send(self, message: ChatMessage) -> list[WebhookDelivery]:
        """Post `message` to every route it is for (`routes_for`)."""
        return [self.post(route, message) for route in routes_for(self.routes, message.channel, message.to)]

    def post(self, route: ChatRoute, message: ChatMessage) -> WebhookDelivery:
        """Post `message` to one route, in its format, in the background."""
        delivery = WebhookDelivery(message.channel, message.subject, _describe(route))
        self.deliveries.append(delivery)
        task = asyncio.get_running_loop().create_task(self._post(route.url, FORMATS[route.format](message), delivery))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return delivery

    async def _post(self, url: str, payload: dict, delivery: WebhookDelivery) -> None:
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            for attempt, pause in enumerate((0.0, *RETRIES)):
                if pause:
                    await asyncio.sleep(pause)
                delivery.attempts = attempt + 1
                try:
                    response = await client.post(url, json=payload)
                    if response.status_code < 300:
                        delivery.status, delivery.error = "delivered", ""
                        return
                    delivery.error = f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    delivery.error = f"{type(exc).__name__}: {exc}"[:200]
        delivery.status = "failed"

    async def drain(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def _describe(route: ChatRoute) -> str:
    roles = ", ".join(route.roles) or "every role"
    channels = ", ".join(route.channels) or "every channel"
    return f"{route.format}: {roles} on {channels}"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"
