"""The boundary: YAML documents (scenario, staffing, playbook) turned into typed,
immutable models, and the bundled scenario library. Nothing past here handles raw dicts.

Names are imported on first use (PEP 562), so importing one light module of this
package does not load them all."""

from __future__ import annotations

from .errors import DocumentError, Problem, WarroomError
from .lazy import lazy_exports

_LAZY = {
    "ACTION_NAMES": "actions",
    "ACTIONS": "actions",
    "ActionSpec": "actions",
    "Condition": "conditions",
    "ConditionError": "conditions",
    "parse_condition": "conditions",
    "check_drill": "crosscheck",
    "check_together": "crosscheck",
    "who_does": "crosscheck",
    "Distribution": "distributions",
    "Empirical": "distributions",
    "Exponential": "distributions",
    "Fixed": "distributions",
    "Gamma": "distributions",
    "LogNormal": "distributions",
    "Triangular": "distributions",
    "Weibull": "distributions",
    "format_duration": "durations",
    "minutes_text": "durations",
    "parse_duration": "durations",
    "CHANNELS": "exercise",
    "Inject": "exercise",
    "Objective": "exercise",
    "DEFAULT_PLAYBOOK": "library",
    "bundled": "library",
    "resolve": "library",
    "DOCUMENT_KINDS": "loader",
    "Loaded": "loader",
    "load": "loader",
    "load_text": "loader",
    "METRIC_SPANS": "metrics",
    "METRIC_TITLES": "metrics",
    "METRICS": "metrics",
    "MILESTONES": "metrics",
    "Playbook": "playbook",
    "RoleEffect": "playbook",
    "Step": "playbook",
    "RATINGS": "responses",
    "ResponseAction": "responses",
    "Responses": "responses",
    "ROLES": "roles",
    "Participant": "roster",
    "Roster": "roster",
    "Cause": "scenario",
    "FixedStart": "scenario",
    "Scenario": "scenario",
    "UniformWeek": "scenario",
    "Workaround": "scenario",
    "ResponderPool": "staffing",
    "Staffing": "staffing",
    "Indicator": "world",
}

__all__ = ["Distribution", "Empirical", "Exponential", "Fixed", "Gamma", "LogNormal", "Triangular", "Weibull", "format_duration", "minutes_text", "parse_duration", "DocumentError", "Problem", "WarroomError", "DEFAULT_PLAYBOOK", "bundled", "resolve", "DOCUMENT_KINDS", "Loaded", "load", "load_text", "METRIC_SPANS", "METRIC_TITLES", "METRICS", "MILESTONES", "Playbook", "RoleEffect", "Step", "ROLES", "FixedStart", "Scenario", "UniformWeek", "ResponderPool", "Staffing", "check_together", "check_drill", "who_does", "ACTIONS", "ACTION_NAMES", "ActionSpec", "Condition", "ConditionError", "parse_condition", "CHANNELS", "Inject", "Objective", "RATINGS", "ResponseAction", "Responses", "Participant", "Roster", "Cause", "Workaround", "Indicator"]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
