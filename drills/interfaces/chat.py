"""Chat delivery: injects on a channel the roster gives an incoming-webhook URL for are also
POSTed there as JSON (Slack- and Teams-style `{"text": ...}`). A failing webhook is retried
with backoff and reported to the facilitator; it never stops or slows the drill."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field

import httpx

__all__ = ["WebhookDelivery", "Webhooks", "payload_for"]

RETRIES = (0.5, 1.0, 2.0)


def payload_for(subject: str, content: str, channel: str, sender: str, minute: float, drill_title: str) -> dict:
    text = f"[warroom drill - {drill_title}] {minute:.1f}m {channel.replace('_', ' ')} from {sender or '?'}: {subject}"
    if content:
        text += f"\n{content}"
    return {"text": text, "channel": channel, "subject": subject, "content": content, "from": sender,
            "scenario_minute": minute, "is_drill": True}


@dataclass
class WebhookDelivery:
    channel: str
    subject: str
    status: str = "pending"  # pending, delivered, failed
    attempts: int = 0
    error: str = ""
    at: str = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))

    def to_dict(self) -> dict:
        return {"channel": self.channel, "subject": self.subject, "status": self.status, "attempts": self.attempts,
                "error": self.error, "at": self.at}


class Webhooks:
    """Posts to a roster's webhooks in the background and remembers how each delivery went."""

    def __init__(self, urls: dict[str, str], timeout: float = 5.0):
        self.urls = dict(urls)
        self.timeout = timeout
        self.deliveries: list[WebhookDelivery] = []
        self._tasks: set[asyncio.Task] = set()

    def send(self, channel: str, payload: dict) -> WebhookDelivery | None:
        url = self.urls.get(channel)
        if url is None:
            return None
        delivery = WebhookDelivery(channel, payload.get("subject", ""))
        self.deliveries.append(delivery)
        task = asyncio.get_running_loop().create_task(self._post(url, payload, delivery))
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
