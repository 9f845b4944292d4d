"""The playbook: how the team responds (SPEC 3.3).

Steps form a dependency graph. Each has a RACI assignment with exactly one Accountable
role; the Responsible role performs it. An action says what a step does:

- `engage`: page the listed roles (each must acknowledge);
- `assemble`: engage the listed roles plus every resolver group the scenario needs;
- `coordinate`: the performer spends `duration` (deciding to declare, opening the
  bridge, writing an update, raising the problem record...);
- `wait`: time passes with nobody busy (the review is held days later);
- `diagnose`, `workaround`, `fix`: the scenario's own work, done by whom the scenario says.

Steps with no `after` start when the incident is detected. `after` names steps (the step
starts once they are done) or milestones (once reached, e.g. `after: [restored]`); the
step that marks `resolved` always waits for `restored` as well, named or not: an
incident is never closed before service is back (SPEC 3.1). Role effects say, explicitly,
what happens when the staffing lacks a role: who stands in, and how much slower every
coordination step the stand-in performs becomes.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from .base import Frozen, Identifier, PositiveMinutes
from .distributions import Distribution
from .metrics import MILESTONES, MilestoneName
from .roles import RESOLVER_GROUPS_TOKEN, ROLES

__all__ = ["Playbook", "Step", "RoleEffect", "ACTIONS", "EVERYONE", "RaciCode"]

ACTIONS = ("engage", "assemble", "coordinate", "wait", "diagnose", "workaround", "fix")
EVERYONE = "everyone"
RaciCode = Literal["R", "A", "C", "I", "R/A", "A/R"]
_ENGINE_MILESTONES = {"impact_start", "detected", "restored"}


def _known_role(name: str) -> str:
    if name not in ROLES and name != RESOLVER_GROUPS_TOKEN:
        raise ValueError(f"unknown role {name!r} (roles are {', '.join(ROLES)}, or {RESOLVER_GROUPS_TOKEN})")
    return name


class Step(Frozen):
    id: Identifier
    name: str = ""
    action: Literal["engage", "assemble", "coordinate", "wait", "diagnose", "workaround", "fix"]
    after: list[Identifier] = Field(
        default_factory=list, description="Steps that must be done, or milestones that must be reached "
                                          "(e.g. restored), before this step starts.")
    raci: dict[str, RaciCode]
    roles: list[str] = Field(default_factory=list, description="Roles an engage or assemble step pages.")
    duration: Distribution | None = Field(None, description="How long a coordinate step takes its performer, or a wait step lasts.")
    milestone: MilestoneName | None = None
    drill_action: str | None = Field(
        None, description="Drills: the action that does this step (default: inferred from the milestone or the id).")

    def after_steps(self, step_ids) -> tuple[str, ...]:
        """The steps this step waits for (a name in `after` is a step when a step has that id)."""
        return tuple(d for d in self.after if d in step_ids or d not in MILESTONES)

    def after_milestones(self, step_ids) -> tuple[str, ...]:
        """Milestones this step waits for; the step marking `resolved` waits for `restored`."""
        named = tuple(d for d in self.after if d not in step_ids and d in MILESTONES)
        if self.milestone == "resolved" and "restored" not in named:
            named += ("restored",)
        return named

    @field_validator("drill_action")
    @classmethod
    def _known_action(cls, name):
        from .actions import ACTION_NAMES

        if name is not None and name not in ACTION_NAMES:
            raise ValueError(f"unknown action {name!r} (actions are {', '.join(ACTION_NAMES)})")
        return name

    @field_validator("raci")
    @classmethod
    def _one_accountable(cls, raci):
        for role in raci:
            _known_role(role)
        accountable = [r for r, code in raci.items() if "A" in code]
        if len(accountable) != 1:
            found = ", ".join(accountable) if accountable else "none"
            raise ValueError(f"exactly one role must be Accountable (A), found {found}")
        return raci

    @field_validator("roles")
    @classmethod
    def _roles_known(cls, roles):
        for role in roles:
            _known_role(role)
        return roles

    @field_validator("milestone")
    @classmethod
    def _not_engine_milestone(cls, milestone):
        if milestone in _ENGINE_MILESTONES:
            raise ValueError(f"{milestone!r} is set by the simulation itself, not by a playbook step")
        return milestone

    @property
    def accountable(self) -> str:
        return next(r for r, code in self.raci.items() if "A" in code)

    @property
    def performer(self) -> str:
        """The Responsible role (the Accountable one when it is also Responsible)."""
        responsible = [r for r, code in self.raci.items() if "R" in code]
        return responsible[0] if responsible else self.accountable


class RoleEffect(Frozen):
    """When `when_missing` is not staffed, `substitute` does its steps, `slowdown` times slower."""

    when_missing: Annotated[str, Field()]
    substitute: str
    slowdown: float = Field(1.0, ge=1.0, description="Factor on every coordination step the substitute performs.")
    note: str = ""

    @field_validator("when_missing", "substitute")
    @classmethod
    def _roles_known(cls, role):
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r} (roles are {', '.join(ROLES)})")
        return role


class Playbook(Frozen):
    """How the team responds to a major incident (SPEC 3.3)."""

    kind: Literal["playbook"]
    version: Literal[1]
    name: str
    title: str = ""
    description: str = ""
    update_cadence: PositiveMinutes = Field(30.0, description="Stakeholder updates keep this cadence until restored.")
    steps: Annotated[list[Step], Field(min_length=1)]
    role_effects: list[RoleEffect] = Field(default_factory=list)
    release: dict[str, MilestoneName] = Field(
        default_factory=dict,
        description=(
            f"Role, {RESOLVER_GROUPS_TOKEN} or {EVERYONE} -> milestone at which those responders leave; "
            "anyone not released by then leaves when the incident's last step ends."
        ),
    )

    @field_validator("release")
    @classmethod
    def _release_roles_known(cls, release):
        for role in release:
            if role != EVERYONE:
                _known_role(role)
        return release

    def waits(self, step: Step) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """What `step` waits for: (step ids, milestones)."""
        ids = {s.id for s in self.steps}
        return step.after_steps(ids), step.after_milestones(ids)

    def problems(self) -> list[tuple[str, str]]:
        """Cross-step problems as (field path, message): ids, dependencies, cycles, milestones."""
        found: list[tuple[str, str]] = []
        index: dict[str, int] = {}
        for i, step in enumerate(self.steps):
            if step.id in index:
                found.append((f"steps[{i}].id", f"duplicate step id {step.id!r} (first at steps[{index[step.id]}])"))
            else:
                index[step.id] = i
        seen_milestones: dict[str, int] = {}
        for i, step in enumerate(self.steps):
            for j, dep in enumerate(step.after):
                if dep not in index and dep not in MILESTONES:
                    found.append((f"steps[{i}].after[{j}]", f"unknown step or milestone {dep!r}"))
                elif dep == step.milestone:
                    found.append((f"steps[{i}].after[{j}]", f"the step marks {dep!r} itself, so it cannot wait for it"))
            if step.action in ("coordinate", "wait") and step.duration is None:
                found.append((f"steps[{i}].duration", f"a {step.action} step needs a duration"))
            if step.action in ("engage",) and not step.roles:
                found.append((f"steps[{i}].roles", "an engage step needs at least one role"))
            if step.milestone:
                if step.milestone in seen_milestones:
                    found.append((
                        f"steps[{i}].milestone",
                        f"milestone {step.milestone!r} already marked by steps[{seen_milestones[step.milestone]}]",
                    ))
                seen_milestones[step.milestone] = i
        for action in ("diagnose", "workaround", "fix"):
            count = sum(1 for s in self.steps if s.action == action)
            if count > 1:
                found.append(("steps", f"at most one {action} step, found {count}"))
        cycle = self._cycle(index)
        if cycle:
            found.append((f"steps[{index[cycle[0]]}].after", "dependency cycle: " + " -> ".join(cycle)))
        return found

    def _cycle(self, index: dict[str, int]) -> list[str] | None:
        by_id = {s.id: s for s in self.steps}
        state: dict[str, int] = {}

        def visit(node: str, trail: list[str]) -> list[str] | None:
            state[node] = 1
            for dep in by_id[node].after_steps(by_id):
                if dep not in by_id:
                    continue
                if state.get(dep) == 1:
                    return trail[trail.index(dep):] + [dep] if dep in trail else [node, dep, node]
                if dep not in state:
                    found = visit(dep, trail + [dep])
                    if found:
                        return found
            state[node] = 2
            return None

        for step_id in by_id:
            if step_id not in state:
                found = visit(step_id, [step_id])
                if found:
                    return found
        return None

    def effect_for(self, role: str) -> RoleEffect | None:
        return next((e for e in self.role_effects if e.when_missing == role), None)
