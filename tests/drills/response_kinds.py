"""Scripted responses of known quality, derived from a bundled replay by fixed, documented
transformations (docs/reference/drills.md, "How scoring is validated"). Nothing here is
tuned per scenario: each kind is a rule applied to the replay's actions.

- typical: the bundled replay's decisions at its times (what a real team did), played as a
  rehearsal in the drill's own seeded world: the replay's pinned world durations (`takes`,
  `take_effect`) and its assumptions are dropped, since these scripts are not the historical
  record. Every kind below starts from this, so all five meet the same world (the same seed
  gives the same draws: common random numbers).
- exemplary: the typical response done well: no wrong causes chased, no ineffective
  workarounds, every action up to the pivot (the correct identification or the effective
  workaround, whichever is first) at half the typical delay from the first action and every
  later one as much earlier as the pivot moved, an update at least every half cadence from
  declaring to resolving, a problem record and a review within two days.
- slow: the typical response, every action at twice the typical delay from the first.
- wrong path: the slow response that first follows the red herring: names and
  "identifies" a wrong cause and applies the most harmful wrong workaround right after the
  first action, and recovers 30 minutes later still (every action from the correct
  identification on is another 30 minutes later).
- gaming: a team that games the score: acts before anything was detected, approves and
  implements the permanent fix at once without diagnosis or workaround, floods the bridge
  with forty updates in a minute, and closes the incident.

Evaluator ratings of the real team are dropped from every kind: they judged that team,
not these scripts.
"""

from __future__ import annotations

import copy

import yaml

from scenarios import Loaded, load_text

__all__ = ["KINDS", "derive"]

KINDS = ("exemplary", "typical", "slow", "wrong_path", "gaming")
LATE = 30.0
FLOOD = 40


def _minutes(value) -> float:
    from scenarios.durations import parse_duration

    return float(parse_duration(value)) if isinstance(value, str) else float(value)


def _moved(actions: list[dict], when) -> list[dict]:
    """The actions with each time t replaced by when(t) (a non-decreasing map)."""
    return [dict(action, at=round(when(_minutes(action["at"])), 3)) for action in actions]


def _scale(first: float, factor: float):
    return lambda t: first + (t - first) * factor


def _pivot(scenario, actions: list[dict]) -> float | None:
    for action in actions:
        if action["action"] == "identify" and not _wrong(scenario, action):
            return _minutes(action["at"])
        if action["action"] == "apply_workaround" and not _wrong(scenario, action):
            return _minutes(action["at"])
    return None


def _wrong(scenario, action: dict) -> bool:
    if action["action"] in ("hypothesis", "identify") and action.get("cause"):
        cause = scenario.cause_by_id(action["cause"])
        return cause is not None and not cause.correct
    if action["action"] == "apply_workaround":
        workaround = scenario.workaround_by_key(action["workaround"])
        return workaround is not None and not workaround.effective
    return False


def _exemplary_time(scenario, actions: list[dict]):
    first = _minutes(actions[0]["at"])
    pivot = _pivot(scenario, actions)
    pivot = pivot if pivot is not None else max(_minutes(a["at"]) for a in actions)
    earlier = (pivot - first) * 0.5
    return lambda t: first + (t - first) * 0.5 if t <= pivot else t - earlier


def _rehearsal(actions: list[dict]) -> list[dict]:
    """The replay's actions without what only a historical record needs."""
    return [{k: v for k, v in a.items() if k not in ("assumed", "takes", "take_effect")} for a in actions]


def _exemplary(scenario, cadence: float, actions: list[dict]) -> list[dict]:
    kept = [dict(a) for a in actions if not _wrong(scenario, a)]
    kept = _moved(kept, _exemplary_time(scenario, actions))
    declared = next((a["at"] for a in kept if a["action"] == "declare"), None)
    end = max(a["at"] for a in kept)
    if declared is not None:
        updates = sorted(a["at"] for a in kept if a["action"] == "update")
        t = declared
        while t < end:
            if not any(t <= u < t + cadence / 2 for u in updates):
                kept.append({"at": round(t + 1, 3), "role": _role_of(actions, "update", actions[0]["role"]),
                             "action": "update",
                             "audience": "internal", "text": "Status: still working; next update within the cadence."})
            t += cadence / 2
    last = max(a["at"] for a in kept)
    if not any(a["action"] == "problem_record" for a in kept):
        kept.append({"at": last, "role": _role_of(actions, "declare", actions[0]["role"]), "action": "problem_record",
                     "text": "Root cause follow-up."})
    for action in kept:
        if action["action"] == "schedule_review":
            action["within"] = "2d"
    if not any(a["action"] == "schedule_review" for a in kept):
        kept.append({"at": last, "role": _role_of(actions, "declare", actions[0]["role"]), "action": "schedule_review",
                     "within": "2d"})
    return sorted(kept, key=lambda a: a["at"])


