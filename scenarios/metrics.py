"""Milestones and metrics shared by every part of warroom (SPEC 3.1)."""

from __future__ import annotations

from typing import Literal

__all__ = ["MILESTONES", "DETECTION_PATHS", "METRICS", "METRIC_SPANS", "MilestoneName", "MetricName", "METRIC_TITLES"]

MILESTONES = (
    "impact_start",
    "detected",
    "acknowledged",
    "declared",
    "first_update",
    "assembled",
    "identified",
    "workaround_applied",
    "restored",
    "fixed",
    "resolved",
    "problem_recorded",
    "review_held",
)

# How `detected` was reached: the first monitoring alert, or the first user report triaged.
DETECTION_PATHS = ("monitoring", "user_report")

# metric -> (from milestone, to milestone)
METRIC_SPANS = {
    "time_to_detect": ("impact_start", "detected"),
    "time_to_acknowledge": ("detected", "acknowledged"),
    "time_to_declare": ("detected", "declared"),
    "time_to_first_update": ("declared", "first_update"),
    "time_to_assemble": ("declared", "assembled"),
    "time_to_identify": ("impact_start", "identified"),
    "time_to_workaround": ("impact_start", "workaround_applied"),
    "time_to_restore": ("impact_start", "restored"),
    "time_to_fix": ("impact_start", "fixed"),
    "time_to_resolve": ("impact_start", "resolved"),
}
METRICS = tuple(METRIC_SPANS)

METRIC_TITLES = {
    "time_to_detect": "Time to detect (MTTD)",
    "time_to_acknowledge": "Time to acknowledge (MTTA)",
    "time_to_declare": "Time to declare",
    "time_to_first_update": "Time to first update",
    "time_to_assemble": "Time to assemble",
    "time_to_identify": "Time to identify",
    "time_to_workaround": "Time to workaround",
    "time_to_restore": "Time to restore (MTTR)",
    "time_to_fix": "Time to fix",
    "time_to_resolve": "Time to resolve",
}

MilestoneName = Literal[
    "impact_start", "detected", "acknowledged", "declared", "first_update", "assembled",
    "identified", "workaround_applied", "restored", "fixed", "resolved", "problem_recorded",
    "review_held",
]
MetricName = Literal[
    "time_to_detect", "time_to_acknowledge", "time_to_declare", "time_to_first_update",
    "time_to_assemble", "time_to_identify", "time_to_workaround", "time_to_restore",
    "time_to_fix", "time_to_resolve",
]
