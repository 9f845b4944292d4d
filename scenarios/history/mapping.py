"""Which field of a platform's export feeds which canonical milestone, and how severities read.

Every platform gets built-in defaults. Organisations rename things (incident.io timestamps
are defined per organisation; ServiceNow instances add `u_*` fields), so a small YAML
document (`kind: history-mapping`) overrides the defaults per canonical column:

    kind: history-mapping
    version: 1
    source: incident.io
    milestones:
      mitigated: ["Fixed at", "Mitigated at"]
      impact_started: ["Impact started"]
    severity: {"Critical": sev1, "Major": sev2}
    major: [sev1, sev2]

Each column lists candidate names, first present wins. A name is one of the platform's
own milestone names (incident.io timestamp names, FireHydrant milestone slugs) or a field
of the record (`opened_at`, `u_impact_start`). Names match case-insensitively, with `_`,
`-` and spaces treated alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator

from ..base import Frozen
from ..errors import DocumentError, Problem
from ..formats import HISTORY_SOURCES
from ..loader import _data_path, _line_for, _message, _render, _YamlProblem, parse_yaml
from .table import MILESTONE_COLUMNS

__all__ = ["SOURCES", "SOURCE_TITLES", "HistoryMapping", "EffectiveMapping", "DEFAULT_MILESTONES",
           "DEFAULT_MAJOR", "DEFAULT_DRILL_PREFIXES", "load_mapping", "effective_mapping", "name_key"]

SOURCES = HISTORY_SOURCES
SOURCE_TITLES = {
    "canonical": "warroom canonical CSV/JSON", "pagerduty": "PagerDuty", "servicenow": "ServiceNow",
    "opsgenie": "Opsgenie", "incident.io": "incident.io", "firehydrant": "FireHydrant", "rootly": "Rootly",
    "statuspage": "Statuspage", "grafana": "Grafana Incident", "drill": "warroom drill journal",
}

MilestoneColumn = Literal[MILESTONE_COLUMNS]  # type: ignore[valid-type]

# Candidate names per canonical column, first present wins. Columns a platform does not
# record are absent: they stay NaT rather than being borrowed from a neighbour.
DEFAULT_MILESTONES: dict[str, dict[str, tuple[str, ...]]] = {
    "canonical": {column: (column,) for column in MILESTONE_COLUMNS},
    "pagerduty": {
        # REST incidents and Analytics raw incidents share these names; each shape has its own.
        "detected": ("created_at",),
        "created": ("created_at",),
        "acknowledged": ("acknowledge_log_entry", "acknowledgements", "seconds_to_first_ack"),
        "declared": ("priority_change_log_entry",),
        "assembled": ("seconds_to_mobilize",),
        "resolved": ("resolved_at", "resolve_log_entry", "seconds_to_resolve"),
    },
    "servicenow": {
        "detected": ("opened_at",),
        "created": ("sys_created_on",),
        "declared": ("promoted_on",),
        "resolved": ("resolved_at",),
        "closed": ("closed_at",),
    },
    "opsgenie": {
        "detected": ("createdAt",),
        "created": ("createdAt",),
        "acknowledged": ("report.ackTime",),
        "resolved": ("report.closeTime",),
    },
    "incident.io": {
        "impact_started": ("Impact started", "Impact start"),
        "detected": ("Detected at", "Reported at"),
        "created": ("created_at",),
        "acknowledged": ("Acknowledged at",),
        "declared": ("Declared at", "Accepted at", "created_at"),
        "assembled": ("Assembled at",),
        "mitigated": ("Fixed at", "Mitigated at"),
        "resolved": ("Resolved at",),
        "closed": ("Closed at",),
        "postmortem_started": ("Postmortem started",),
        "postmortem_completed": ("Postmortem completed",),
    },
    "firehydrant": {
        "impact_started": ("started", "started_at"),
        "detected": ("detected",),
        "created": ("created_at",),
        "acknowledged": ("acknowledged",),
        "declared": ("created_at",),
        "mitigated": ("mitigated",),
        "resolved": ("resolved",),
        "closed": ("closed",),
        "postmortem_started": ("postmortem_started",),
        "postmortem_completed": ("postmortem_completed",),
    },
    "rootly": {
        "impact_started": ("started_at",),
        "detected": ("detected_at",),
        "created": ("created_at",),
        "acknowledged": ("acknowledged_at",),
        "declared": ("created_at",),
        "mitigated": ("mitigated_at",),
        "resolved": ("resolved_at",),
        "closed": ("closed_at",),
    },
    "statuspage": {
        "impact_started": ("started_at",),
        "created": ("created_at",),
        "declared": ("created_at",),
        "mitigated": ("monitoring_at",),
        "resolved": ("resolved_at",),
        "postmortem_completed": ("postmortem_published_at", "postmortem update"),
    },
    "grafana": {
        "impact_started": ("incidentStart",),
        "created": ("createdTime",),
        "declared": ("createdTime",),
        "resolved": ("closedTime", "incidentEnd"),
    },
}

# A drill journal's SPEC 3.1 milestones by their own names (`restored` is what platforms call
# mitigated), and `end`, when the drill ended, as `closed`. `problem_recorded` and
# `review_held` have no canonical column (a drill's `review_held` is when the review was
# scheduled, not held).
DEFAULT_MILESTONES["drill"] = {
    "impact_started": ("impact_start",), "detected": ("detected",), "acknowledged": ("acknowledged",),
    "declared": ("declared",), "first_update": ("first_update",), "assembled": ("assembled",),
    "identified": ("identified",), "workaround_applied": ("workaround_applied",), "mitigated": ("restored",),
    "fixed": ("fixed",), "resolved": ("resolved",), "closed": ("end",),
}

# Platform words for severity that carry no number.
DEFAULT_SEVERITY: dict[str, dict[str, str]] = {
    "statuspage": {"critical": "sev1", "major": "sev2", "minor": "sev3", "none": "sev4"},
    "grafana": {"critical": "sev1", "major": "sev2", "minor": "sev3"},
}
DEFAULT_MAJOR = ("sev0", "sev1", "sev2")
DEFAULT_DRILL_PREFIXES = ("[drill]", "drill:")

_NUMBERED = re.compile(r"^\s*(?:sev(?:erity)?|p|priority|s)?\s*[-_ ]?\s*(\d)(?!\d)", re.I)


def name_key(name: str) -> str:
    """How names are compared: case-insensitive, `_`, `-` and runs of spaces alike."""
    return " ".join(re.sub(r"[_\-\s]+", " ", str(name)).casefold().split())


class HistoryMapping(Frozen):
    """Overrides of the built-in mapping for one source (`kind: history-mapping`)."""

    kind: Literal["history-mapping"]
    version: Literal[1]
    source: str = Field(description="The source this mapping is for: " + ", ".join(SOURCES) + ".")
    milestones: dict[MilestoneColumn, tuple[str, ...]] = Field(
        default_factory=dict,
        description="Per canonical milestone column, the source's names to read it from, first present wins. "
                    "A column listed here replaces the default for that column; [] leaves it unmapped.")
    severity: dict[str, str] = Field(default_factory=dict,
                                     description="Source severity or priority (any case) -> canonical severity.")
    major: tuple[str, ...] | None = Field(
        default=None, description=f"Canonical severities that count as major [default: {', '.join(DEFAULT_MAJOR)}].")
    drill_prefixes: tuple[str, ...] | None = Field(
        default=None, description="Title or tag prefixes that mark a drill on platforms without a drill flag "
                                  f"[default: {', '.join(DEFAULT_DRILL_PREFIXES)}].")

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str) -> str:
        if value not in SOURCES:
            raise ValueError(f"expected one of {', '.join(SOURCES)}")
        return value

    @field_validator("major", "drill_prefixes", mode="before")
    @classmethod
    def _one_is_a_list(cls, value):
        return [value] if isinstance(value, str) else value

    @field_validator("milestones", mode="before")
    @classmethod
    def _one_name_is_a_list(cls, value):
        if isinstance(value, dict):
            return {k: ([v] if isinstance(v, str) else v) for k, v in value.items()}
        return value

    @field_validator("milestones")
    @classmethod
    def _names_not_blank(cls, value: dict) -> dict:
        for column, names in value.items():
            if any(not name.strip() for name in names):
                raise ValueError(f"{column}: a milestone name must not be blank")
        return value


@dataclass(frozen=True)
class EffectiveMapping:
    """Defaults with a mapping's overrides applied; names already in `name_key` form."""

    source: str
    milestones: dict[str, tuple[str, ...]]
    severity: dict[str, str]
    major: frozenset[str]
    drill_prefixes: tuple[str, ...]

    def severity_of(self, raw: str) -> str:
        """The canonical severity of a source's severity or priority text ('' when none).

        The mapping's table first; else a number in it ("P1", "SEV 2", "1 - Critical") gives
        sevN; else the text itself in lower case.
        """
        text = " ".join(str(raw or "").split())
        if not text:
            return ""
        if name_key(text) in self.severity:
            return self.severity[name_key(text)]
        numbered = _NUMBERED.match(text)
        if numbered:
            return f"sev{numbered[1]}"
        return text.casefold()

    def is_major(self, severity: str) -> bool:
        return severity in self.major

    def marks_drill(self, title: str, tags: tuple[str, ...] = ()) -> bool:
        """A title starting with a drill prefix, or a tag `drill` or starting with one."""
        if self.marks_drill_title(title):
            return True
        for tag in tags:
            folded = str(tag or "").strip().casefold()
            if folded == "drill" or any(folded.startswith(prefix) for prefix in self.drill_prefixes):
                return True
        return False

    def marks_drill_title(self, title: str) -> bool:
        """A title starting with a drill prefix."""
        return str(title or "").strip().casefold().startswith(self.drill_prefixes)


