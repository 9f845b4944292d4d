"""A drill exported as incident-platform payloads: marked as a drill everywhere, carrying the
drill's milestone times in UTC, and read back by the history importers unchanged."""

from __future__ import annotations

import copy
import json

import pandas as pd
import pytest
from click.testing import CliRunner

from cli import main
from scenarios.history import (
    MILESTONE_COLUMNS,
    HistoryError,
    HistoryMapping,
    read_history,
    read_history_document,
)
from scenarios.history.platforms import (
    EXPORT_PLATFORMS,
    ROUND_TRIP,
    DrillPayloadError,
    drill_milestones,
    drill_start,
    platform_payload,
)

# The published Cloudflare 2019 timeline the scripted responses replay (SPEC 3.1), in minutes.
CLOUDFLARE_MINUTES = {"impact_started": 0, "detected": 3, "mitigated": 27, "resolved": 75}
ROUND_TRIP_COLUMNS = {
    "canonical": ("impact_started", "detected", "acknowledged", "declared", "assembled", "mitigated", "resolved"),
    "incident.io": ("impact_started", "detected", "acknowledged", "declared", "assembled", "mitigated", "resolved"),
    "rootly": ("impact_started", "detected", "acknowledged", "mitigated", "resolved"),
    "grafana": ("impact_started", "resolved"),
}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("drills") / "drills.db"
    result = CliRunner().invoke(main, ["drill", "run", "cloudflare-waf-2019", "--roster", "cloudflare-2019-team",
                                       "--responses", "cloudflare-2019-actual", "--store", str(path),
                                       "--baseline", "0"])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="module")
def journal(store):
    result = CliRunner().invoke(main, ["drill", "export", "latest", "--store", str(store)])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def start_of(journal: dict) -> pd.Timestamp:
    (start,) = [e for e in journal["events"] if e["kind"] == "control" and e["name"] == "start"]
    return pd.Timestamp(start["wall"]).tz_convert("UTC") - pd.Timedelta(minutes=start["t"])


def expected_times(journal: dict) -> dict[str, pd.Timestamp]:
    """Independently of the exporter: each reached milestone's minute laid out from the start."""
    names = {"impact_start": "impact_started", "detected": "detected", "acknowledged": "acknowledged",
             "declared": "declared", "assembled": "assembled", "restored": "mitigated", "resolved": "resolved"}
    times = {}
    for event in journal["events"]:
        if event["kind"] == "milestone" and event["name"] in names and names[event["name"]] not in times:
            times[names[event["name"]]] = (start_of(journal) + pd.Timedelta(minutes=event["t"])).round("ms")
    return times


def write(tmp_path, payload, name="payload.json"):
    path = tmp_path / name
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def test_the_drill_milestones_are_its_minutes_from_the_real_start(journal):
    times = drill_milestones(journal)
    assert drill_start(journal) == start_of(journal).round("ms")
    for column, minutes in CLOUDFLARE_MINUTES.items():
        assert times[column] - times["impact_started"] == pd.Timedelta(minutes=minutes), column
    assert times == expected_times(journal)


def test_every_payload_is_marked_as_a_drill(journal):
    assert platform_payload(journal, "incident.io")["incident"]["mode"] == "test"
    assert platform_payload(journal, "grafana")["incident"]["isDrill"] is True
    assert platform_payload(journal, "rootly")["data"]["attributes"]["kind"] == "test"
    canonical = platform_payload(journal, "canonical")
    assert canonical["format"] == "warroom.incidents/1"
    assert [row["is_drill"] for row in canonical["incidents"]] == [True]


def utc_z(text: str) -> pd.Timestamp:
    assert text.endswith("Z"), text  # UTC, written as such
    return pd.Timestamp(text).tz_convert("UTC")


def test_every_payload_carries_the_drill_milestone_times(journal):
    expected = expected_times(journal)
    incident_io = platform_payload(journal, "incident.io")["incident"]
    by_name = {v["incident_timestamp"]["name"]: utc_z(v["value"]["value"])
               for v in incident_io["incident_timestamp_values"]}
    assert by_name["Impact started"] == expected["impact_started"] and by_name["Fixed at"] == expected["mitigated"]
    assert by_name["Resolved at"] == expected["resolved"] and by_name["Declared at"] == expected["declared"]
    rootly = platform_payload(journal, "rootly")["data"]["attributes"]
    for column, field in zip(ROUND_TRIP_COLUMNS["rootly"],
                             ("started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at")):
        assert utc_z(rootly[field]) == expected[column], field
    grafana = platform_payload(journal, "grafana")["incident"]
    assert utc_z(grafana["incidentStart"]) == expected["impact_started"]
    assert utc_z(grafana["incidentEnd"]) == expected["resolved"]
    (row,) = platform_payload(journal, "canonical")["incidents"]
    assert all(utc_z(row[column]) == expected[column] for column in ROUND_TRIP_COLUMNS["canonical"])
    assert row["created"] is None and row["closed"] is None  # the drill did not record them: not invented


