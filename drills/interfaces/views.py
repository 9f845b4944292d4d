"""What each kind of token may see of a drill: the facilitator everything, evaluators
everything but the clock controls are theirs to watch not touch, a participant only what
their role would see (never facilitator notes, expected actions, inject types, ratings,
or injects meant for other roles). Pure functions over journal events."""

from __future__ import annotations

from drills.events import DrillEvent
from drills.store import Access

__all__ = ["visible", "PLAYER_INJECT_FIELDS"]

PLAYER_INJECT_FIELDS = ("to", "channel", "subject", "content", "requested_by", "occurrence")
_PRIVATE_WORLD = {"not_yet_available", "claim_open"}


def _addressed_to(event: DrillEvent, role: str) -> bool:
    to = event.detail.get("to") or ["everyone"]
    return "everyone" in to or role in to


def visible(event: DrillEvent, access: Access) -> dict | None:
    """The event as this token's holder may see it, or None."""
    row = event.to_dict()
    if access.capability in ("facilitator", "evaluator"):
        return row
    role = access.role
    if event.kind in ("inject", "adhoc_inject"):
        if not _addressed_to(event, role):
            return None
        row["detail"] = {k: v for k, v in event.detail.items() if k in PLAYER_INJECT_FIELDS}
        return row
    if event.kind == "rating":
        return None
    if event.kind == "world" and event.name in _PRIVATE_WORLD and event.role != role:
        return None
    if event.kind == "action":
        row["detail"] = {k: v for k, v in event.detail.items() if k != "note"}
    return row
