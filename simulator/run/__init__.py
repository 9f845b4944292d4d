"""Running the model: jobs split into chunks, executors (serial, process pool, Dask),
mergeable summaries, the results artifact, and the `simulate`/`compare` entry points.

Names are imported on first use (PEP 562), so importing one light module of this
package does not load them all."""

from __future__ import annotations

import importlib

_LAZY = {
    "MODES": "api",
    "compare": "api",
    "simulate": "api",
    "EXECUTORS": "executors",
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


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
