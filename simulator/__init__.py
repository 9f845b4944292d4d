"""The SimPy core and statistics. Pure: no click, jinja2, matplotlib, HTTP or files;
random generators are seeded per run and passed in, never global.

    model/    the SimPy incident model (plan, engine, named random streams)
    run/      runner, executors, mergeable summaries, results, simulate/compare
    studies/  sensitivity and optimisation, with the variants they simulate
    history/  statistics of real incident history: KPIs, fitting, detectability

The names below are imported on first use, so `import simulator.model` (as the drill
world does) does not pay for the run machinery.
"""

from __future__ import annotations

from scenarios.lazy import lazy_exports

from .errors import SimulationError

_LAZY = {
    "MODES": "simulator.run.settings", "compare": "simulator.run.api", "simulate": "simulator.run.api",
    "EXECUTORS": "simulator.run.settings", "ChunkFailed": "simulator.run.executors",
    "DaskExecutor": "simulator.run.executors", "ProcessExecutor": "simulator.run.executors",
    "SerialExecutor": "simulator.run.executors", "make_executor": "simulator.run.executors",
    "RESULT_FORMAT": "simulator.run.results", "OptionResult": "simulator.run.results",
    "SimulationResult": "simulator.run.results",
}

__all__ = ["SimulationError", *_LAZY]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
