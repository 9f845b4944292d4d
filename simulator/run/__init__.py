"""Running the model: jobs split into chunks, executors (serial, process pool, Dask),
mergeable summaries, the results artifact, and the `simulate`/`compare` entry points."""

from .api import MODES, compare, simulate
from .executors import (
           EXECUTORS,
           ChunkFailed,
           DaskExecutor,
           ProcessExecutor,
           SerialExecutor,
           make_executor,
)
from .results import RESULT_FORMAT, OptionResult, SimulationResult

__all__ = ["MODES", "EXECUTORS", "compare", "simulate", "ChunkFailed", "make_executor", "SerialExecutor",
           "ProcessExecutor", "DaskExecutor", "RESULT_FORMAT", "OptionResult", "SimulationResult"]
