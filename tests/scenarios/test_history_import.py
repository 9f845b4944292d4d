"""History importers: every platform's sample export read into the canonical table, the
known values checked (offsets, time zones, drills, missing milestones), and every kind of
bad input reported at once with its row and field."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from cli import main
from scenarios.errors import DocumentError
from scenarios.history import (
    CANONICAL_COLUMNS,
    MILESTONE_COLUMNS,
    ORDER_RULES,
    SOURCES,
    HistoryError,
    HistoryMapping,
    canonical_frame,
    read_history,
    read_history_document,
    write_canonical,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "history"

# (file, source, layout, rows, ids flagged as drills)
SAMPLES = [
    ("canonical.csv", "canonical", "canonical CSV", 8, {"HIST-004", "HIST-005"}),
    ("canonical.json", "canonical", "canonical JSON", 5, {"ENG-43"}),
    ("pagerduty-rest.json", "pagerduty", "REST incidents", 6, {"Q2WARM1D"}),
    ("pagerduty-analytics.json", "pagerduty", "Analytics raw incidents", 6, {"Q2WARM1H"}),
    ("servicenow-table.json", "servicenow", "Table API JSON", 6, {"INC0010262"}),
    ("servicenow.csv", "servicenow", "CSV export", 6, {"INC0011031"}),
    ("opsgenie-alerts.json", "opsgenie", "alerts", 6, {"d4e5f6a7-1b2c-4d3e-9f40-5a6b7c8d9e01"}),
    ("incident-io.json", "incident.io", "IncidentV2 list", 7, {"INC-312", "INC-313"}),
    ("firehydrant.json", "firehydrant", "incidents", 5, {"5b6f3b1e-8a4c-4f0e-9d2a-1c3e5f7a9b03"}),
    ("rootly.json", "rootly", "JSON:API incidents", 6,
     {"a1c7e0f2-1d3b-4e5f-8a9b-0c1d2e3f4a52", "a1c7e0f2-1d3b-4e5f-8a9b-0c1d2e3f4a53"}),
    ("statuspage.json", "statuspage", "incidents.json", 5, {"s2d4f6g8h0j2"}),
    ("grafana-incident.json", "grafana", "incidents", 5, {"1044"}),
    ("drill-journal.json", "drill", "drill journal", 1, {"promo-code-glitch-20261203-68e0ba"}),
]


# A ServiceNow CSV is in the exporting user's zone: it cannot be read without naming it.
SAMPLE_OPTIONS = {"servicenow.csv": {"assume_timezone": "UTC"}}


def read(name: str, source: str, **options):
    return read_history(FIXTURES / name, source, **options)


def row(imported, incident_id: str) -> pd.Series:
    rows = imported.table[imported.table["id"] == incident_id]
    assert len(rows) == 1, f"{incident_id} not found once in {list(imported.table['id'])}"
    return rows.iloc[0]


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_convert("UTC")


def problem_places(error_or_problems) -> set[tuple]:
    problems = error_or_problems.problems if hasattr(error_or_problems, "problems") else error_or_problems
    return {(p.row, p.field) for p in problems}


# -- every sample -----------------------------------------------------------------------

@pytest.mark.parametrize("name, source, shape, count, drills", SAMPLES, ids=[s[0] for s in SAMPLES])
def test_each_sample_reads_into_the_canonical_table(name, source, shape, count, drills):
    imported = read(name, source, **SAMPLE_OPTIONS.get(name, {}))
    table = imported.table
    assert list(table.columns) == list(CANONICAL_COLUMNS)
    assert imported.shape == shape and imported.problems == [] and imported.source == source
    assert len(table) == count and table["id"].is_unique
    for column in MILESTONE_COLUMNS:
        assert str(table[column].dtype) == "datetime64[ns, UTC]", column
    assert set(table.loc[table["is_drill"], "id"]) == drills
    # Every sample leaves at least one milestone unrecorded somewhere: it must stay missing.
    assert table[list(MILESTONE_COLUMNS)].isna().to_numpy().any()


def test_every_source_has_a_sample():
    assert {s[1] for s in SAMPLES} == set(SOURCES)


@pytest.mark.parametrize("name, source", [(s[0], s[1]) for s in SAMPLES], ids=[s[0] for s in SAMPLES])
def test_the_canonical_file_written_reads_back_identically(tmp_path, name, source):
    imported = read(name, source, **SAMPLE_OPTIONS.get(name, {}))
    for suffix in ("csv", "json"):
        target = tmp_path / f"history.{suffix}"
        write_canonical(imported.table, target, source=source, source_file=name)
        again = read_history(target, "canonical").table
        expected = imported.table.copy()
        pd.testing.assert_frame_equal(again, expected, check_dtype=True)


steps = st.lists(st.one_of(st.none(), st.integers(0, 6 * 3600 * 1000)), min_size=len(MILESTONE_COLUMNS),
                 max_size=len(MILESTONE_COLUMNS))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2 * 10**9), steps, st.booleans(), st.booleans(),
                          st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30).filter(
                              lambda t: not t.strip().casefold().startswith(("[drill]", "drill:")))),
                min_size=1, max_size=6))
def test_any_possible_history_survives_write_and_read(tmp_path_factory, incidents):
    """Milestones in lifecycle order (some missing, any millisecond) written and read back are
    unchanged, in CSV and JSON alike, and pass every order rule."""
    rows = []
    for number, (start_s, gaps_ms, major, drill, title) in enumerate(incidents):
        moment = pd.Timestamp("1990-01-01T00:00:00Z") + pd.Timedelta(seconds=start_s)
        row = {"id": f"H-{number}", "source": "", "title": title, "service": "", "severity": "sev2",
               "is_major": major, "is_drill": drill}
        for column, gap in zip(MILESTONE_COLUMNS, gaps_ms):
            if gap is not None:
                moment = moment + pd.Timedelta(milliseconds=gap)
                row[column] = moment
        rows.append(row)
    table = canonical_frame(rows)
    folder = tmp_path_factory.mktemp("history")
    for suffix in ("csv", "json"):
        write_canonical(table, folder / f"h.{suffix}")
        again = read_history(folder / f"h.{suffix}", "canonical").table
        expected = table.assign(source="canonical", title=table["title"].str.strip())
        pd.testing.assert_frame_equal(again, expected)
    for earlier, later in ORDER_RULES:
        both = table[earlier].notna() & table[later].notna()
        assert (table.loc[both, earlier] <= table.loc[both, later]).all()


# -- known values per platform ----------------------------------------------------------

def test_opsgenie_ack_and_close_are_milliseconds_after_created():
    imported = read("opsgenie-alerts.json", "opsgenie")
    first = row(imported, "70413a06-38d6-4c85-92b8-5ebc900d42e2")
    created = utc("2025-05-06T12:01:09.221Z")
    assert first["detected"] == created and first["created"] == created
    assert first["acknowledged"] == created + pd.Timedelta(milliseconds=15702) == utc("2025-05-06T12:01:24.923Z")
    assert first["resolved"] == created + pd.Timedelta(milliseconds=960503)
    assert first["service"] == "checkout" and first["severity"] == "sev1" and first["is_major"]
    never_acked = row(imported, "c1d2e3f4-0a1b-4c2d-8e3f-4a5b6c7d8e90")
    assert pd.isna(never_acked["acknowledged"]) and never_acked["resolved"] == utc("2025-05-08T16:22:31.500Z")
    still_open = row(imported, "e5f6a7b8-2c3d-4e5f-a051-6b7c8d9e0f12")
    assert pd.isna(still_open["resolved"])
    assert row(imported, "d4e5f6a7-1b2c-4d3e-9f40-5a6b7c8d9e01")["is_drill"]  # tag drill:gameday


def test_pagerduty_analytics_times_are_read_in_the_response_time_zone():
    imported = read("pagerduty-analytics.json", "pagerduty")
    winter = row(imported, "Q2WARM1A")  # New York on EST (UTC-5)
    assert winter["created"] == utc("2025-03-03T14:02:11Z")
    assert winter["acknowledged"] == winter["created"] + pd.Timedelta(seconds=209)
    assert winter["assembled"] == winter["created"] + pd.Timedelta(seconds=840)
    assert winter["resolved"] == utc("2025-03-03T15:20:05Z")
    summer = row(imported, "Q2WARM1G")  # after the 9 March change: EDT (UTC-4)
    assert summer["created"] == utc("2025-03-20T15:30:00Z")
    assert winter["is_major"] and not row(imported, "Q2WARM1B")["is_major"]  # the platform's own `major` flag
    unacknowledged = row(imported, "Q2WARM1C")
    assert pd.isna(unacknowledged["acknowledged"]) and pd.isna(unacknowledged["assembled"])
    assert pd.isna(row(imported, "Q2WARM1J")["resolved"])


def test_pagerduty_rest_takes_acknowledgement_and_declaration_from_the_log():
    imported = read("pagerduty-rest.json", "pagerduty")
    first = row(imported, "Q2WARM1A")
    assert first["acknowledged"] == utc("2025-03-03T14:05:40Z")  # acknowledgements[] is empty once resolved
    assert first["declared"] == utc("2025-03-03T14:09:00Z")      # the change to P1
    assert first["severity"] == "sev1" and first["service"] == "Payments API"
    # Log entries listed beside the incidents count too; the first acknowledgement wins.
    assert row(imported, "Q2WARM1B")["acknowledged"] == utc("2025-03-04T02:31:12Z")
    assert pd.isna(row(imported, "Q2WARM1B")["declared"])       # never raised to a major priority
    assert row(imported, "Q2WARM1E")["acknowledged"] == utc("2025-03-12T08:14:00Z")  # open: acknowledgements[]
    assert row(imported, "Q2WARM1F")["declared"] == utc("2025-03-14T21:33:00Z")     # from the summary "to P2"
    auto_resolved = row(imported, "Q2WARM1C")
    assert pd.isna(auto_resolved["acknowledged"]) and auto_resolved["severity"] == "high"


def test_pagerduty_rest_and_analytics_agree_on_the_same_incidents():
    rest = read("pagerduty-rest.json", "pagerduty").table.set_index("id")
    analytics = read("pagerduty-analytics.json", "pagerduty").table.set_index("id")
    both = sorted(set(rest.index) & set(analytics.index))
    assert both == ["Q2WARM1A", "Q2WARM1B", "Q2WARM1C"]
    for column in ("detected", "acknowledged", "resolved"):
        pd.testing.assert_series_equal(rest.loc[both, column], analytics.loc[both, column])


def test_servicenow_times_without_zone_are_utc_and_major_comes_from_the_major_incident_state():
    imported = read("servicenow-table.json", "servicenow")
    email = row(imported, "INC0010231")
    assert email["detected"] == utc("2025-04-01T08:02:00Z") and email["created"] == utc("2025-04-01T08:03:10Z")
    assert email["declared"] == utc("2025-04-01T08:31:00Z") and email["closed"] == utc("2025-04-04T12:00:00Z")
    assert email["is_major"] and email["severity"] == "sev1"
    assert pd.isna(email["acknowledged"]) and pd.isna(email["mitigated"])  # ServiceNow records neither
    rejected = row(imported, "INC0010270")
    assert rejected["severity"] == "sev2" and not rejected["is_major"]  # proposed, then rejected
    assert pd.isna(row(imported, "INC0010260")["closed"])
    csv_export = read("servicenow.csv", "servicenow", assume_timezone="UTC")
    banking = row(csv_export, "INC0011010")
    assert banking["severity"] == "sev1" and banking["is_major"] and banking["service"] == "Online banking"
    assert banking["declared"] == utc("2025-05-06T18:19:00Z")
    assert not row(csv_export, "INC0011040")["is_major"]  # only proposed


def test_servicenow_uses_the_utc_value_not_the_display_value():
    record = {"number": "INC9", "short_description": "x", "priority": {"display_value": "2 - High", "value": "2"},
              "opened_at": {"display_value": "2025-06-01 10:00:00", "value": "2025-06-01 08:00:00"},
              "business_service": {"display_value": "Payroll", "value": "abc123"}}
    table = read_history_document({"result": [record]}, "servicenow").table
    assert table.loc[0, "detected"] == utc("2025-06-01T08:00:00Z")
    assert table.loc[0, "service"] == "Payroll" and table.loc[0, "severity"] == "sev2"


def test_assume_timezone_reads_a_servicenow_csv_written_in_local_time():
    imported = read("servicenow.csv", "servicenow", assume_timezone="Europe/London")
    assert row(imported, "INC0011002")["detected"] == utc("2025-05-02T06:30:00Z")  # BST


def test_a_servicenow_csv_without_its_time_zone_is_refused_naming_the_file_and_the_fix():
    for skip in (False, True):  # a problem of the whole file: --skip-bad-rows cannot skip it
        with pytest.raises(HistoryError) as caught:
            read("servicenow.csv", "servicenow", skip_bad_rows=skip)
        (problem,) = caught.value.problems
        assert problem.file.endswith("servicenow.csv") and problem.row is None
        assert "exporting user's time zone" in problem.message and "--assume-timezone" in problem.message
    result = CliRunner().invoke(main, ["history", "import", str(FIXTURES / "servicenow.csv"), "--source", "servicenow"])
    assert result.exit_code == 2 and "servicenow.csv" in result.stderr and "--assume-timezone" in result.stderr
    assert "Traceback" not in result.output
    # Named, it is read in that zone: 07:30 in London in May (BST) is 06:30 UTC.
    assert row(read("servicenow.csv", "servicenow", assume_timezone="UTC"), "INC0011002")["detected"] == \
        utc("2025-05-02T07:30:00Z")


def test_servicenow_table_api_json_is_utc_and_refuses_another_zone():
    with pytest.raises(HistoryError) as caught:
        read("servicenow-table.json", "servicenow", assume_timezone="Europe/Paris")
    (problem,) = caught.value.problems
    assert problem.field == "assume_timezone" and problem.value == "Europe/Paris" and "UTC by definition" in problem.message
    result = CliRunner().invoke(main, ["history", "import", str(FIXTURES / "servicenow-table.json"),
                                       "--source", "servicenow", "--assume-timezone", "Europe/Paris"])
    assert result.exit_code == 2 and "UTC by definition" in result.stderr
    # Without it the times are the UTC the API returned, unshifted.
    assert row(read("servicenow-table.json", "servicenow"), "INC0010231")["detected"] == utc("2025-04-01T08:02:00Z")


def test_a_truncated_or_overlong_servicenow_csv_line_is_a_problem_of_that_line(tmp_path):
    lines = (FIXTURES / "servicenow.csv").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].rsplit(",", 3)[0]          # INC0011010 cut short: its last three cells lost
    lines[3] = lines[3] + ',"2025-05-08 09:00:00"'  # INC0011018 with a cell too many
    export = tmp_path / "servicenow.csv"
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(HistoryError) as caught:
        read_history(export, "servicenow", assume_timezone="UTC")
    problems = {p.row: p for p in caught.value.problems}
    assert set(problems) == {3, 4}
    assert "3 cell(s) fewer than the header" in problems[3].message
    assert "1 more cell(s) than the header" in problems[4].message and problems[4].value == "2025-05-08 09:00:00"
    kept = read_history(export, "servicenow", assume_timezone="UTC", skip_bad_rows=True)
    assert kept.skipped_rows == (3, 4) and len(kept.table) == 4
    assert not {"INC0011010", "INC0011018"} & set(kept.table["id"])


def test_incident_io_timestamps_are_matched_by_name_whatever_the_case():
    imported = read("incident-io.json", "incident.io")
    payments = row(imported, "INC-310")
    assert payments["impact_started"] == utc("2025-06-02T10:58:00Z")
    assert payments["mitigated"] == utc("2025-06-02T11:47:30Z")   # "Fixed at"
    assert payments["closed"] == utc("2025-06-03T09:00:00Z")
    assert payments["created"] == utc("2025-06-02T11:02:13.408211Z")
    assert payments["service"] == "Payments API" and payments["severity"] == "sev1"
    search = row(imported, "INC-311")
    assert search["impact_started"] == utc("2025-06-05T08:00:00Z")  # written "impact started"
    assert pd.isna(search["mitigated"])                              # "Fixed at" has no value
    assert row(imported, "INC-315")["mitigated"] == utc("2025-06-12T12:40:00Z")  # "Mitigated at"
    assert pd.isna(row(imported, "INC-316")["resolved"])


def test_incident_io_retrospective_incidents_keep_their_milestones_without_the_late_creation():
    written_later = row(read("incident-io.json", "incident.io"), "INC-314")
    # The record was created two days after the resolution: that is the write-up, not a milestone.
    assert pd.isna(written_later["created"]) and pd.isna(written_later["declared"])
    assert written_later["impact_started"] == utc("2025-06-08T01:10:00Z")
    assert written_later["resolved"] == utc("2025-06-08T02:30:00Z")
    assert not written_later["is_drill"]


def test_firehydrant_milestones_map_by_slug():
    imported = read("firehydrant.json", "firehydrant")
    orders = row(imported, "5b6f3b1e-8a4c-4f0e-9d2a-1c3e5f7a9b01")
    assert orders["impact_started"] == utc("2025-07-01T04:12:00Z")
    assert orders["acknowledged"] == utc("2025-07-01T04:19:00Z")
    assert orders["postmortem_completed"] == utc("2025-07-04T15:00:00Z")
    assert orders["declared"] == orders["created"] == utc("2025-07-01T04:16:30Z")
    assert pd.isna(row(imported, "5b6f3b1e-8a4c-4f0e-9d2a-1c3e5f7a9b02")["acknowledged"])
    assert pd.isna(row(imported, "5b6f3b1e-8a4c-4f0e-9d2a-1c3e5f7a9b04")["resolved"])


def test_rootly_kinds_and_nested_severity():
    imported = read("rootly.json", "rootly")
    checkout = row(imported, "a1c7e0f2-1d3b-4e5f-8a9b-0c1d2e3f4a51")
    assert checkout["severity"] == "sev1" and checkout["service"] == "Storefront"
    assert checkout["impact_started"] == utc("2025-08-04T09:00:00Z") and checkout["mitigated"] == utc("2025-08-04T09:40:00Z")
    backfilled = row(imported, "a1c7e0f2-1d3b-4e5f-8a9b-0c1d2e3f4a54")
    assert not backfilled["is_drill"] and pd.isna(backfilled["declared"]) and pd.isna(backfilled["created"])
    assert backfilled["resolved"] == utc("2025-08-18T23:30:00Z")
    assert pd.isna(row(imported, "a1c7e0f2-1d3b-4e5f-8a9b-0c1d2e3f4a55")["mitigated"])


def test_statuspage_offsets_become_utc_and_monitoring_is_mitigated():
    imported = read("statuspage.json", "statuspage")
    api = row(imported, "p31zjtct2jer")
    assert api["impact_started"] == utc("2025-09-02T13:50:00Z")
    assert api["mitigated"] == utc("2025-09-02T15:02:00Z") and api["resolved"] == utc("2025-09-02T15:40:00Z")
    assert api["severity"] == "sev2" and pd.isna(api["detected"])
    assert row(imported, "r5t7y9u1i3o5")["postmortem_completed"] == utc("2025-09-16T15:00:00Z")
    assert pd.isna(row(imported, "q8n2k1x0b3vd")["mitigated"])


def test_grafana_is_drill_and_incident_window():
    imported = read("grafana-incident.json", "grafana")
    ingest = row(imported, "1042")
    assert ingest["impact_started"] == utc("2025-10-01T06:02:00Z") and ingest["resolved"] == utc("2025-10-01T07:50:00Z")
    assert ingest["severity"] == "sev2"
    assert pd.isna(row(imported, "1045")["impact_started"])  # an empty incidentStart is missing


def test_canonical_offsets_and_flags():
    imported = read("canonical.csv", "canonical")
    safari = row(imported, "HIST-003")
    assert safari["detected"] == utc("2025-03-01T12:25:00Z")  # written +01:00
    assert row(imported, "HIST-002")["source"] == "pagerduty"  # where the row first came from is kept
    assert row(imported, "HIST-001")["source"] == "canonical"
    tabletop = row(imported, "HIST-005")
    assert tabletop["is_drill"] and tabletop["is_major"]  # "[DRILL]" title; sev2 counts as major by default


# -- the mapping ------------------------------------------------------------------------

def test_a_mapping_renames_milestones_severities_and_what_is_major(tmp_path):
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "kind: history-mapping\nversion: 1\nsource: incident.io\n"
        "milestones:\n  mitigated: [workaround applied]\n  declared: []\n"
        "severity: {SEV1: sev1, SEV2: sev3}\nmajor: [sev1]\n", encoding="utf-8")
    document = {"incidents": [{
        "id": "01A", "reference": "INC-1", "name": "x", "mode": "standard", "created_at": "2025-01-01T10:00:00Z",
        "severity": {"name": "SEV2"},
        "incident_timestamp_values": [
            {"incident_timestamp": {"name": "Workaround Applied"}, "value": {"value": "2025-01-01T10:30:00Z"}},
            {"incident_timestamp": {"name": "Fixed at"}, "value": {"value": "2025-01-01T10:40:00Z"}}]}]}
    table = read_history_document(document, "incident.io", mapping=mapping).table
    assert table.loc[0, "mitigated"] == utc("2025-01-01T10:30:00Z")
    assert pd.isna(table.loc[0, "declared"])
    assert table.loc[0, "severity"] == "sev3" and not table.loc[0, "is_major"]


def test_a_mapping_can_read_custom_servicenow_fields():
    mapping = HistoryMapping(kind="history-mapping", version=1, source="servicenow",
                             milestones={"impact_started": ["u_impact_start"], "acknowledged": ["work_start"]})
    email = row(read("servicenow-table.json", "servicenow", mapping=mapping), "INC0010231")
    assert email["impact_started"] == utc("2025-04-01T07:48:00Z")
    assert email["acknowledged"] == utc("2025-04-01T08:09:00Z")


def test_a_bad_mapping_reports_every_problem_with_its_line(tmp_path):
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("kind: history-mapping\nversion: 1\nsource: jira\nmilestones:\n  fixed_at: [x]\n",
                       encoding="utf-8")
    with pytest.raises(DocumentError) as caught:
        read("incident-io.json", "incident.io", mapping=mapping)
    places = {(p.line, p.path) for p in caught.value.problems}
    assert (3, "source") in places and any(line == 5 and "milestones" in path for line, path in places)


def test_a_mapping_for_another_source_is_refused():
    mapping = HistoryMapping(kind="history-mapping", version=1, source="rootly")
    with pytest.raises(HistoryError, match="mapping is for source rootly"):
        read("incident-io.json", "incident.io", mapping=mapping)


# -- bad input --------------------------------------------------------------------------

BAD_ROWS = {(3, "detected"), (4, "resolved"), (5, "acknowledged"), (6, "id"), (7, "detected"), (8, "is_drill"),
            (9, "id")}


def test_every_bad_row_is_reported_with_its_line_and_field():
    with pytest.raises(HistoryError) as caught:
        read("bad-canonical-rows.csv", "canonical")
    assert problem_places(caught.value) == BAD_ROWS
    by_row = {p.row: p for p in caught.value.problems}
    assert by_row[3].value == "2025-13-01T10:00:00Z"
    assert "before created" in by_row[4].message and by_row[4].value == "2025-03-02T09:00:00Z"
    assert "before detected" in by_row[5].message
    assert "duplicate" in by_row[6].message and "row 2" in by_row[6].message
    assert "time zone" in by_row[7].message
    assert all(p.file.endswith("bad-canonical-rows.csv") for p in caught.value.problems)


def test_skip_bad_rows_keeps_the_good_rows_and_lists_the_bad():
    imported = read("bad-canonical-rows.csv", "canonical", skip_bad_rows=True)
    assert list(imported.table["id"]) == ["BAD-1", "BAD-7"]
    assert problem_places(imported.problems) == BAD_ROWS
    assert imported.skipped_rows == (3, 4, 5, 6, 7, 8, 9)


def test_assume_timezone_accepts_times_without_an_offset():
    imported = read("bad-canonical-rows.csv", "canonical", skip_bad_rows=True, assume_timezone="Europe/Paris")
    assert row(imported, "BAD-5")["detected"] == utc("2025-03-05T09:00:00Z")
    assert (7, "detected") not in problem_places(imported.problems)


def test_unknown_canonical_columns_are_reported_and_never_skipped():
    for skip in (False, True):
        with pytest.raises(HistoryError) as caught:
            read("bad-canonical-columns.csv", "canonical", skip_bad_rows=skip)
        assert problem_places(caught.value) == {(1, "acknowleged"), (1, "owner")}
    assert "did you mean acknowledged" in str(caught.value)


def test_a_platform_export_with_bad_rows_reports_each_with_the_platform_field_name():
    with pytest.raises(HistoryError) as caught:
        read("bad-servicenow.json", "servicenow")
    assert problem_places(caught.value) == {(2, "resolved_at"), (3, "opened_at"), (3, "closed_at"), (5, "number")}
    kept = read("bad-servicenow.json", "servicenow", skip_bad_rows=True)
    assert list(kept.table["id"]) == ["INC0020001", "INC0020004"]


@pytest.mark.parametrize("name, wrong, right", [
    ("servicenow-table.json", "pagerduty", "servicenow"),
    ("servicenow.csv", "canonical", "servicenow"),
    ("incident-io.json", "canonical", "incident.io"),
    ("pagerduty-rest.json", "incident.io", "pagerduty"),
    ("rootly.json", "firehydrant", "rootly"),
    ("opsgenie-alerts.json", "pagerduty", "opsgenie"),
    ("statuspage.json", "grafana", "statuspage"),
    ("canonical.json", "rootly", "canonical"),
])
def test_a_file_of_another_platform_says_which_it_looks_like(name, wrong, right):
    with pytest.raises(HistoryError) as caught:
        read(name, wrong)
    (problem,) = caught.value.problems
    assert problem.row is None and f"--source {right}" in problem.message


def test_a_drill_journal_read_as_another_source_is_pointed_to_the_drill_source(tmp_path):
    journal = tmp_path / "journal.json"
    journal.write_text(json.dumps({"format": "warroom.journal/1", "drill": {}, "events": []}), encoding="utf-8")
    with pytest.raises(HistoryError, match="looks like a warroom drill journal export: read it with --source drill"):
        read_history(journal, "canonical")


@pytest.mark.parametrize("document, source, field, words", [
    ({"data": [{"id": "A", "created_at": "2025-01-01T10:00:00"}], "time_zone": "Mars/Olympus"},
     "pagerduty", "time_zone", "unknown time zone"),
    ({"data": [{"id": "A", "created_at": "2025-03-09T02:30:00", "seconds_to_first_ack": 5}],
      "time_zone": "America/New_York"}, "pagerduty", "created_at", "does not exist"),
    ({"data": [{"id": "A", "tinyId": "1", "message": "m", "createdAt": "2025-01-01T10:00:00Z",
                "report": {"ackTime": -5000}}]}, "opsgenie", "report.ackTime", "negative"),
    ({"result": [{"number": "INC1", "opened_at": "1970-01-01 00:00:00"}]}, "servicenow", "opened_at", "placeholder"),
    ({"result": [{"number": "INC1", "opened_at": "2025-01-01"}]}, "servicenow", "opened_at", "ISO 8601"),
    ({"incidents": [{"reference": "INC-1", "mode": "standard", "created_at": "2025-01-01T10:00:00Z",
                     "incident_timestamp_values": [{"incident_timestamp": {"name": "Fixed at"},
                                                    "value": {"value": "soon"}}]}]},
     "incident.io", 'incident_timestamp_values["Fixed at"]', "ISO 8601"),
])
def test_impossible_or_unreadable_times(document, source, field, words):
    with pytest.raises(HistoryError) as caught:
        read_history_document(document, source, file="export.json")
    assert any(p.field == field and words in p.message for p in caught.value.problems), caught.value.problems


NEVER = "beyond 2262"


@pytest.mark.parametrize("document, source, field, value", [
    ({"incidents": [{"id": "A", "detected": "2025-01-01T10:00:00Z", "resolved": "9999-12-31T23:59:59Z"}]},
     "canonical", "resolved", "9999-12-31T23:59:59Z"),
    # West of UTC, 9999-12-31 23:59 is already year 10000 in UTC.
    ({"incidents": [{"id": "A", "detected": "2025-01-01T10:00:00Z", "resolved": "9999-12-31T23:59:59-05:00"}]},
     "canonical", "resolved", "9999-12-31T23:59:59-05:00"),
    ({"incidents": [{"id": "A", "detected": "2025-01-01T10:00:00Z", "resolved": "2262-04-12T00:00:00Z"}]},
     "canonical", "resolved", "2262-04-12T00:00:00Z"),
    ({"result": [{"number": "INC1", "opened_at": "2025-01-01 10:00:00", "closed_at": "9999-12-31 23:59:59"}]},
     "servicenow", "closed_at", "9999-12-31 23:59:59"),
    ({"data": [{"id": "A", "tinyId": "1", "message": "m", "createdAt": "2025-01-01T10:00:00Z",
                "report": {"ackTime": 1e13}}]}, "opsgenie", "report.ackTime", "10000000000000.0"),
    ({"data": [{"id": "A", "tinyId": "1", "message": "m", "createdAt": "2025-01-01T10:00:00Z",
                "report": {"closeTime": 1e22}}]}, "opsgenie", "report.closeTime", "1e+22"),
    ({"data": [{"id": "A", "created_at": "2025-01-01T10:00:00", "seconds_to_resolve": 1e10}],
      "time_zone": "UTC"}, "pagerduty", "seconds_to_resolve", "10000000000.0"),
])
def test_a_time_beyond_what_the_table_holds_is_a_row_problem(document, source, field, value):
    with pytest.raises(HistoryError) as caught:
        read_history_document(document, source, file="export.json")
    (problem,) = caught.value.problems
    assert (problem.file, problem.row, problem.field, problem.value) == ("export.json", 1, field, value)
    assert NEVER in problem.message and "placeholder for 'never'? leave it empty" in problem.message
    kept = read_history_document(document, source, file="export.json", skip_bad_rows=True)
    assert kept.skipped_rows == (1,) and kept.table.empty


def test_the_latest_time_the_table_holds_is_still_read():
    table = read_history_document({"incidents": [{"id": "A", "detected": "2025-01-01T10:00:00Z",
                                                  "resolved": "2262-04-11T23:47:16Z"}]}, "canonical").table
    assert table.loc[0, "resolved"] == utc("2262-04-11T23:47:16Z")


def test_a_table_built_in_python_with_a_far_future_time_says_which_column():
    with pytest.raises(ValueError, match="resolved: a time beyond 2262"):
        canonical_frame([{"id": "A", "resolved": pd.Timestamp("9999-12-31T23:59:59Z")}])


def test_a_far_future_time_on_the_command_line_exits_2_without_a_traceback(tmp_path):
    export = tmp_path / "far.csv"
    export.write_text("id,detected,resolved\nA,2025-01-01T10:00:00Z,9999-12-31T23:59:59Z\n"
                      "B,2025-01-02T10:00:00Z,2025-01-02T11:00:00Z\n", encoding="utf-8")
    runner = CliRunner()
    for command in ("kpi", "import"):
        result = runner.invoke(main, ["history", command, str(export), "--source", "canonical"])
        assert result.exit_code == 2, result.output
        assert f"{export}: row 2: resolved: {NEVER}" in result.stderr and "Traceback" not in result.output
    skipped = runner.invoke(main, ["history", "kpi", str(export), "--source", "canonical", "--skip-bad-rows"])
    assert skipped.exit_code == 0, skipped.output
    assert "warning:" in skipped.stderr and "1 incidents used of 1" in skipped.output


def test_one_entry_that_is_not_an_object_is_a_bad_row_of_a_canonical_json():
    document = {"incidents": [{"id": "A", "detected": "2025-01-01T10:00:00Z"}, "x"]}
    with pytest.raises(HistoryError) as caught:
        read_history_document(document, "canonical", file="c.json")
    (problem,) = caught.value.problems
    assert (problem.row, problem.value) == (2, "x") and "an incident (an object)" in problem.message
    kept = read_history_document(document, "canonical", file="c.json", skip_bad_rows=True)
    assert list(kept.table["id"]) == ["A"] and kept.skipped_rows == (2,)
    # The same in a bare list, and in a document with the format marker.
    assert list(read_history_document([document["incidents"][0], 7], "canonical", skip_bad_rows=True)
                .table["id"]) == ["A"]
    with pytest.raises(HistoryError, match="expected a list of incident objects"):
        read_history_document({"format": "warroom.incidents/1"}, "canonical")


def test_unreadable_files(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"incidents": [\n  {"id": 1,}\n]}', encoding="utf-8")
    with pytest.raises(HistoryError, match=r"not valid JSON \(line 2"):
        read_history(broken, "pagerduty")
    with pytest.raises(HistoryError, match="no such file"):
        read_history(tmp_path / "missing.json", "pagerduty")
    with pytest.raises(HistoryError, match="unknown source"):
        read("canonical.csv", "jira")
    with pytest.raises(HistoryError, match="unknown time zone"):
        read("canonical.csv", "canonical", assume_timezone="Somewhere/Else")


# -- the command ------------------------------------------------------------------------

def test_history_import_writes_the_table_and_summarises(tmp_path):
    out = tmp_path / "history.csv"
    result = CliRunner().invoke(main, ["history", "import", str(FIXTURES / "incident-io.json"),
                                       "--source", "incident.io", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Read 7 incidents" in result.output and "2 flagged as drills" in result.output
    assert "mitigated" in result.output and "resolved" in result.output  # coverage per milestone
    text = out.read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(CANONICAL_COLUMNS)
    assert "2025-06-02T11:47:30Z" in text and "+00:00" not in text


def test_history_import_bad_input_lists_every_problem_and_exits_2(tmp_path):
    out = tmp_path / "history.json"
    result = CliRunner().invoke(main, ["history", "import", str(FIXTURES / "bad-canonical-rows.csv"),
                                       "--source", "canonical", "-o", str(out)])
    assert result.exit_code == 2 and not out.exists()
    assert result.stderr.count("bad-canonical-rows.csv: row") == len(BAD_ROWS)
    assert "Traceback" not in result.output


def test_history_import_skip_bad_rows_warns_and_goes_on(tmp_path):
    out = tmp_path / "history.json"
    result = CliRunner().invoke(main, ["history", "import", str(FIXTURES / "bad-canonical-rows.csv"),
                                       "--source", "canonical", "--skip-bad-rows", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stderr.count("warning:") == len(BAD_ROWS)
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["format"] == "warroom.incidents/1" and [i["id"] for i in written["incidents"]] == ["BAD-1", "BAD-7"]
    assert written["incidents"][0]["declared"] is None


def test_history_import_usage_errors_exit_2(tmp_path):
    runner = CliRunner()
    wrong = runner.invoke(main, ["history", "import", str(FIXTURES / "servicenow.csv"), "--source", "pagerduty"])
    assert wrong.exit_code == 2 and "--source servicenow" in wrong.stderr
    extension = runner.invoke(main, ["history", "import", str(FIXTURES / "canonical.csv"), "--source", "canonical",
                                     "-o", str(tmp_path / "history.xlsx")])
    assert extension.exit_code == 2 and ".csv or .json" in extension.output


@pytest.mark.parametrize("args", [
    ["history", "kpi", str(FIXTURES / "canonical.csv"), "--source", "canonical", "-o", "{tmp}/kpis.txt"],
    ["history", "kpi", str(FIXTURES / "canonical.csv"), "--source", "canonical", "-o", "{tmp}/kpis"],
    ["history", "fit", str(FIXTURES / "canonical.csv"), "--source", "canonical", "--report", "{tmp}/fit.docx"],
    ["sensitivity", "cloudflare-2019-waf", "--staffing", "cloudflare-2019-sre", "-n", "2", "-q",
     "--report", "{tmp}/sens.docx"],
])
def test_a_report_with_an_unknown_extension_is_refused_not_written_as_html(tmp_path, args):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "cannot tell the report format" in result.stderr
    assert ".html, .htm, .md, .markdown, .json, .pdf" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_reports_by_known_extensions_still_work(tmp_path):
    runner = CliRunner()
    for name, marker in (("k.md", "# Incident history"), ("k.HTM", "<html"), ("k.json", '"warroom.history-kpis/1"')):
        result = runner.invoke(main, ["history", "kpi", str(FIXTURES / "canonical.csv"), "--source", "canonical",
                                      "-o", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        assert marker in (tmp_path / name).read_text(encoding="utf-8")


# -- help: the examples shown are true ---------------------------------------------------

def test_help_examples_run(tmp_path, monkeypatch):
    """Every `warroom history ...` example in the history helps runs as written (the export
    names stand for fixtures of that platform)."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    stand_ins = {"incidents.json": str(FIXTURES / "pagerduty-rest.json"), "export.csv": str(FIXTURES / "servicenow.csv")}
    examples = []
    for command in (["history"], ["history", "import"], ["history", "kpi"], ["history", "fit"], []):
        text = runner.invoke(main, [*command, "--help"]).output.replace("\\\n", " ")
        found = [line.strip() for line in text.splitlines() if line.strip().startswith("warroom history ")]
        assert found or command == ["history", "import"], command
        examples += found
    assert any(" kpi " in e for e in examples) and any(" fit " in e for e in examples)
    # Imports first: the kpi and fit examples read the history.csv they write, here the
    # larger canonical sample (the platform samples are too small to fit a stage).
    examples.sort(key=lambda e: " import " not in e)
    ran = 0
    for example in examples:
        if " import " not in example:
            (tmp_path / "history.csv").write_bytes((FIXTURES / "canonical.csv").read_bytes())
        args = [stand_ins.get(a, a) for a in shlex.split(example.split(" > ")[0])[1:]]
        if "drill.csv" in args:
            continue  # needs a drill: tests/scenarios/test_drill_platform_export.py runs that path
        if "drills/" in args:
            continue  # needs a team's drill journals: tests/drills/test_drills_as_history.py runs these
        result = runner.invoke(main, args)
        assert result.exit_code == 0, (example, result.output)
        ran += 1
    assert ran >= 6


def test_the_top_level_help_starts_with_every_kind_of_work():
    text = CliRunner().invoke(main, ["--help"]).output
    start = text.split("Options:")[0]
    for command in ("warroom simulate", "warroom compare", "warroom sensitivity", "warroom optimize",
                    "warroom history kpi", "warroom history fit"):
        assert command in start, command


# -- the reference cannot drift from the built-in mapping -------------------------------

def test_the_reference_lists_each_source_default_mapping():
    from scenarios.history import DEFAULT_MILESTONES

    text = (Path(__file__).resolve().parents[2] / "docs" / "reference" / "history.md").read_text(encoding="utf-8")
    sections = {part.split("\n", 1)[0].strip(): part for part in text.split("\n### ")[1:]}
    for source, milestones in DEFAULT_MILESTONES.items():
        if source == "canonical":
            continue
        documented = [line for line in sections[source].splitlines() if line.startswith("| `")]
        expected = [f"| `{column}` | " + ", ".join(f"`{name}`" for name in names) + " |"
                    for column, names in milestones.items()]
        assert documented == expected, source
