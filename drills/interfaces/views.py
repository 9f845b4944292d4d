"""What each kind of token may see of a drill: the facilitator everything, evaluators
everything but the clock controls are theirs to watch not touch, a participant only what
their role would see (never facilitator notes, expected actions, inject types, ratings,
injects meant for other roles, or which cause or workaround is the right one). Pure
functions over journal events and the scenario."""

from __future__ import annotations

import numpy as np

from drills.events import DrillEvent
from drills.injects import STEERING
from drills.store import Access
from scenarios import Scenario
from simulator.model.streams import stage_key

__all__ = ["visible", "as_seen", "offered_choices", "PLAYER_INJECT_FIELDS"]

PLAYER_INJECT_FIELDS = ("to", "channel", "subject", "content", "requested_by", "occurrence", "sender")
_PRIVATE_WORLD = {"not_yet_available", "not_available", "claim_open"}
# Reaching `identified` at once would tell the team that the cause it named is the right
# one; participants learn it from the world instead (the evidence against a wrong cause).
_PRIVATE_MILESTONES = {"identified"}


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
    if event.kind in ("rating", "mark"):
        return None
    if event.kind == "control" and event.name in STEERING:
        return None   # which inject is held or skipped is the facilitator's business
    if event.kind == "milestone" and event.name in _PRIVATE_MILESTONES:
        return None
    if event.kind == "world" and event.name in _PRIVATE_WORLD and event.role != role:
        return None
    if event.kind == "action":
        row["detail"] = {k: v for k, v in event.detail.items() if k != "note"}
    return row


def as_seen(events, access: Access) -> list[tuple[int, dict]]:
    """(journal number, row) for each event this token may see. A participant's rows are
    numbered in their own view (1, 2, 3...): the journal's numbers count events they may
    not see, and a gap would tell them one happened (naming the right cause reaches the
    hidden `identified` milestone; a wrong one does not)."""
    out = []
    own = access.capability == "participant"
    for event in events:
        row = visible(event, access)
        if row is not None:
            if own:
                row["seq"] = len(out) + 1
            out.append((event.seq, row))
    return out


def offered_choices(scenario: Scenario, seed: int) -> dict[str, list[tuple[str, str]]]:
    """The causes and workarounds as participants are offered them: (key, title) in an order
    shuffled by the drill's seed, the same for the whole drill, whatever the scenario's own
    order (which lists the right ones first)."""
    offered = {"cause": [(c.id, c.title) for c in scenario.diagnosis.causes],
               "workaround": [(w.key, w.name) for w in scenario.workarounds]}
    out = {}
    for field, items in offered.items():
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stage_key(f"offer/{field}"),)))
        out[field] = [items[i] for i in rng.permutation(len(items))]
    return out
