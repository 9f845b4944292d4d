"""Checks that only make sense across documents: does this staffing cover this scenario
and this playbook; do a roster and responses fit their scenario; which staffing documents
does a staffing space stand on; which staffing a scenario's drills score against. Also
decides who does a role's work when the staffing lacks it.

The commands that run documents call these checks one by one; `check_documents` calls
the same ones for `warroom validate`, on whatever set of documents it was given, and says
which checks need a document it was not given."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import DocumentError, Problem
from .library import DEFAULT_PLAYBOOK, resolve
from .loader import Loaded, load, load_text
from .playbook import Playbook
from .roles import RESOLVER_GROUPS_TOKEN
from .scenario import Scenario
from .staffing import Staffing
from .staffing_space import StaffingSpace

__all__ = ["who_does", "check_currency", "step_waits", "stalled_steps", "check_together", "check_drill", "space_bases", "reference_staffing", "check_documents",
           "DocumentSetCheck"]


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


def check_currency(scenario: Loaded, staffing: Loaded) -> list[Problem]:
    """A staffing and a scenario whose costs are in different currencies cannot be added up:
    the problem is located at the `currency` of the document that states one (the staffing's
    when both do), and says which was left at the default."""
    sc, st = scenario.document, staffing.document
    if sc.currency == st.currency:
        return []

    def said(doc: Loaded) -> str:
        stated = "currency" in doc.document.model_fields_set
        return (f"{doc.document.kind} {doc.document.name!r} is in {doc.document.currency}"
                + ("" if stated else f" (it states no currency: {doc.document.currency} is the default)"))

    blamed, other = ((staffing, scenario) if "currency" in st.model_fields_set or "currency" not in sc.model_fields_set
                     else (scenario, staffing))
    line = blamed.line_of(("currency",)) or blamed.line_of(("name",))
    return [Problem(blamed.source, line, "currency",
                    f"{said(blamed)} but {said(other)}; costs in two currencies cannot be added: state the same "
                    f"currency in both, got {blamed.document.currency}")]


def check_together(scenario: Loaded, staffing: Loaded, playbook: Loaded) -> list[Problem]:
    """Every way these three documents cannot be run together."""
    problems: list[Problem] = check_currency(scenario, staffing)
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
    for i, message in stalled_steps(sc, pb):
        problems.append(Problem(playbook.source, playbook.line_of(("steps", i, "after")), f"steps[{i}].after", message))
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


def step_waits(scenario: Scenario, playbook: Playbook, step) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What a playbook step waits for on this scenario: (step ids, milestones). The
    playbook's own, and `identified` for the workaround step when the scenario's workaround
    needs the cause identified first."""
    steps, milestones = playbook.waits(step)
    w = scenario.workaround
    if step.action == "workaround" and w is not None and w.needs.identified and "identified" not in milestones:
        milestones += ("identified",)
    return steps, milestones


def stalled_steps(scenario: Scenario, playbook: Playbook) -> list[tuple[int, str]]:
    """Steps that would never start on this scenario: each waits for a milestone that no
    step reaches here (restored with no workaround step, workaround_applied when the
    scenario has no workaround...). (step index, why) for each."""
    reached = {"impact_start", "detected"}
    done: set[str] = set()
    progress = True
    while progress:
        progress = False
        for step in playbook.steps:
            steps, milestones = step_waits(scenario, playbook, step)
            if step.id in done or not all(d in done for d in steps) or not all(m in reached for m in milestones):
                continue
            done.add(step.id)
            progress = True
            marks = {step.milestone} if step.milestone else set()
            if step.action == "workaround":
                marks = marks | {"restored"} if scenario.workaround is not None else set()
            elif step.action == "fix":
                marks = marks | ({"restored"} if scenario.workaround is None else set()) if scenario.fix else set()
            reached |= marks
    found = []
    for i, step in enumerate(playbook.steps):
        missing = [m for m in step_waits(scenario, playbook, step)[1] if m not in reached]
        if step.id not in done and missing:
            implicit = " (the step that marks resolved always waits for restored)" if (
                "restored" in missing and "restored" not in step.after) else ""
            found.append((i, f"step {step.id!r} would never start: it waits for {', '.join(missing)}{implicit}, "
                             f"which no step of playbook {playbook.name!r} reaches in scenario {scenario.name!r}"))
    return found


def _path(text: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in text.replace("[", ".").replace("]", "").split(".") if p)


