"""The vocabulary of a run's settings, light enough for the command line to offer as
choices without loading the simulator: simulation modes (SPEC 3.2) and executors."""

__all__ = ["MODES", "EXECUTORS"]

MODES = ("single", "stream")
EXECUTORS = ("local", "dask")
