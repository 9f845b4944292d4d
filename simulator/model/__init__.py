"""The SimPy incident model: one incident (or a horizon of them) as a process over
responders, from impact start to review, with every stage's random draws from its own
named stream."""

from .engine import DETECTION_PATHS, run_single_block, run_stream
from .plan import Plan, compile_plan
from .streams import BlockStreams, stage_key

__all__ = ["DETECTION_PATHS", "run_single_block", "run_stream", "Plan", "compile_plan", "BlockStreams", "stage_key"]
