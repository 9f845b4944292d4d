"""A staffing space: the staffing options `warroom optimize` searches for the cheapest one
that meets a target.

    kind: staffing_space
    version: 1
    name: cloudflare-2019-space
    base: cloudflare-2019-sre            # bundled name, or a path relative to this file
    alternatives: [24x7-comms-lead]      # other staffing documents to choose from instead
    choices:
      sre:
        on_call: [1, 2, 3]               # people on call at once to try
        rota: [12, 20]                   # optional: rota sizes to try (default: see below)
        coverage:                        # optional: alternative coverage blocks
          - 24x7
          - {type: business_hours, timezone: America/Los_Angeles}
      technical_lead:
        on_call: [1, 2]

Every candidate is a base (or an alternative) with one option per listed role or resolver
group; everything else stays as that staffing document says. Without a `rota` list, the
rota keeps the base's number of people per on-call slot (rota = base rota x on_call / base
on_call, rounded up), so more people on call costs more; `on_call: 0` then means nobody in
that role, and the playbook's role effects say who stands in.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, model_validator

from .base import Frozen, Identifier
from .errors import DocumentError, Problem
from .staffing import Always, BusinessHours, Coverage, FollowTheSun

if TYPE_CHECKING:  # the loader imports this module to know the document kind
    from .loader import Loaded

__all__ = ["StaffingSpace", "PoolChoices", "Candidate", "Expansion", "expand", "coverage_label", "MAX_CANDIDATES"]

MAX_CANDIDATES = 500
"""A space larger than this is refused: every candidate is simulated, so narrow the lists."""

Headcount = Annotated[int, Field(ge=0)]


def _no_repeats(values: list | None, what: str) -> None:
    if values is not None and len(set(map(repr, values))) != len(values):
        raise ValueError(f"each {what} may be listed once, got {values}")


class PoolChoices(Frozen):
    """The options to try for one role or resolver group; each list replaces the base's value."""

    on_call: Annotated[list[Headcount], Field(min_length=1)] | None = Field(
        None, description="People on call at once to try, e.g. [1, 2, 3] (default: the base's).")
    rota: Annotated[list[Headcount], Field(min_length=1)] | None = Field(
        None, description="Rota sizes to try (cost); combinations with rota below on_call are skipped. Default: "
                          "the base's people per on-call slot times on_call, rounded up.")
    coverage: Annotated[list[Coverage], Field(min_length=1)] | None = Field(
        None, description="Alternative coverage blocks to try (default: the base's).")

    @model_validator(mode="after")
    def _something_to_try(self):
        if self.on_call is None and self.rota is None and self.coverage is None:
            raise ValueError("give on_call, rota or coverage options to try")
        _no_repeats(self.on_call, "on_call value")
        _no_repeats(self.rota, "rota value")
        _no_repeats(self.coverage, "coverage")
        return self


class StaffingSpace(Frozen):
    """Staffing options for `warroom optimize`: a base staffing and, per role or resolver group,
    the headcounts and coverage to try."""

    kind: Literal["staffing_space"]
    version: Literal[1]
    name: str
    title: str = ""
    description: str = ""
    base: str = Field(description="The staffing every candidate starts from: a bundled name or a path "
                                  "(relative to this file).")
    alternatives: list[str] = Field(
        default_factory=list, description="Other staffing documents to choose from instead of the base; "
                                          "the choices apply to each of them.")
    choices: dict[Identifier, PoolChoices] = Field(
        default_factory=dict, description="Role or resolver group -> the options to try.")

    def problems(self) -> list[tuple[str, str]]:
        found = []
        seen = {self.base: "base"}
        for i, name in enumerate(self.alternatives):
            if name in seen:
                found.append((f"alternatives[{i}]", f"{name!r} is already listed (as {seen[name]})"))
            seen.setdefault(name, f"alternatives[{i}]")
        return found


