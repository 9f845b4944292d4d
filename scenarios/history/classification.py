"""An incident's classification over time, as an export records it: the first severity or
priority and when it was set, each change and when, and from them the canonical table's
classification columns (`first_severity`, `first_major`, `reclassifications`,
`classified_at`, `reclassified_at`, `raised_at`).

A platform reader hands over the log it found (`ClassificationLog`: PagerDuty priority
change log entries, ServiceNow `sys_audit` rows of `priority`, incident.io severity
updates); a canonical file gives the columns themselves (`GivenClassification`). A record
with neither does not say how it was classified: its columns stay empty ("not in this
export"), never "never changed".

The changes follow the very field the `severity` column is read from (PagerDuty
`priority`, ServiceNow `priority`, incident.io `severity`), normalised the same way, and
"the major line" is the mapping's `major` severities, the line `is_major` is drawn with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from .records import Candidate, ReadContext
from .table import RowProblem
from .times import iso_z

__all__ = ["SeverityChange", "ClassificationLog", "GivenClassification", "classification_columns",
           "EMPTY_CLASSIFICATION"]

EMPTY_CLASSIFICATION = {"first_severity": "", "first_major": False, "reclassifications": None,
                        "classified_at": None, "reclassified_at": None, "raised_at": None}
_COUNT = re.compile(r"^\d{1,9}$")


@dataclass(frozen=True)
class SeverityChange:
    """One change of the classification: when (a time of the record, with its field), the
    value before ("" when the log does not say) and after, as the platform writes them."""

    at: Candidate
    old: str
    new: str


@dataclass
class ClassificationLog:
    """The classification changes a platform's log records for one incident (possibly none:
    the log is there and says the classification never changed). `opened` is when the
    incident was opened (its first classification, unless the log shows a later first
    setting); `severity_field` names the field the final severity was read from."""

    changes: list[SeverityChange] = field(default_factory=list)
    opened: Candidate | None = None
    severity_field: str = "severity"


@dataclass
class GivenClassification:
    """A canonical file's classification cells as written (`first_major` already read as a flag)."""

    first_severity: str = ""
    first_major: bool | None = None
    reclassifications: str = ""
    times: dict[str, Candidate] = field(default_factory=dict)


def classification_columns(source: ClassificationLog | GivenClassification | None, severity: str,
                           row: int, context: ReadContext, problems: list[RowProblem]) -> dict:
    """The classification columns of one record whose final (canonical) severity is
    `severity`; problems found are appended to `problems` (the columns are then not to be used)."""
    if source is None:
        return dict(EMPTY_CLASSIFICATION)
    if isinstance(source, GivenClassification):
        return _given(source, row, context, problems)
    return _from_log(source, severity, row, context, problems)


def _moment(candidate: Candidate | None, row: int, context: ReadContext, problems: list[RowProblem],
            required: bool = False) -> pd.Timestamp | None:
    if candidate is None:
        return None
    try:
        moment = candidate.compute()
    except ValueError as exc:
        problems.append(context.problem(row, candidate.field, candidate.raw, str(exc)))
        return None
    if moment is None and required:
        problems.append(context.problem(row, candidate.field, "", "missing: a classification change needs its time"))
    return moment