def effective_mapping(source: str, mapping: HistoryMapping | None = None) -> EffectiveMapping:
    """The built-in mapping of `source` with `mapping`'s overrides (if any) applied."""
    milestones = dict(DEFAULT_MILESTONES[source])
    severity = dict(DEFAULT_SEVERITY.get(source, {}))
    major: tuple[str, ...] = DEFAULT_MAJOR
    prefixes: tuple[str, ...] = DEFAULT_DRILL_PREFIXES
    if mapping is not None:
        milestones.update(mapping.milestones)
        severity.update(mapping.severity)
        major = mapping.major if mapping.major is not None else major
        prefixes = mapping.drill_prefixes if mapping.drill_prefixes is not None else prefixes
    return EffectiveMapping(
        source=source,
        milestones={column: tuple(name_key(n) for n in names) for column, names in milestones.items() if names},
        severity={name_key(k): v.strip().casefold() for k, v in severity.items()},
        major=frozenset(m.strip().casefold() for m in major),
        drill_prefixes=tuple(p.strip().casefold() for p in prefixes if p.strip()),
    )


def load_mapping(path: str | Path) -> HistoryMapping:
    """Read and validate a mapping file; DocumentError listing every problem."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DocumentError([Problem(source, None, "", "no such file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DocumentError([Problem(source, None, "", f"cannot read: {exc}")]) from None
    try:
        data, lines = parse_yaml(text)
    except _YamlProblem as exc:
        raise DocumentError([Problem(source, exc.line, "", exc.message)]) from None
    if not isinstance(data, dict):
        raise DocumentError([Problem(source, 1, "", "a mapping document must be a mapping starting with "
                                                    "kind: history-mapping and version: 1")])
    try:
        return HistoryMapping.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            path_ = _data_path(data, error["loc"])
            problems.append(Problem(source, _line_for(lines, path_), _render(path_), _message(error)))
        raise DocumentError(sorted(set(problems), key=lambda p: (p.line or 0, p.path))) from None
