"""The boundary: YAML documents (scenario, staffing, playbook) turned into typed,
immutable models, and the bundled scenario library. Nothing past here handles raw dicts."""

from .actions import ACTION_NAMES, ACTIONS, ActionSpec
from .conditions import Condition, ConditionError, parse_condition
from .crosscheck import check_drill, check_together, who_does
from .distributions import (
    Distribution,
    Empirical,
    Exponential,
    Fixed,
    Gamma,
    LogNormal,
    Triangular,
    Weibull,
)
from .durations import format_duration, parse_duration
from .errors import DocumentError, Problem, WarroomError
from .exercise import CHANNELS, Inject, Objective
from .library import DEFAULT_PLAYBOOK, bundled, resolve
from .loader import DOCUMENT_KINDS, Loaded, load, load_text
from .metrics import METRIC_SPANS, METRIC_TITLES, METRICS, MILESTONES
from .playbook import Playbook, RoleEffect, Step
from .responses import RATINGS, ResponseAction, Responses
from .roles import ROLES
from .roster import Participant, Roster
from .scenario import Cause, FixedStart, Scenario, UniformWeek, Workaround
from .staffing import ResponderPool, Staffing
from .world import Indicator

__all__ = [
    "Distribution", "Empirical", "Exponential", "Fixed", "Gamma", "LogNormal", "Triangular", "Weibull",
    "format_duration", "parse_duration",
    "DocumentError", "Problem", "WarroomError",
    "DEFAULT_PLAYBOOK", "bundled", "resolve",
    "DOCUMENT_KINDS", "Loaded", "load", "load_text",
    "METRIC_SPANS", "METRIC_TITLES", "METRICS", "MILESTONES",
    "Playbook", "RoleEffect", "Step", "ROLES",
    "FixedStart", "Scenario", "UniformWeek",
    "ResponderPool", "Staffing",
    "check_together", "check_drill", "who_does",
    "ACTIONS", "ACTION_NAMES", "ActionSpec", "Condition", "ConditionError", "parse_condition",
    "CHANNELS", "Inject", "Objective", "RATINGS", "ResponseAction", "Responses", "Participant", "Roster",
    "Cause", "Workaround", "Indicator",
]
