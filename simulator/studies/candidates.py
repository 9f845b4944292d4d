"""The candidates of a staffing space: every combination of its choices, as whole
staffing documents, for `optimize` to simulate (the space document itself lives in
scenarios.staffing_space)."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from scenarios import DocumentError, Loaded, Problem
from scenarios.crosscheck import space_bases
from scenarios.edit import pool_path, with_changes
from scenarios.staffing_space import (
    MAX_CANDIDATES,
    PoolChoices,
    StaffingSpace,
    coverage_label,
)

__all__ = ["Candidate", "Expansion", "expand"]


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


def expand(space: Loaded) -> Expansion:
    """Resolve the space's staffing documents and build every candidate. Raises DocumentError
    (every problem at once, located in the space file) for a base that cannot be loaded, a
    choice for a role no base has, or a space too large to search."""
    doc: StaffingSpace = space.document
    bases = space_bases(space)
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
        rotas = choice.rota if choice.rota is not None else [current.rota_for(on_call)]
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
