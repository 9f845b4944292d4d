"""Real incident history at the boundary: platform exports (PagerDuty, ServiceNow, Opsgenie,
incident.io, FireHydrant, Rootly, Statuspage, Grafana Incident, the generic canonical
CSV/JSON) read into one canonical incident table with UTC timestamps. Missing times stay
missing."""

from .canonical_io import INCIDENTS_FORMAT, canonical_csv, canonical_document, canonical_records, write_canonical
from .mapping import (
                    DEFAULT_MILESTONES,
                    SOURCE_TITLES,
                    SOURCES,
                    EffectiveMapping,
                    HistoryMapping,
                    effective_mapping,
                    load_mapping,
)
from .readers import ORDER_RULES, HistoryImport, read_history, read_history_document
from .table import (
                    CANONICAL_COLUMNS,
                    FLAG_COLUMNS,
                    MILESTONE_COLUMNS,
                    TEXT_COLUMNS,
                    HistoryError,
                    RowProblem,
                    canonical_frame,
)
from .times import iso_z

__all__ = ["CANONICAL_COLUMNS", "MILESTONE_COLUMNS", "TEXT_COLUMNS", "FLAG_COLUMNS", "HistoryError", "RowProblem",
           "canonical_frame",
           "SOURCES", "SOURCE_TITLES", "DEFAULT_MILESTONES", "HistoryMapping", "EffectiveMapping", "effective_mapping",
           "load_mapping", "HistoryImport", "read_history", "read_history_document", "ORDER_RULES",
           "INCIDENTS_FORMAT", "canonical_records", "canonical_document", "canonical_csv", "write_canonical", "iso_z"]