def check_drill(scenario: Loaded, roster: Loaded, responses: Loaded | None = None) -> list[Problem]:
    """Every way a roster (and a responses file) cannot be used with this scenario."""
    problems: list[Problem] = []
    sc: Scenario = scenario.document
    roles = set(sc.participant_roles)

    def add(doc: Loaded, where: str, message: str):
        problems.append(Problem(doc.source, doc.line_of(_path(where)), where, message))

    for i, person in enumerate(roster.document.participants):
        if person.role not in roles:
            add(roster, f"participants[{i}].role",
                f"{person.role!r} is neither an incident role nor a resolver group scenario {sc.name!r} needs "
                f"(groups it needs: {', '.join(sc.needs) or 'none'})")
    if responses is None:
        return problems
    rs = responses.document
    if rs.scenario != sc.name and rs.scenario not in sc.aliases:
        add(responses, "scenario", f"these responses were written for {rs.scenario!r}, not {sc.name!r}")
    rostered = set(roster.document.roles)
    objectives = {o.id for o in sc.objectives}
    for i, act in enumerate(rs.actions):
        where = f"actions[{i}]"
        if act.role not in roles:
            add(responses, f"{where}.role", f"unknown role {act.role!r} for scenario {sc.name!r}")
        elif act.role not in rostered:
            add(responses, f"{where}.role", f"nobody plays {act.role} in roster {roster.document.name!r}")
        elif act.by and act.by not in roster.document.people_in(act.role):
            add(responses, f"{where}.by", f"{act.by!r} does not play {act.role} in roster {roster.document.name!r}")
        if act.workaround is not None and sc.workaround_by_key(act.workaround) is None:
            add(responses, f"{where}.workaround", f"unknown workaround {act.workaround!r} "
                f"(scenario {sc.name!r} has: {', '.join(w.key for w in sc.workarounds) or 'none'})")
        if act.claims_workaround is not None and sc.workaround_by_key(act.claims_workaround) is None:
            add(responses, f"{where}.claims_workaround", f"unknown workaround {act.claims_workaround!r}")
        if act.cause is not None and sc.cause_by_id(act.cause) is None:
            add(responses, f"{where}.cause", f"unknown cause {act.cause!r} "
                f"(scenario {sc.name!r} has: {', '.join(c.id for c in sc.diagnosis.causes) or 'none'})")
        if act.topic is not None and act.topic not in sc.topics:
            add(responses, f"{where}.topic", f"nothing to request about {act.topic!r} "
                f"(topics: {', '.join(sc.topics) or 'none'})")
        for field in ("target", "assign"):
            value = getattr(act, field)
            if value is not None and value not in roles:
                add(responses, f"{where}.{field}", f"unknown role or resolver group {value!r}")
    for i, rating in enumerate(rs.ratings):
        if rating.objective not in objectives:
            add(responses, f"ratings[{i}].objective", f"unknown objective {rating.objective!r} "
                f"(objectives: {', '.join(sorted(objectives)) or 'none'})")
    return problems


def _resolve_staffing(reference: str, space: Loaded) -> Loaded:

    beside = Path(space.source).parent / reference
    if Path(space.source).is_file() and beside.is_file():
        return load(beside, expect="staffing")
    return resolve(reference, "staffing")


def space_bases(space: Loaded) -> list[Loaded]:
    """The space's staffing documents (base, then alternatives), resolved beside the space
    file or in the library. Raises DocumentError (every problem at once, located in the
    space file) for a base that cannot be loaded, two bases with one name, or a choice for
    a role or group no base has."""
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

    return bases


def reference_staffing(scenario: Loaded) -> Loaded | None:
    """The staffing a scenario's drills are scored against (its `reference_staffing`), or
    None. Raises DocumentError located at that field when it cannot be loaded."""
    reference = scenario.document.reference_staffing
    if not reference:
        return None
    try:
        return resolve(reference, "staffing")
    except DocumentError as exc:
        detail = "; ".join(f"{p.message}" for p in exc.problems)
        raise DocumentError([Problem(scenario.source, scenario.line_of(("reference_staffing",)), "reference_staffing",
                                     f"cannot load staffing {reference!r}: {detail}")]) from None


@dataclass(frozen=True)
class DocumentSetCheck:
    """What `check_documents` found: problems, and per document the checks it could not run
    for want of another document (source, what was not checked and what to give)."""

    problems: tuple[Problem, ...]
    unchecked: tuple[tuple[str, str], ...]


