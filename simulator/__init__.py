"""The SimPy core and statistics. Pure: no click, jinja2, matplotlib, HTTP or files;
random generators are seeded per run and passed in, never global."""

from .api import MODES, compare, simulate
from .errors import SimulationError
from .results import RESULT_FORMAT, OptionResult, SimulationResult

__all__ = ["MODES", "compare", "simulate", "SimulationError", "RESULT_FORMAT", "OptionResult", "SimulationResult"]