def test_the_round_trip_table_is_the_one_the_exporter_states():
    assert ROUND_TRIP == ROUND_TRIP_COLUMNS


@pytest.mark.parametrize("platform", EXPORT_PLATFORMS)
def test_importing_the_export_back_gives_exactly_the_stated_milestones(tmp_path, journal, platform):
    """Each payload gives back exactly the milestones it is documented to carry, at the same
    times; every other milestone is missing (Grafana: only impact start and resolution)."""
    imported = read_history(write(tmp_path, platform_payload(journal, platform)), platform)
    (row,) = imported.table.to_dict("records")
    assert row["is_drill"] is True and row["id"] == journal["drill"]["id"]
    expected = expected_times(journal)
    assert set(ROUND_TRIP_COLUMNS[platform]) <= set(expected)  # the drill reached them all
    for column in MILESTONE_COLUMNS:
        if column in ROUND_TRIP_COLUMNS[platform]:
            assert row[column] == expected[column], column
        else:
            assert pd.isna(row[column]), column


def test_the_reference_states_the_round_trip_of_each_payload():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "reference" / "history.md").read_text(encoding="utf-8")
    stated = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("| ") and cells[0] in EXPORT_PLATFORMS and len(cells) == 3:
            stated[cells[0]] = cells[1]
    assert set(stated) == set(EXPORT_PLATFORMS)
    for platform in ("rootly", "grafana"):
        assert stated[platform] == ", ".join(f"`{c}`" for c in ROUND_TRIP_COLUMNS[platform])
    assert "holds the rows of several drills" not in text
    howto = (Path(__file__).resolve().parents[2] / "docs" / "howto" / "history.md").read_text(encoding="utf-8")
    assert "rows of several drills" not in howto


@pytest.mark.parametrize("severity, major", [("sev1", True), ("sev2", True), ("sev3", False), ("sev5", False)])
def test_the_severity_decides_whether_the_canonical_drill_is_major(tmp_path, journal, severity, major):
    (row,) = platform_payload(journal, "canonical", severity=severity)["incidents"]
    assert row["severity"] == severity and row["is_major"] is major
    (back,) = read_history(write(tmp_path, platform_payload(journal, "canonical", severity=severity)),
                           "canonical").table.to_dict("records")
    assert back["is_major"] is major


def test_an_unknown_severity_is_refused(journal, store):
    with pytest.raises(DrillPayloadError, match="unknown severity 'sev0'"):
        platform_payload(journal, "rootly", severity="sev0")
    result = CliRunner().invoke(main, ["drill", "export", "latest", "--store", str(store), "--as", "rootly",
                                       "--severity", "critical"])
    assert result.exit_code == 2 and "'critical' is not one of 'sev1', 'sev2', 'sev3', 'sev4', 'sev5'" in result.output


def test_grafana_timeline_lists_what_happened_but_not_the_facilitator_notes(journal):
    payload = json.dumps(platform_payload(journal, "grafana"))
    items = platform_payload(journal, "grafana")["activityItems"]
    assert any("Milestone reached: restored" in item["body"] for item in items)
    assert any("identify" in item["body"] for item in items)
    times = [item["eventTime"] for item in items]
    assert times == sorted(times)
    notes = [e["detail"]["notes"] for e in journal["events"] if e["kind"] == "inject" and e["detail"].get("notes")]
    assert notes and not any(note in payload for note in notes)


def unfinished(journal: dict) -> dict:
    """The same drill stopped at minute 30: restored, never resolved."""
    stopped = copy.deepcopy(journal)
    stopped["events"] = [e for e in stopped["events"] if e["t"] <= 30]
    return stopped


def test_a_milestone_the_drill_never_reached_stays_missing(tmp_path, journal):
    stopped = unfinished(journal)
    names = [v["incident_timestamp"]["name"] for v in platform_payload(stopped, "incident.io")["incident"]["incident_timestamp_values"]]
    assert "Fixed at" in names and "Resolved at" not in names
    assert platform_payload(stopped, "rootly")["data"]["attributes"]["resolved_at"] is None
    for platform in ("canonical", "incident.io", "rootly"):
        (row,) = read_history(write(tmp_path, platform_payload(stopped, platform)), platform).table.to_dict("records")
        assert pd.isna(row["resolved"]) and not pd.isna(row["mitigated"]), platform


