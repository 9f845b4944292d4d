"""Running the model: jobs split into chunks, executors (serial, process pool, Dask),
mergeable summaries, the results artifact, and the `simulate`/`compare` entry points.

Names are imported on first use (PEP 562), so importing one light module of this
package does not load them all."""

from __future__ import annotations

from scenarios.lazy import lazy_exports

_LAZY = {
    "MODES": "settings",
    "compare": "api",
    "simulate": "api",
    "EXECUTORS": "settings",
    "ChunkFailed": "executors",
    "DaskExecutor": "executors",
    "ProcessExecutor": "executors",
    "SerialExecutor": "executors",
    "make_executor": "executors",
    "RESULT_FORMAT": "results",
    "OptionResult": "results",
    "SimulationResult": "results",
}

__all__ = ["MODES", "EXECUTORS", "compare", "simulate", "ChunkFailed", "make_executor", "SerialExecutor", "ProcessExecutor", "DaskExecutor", "RESULT_FORMAT", "OptionResult", "SimulationResult"]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
