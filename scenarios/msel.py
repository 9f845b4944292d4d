"""The master scenario events list (MSEL) as HSEEP writes it: a CSV with one row per
inject, for exercise planners who work in spreadsheets.

Export turns a scenario's injects into rows; import plays such a CSV on the incident model
of a scenario the planner chooses (a bundled one or their own), giving a complete scenario.
The CSV is read as `textfile` reads every spreadsheet: UTF-8, blank rows left out, a line
with more or fewer cells than the header or an overlong cell a problem of its row.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import yaml

from .durations import parse_duration
from .errors import DocumentError, Problem
from .exercise import CHANNELS, INJECT_TYPES
from .loader import Loaded
from .roles import ROLES
from .scenario import Scenario
from .textfile import (
    TextFileProblem,
    cell_count_problem,
    cell_size_problem,
    csv_records,
    size_text,
)

__all__ = ["MSEL_COLUMNS", "MAX_MSEL_BYTES", "msel_rows", "msel_csv", "read_msel", "scenario_from_msel"]

MAX_MSEL_BYTES = 16 * 1024**2
"""The largest MSEL read (16 MiB): an MSEL of a thousand injects is well under 1 MiB."""

MSEL_COLUMNS = ("id", "time", "condition", "repeat", "requested", "delivery", "from", "to", "subject", "content",
                "expected_action", "expected_action_verb", "objective", "type", "detects", "notes")


def _minutes(value: float) -> str:
    """Exact minutes for a spreadsheet (`3.5m`, `1127m`): never rounded away."""
    return f"{value:g}m"


def msel_rows(scenario: Scenario) -> list[dict[str, str]]:
    """One row per inject, in scenario order."""
    rows = []
    for j in scenario.injects:
        rows.append({
            "id": j.id,
            "time": _minutes(j.at) if j.at is not None else "",
            "condition": j.when or "",
            "repeat": _minutes(j.repeat) if j.repeat is not None else "",
            "requested": j.requested or "",
            "delivery": j.channel,
            "from": j.sender,
            "to": "everyone" if j.to == "everyone" else "; ".join(j.to),
            "subject": j.subject,
            "content": " ".join(j.content.split()),
            "expected_action": j.expect,
            "expected_action_verb": j.expect_action or "",
            "objective": j.objective or "",
            "type": j.type,
            "detects": j.detects or "",
            "notes": " ".join(j.notes.split()),
        })
    return rows


def msel_csv(scenario: Scenario) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=MSEL_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(msel_rows(scenario))
    return out.getvalue()


def read_msel(path: str | Path) -> bytes:
    """The bytes of the MSEL file at `path`; DocumentError if it cannot be read or is over MAX_MSEL_BYTES."""
    source = str(path)
    try:
        size = Path(path).stat().st_size
        if size > MAX_MSEL_BYTES:
            raise DocumentError([Problem(source, None, "", (
                f"{size_text(size)}: larger than the {size_text(MAX_MSEL_BYTES)} an MSEL may be"))])
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise DocumentError([Problem(source, None, "", "no such file")]) from None
    except OSError as exc:
        raise DocumentError([Problem(source, None, "", f"cannot read: {exc.strerror or exc}")]) from None


def scenario_from_msel(raw: bytes, source: str, name: str, base: Loaded) -> str:
    """A scenario (YAML): the injects of the MSEL CSV `raw` on the incident model (service,
    impact, detection, diagnosis, workarounds, fix, targets) of scenario `base`. Every bad
    cell is reported at once (DocumentError, located by line)."""
    try:
        header, chunks = csv_records(raw)
        lines = [(line, cells) for chunk_lines, records in chunks for line, cells in zip(chunk_lines, records)]
    except TextFileProblem as problem:
        raise DocumentError([Problem(source, problem.line, "", problem.message)]) from None
    problems: list[Problem] = []
    required = ("subject", "delivery")
    for column in required:
        if column not in header:
            problems.append(Problem(source, 1, column, f"missing column {column!r} (columns: {', '.join(MSEL_COLUMNS)})"))
    unknown = [c for c in header if c not in MSEL_COLUMNS]
    for column in unknown:
        problems.append(Problem(source, 1, column, f"unknown column {column!r} (columns: {', '.join(MSEL_COLUMNS)})"))
    if problems:
        raise DocumentError(problems)
    injects = []
    for i, (line, cells) in enumerate(lines):
        where = f"row {i + 1}"
        if cell_count_problem(len(cells), len(header)):
            problems.append(Problem(source, line, where, cell_count_problem(len(cells), len(header))))
        row = dict(zip(header, cells))
        for column, value in row.items():
            if cell_size_problem(value):
                problems.append(Problem(source, line, f"{where}.{column}", cell_size_problem(value)))
        cell = {k: (row.get(k) or "").strip() for k in header}
        inject: dict = {"id": cell.get("id") or f"inject_{i + 1}"}
        for column, key in (("time", "at"), ("repeat", "repeat")):
            if cell.get(column):
                written = cell[column]
                try:
                    value = float(written) if _is_number(written) else parse_duration(written)
                    inject[key] = _minutes(parse_duration(value))
                except ValueError as exc:
                    problems.append(Problem(source, line, f"{where}.{column}", str(exc)))
        if cell.get("condition"):
            inject["when"] = cell["condition"]
        if cell.get("requested"):
            inject["requested"] = cell["requested"]
        if not any(k in inject for k in ("at", "when", "requested")) and not cell.get("time"):
            problems.append(Problem(source, line, where, "needs a time, a condition or a requested topic"))
        channel = cell.get("delivery", "")
        if channel not in CHANNELS:
            problems.append(Problem(source, line, f"{where}.delivery",
                                    f"unknown delivery {channel!r} (one of {', '.join(CHANNELS)})"))
        inject["channel"] = channel
        to = cell.get("to", "")
        inject["to"] = "everyone" if to in ("", "everyone") else [t.strip() for t in to.replace(",", ";").split(";") if t.strip()]
        for column, key in (("from", "from"), ("subject", "subject"), ("content", "content"),
                            ("expected_action", "expect"), ("expected_action_verb", "expect_action"),
                            ("objective", "objective"), ("detects", "detects"), ("notes", "notes")):
            if cell.get(column):
                inject[key] = cell[column]
        if not cell.get("subject"):
            problems.append(Problem(source, line, f"{where}.subject", "an inject needs a subject"))
        kind = cell.get("type") or "standard"
        if kind not in INJECT_TYPES:
            problems.append(Problem(source, line, f"{where}.type", f"unknown type {kind!r} (one of {', '.join(INJECT_TYPES)})"))
        elif kind != "standard":
            inject["type"] = kind
        injects.append(inject)
    if problems:
        raise DocumentError(problems)
    if injects and not any("detects" in j for j in injects):
        # A plain HSEEP MSEL does not say how the incident is found: the first timed inject does.
        timed = [j for j in injects if "at" in j and "requested" not in j] or [j for j in injects if "requested" not in j]
        if timed:
            first = min(timed, key=lambda j: parse_duration(j.get("at", "0m")))
            first["detects"] = "monitoring"
    data = yaml.safe_load(base.text)
    known = {o["id"] for o in data.get("objectives") or []}
    for objective in sorted({j["objective"] for j in injects if "objective" in j} - known):
        data.setdefault("objectives", []).append({"id": objective, "title": objective.replace("_", " ").capitalize()})
    needs = data.setdefault("needs", {})
    for group in sorted({r for j in injects if j["to"] != "everyone" for r in j["to"] if r not in ROLES}):
        needs.setdefault(group, 1)
    data.update(name=name, title=f"{data.get('title') or base.document.name}: exercise from {source}",
                aliases=[], injects=injects)
    data["description"] = (f"The injects of the MSEL {source} played on the incident model of scenario "
                           f"{base.document.name}. " + (data.get("description") or ""))
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
