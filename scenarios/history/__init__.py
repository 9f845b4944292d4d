"""Real incident history at the boundary: platform exports (PagerDuty, ServiceNow, Opsgenie,
incident.io, FireHydrant, Rootly, Statuspage, the generic canonical CSV/JSON) read into
one canonical incident table with UTC timestamps. Missing times stay missing."""

from .table import (CANONICAL_COLUMNS, MILESTONE_COLUMNS, TEXT_COLUMNS, FLAG_COLUMNS, HistoryError, RowProblem,
                    canonical_frame)

__all__ = ["CANONICAL_COLUMNS", "MILESTONE_COLUMNS", "TEXT_COLUMNS", "FLAG_COLUMNS", "HistoryError", "RowProblem",
           "canonical_frame"]
