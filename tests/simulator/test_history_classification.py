"""Re-classification from history: each incident's first and final severity or priority and
when they changed, read from a canonical CSV, PagerDuty priority change log entries and
ServiceNow sys_audit rows; the key figures built on them; the classification triage fitted
from them and written as a `kind: classification` document; bad rows located, exit 2."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from cli import main
from reports.history import render_history_fit, render_history_kpis
from reports.text.history import history_kpi_text
from scenarios.history import CANONICAL_COLUMNS, HistoryError, canonical_frame, read_history, write_canonical
from scenarios.history.fitted import fitted_document
from scenarios.library import resolve
from scenarios.loader import load_text
from simulator.history.fitting import StageDurations, fit_durations, fit_history
from simulator.history.kpi import history_kpis

HEADER = ("id,severity,is_major,detected,created,declared,first_severity,reclassifications,classified_at,"
          "reclassified_at,raised_at")


def _t(minutes: float | None, day: int) -> str:
    if minutes is None:
        return ""
    return (pd.Timestamp(f"2025-05-{day:02d}T10:00:00Z") + pd.Timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


# id, severity, major, declared, first severity, changes, classified, reclassified, raised (minutes after detection)
CANONICAL = [
    ("C1", "sev1", "true", 14, "sev3", 1, 0, 10, 10),      # raised at once to sev1
    ("C2", "sev1", "true", 25, "sev3", 2, 1, 41, 21),      # sev3 -> sev2 (the raise) -> sev1
    ("C3", "sev1", "true", 5, "sev1", 0, 0, None, None),   # major at once
    ("C4", "sev2", "true", 9, "sev2", 0, 2, None, None),
    ("C5", "sev3", "false", None, "sev2", 1, 0, 30, None),  # lowered below the line
    ("C6", "sev4", "false", None, "sev4", 0, 3, None, None),
    ("C7", "sev2", "true", 8, "", None, None, None, None),  # the export does not say
    ("C8", "sev3", "false", None, "sev4", 1, 0, 6, None),  # changed, never major
]


def canonical_csv(path) -> str:
    lines = [HEADER]
    for day, (iid, sev, major, declared, first, count, classified, reclassified, raised) in enumerate(CANONICAL, 1):
        lines.append(",".join([iid, sev, major, _t(0, day), _t(0, day), _t(declared, day), first,
                               "" if count is None else str(count), _t(classified, day), _t(reclassified, day),
                               _t(raised, day)]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_canonical_classification_columns_read_back_and_are_documented(tmp_path):
    table = read_history(canonical_csv(tmp_path / "h.csv"), "canonical").table
    c2 = table.set_index("id").loc["C2"]
    assert (c2.first_severity, bool(c2.first_major), int(c2.reclassifications)) == ("sev3", False, 2)
    assert c2.raised_at == pd.Timestamp("2025-05-02T10:21:00Z")
    c7 = table.set_index("id").loc["C7"]
    assert c7.first_severity == "" and pd.isna(c7.reclassifications) and pd.isna(c7.classified_at)
    for suffix in ("csv", "json"):
        write_canonical(table, tmp_path / f"again.{suffix}")
        pd.testing.assert_frame_equal(read_history(tmp_path / f"again.{suffix}", "canonical").table, table)
    reference = (pytest.importorskip("pathlib").Path(__file__).resolve().parents[2] / "docs" / "reference"
                 / "history.md").read_text(encoding="utf-8")
    for column in CANONICAL_COLUMNS:
        assert f"| `{column}` |" in reference, column


def test_an_old_canonical_file_without_the_columns_imports_unchanged(tmp_path):
    path = tmp_path / "old.csv"
    path.write_text("id,severity,detected\nOLD-1,sev1,2025-01-01T00:00:00Z\n", encoding="utf-8")
    table = read_history(path, "canonical").table
    assert table.loc[0, "first_severity"] == "" and not table.loc[0, "first_major"]
    kpis = history_kpis(table)
    assert kpis["classification"] == {"incidents": 0, "not_in_export": 1}
    assert "Classification changes: not in this export" in history_kpi_text(kpis, "old.csv", "canonical")


def test_classification_kpis_of_a_canonical_history(tmp_path):
    kpis = history_kpis(read_history(canonical_csv(tmp_path / "h.csv"), "canonical").table)
    c = kpis["classification"]
    assert (c["incidents"], c["not_in_export"], c["major"]) == (7, 1, 4)
    assert c["changed"] == {"count": 4, "share": pytest.approx(4 / 7), "changes": 5}
    assert (c["under_classified"]["count"], c["under_classified"]["share_of_major"]) == (2, 0.5)
    assert c["under_classified"]["ids"] == ["C1", "C2"] and c["over_classified"]["ids"] == ["C5"]
    assert c["over_classified"]["share"] == pytest.approx(1 / 7)
    # to the final classification: 10, 41, 0, 2, 30, 3, 6 minutes after detection
    assert (c["time_to_final"]["n"], c["time_to_final"]["p50"]) == (7, 6.0)
    assert c["time_to_final"]["p90"] == pytest.approx(34.4)
    assert c["first_to_final"]["p50"] == 20.0           # 10, 40, 30, 6
    assert c["raised_after"]["p50"] == 15.0             # 10, 20: to the raise, not to the last change
    declare = c["declare"]
    assert (declare["raised_later"]["p50"], declare["at_once"]["p50"], declare["median_later_by"]) == (19.5, 7.0, 12.5)
    text = history_kpi_text(kpis, "h.csv", "canonical")
    assert "Severity or priority changed for 4 (57%" in text and "50% of 4 major" in text
    assert "12:30 later" in text
    md = render_history_kpis(kpis, "md")
    assert "## Classification: severity and priority changes" in md and "12:30 later" in md
    assert "Classification: severity and priority changes</h2>" in render_history_kpis(kpis, "html")


PAGERDUTY = {
    "incidents": [
        {"id": "PA", "incident_number": 1, "title": "Checkout down", "priority": {"name": "P1"},
         "created_at": "2025-06-01T10:00:00Z", "resolved_at": "2025-06-01T11:00:00Z",
         "log_entries": [
             {"id": "L1", "type": "trigger_log_entry", "created_at": "2025-06-01T10:00:00Z"},
             {"id": "L2", "type": "priority_change_log_entry", "created_at": "2025-06-01T10:12:00Z",
              "summary": 'Priority changed from "P3" to "P1"',
              "channel": {"type": "web", "old_priority": {"name": "P3"}, "new_priority": {"name": "P1"}}}]},
        {"id": "PB", "incident_number": 2, "title": "Search slow", "priority": {"name": "P2"},
         "created_at": "2025-06-02T10:00:00Z", "resolved_at": "2025-06-02T11:00:00Z",
         "log_entries": [
             {"id": "L3", "type": "trigger_log_entry", "created_at": "2025-06-02T10:00:00Z"},
             {"id": "L4", "type": "priority_change_log_entry", "created_at": "2025-06-02T10:02:00Z",
              "summary": "Changed the priority to P2"}]},
        {"id": "PC", "incident_number": 3, "title": "Typo on the status page", "priority": {"name": "P4"},
         "created_at": "2025-06-03T10:00:00Z", "resolved_at": "2025-06-03T11:00:00Z",
         "log_entries": [{"id": "L5", "type": "trigger_log_entry", "created_at": "2025-06-03T10:00:00Z"}]},
        {"id": "PD", "incident_number": 4, "title": "Queue backlog", "priority": {"name": "P3"},
         "created_at": "2025-06-04T10:00:00Z", "resolved_at": "2025-06-04T11:00:00Z"},
    ],
}


def test_pagerduty_priority_changes(tmp_path):
    path = tmp_path / "pd.json"
    path.write_text(json.dumps(PAGERDUTY), encoding="utf-8")
    table = read_history(path, "pagerduty").table.set_index("id")
    assert list(table["first_severity"]) == ["sev3", "sev2", "sev4", ""]
    assert table.loc["PA", "raised_at"] == pd.Timestamp("2025-06-01T10:12:00Z") == table.loc["PA", "declared"]
    # opened without a priority: the first setting is the first classification, not a change
    assert table.loc["PB", "classified_at"] == pd.Timestamp("2025-06-02T10:02:00Z")
    assert int(table.loc["PB", "reclassifications"]) == 0
    c = history_kpis(read_history(path, "pagerduty").table)["classification"]
    assert (c["incidents"], c["not_in_export"], c["changed"]["count"], c["under_classified"]["count"]) == (3, 1, 1, 1)
    assert c["declare"]["median_later_by"] == 10.0  # declared 12 minutes in against 2


def test_pagerduty_analytics_does_not_carry_the_changes():
    table = read_history("tests/fixtures/history/pagerduty-analytics.json", "pagerduty").table
    assert history_kpis(table)["classification"]["incidents"] == 0


SERVICENOW = {
    "result": [
        {"number": "INC1", "sys_id": "a1", "short_description": "Payroll down", "opened_at": "2025-07-01 10:00:00",
         "priority": "1", "major_incident_state": "accepted", "promoted_on": "2025-07-01 10:55:00"},
        {"number": "INC2", "sys_id": "a2", "short_description": "Printer", "opened_at": "2025-07-02 10:00:00",
         "priority": "3"},
        {"number": "INC3", "sys_id": "a3", "short_description": "VPN flaps", "opened_at": "2025-07-03 10:00:00",
         "priority": "3"},
    ],
    "sys_audit": [
        {"sys_id": "u1", "documentkey": "a1", "tablename": "incident", "fieldname": "priority", "oldvalue": "",
         "newvalue": "3", "sys_created_on": "2025-07-01 10:00:05"},
        {"sys_id": "u2", "documentkey": "a1", "tablename": "incident", "fieldname": "impact", "oldvalue": "3",
         "newvalue": "2", "sys_created_on": "2025-07-01 10:20:00"},
        {"sys_id": "u3", "documentkey": "a1", "tablename": "incident", "fieldname": "priority", "oldvalue": "3",
         "newvalue": "2", "sys_created_on": "2025-07-01 10:20:00"},
        {"sys_id": "u4", "documentkey": "a1", "tablename": "incident", "fieldname": "priority", "oldvalue": "2",
         "newvalue": "1", "sys_created_on": "2025-07-01 10:50:00"},
        {"sys_id": "u5", "documentkey": "a3", "tablename": "incident", "fieldname": "priority", "oldvalue": "2",
         "newvalue": "3", "sys_created_on": "2025-07-03 10:30:00"},
    ],
}


def test_servicenow_audit_rows_of_priority(tmp_path):
    path = tmp_path / "sn.json"
    path.write_text(json.dumps(SERVICENOW), encoding="utf-8")
    table = read_history(path, "servicenow").table.set_index("id")
    inc1 = table.loc["INC1"]
    assert (inc1.first_severity, int(inc1.reclassifications)) == ("sev3", 2)
    assert inc1.classified_at == pd.Timestamp("2025-07-01T10:00:05Z")
    assert inc1.raised_at == pd.Timestamp("2025-07-01T10:20:00Z")       # sev2 is major by default
    assert inc1.reclassified_at == pd.Timestamp("2025-07-01T10:50:00Z")
    assert (table.loc["INC2", "first_severity"], int(table.loc["INC2", "reclassifications"])) == ("sev3", 0)
    c = history_kpis(read_history(path, "servicenow").table)["classification"]
    assert (c["under_classified"]["ids"], c["over_classified"]["ids"]) == (["INC1"], ["INC3"])
    assert c["changed"]["share"] == pytest.approx(2 / 3)
    # a mapping's major line decides first_major: with only sev1 major, INC3's sev2 start is not major
    mapping = tmp_path / "m.yaml"
    mapping.write_text("kind: history-mapping\nversion: 1\nsource: servicenow\nmajor: [sev1]\n", encoding="utf-8")
    strict = read_history(path, "servicenow", mapping=mapping).table.set_index("id")
    assert strict.loc["INC1", "raised_at"] == pd.Timestamp("2025-07-01T10:50:00Z")
    assert not strict.loc["INC3", "first_major"]


def test_a_servicenow_csv_does_not_carry_the_changes():
    table = read_history("tests/fixtures/history/servicenow.csv", "servicenow", assume_timezone="UTC").table
    assert history_kpis(table)["classification"]["incidents"] == 0


# -- bad rows ------------------------------------------------------------------------------

def test_bad_classification_cells_are_located_and_exit_2(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "\n"
                    "B1,sev1,true,2025-05-01T10:00:00Z,,,sev3,two,2025-05-01T10:00:00Z,,\n"
                    "B2,sev1,true,2025-05-01T10:00:00Z,,,sev3,1,2025-05-01T10:30:00Z,2025-05-01T10:10:00Z,\n"
                    "B3,sev1,true,2025-05-01T10:00:00Z,,,,1,,,\n"
                    "B4,sev1,true,2025-05-01T10:00:00Z,,,sev3,1,yesterday,,\n"
                    "B5,sev1,true,2025-05-01T10:00:00Z,,,sev3,1,2025-05-01T10:00:00Z,2025-05-01T10:05:00Z,"
                    "2025-05-01T10:05:00Z\n", encoding="utf-8")
    with pytest.raises(HistoryError) as caught:
        read_history(path, "canonical")
    places = {(p.row, p.field, p.value) for p in caught.value.problems}
    assert places == {(2, "reclassifications", "two"), (3, "reclassified_at", "2025-05-01T10:10:00Z"),
                      (4, "reclassifications", ""), (5, "classified_at", "yesterday")}
    result = CliRunner().invoke(main, ["history", "kpi", str(path), "--source", "canonical"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"{path}: row 2: reclassifications: expected a whole number" in result.stderr
    assert "(got 'two')" in result.stderr
    skipped = CliRunner().invoke(main, ["history", "kpi", str(path), "--source", "canonical", "--skip-bad-rows"])
    assert skipped.exit_code == 0 and skipped.stderr.count("warning:") == 4


def test_a_bad_change_time_or_an_incomplete_log_is_a_located_problem(tmp_path):
    document = json.loads(json.dumps(SERVICENOW))
    document["sys_audit"][3]["sys_created_on"] = "01/07/2025 10:50"
    document["result"][1]["priority"] = "2"  # INC2's priority changed, but its audit says nothing of it
    document["sys_audit"].append({"sys_id": "u9", "documentkey": "a2", "fieldname": "priority", "oldvalue": "4",
                                  "newvalue": "3", "sys_created_on": "2025-07-02 10:05:00"})
    path = tmp_path / "sn.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(HistoryError) as caught:
        read_history(path, "servicenow")
    assert {(p.row, p.field) for p in caught.value.problems} == {(1, "sys_audit[u4].sys_created_on"),
                                                                 (2, "sys_audit[u9].sys_created_on")}
    assert "the log is incomplete" in str(caught.value)
    result = CliRunner().invoke(main, ["history", "import", str(path), "--source", "servicenow"])
    assert result.exit_code == 2 and "Traceback" not in result.output and "row 1: sys_audit[u4]" in result.stderr


# -- the fit -------------------------------------------------------------------------------

RAISES = [5.0, 8.0, 12.0, 15.0, 20.0, 30.0, 45.0, 60.0]


def fit_table() -> pd.DataFrame:
    rows = []
    start = pd.Timestamp("2025-01-01T00:00:00Z")
    for k in range(20):
        t0 = start + pd.Timedelta(days=3 * k)
        row = {"id": f"F{k}", "severity": "sev1" if k < 16 else "sev3", "is_major": k < 16, "detected": t0,
               "created": t0, "classified_at": t0, "reclassifications": 0}
        if k < len(RAISES):  # under-classified: first sev3, raised to sev1
            raised = t0 + pd.Timedelta(minutes=RAISES[k])
            row.update(first_severity="sev3", first_major=False, reclassifications=1, raised_at=raised,
                       reclassified_at=raised)
        else:
            row.update(first_severity=row["severity"], first_major=row["is_major"])
        rows.append(row)
    rows.append({"id": "F-unknown", "severity": "sev1", "is_major": True, "detected": start, "created": start})
    return canonical_frame(rows)


def test_fit_first_wrong_and_corrected_after():
    fit = fit_history(fit_table())
    assert fit.classification["first_wrong"] == 0.5              # 8 of 16 majors that say
    assert fit.classification["not_in_export"] == 1
    stage = fit.stage("classify")
    expected = fit_durations(StageDurations(np.array(RAISES), 0, 1.0, np.array([])))
    assert stage.chosen.family == expected[0].family
    assert stage.chosen.median == pytest.approx(expected[0].median, rel=1e-6)
    assert stage.chosen.p90 == pytest.approx(expected[0].p90, rel=1e-6)
    delays = fit.fitted_delays()
    assert delays["classify"]["first_wrong"] == 0.5 and delays["classify"]["n"] == 8
    as_dict = fit.to_dict()
    assert as_dict["classification"]["first_wrong"] == 0.5
    assert "classify" in {s["stage"] for s in as_dict["stages"]}
    md = render_history_fit(as_dict, "md")
    assert "## Classification triage" in md and "first\\_wrong 0.500: 8 of 16" in md

    text = fitted_document(resolve("itil-impact-urgency", "classification"), delays, history="test history")
    written = yaml.safe_load(text)
    assert written["kind"] == "classification" and written["name"] == "itil-impact-urgency-fitted"
    assert written["triage"]["first_wrong"] == 0.5
    assert written["triage"]["corrected_after"]["dist"] == expected[0].family
    assert written["priorities"]["sev1"]["high"] == "P1"                  # the rest of the policy kept
    assert "triage.first_wrong 0.5: 8 of 16 major incidents" in text
    load_text(text, "fitted", expect="classification")


def test_a_history_without_classification_says_so_in_the_fit(tmp_path):
    fit = fit_history(read_history("tests/fixtures/history/canonical.csv", "canonical").table)
    assert fit.classification["first_wrong"] is None
    assert "not in this export" in fit.stage("classify").note
    with pytest.raises(ValueError, match="none of the stages a classification takes"):
        fitted_document(resolve("itil-impact-urgency", "classification"), fit.fitted_delays(), history="h")


def test_history_fit_json_on_the_command_line(tmp_path):
    path = tmp_path / "h.csv"
    write_canonical(fit_table(), path)
    result = CliRunner().invoke(main, ["history", "fit", str(path), "--source", "canonical", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["classification"]["first_wrong"] == 0.5
    text = CliRunner().invoke(main, ["history", "fit", str(path), "--source", "canonical"]).output
    assert "classify" in text and "first_wrong 0.500" in text


def test_history_fit_writes_a_classification_policy_from_the_command_line(tmp_path):
    path, out = tmp_path / "h.csv", tmp_path / "policy.yaml"
    write_canonical(fit_table(), path)
    result = CliRunner().invoke(main, ["history", "fit", str(path), "--source", "canonical",
                                       "--classification", "itil-impact-urgency", "-o", str(out)])
    assert result.exit_code == 0, result.output
    policy = load_text(out.read_text(), str(out), expect="classification").document
    assert policy.triage.first_wrong == 0.5 and policy.name == "itil-impact-urgency-fitted"
