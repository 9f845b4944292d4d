"""Checks that only make sense across documents: does this staffing cover this scenario
and this playbook? Also decides who does a role's work when the staffing lacks it."""

from __future__ import annotations

from .errors import Problem
from .loader import Loaded
from .playbook import Playbook
from .roles import RESOLVER_GROUPS_TOKEN
from .scenario import Scenario
from .staffing import Staffing

__all__ = ["who_does", "check_together"]


def who_does(role: str, staffing: Staffing, playbook: Playbook) -> tuple[str, float] | None:
    """The role or group that does `role`'s work, and its coordination slowdown.

    Follows the playbook's role effects when the role is not staffed; the slowdown is the
    product of the `slowdown` of every effect that lands on the one who does the work.
    None when nobody can.
    """
    seen = set()
    actual = role
    while not staffing.has(actual):
        effect = playbook.effect_for(actual)
        if effect is None or actual in seen:
            return None
        seen.add(actual)
        actual = effect.substitute
    slowdown = 1.0
    for effect in playbook.role_effects:
        if not staffing.has(effect.when_missing) and who_lands(effect, staffing, playbook) == actual:
            slowdown *= effect.slowdown
    return actual, slowdown


def who_lands(effect, staffing: Staffing, playbook: Playbook) -> str | None:
    actual, seen = effect.substitute, {effect.when_missing}
    while not staffing.has(actual):
        nxt = playbook.effect_for(actual)
        if nxt is None or actual in seen:
            return None
        seen.add(actual)
        actual = nxt.substitute
    return actual


def check_together(scenario: Loaded, staffing: Loaded, playbook: Loaded) -> list[Problem]:
    """Every way these three documents cannot be run together."""
    problems: list[Problem] = []
    sc: Scenario = scenario.document
    st: Staffing = staffing.document
    pb: Playbook = playbook.document
    staff_name = staffing.source

    for group, count in sc.needs.items():
        path = ("needs", group)
        if not st.has(group):
            problems.append(Problem(scenario.source, scenario.line_of(path), f"needs.{group}",
                                    f"the scenario needs {group} but staffing {staff_name} has no {group}"))
        elif st.pools[group].people < count:
            problems.append(Problem(scenario.source, scenario.line_of(path), f"needs.{group}",
                                    f"the scenario needs {count} {group} at once but staffing {staff_name} "
                                    f"has only {st.pools[group].people} in the rota"))
    for field_path, role in sc.doers().items():
        if who_does(role, st, pb) is None:
            parts = tuple(int(p) if p.isdigit() else p for p in field_path.replace("[", ".").replace("]", "").split("."))
            problems.append(Problem(scenario.source, scenario.line_of(parts), field_path,
                                    f"{role!r} does this work but staffing {staff_name} has no {role} "
                                    "and the playbook names no substitute"))
    for i, step in enumerate(pb.steps):
        needed = []
        if step.action == "coordinate":
            needed.append(("raci", step.performer))
        if step.action in ("engage", "assemble"):
            needed.extend((f"roles[{j}]", r) for j, r in enumerate(step.roles) if r != RESOLVER_GROUPS_TOKEN)
        for where, role in needed:
            if who_does(role, st, pb) is None:
                path = ("steps", i, "raci") if where == "raci" else ("steps", i, "roles", int(where[6:-1]))
                problems.append(Problem(playbook.source, playbook.line_of(path), f"steps[{i}].{where}",
                                        f"step {step.id!r} needs {role} but staffing {staff_name} has no {role} "
                                        "and the playbook names no substitute"))
    return problems
