"""The SimPy core and statistics. Pure: no click, jinja2, matplotlib, HTTP or files;
random generators are seeded per run and passed in, never global."""

from .api import MODES, compare, simulate
from .errors import SimulationError
from .executors import EXECUTORS, ChunkFailed, DaskExecutor, ProcessExecutor, SerialExecutor, make_executor
from .results import RESULT_FORMAT, OptionResult, SimulationResult

__all__ = ["MODES", "EXECUTORS", "compare", "simulate", "SimulationError", "ChunkFailed", "make_executor",
           "SerialExecutor", "ProcessExecutor", "DaskExecutor", "RESULT_FORMAT", "OptionResult", "SimulationResult"]