def _wrong_path(scenario, actions: list[dict]) -> list[dict]:
    first = actions[0]
    wrong_cause = next((c for c in scenario.diagnosis.causes if not c.correct), None)
    harmful = sorted((w for w in scenario.workarounds if not w.effective), key=lambda w: -w.worsens)
    detour = []
    if wrong_cause is not None:
        detour += [{"at": _minutes(first["at"]) + 1, "role": first["role"], "action": "hypothesis",
                    "cause": wrong_cause.id, "text": "It must be this."},
                   {"at": _minutes(first["at"]) + 2, "role": first["role"], "action": "identify",
                    "cause": wrong_cause.id}]
    if harmful:
        detour.append({"at": _minutes(first["at"]) + 3, "role": harmful[0].by if harmful[0].by in
                       scenario.participant_roles else first["role"], "action": "apply_workaround",
                       "workaround": harmful[0].key})
    out = _moved(actions, _wrong_path_time(scenario, actions))
    return sorted(out + detour, key=lambda a: _minutes(a["at"]))


def _wrong_path_time(scenario, actions: list[dict]):
    slow = _scale(_minutes(actions[0]["at"]), 2.0)
    recovered = next((_minutes(a["at"]) for a in actions if a["action"] == "identify" and not _wrong(scenario, a)),
                     None)
    if recovered is None:
        return slow
    return lambda t: slow(t) + LATE if t >= recovered else slow(t)


def _role_of(actions: list[dict], action: str, default: str) -> str:
    """Who did `action` in the typical response (the roster has them), else `default`."""
    return next((a["role"] for a in actions if a["action"] == action), default)


def _gaming(scenario, actions: list[dict]) -> list[dict]:
    first = _minutes(actions[0]["at"])
    lead = actions[0]["role"]
    im = _role_of(actions, "declare", lead)
    detected = min((j.at for j in scenario.injects if j.detects and j.at is not None), default=0.0)
    out = [{"at": 0.0, "role": im, "action": "declare", "refused": "expected"}] if detected > 0 else []
    if scenario.fix is not None:
        out += [{"at": first, "role": _role_of(actions, "approve_change", im), "action": "approve_change"},
                {"at": first, "role": _role_of(actions, "implement_fix", lead), "action": "implement_fix",
                 "refused": "expected"}]
    updater = _role_of(actions, "update", im)
    out += [{"at": first, "role": updater, "action": "update", "audience": "internal", "text": f"Update {k}."}
            for k in range(FLOOD)]
    out.append({"at": first + 1, "role": _role_of(actions, "resolve", im), "action": "resolve"})
    return out


def derive(typical: Loaded, scenario: Loaded, playbook: Loaded, kind: str) -> Loaded:
    """The responses of `kind`, derived from the bundled replay `typical`."""
    data = yaml.safe_load(typical.text)
    data = copy.deepcopy(data)
    data.pop("ratings", None)
    actions = _rehearsal(data["actions"])
    data["actions"] = actions
    sc = scenario.document
    when = None
    if kind == "typical":
        pass
    elif kind == "exemplary":
        when = _exemplary_time(sc, actions)
        data["actions"] = _exemplary(sc, playbook.document.update_cadence, actions)
    elif kind == "slow":
        when = _scale(_minutes(actions[0]["at"]), 2.0)
        data["actions"] = _moved(actions, when)
    elif kind == "wrong_path":
        when = _wrong_path_time(sc, actions)
        data["actions"] = _wrong_path(sc, actions)
    elif kind == "gaming":
        data["actions"] = _gaming(sc, actions)
        data.pop("end", None)
    else:
        raise ValueError(f"unknown kind {kind!r} (kinds: {', '.join(KINDS)})")
    if when is not None and data.get("end") is not None:
        data["end"] = round(max(when(_minutes(data["end"])), max(_minutes(a["at"]) for a in data["actions"])), 3)
    data["name"] = f"{data['name']}-{kind}"
    return load_text(yaml.safe_dump(data, sort_keys=False), f"{typical.source} ({kind})", expect="responses")