def coverage_label(coverage) -> str:
    """A coverage block in a few words: `24x7`, `business hours 09:00-17:00 Europe/London`..."""
    if isinstance(coverage, Always):
        text = "24x7"
    elif isinstance(coverage, BusinessHours):
        days = "" if list(coverage.days) == ["mon", "tue", "wed", "thu", "fri"] else " " + ",".join(coverage.days)
        text = f"business hours {coverage.hours}{days} {coverage.timezone}"
    elif isinstance(coverage, FollowTheSun):
        text = f"follow the sun ({len(coverage.shifts)} shifts)"
    else:  # pragma: no cover - every coverage type is listed above
        text = type(coverage).__name__
    return text if getattr(coverage, "pager", True) else text + ", no pager"


@dataclass(frozen=True)
class Candidate:
    """One staffing of the space: a whole staffing document and what was chosen for it."""

    staffing: Loaded
    base: str                 # the name of the staffing it starts from
    settings: tuple           # ((pool, on_call, rota or None, coverage label), ...) for each chosen pool
    label: str

    @property
    def name(self) -> str:
        return self.staffing.document.name

    @property
    def cost_per_year(self) -> float:
        return self.staffing.document.cost_per_year

    @property
    def on_call_total(self) -> int:
        return sum(p.on_call for p in self.staffing.document.pools.values())

    def at_least(self, other: Candidate) -> bool:
        """True when this staffing has at least as many people on call as `other` in every role
        and group, and is otherwise the same: the same base, coverage and staffed roles."""
        if self.base != other.base:
            return False
        mine, theirs = self.staffing.document.pools, other.staffing.document.pools
        if set(mine) != set(theirs):
            return False
        for name, pool in mine.items():
            them = theirs[name]
            if pool.coverage != them.coverage or (pool.people > 0) != (them.people > 0) or pool.on_call < them.on_call:
                return False
        return True


@dataclass(frozen=True)
class Expansion:
    """Every candidate of a space, and the combinations left out with the reason."""

    space: Loaded
    bases: list
    candidates: list
    skipped: list             # (label, reason)


def _resolve_staffing(reference: str, space: Loaded) -> Loaded:
    from .library import resolve
    from .loader import load

    beside = Path(space.source).parent / reference
    if Path(space.source).is_file() and beside.is_file():
        return load(beside, expect="staffing")
    return resolve(reference, "staffing")


def _default_rota(base_pool, on_call: int) -> int | None:
    if base_pool.rota is None:
        return None
    if base_pool.on_call == 0:
        return max(base_pool.rota, on_call)
    return max(math.ceil(base_pool.rota * on_call / base_pool.on_call), on_call)