def _from_log(log: ClassificationLog, severity: str, row: int, context: ReadContext,
              problems: list[RowProblem]) -> dict:
    mapping = context.mapping
    before = len(problems)
    opened = _moment(log.opened, row, context, problems)
    timed = []
    for order, change in enumerate(log.changes):
        moment = _moment(change.at, row, context, problems, required=True)
        new = mapping.severity_of(change.new)
        if moment is not None and new:  # a change to nothing (a priority cleared) is no classification
            timed.append((moment, order, mapping.severity_of(change.old), new, change))
    if len(problems) > before:
        return dict(EMPTY_CLASSIFICATION)
    timed.sort(key=lambda item: (item[0], item[1]))
    if not timed:
        first, classified_at, rest = severity, opened, []
    elif timed[0][2]:  # the first change says what came before it: that was set when the incident opened
        first, classified_at, rest = timed[0][2], opened, timed
    else:  # opened without a classification: the first setting is the first classification
        first, classified_at, rest = timed[0][3], timed[0][0], timed[1:]
    if not first:
        return dict(EMPTY_CLASSIFICATION)
    first_major = mapping.is_major(first)
    current, count, last, raised = first, 0, None, None
    for moment, _, _, new, _ in rest:
        if new == current:
            continue
        count, last, current = count + 1, moment, new
        if raised is None and not first_major and mapping.is_major(new):
            raised = moment
    if timed and severity and current != severity:
        change = timed[-1][4]
        problems.append(context.problem(
            row, change.at.field, change.new,
            f"the classification log ends at {current}, but the incident's {log.severity_field} is {severity}: "
            "the log is incomplete (export every entry of it)"))
        return dict(EMPTY_CLASSIFICATION)
    if classified_at is not None and last is not None and last < classified_at:
        problems.append(context.problem(row, log.opened.field if log.opened else "", iso_z(classified_at),
                                        f"impossible: a classification change at {iso_z(last)} comes before the "
                                        "incident was opened"))
        return dict(EMPTY_CLASSIFICATION)
    return {"first_severity": first, "first_major": first_major, "reclassifications": count,
            "classified_at": classified_at, "reclassified_at": last, "raised_at": raised}


def _given(given: GivenClassification, row: int, context: ReadContext, problems: list[RowProblem]) -> dict:
    mapping = context.mapping
    before = len(problems)
    first = mapping.severity_of(given.first_severity)
    count = None
    text = given.reclassifications.strip()
    if text:
        if _COUNT.match(text):
            count = int(text)
        else:
            problems.append(context.problem(row, "reclassifications", given.reclassifications,
                                            "expected a whole number of changes (0 or more)"))
    times = {name: _moment(candidate, row, context, problems) for name, candidate in given.times.items()}
    if len(problems) > before:
        return dict(EMPTY_CLASSIFICATION)
    if not first:
        said = [name for name, moment in times.items() if moment is not None]
        said += ["reclassifications"] if count is not None else []
        said += ["first_major"] if given.first_major else []
        if said:
            problems.append(context.problem(row, said[0], "", "says how the incident was classified, but "
                                            "first_severity is empty: give the first severity too"))
        return dict(EMPTY_CLASSIFICATION)
    first_major = given.first_major if given.first_major is not None else mapping.is_major(first)
    classified, last, raised = (times.get(name) for name in ("classified_at", "reclassified_at", "raised_at"))
    for earlier, later, at_earlier, at_later in (("classified_at", "reclassified_at", classified, last),
                                                 ("classified_at", "raised_at", classified, raised),
                                                 ("raised_at", "reclassified_at", raised, last)):
        if at_earlier is not None and at_later is not None and at_later < at_earlier:
            candidate = given.times[later]
            problems.append(context.problem(row, later, candidate.raw, f"impossible: {later} at {iso_z(at_later)} "
                                                                       f"comes before {earlier} at {iso_z(at_earlier)}"))
    if count == 0 and (last is not None or raised is not None):
        name = "reclassified_at" if last is not None else "raised_at"
        problems.append(context.problem(row, name, given.times[name].raw,
                                        "a change time, but reclassifications is 0"))
    if first_major and raised is not None:
        problems.append(context.problem(row, "raised_at", given.times["raised_at"].raw,
                                        "raised to the major line, but the first classification was already at "
                                        "or above it (first_major)"))
    if len(problems) > before:
        return dict(EMPTY_CLASSIFICATION)
    return {"first_severity": first, "first_major": first_major, "reclassifications": count,
            "classified_at": classified, "reclassified_at": last, "raised_at": raised}
