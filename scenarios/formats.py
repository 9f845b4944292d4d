"""The artifacts' formats in one place (SPEC 3.6): each artifact's format name and version,
and for results (`summary.json`) the quantiles reported and the fixed-bin histograms with
the one rule for reading a quantile off them, used by the simulator that writes results
and the reports that read them (docs/reference/results.md, drills.md, history.md).

Bins are 1% wide from 0.01 minutes to 10**7 minutes, and a quantile is reported as its
bin's geometric centre (clamped to the observed min and max), within 0.5% of the exact
sample quantile (the smallest value with at least that share of values at or below it).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

__all__ = ["DOCUMENT_KIND_NAMES", "HISTORY_SOURCES", "RESULT_FORMAT", "SENSITIVITY_FORMAT", "OPTIMIZE_FORMAT", "JOURNAL_FORMAT",
           "JOURNAL_FORMATS_READ", "SCORECARD_FORMAT", "SCORECARD_FORMATS_READ",
           "INCIDENTS_FORMAT", "QUANTILES", "BINS", "LOW", "RATIO", "HIGH", "N_BINS", "bin_index", "bin_value",
           "quantile_bin", "histogram_quantile", "histogram_edges"]

# Documents: every document starts with `kind:` and `version:` (SPEC 3.3).
DOCUMENT_KIND_NAMES = ("scenario", "staffing", "playbook", "roster", "responses", "improvement_plan",
                       "staffing_space", "classification")
# The incident-platform exports `warroom history import --source` reads.
HISTORY_SOURCES = ("canonical", "pagerduty", "servicenow", "opsgenie", "incident.io", "firehydrant", "rootly",
                   "statuspage", "grafana")

RESULT_FORMAT = "warroom.results/3"
SENSITIVITY_FORMAT = "warroom.sensitivity/2"
OPTIMIZE_FORMAT = "warroom.optimize/1"
JOURNAL_FORMAT = "warroom.journal/2"
JOURNAL_FORMATS_READ = ("warroom.journal/1", JOURNAL_FORMAT)
"""Journal formats that still load (and are scored by today's rules): /1 has no
work_started, rejection, allow_fix, feedback or mark events."""
SCORECARD_FORMAT = "warroom.scorecard/3"
SCORECARD_FORMATS_READ = ("warroom.scorecard/1", "warroom.scorecard/2", SCORECARD_FORMAT)
"""Scorecard formats reports recognise; only SCORECARD_FORMAT renders, an older one asks to be re-scored."""
INCIDENTS_FORMAT = "warroom.incidents/1"

QUANTILES = {"p50": 0.50, "p90": 0.90, "p95": 0.95}

LOW, RATIO, HIGH = 0.01, 1.01, 1e7
_LOG_RATIO = math.log(RATIO)
_N_LOG = math.ceil(math.log(HIGH / LOW) / _LOG_RATIO)
N_BINS = _N_LOG + 2     # bin 0: below 0.01 min; 1.._N_LOG: 1% wide; last: 10**7 min and above
BINS = {
    "scale": "log",
    "below_first": LOW,
    "ratio": RATIO,
    "bins": N_BINS,
    "above_last": HIGH,
    "relative_error": math.sqrt(RATIO) - 1,
    "about": "bin 0 holds values below 0.01 min; bin k (1 <= k < bins-1) holds "
             "[0.01 * 1.01**(k-1), 0.01 * 1.01**k) minutes; the last bin holds 10**7 min and above. "
             "Quantiles are the bin's geometric centre, clamped to the observed min and max: within "
             "0.5% of the exact sample quantile.",
}


def bin_index(values: np.ndarray) -> np.ndarray:
    """Histogram bin of each (non-missing) value."""
    import numpy as np  # the vocabularies above load without it (the command line reads them)

    x = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.floor(np.log(np.maximum(x, LOW) / LOW) / _LOG_RATIO).astype(np.int64) + 1
    k[x < LOW] = 0
    return np.minimum(k, N_BINS - 1)


def bin_value(k: int) -> float:
    """The value a bin stands for: its geometric centre (half the first bin's width for bin 0)."""
    if k <= 0:
        return LOW / 2
    if k >= N_BINS - 1:
        return HIGH
    return LOW * RATIO ** (k - 1) * math.sqrt(RATIO)


def quantile_bin(counts: np.ndarray, first_bin: int, q: float) -> int:
    """The bin holding quantile `q`: that of the ceil(q * n)-th smallest value (at least the first)."""
    import numpy as np  # the vocabularies above load without it (the command line reads them)

    counts = np.asarray(counts, dtype=np.int64)
    rank = max(math.ceil(q * int(counts.sum())), 1)
    return first_bin + int(np.searchsorted(np.cumsum(counts), rank))


def histogram_quantile(histogram: dict, q: float, low: float, high: float) -> float:
    """Quantile `q` of a histogram as results store it (`first_bin`, `counts`), clamped to the
    observed range [low, high]."""
    k = quantile_bin(histogram["counts"], histogram["first_bin"], q)
    return min(max(bin_value(k), low), high)


def histogram_edges(histogram: dict) -> tuple[np.ndarray, np.ndarray]:
    """(upper edge of each occupied bin, share of values at or below it) of a stored histogram."""
    import numpy as np  # the vocabularies above load without it (the command line reads them)

    counts = np.asarray(histogram["counts"], dtype=float)
    k = np.arange(histogram["first_bin"], histogram["first_bin"] + counts.size)
    edges = LOW * np.power(RATIO, k.astype(float))
    keep = counts > 0
    return edges[keep], (np.cumsum(counts) / max(counts.sum(), 1))[keep]