def expand(space: Loaded) -> Expansion:
    """Resolve the space's staffing documents and build every candidate. Raises DocumentError
    (every problem at once, located in the space file) for a base that cannot be loaded, a
    choice for a role no base has, or a space too large to search."""
    from .variation import with_changes

    doc: StaffingSpace = space.document
    if getattr(doc, "kind", None) != "staffing_space":
        raise DocumentError([Problem(space.source, space.line_of(("kind",)), "kind",
                                     f"expected a staffing_space document, got {getattr(doc, 'kind', None)!r}")])
    problems: list[Problem] = []
    bases: list[Loaded] = []
    for path, reference in [(("base",), doc.base), *((("alternatives", i), r) for i, r in enumerate(doc.alternatives))]:
        where = "base" if len(path) == 1 else f"alternatives[{path[1]}]"
        try:
            bases.append(_resolve_staffing(reference, space))
        except DocumentError as exc:
            detail = "; ".join(str(p) for p in exc.problems)
            problems.append(Problem(space.source, space.line_of(path), where, f"cannot load staffing {reference!r}: {detail}"))
    if problems:
        raise DocumentError(problems)
    names = [b.document.name for b in bases]
    if len(set(names)) != len(names):
        raise DocumentError([Problem(space.source, space.line_of(("alternatives",)), "alternatives",
                                     f"the staffing documents must have distinct names, got {names}")])
    for pool in doc.choices:
        if not any(pool in b.document.pools for b in bases):
            known = sorted({p for b in bases for p in b.document.pools})
            problems.append(Problem(space.source, space.line_of(("choices", pool)), f"choices.{pool}",
                                    f"no staffing of the space has {pool!r} (roles and groups: {', '.join(known)})"))
    if problems:
        raise DocumentError(problems)

    per_base = []
    total = 0
    for base in bases:
        options = {pool: _pool_options(base, pool, choice) for pool, choice in doc.choices.items()
                   if pool in base.document.pools}
        count = math.prod(len(o) for o in options.values()) if options else 1
        total += count
        per_base.append((base, options))
    if total > MAX_CANDIDATES:
        raise DocumentError([Problem(space.source, space.line_of(("choices",)), "choices",
                                     f"the space has {total} candidates, more than {MAX_CANDIDATES}: "
                                     "narrow the lists (every candidate is simulated)")])

    candidates, skipped = [], []
    for base, options in per_base:
        pools = list(options)
        for combo in itertools.product(*(options[p] for p in pools)):
            settings = tuple((pool, *option[:3]) for pool, option in zip(pools, combo))
            label = _label(base.document.name, settings, {p for p in pools if doc.choices[p].coverage})
            bad = next((o[3] for o in combo if o[3]), None)
            if bad:
                skipped.append((label, bad))
                continue
            changes = {}
            for pool, option in zip(pools, combo):
                changes.update(option[4])
            try:
                staffing = with_changes(base, changes, label, name=label)
            except DocumentError as exc:
                skipped.append((label, "not a valid staffing: " + "; ".join(p.message for p in exc.problems)))
                continue
            candidates.append(Candidate(staffing, base.document.name, settings, label))
    if not candidates:
        raise DocumentError([Problem(space.source, space.line_of(("choices",)), "choices",
                                     "no combination of the choices is a valid staffing: "
                                     + "; ".join(f"{label}: {reason}" for label, reason in skipped[:5]))])
    return Expansion(space, bases, candidates, skipped)


def _pool_options(base: Loaded, pool: str, choice: PoolChoices) -> list[tuple]:
    """(on_call, rota, coverage label, reason it is impossible or None, changes) per option."""
    from .variation import pool_path

    staffing = base.document
    current = staffing.pools[pool]
    where = pool_path(staffing, pool)
    coverages = [(coverage_label(c), c.model_dump(mode="json")) for c in choice.coverage] if choice.coverage \
        else [(coverage_label(current.coverage), None)]
    labels = [label for label, _ in coverages]
    if len(set(labels)) != len(labels):  # e.g. two follow-the-sun blocks with as many shifts: number them
        coverages = [(f"{label} #{k}", dump) for k, (label, dump) in enumerate(coverages, start=1)]
    out = []
    for on_call in choice.on_call or [current.on_call]:
        rotas = choice.rota if choice.rota is not None else [_default_rota(current, on_call)]
        for rota in rotas:
            for label, coverage in coverages:
                reason = None
                if rota is not None and rota < on_call:
                    reason = f"rota {rota} is smaller than on_call {on_call}"
                changes = {where + ("on_call",): on_call, where + ("rota",): rota}
                if coverage is not None:
                    changes[where + ("coverage",)] = coverage
                out.append((on_call, rota, label, reason, changes))
    return out


def _label(base: str, settings: tuple, coverage_varies: set) -> str:
    parts = []
    for pool, on_call, rota, coverage in settings:
        text = f"{pool} {on_call}" + (f"/{rota}" if rota is not None else "")
        if pool in coverage_varies:
            text += f" {coverage}"
        parts.append(text)
    return f"{base} ({', '.join(parts)})" if parts else base