def check_documents(documents: Sequence[Loaded]) -> DocumentSetCheck:
    """Every cross-document check the commands make, on the documents given together:

    - scenario, staffing and playbook (the default one if none is given) together, as
      simulate, compare, sensitivity and optimize check them; a scenario's reference
      staffing (drills score against it) loads and covers the scenario;
    - a staffing space's base and alternatives load and have the roles it varies, as
      optimize checks them, and cover the scenario when one is given;
    - a roster and responses fit their scenario (given alongside, or bundled, as the
      responses name it) and their roster (named, given, or the scenario's default), as
      `drill run` checks them.
    """
    problems: list[Problem] = []
    unchecked: list[tuple[str, str]] = []
    by_kind: dict[str, list[Loaded]] = {}
    for doc in documents:
        by_kind.setdefault(doc.document.kind, []).append(doc)
    scenarios, staffings = by_kind.get("scenario", []), by_kind.get("staffing", [])
    playbooks = by_kind.get("playbook") or [resolve(DEFAULT_PLAYBOOK, "playbook")]

    for sc in scenarios:
        try:
            reference = reference_staffing(sc)
        except DocumentError as exc:
            problems.extend(exc.problems)
            reference = None
        pairs = list(staffings)
        if reference is not None and reference.document.name not in {s.document.name for s in staffings}:
            pairs.append(reference)
        problems.extend(_each_together([sc], pairs, playbooks))
        if not pairs:
            unchecked.append((sc.source, "whether a staffing covers it: give a staffing file too "
                                         "(warroom validate SCENARIO STAFFING)"))
    if not scenarios:
        for st in staffings:
            unchecked.append((st.source, "whether it covers a scenario's resolver groups and roles: "
                                         "give the scenario too (warroom validate SCENARIO STAFFING)"))
        for pb in by_kind.get("playbook", []):
            unchecked.append((pb.source, "whether a staffing can do its steps: give a scenario and a staffing too"))

    for space in by_kind.get("staffing_space", []):
        try:
            bases = space_bases(space)
        except DocumentError as exc:
            problems.extend(exc.problems)
            continue
        problems.extend(_each_together(scenarios, bases, playbooks))
        if not scenarios:
            unchecked.append((space.source, "whether its staffing documents cover a scenario: "
                                            "give the scenario too (warroom validate SCENARIO SPACE)"))

    problems.extend(_check_drill_set(by_kind, unchecked))
    return DocumentSetCheck(tuple(problems), tuple(unchecked))


def _each_together(scenarios: list[Loaded], staffings: list[Loaded], playbooks: list[Loaded]) -> list[Problem]:
    return [p for sc in scenarios for st in staffings for pb in playbooks for p in check_together(sc, st, pb)]


def _check_drill_set(by_kind: dict[str, list[Loaded]], unchecked: list[tuple[str, str]]) -> list[Problem]:
    from .roster import roster_for

    problems: list[Problem] = []
    scenarios: dict[str, Loaded] = {}
    for sc in by_kind.get("scenario", []):
        scenarios[sc.document.name] = sc
        for alias in sc.document.aliases:
            scenarios.setdefault(alias, sc)
    rosters = {d.document.name: d for d in by_kind.get("roster", [])}

    for rs in by_kind.get("responses", []):
        name = rs.document.scenario
        given = by_kind.get("scenario", [])
        sc = scenarios.get(name) or (given[0] if len(given) == 1 else None)  # as `drill run SCENARIO` would
        if sc is None:
            try:
                sc = resolve(name, "scenario")
            except DocumentError:
                unchecked.append((rs.source, f"whether it fits its scenario {name!r}, which is neither given nor "
                                             "bundled: give the scenario file too (warroom validate SCENARIO RESPONSES)"))
                continue
        named = rs.document.roster
        if named:
            roster = rosters.get(named)
            if roster is None:
                try:
                    roster = resolve(named, "roster")
                except DocumentError as exc:
                    detail = "; ".join(p.message for p in exc.problems)
                    problems.append(Problem(rs.source, rs.line_of(("roster",)), "roster",
                                            f"cannot load roster {named!r}: {detail}"))
                    continue
        elif len(rosters) == 1:
            roster = next(iter(rosters.values()))
        else:
            roster = load_text(roster_for(sc.document), f"<default roster for {sc.document.name}>", expect="roster")
        problems.extend(check_drill(sc, roster, rs))

    if not by_kind.get("responses"):
        given = by_kind.get("scenario", [])
        for roster in rosters.values():
            if len(given) == 1:
                problems.extend(check_drill(given[0], roster))
            else:
                unchecked.append((roster.source, "whether its roles fit a scenario: give the one scenario it is for "
                                                 "(warroom validate SCENARIO ROSTER)"))
    return problems