def test_the_start_is_the_start_event_minus_its_minute_else_the_creation(journal):
    shifted = copy.deepcopy(journal)
    for event in shifted["events"]:
        if event["kind"] == "control" and event["name"] == "start":
            event["t"], event["wall"] = 10.0, "2025-01-06T10:10:00+00:00"
    assert drill_start(shifted) == pd.Timestamp("2025-01-06T10:00:00Z")
    never_started = copy.deepcopy(journal)
    never_started["events"] = [e for e in journal["events"] if e["kind"] != "control"]
    never_started["drill"]["created"] = "2025-02-01T09:00:00+00:00"
    assert drill_start(never_started) == pd.Timestamp("2025-02-01T09:00:00Z")
    assert drill_milestones(never_started)["detected"] == pd.Timestamp("2025-02-01T09:03:00Z")


def test_incident_io_timestamps_can_carry_the_organisation_names(journal):
    mapping = HistoryMapping(kind="history-mapping", version=1, source="incident.io",
                             milestones={"mitigated": ["Workaround in place"]})
    payload = platform_payload(journal, "incident.io", mapping=mapping)
    names = [v["incident_timestamp"]["name"] for v in payload["incident"]["incident_timestamp_values"]]
    assert "Workaround in place" in names and "Fixed at" not in names
    (row,) = read_history_document(payload, "incident.io", mapping=mapping).table.to_dict("records")
    assert row["mitigated"] == expected_times(journal)["mitigated"]


def test_not_a_journal_or_not_a_platform(journal):
    with pytest.raises(DrillPayloadError, match="not a warroom journal") as refused:
        platform_payload({"format": "something/1"}, "rootly")
    # A HistoryError (so a WarroomError: the command exits 2) whose message is the problem alone.
    assert isinstance(refused.value, HistoryError) and str(refused.value).startswith("not a warroom journal")
    assert [p.message for p in refused.value.problems] == [str(refused.value)]
    with pytest.raises(DrillPayloadError, match="unknown platform"):
        platform_payload(journal, "jira")


def test_drill_export_as_platform_on_the_command_line(tmp_path, store, journal):
    runner = CliRunner()
    as_rootly = runner.invoke(main, ["drill", "export", "latest", "--store", str(store), "--as", "rootly"])
    assert as_rootly.exit_code == 0, as_rootly.output
    assert json.loads(as_rootly.output)["data"]["attributes"]["kind"] == "test"
    as_journal = runner.invoke(main, ["drill", "export", "latest", "--store", str(store)])
    assert json.loads(as_journal.output)["format"] == "warroom.journal/2"  # the default is unchanged
    out = tmp_path / "drill.csv"
    as_csv = runner.invoke(main, ["drill", "export", "latest", "--store", str(store), "--as", "canonical", "-o", str(out)])
    assert as_csv.exit_code == 0, as_csv.output
    imported = runner.invoke(main, ["history", "import", str(out), "--source", "canonical"])
    assert imported.exit_code == 0 and "1 flagged as drill" in imported.output
    (row,) = read_history(out, "canonical").table.to_dict("records")
    assert row["is_drill"] and row["mitigated"] == expected_times(journal)["mitigated"]
    bad = runner.invoke(main, ["drill", "export", "latest", "--store", str(store), "--as", "jira"])
    assert bad.exit_code == 2
    as_sev3 = runner.invoke(main, ["drill", "export", "latest", "--store", str(store), "--as", "canonical",
                                   "--severity", "sev3", "-o", str(out)])
    assert as_sev3.exit_code == 0, as_sev3.output
    (row,) = read_history(out, "canonical").table.to_dict("records")  # -o replaced the file: one row
    assert row["severity"] == "sev3" and not row["is_major"]


def test_drill_export_as_canonical_takes_only_csv_or_json(tmp_path, store):
    out = tmp_path / "drill.txt"
    result = CliRunner().invoke(main, ["drill", "export", "latest", "--store", str(store), "--as", "canonical",
                                       "-o", str(out)])
    assert result.exit_code == 2 and ".csv or .json" in result.output and not out.exists()
    as_json = CliRunner().invoke(main, ["drill", "export", "latest", "--store", str(store), "--as", "canonical",
                                        "-o", str(tmp_path / "drill.json")])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads((tmp_path / "drill.json").read_text(encoding="utf-8"))["format"] == "warroom.incidents/1"
