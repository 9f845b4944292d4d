"""The boundary: YAML documents (scenario, staffing, playbook) turned into typed,
immutable models, and the bundled scenario library. Nothing past here handles raw dicts."""

from .crosscheck import check_together, who_does
from .distributions import Distribution, Empirical, Exponential, Fixed, Gamma, LogNormal, Triangular
from .durations import format_duration, parse_duration
from .errors import DocumentError, Problem, WarroomError
from .library import DEFAULT_PLAYBOOK, bundled, resolve
from .loader import DOCUMENT_KINDS, Loaded, load, load_text
from .metrics import METRIC_SPANS, METRIC_TITLES, METRICS, MILESTONES
from .playbook import Playbook, RoleEffect, Step
from .roles import ROLES
from .scenario import FixedStart, Scenario, UniformWeek
from .staffing import ResponderPool, Staffing

__all__ = [
    "Distribution", "Empirical", "Exponential", "Fixed", "Gamma", "LogNormal", "Triangular",
    "format_duration", "parse_duration",
    "DocumentError", "Problem", "WarroomError",
    "DEFAULT_PLAYBOOK", "bundled", "resolve",
    "DOCUMENT_KINDS", "Loaded", "load", "load_text",
    "METRIC_SPANS", "METRIC_TITLES", "METRICS", "MILESTONES",
    "Playbook", "RoleEffect", "Step", "ROLES",
    "FixedStart", "Scenario", "UniformWeek",
    "ResponderPool", "Staffing",
    "check_together", "who_does",
]
