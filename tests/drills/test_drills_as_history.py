"""Drills feed decisions: a team's drill journals read as history flagged as drills, their
rehearsed times set beside real incidents and fitted into a staffing like any history,
while real key figures stay exactly what they were.

The journals are real: the Cloudflare 2019 drill played by the typical response derived from
its replay (tests/drills/response_kinds.py), once per rehearsal, with the technical lead
acknowledging the first page a known number of minutes late (and everything after it as
much later), scored and exported as `warroom drill export` writes them."""

from __future__ import annotations

import copy
import json
import re
import shlex
import statistics
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from response_kinds import derive

from cli import main
from drills import DrillDocuments, DrillStore, Journal, play, score
from scenarios import load, load_text, resolve
from scenarios.history import read_history, read_history_document
from scenarios.history.platforms import drill_milestones, inject_responses
from simulator.history.fitting import fit_history, stage_durations
from simulator.history.kpi import history_kpis
from simulator.run.api import calibrations

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "history"
REAL = FIXTURES / "canonical.csv"          # a real history (with two drill rows of its own)
ACK_LATE = (1.0, 2.0, 2.5, 4.0, 6.0, 9.0, 3.0, 14.0)  # minutes each rehearsal's acknowledgement came late
DETECTED = 3.0                             # the scenario's probe pages the technical lead at minute 3


def rehearsal(typical, late: float):
    """The typical response with the acknowledgement, and every action from it on, `late` minutes later."""
    data = yaml.safe_load(typical.text)
    for action in data["actions"]:
        at = float(str(action["at"]).rstrip("m"))
        if at >= DETECTED:
            action["at"] = at + late
    if data.get("end") is not None:
        data["end"] = float(str(data["end"]).rstrip("m")) + late
    data["name"] = f"{data['name']}-late-{late:g}"
    return load_text(yaml.safe_dump(data, sort_keys=False), f"{typical.source} (+{late:g}m)", expect="responses")


@pytest.fixture(scope="module")
def journals(tmp_path_factory):
    """A folder of eight exported, scored journals of the team's rehearsals."""
    folder = tmp_path_factory.mktemp("journals")
    replay = resolve("cloudflare-2019-actual", "responses")
    scenario = resolve(replay.document.scenario, "scenario")
    documents = DrillDocuments.resolve(scenario, resolve(replay.document.roster, "roster"))
    typical = derive(replay, scenario, documents.playbook, "typical")
    store = DrillStore(tmp_path_factory.mktemp("store") / "drills.db")
    for number, late in enumerate(ACK_LATE, 1):
        session = play(store, documents, rehearsal(typical, late), seed=number)
        card = score(Journal.from_store(store, session.record.id)).to_dict()
        store.update(session.record.id, status="ended", extra={**session.record.extra, "scorecard": card})
        exported = Journal.from_store(store, session.record.id).to_dict()
        (folder / f"drill-{number:02d}.json").write_text(json.dumps(exported), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def imported(journals):
    return read_history(journals, "drill")


def journal(journals, number: int = 1) -> dict:
    return json.loads((journals / f"drill-{number:02d}.json").read_text(encoding="utf-8"))


def minute(row, column: str) -> float:
    return (row[column] - row["impact_started"]).total_seconds() / 60


def test_each_journal_is_one_incident_flagged_as_a_drill_at_its_scenario_minutes(journals, imported):
    table = imported.table
    assert imported.shape == "folder of drill journals" and imported.problems == [] and len(table) == len(ACK_LATE)
    assert table["is_drill"].all() and (table["source"] == "drill").all() and table["is_major"].all()
    for number, late in enumerate(ACK_LATE, 1):
        exported = journal(journals, number)
        row = table.set_index("id").loc[exported["drill"]["id"]]
        assert row["title"].startswith("[DRILL] ") and "(Edge SRE)" in row["title"]
        assert row["service"] == "Edge proxy (HTTP and HTTPS)" and row["severity"] == "sev1"
        assert minute(row, "acknowledged") - minute(row, "detected") == pytest.approx(late)
        # Every milestone the drill reached, at its journal minute (independently of the reader).
        names = {"detected": "detected", "declared": "declared", "first_update": "first_update",
                 "identified": "identified", "workaround_applied": "workaround_applied", "restored": "mitigated",
                 "fixed": "fixed", "resolved": "resolved"}
        reached = {}
        for event in exported["events"]:
            if event["kind"] == "milestone" and event["name"] in names:
                reached.setdefault(names[event["name"]], event["t"])
        assert {"detected", "declared", "identified", "mitigated", "resolved"} <= set(reached)
        for column in names.values():
            if column in reached:
                assert minute(row, column) == pytest.approx(reached[column], abs=1e-3), column
            else:
                assert pd.isna(row[column]), column  # not reached before the drill ended: never filled in
        end = next(e["t"] for e in exported["events"] if e["kind"] == "control" and e["name"] == "end")
        assert minute(row, "closed") == pytest.approx(end, abs=1e-3)
        # The team's own classification, from its classify action.
        assert row["first_severity"] == "sev1" and row["reclassifications"] == 0
    facts = {f.id: f for f in imported.journals}
    assert len(facts) == len(ACK_LATE) and all(f.team == "Edge SRE" and f.scored and f.ended for f in facts.values())


def test_the_drill_clock_not_the_wall_clock(journals):
    """A drill at four times speed, or with minutes the facilitator jumped over, gives the same
    times: scenario minutes, less jumps, from the start."""
    exported = journal(journals)
    (plain,) = read_history_document(exported, "drill").table.to_dict("records")
    fast = copy.deepcopy(exported)
    start = pd.Timestamp(next(e["wall"] for e in fast["events"] if e["kind"] == "control" and e["name"] == "start"))
    for event in fast["events"]:  # walls compressed four times: the journal's minutes are what count
        if event.get("wall"):
            event["wall"] = (start + (pd.Timestamp(event["wall"]) - start) / 4).isoformat()
    assert read_history_document(fast, "drill").table.to_dict("records") == [plain]
    jumped = copy.deepcopy(exported)
    at, length = 12.0, 20.0
    for event in jumped["events"]:
        if event["t"] > at:
            event["t"] += length
    jumped["events"].append({"seq": 999, "t": at, "wall": None, "kind": "control", "name": "jump",
                             "role": "", "actor": "facilitator", "detail": {"from": at, "to": at + length}})
    again = read_history_document(jumped, "drill")
    assert again.table.to_dict("records") == [plain]
    assert again.journals[0].jumped_min == length
    assert drill_milestones(jumped) == drill_milestones(exported)  # the platform payloads count time the same way


def test_times_the_script_assumed_are_left_out_and_said(journals):
    exported = journal(journals)
    for event in exported["events"]:
        if event["kind"] == "milestone" and event["name"] in ("declared", "restored"):
            event["detail"]["assumed"] = "Not published."
    imported = read_history_document(exported, "drill", file="replay.json")
    (row,) = imported.table.to_dict("records")
    assert pd.isna(row["declared"]) and pd.isna(row["mitigated"]) and not pd.isna(row["identified"])
    assert imported.journals[0].assumed == ("declared", "restored")
    result = history_kpis(imported.table, drills="only", journals=imported.journals)
    assert result["metrics"]["time_to_restore"]["n"] == 0
    assert any("assumed by their script" in note and "declared, restored" in note for note in result["notes"])


def test_classification_changes_come_from_the_classify_actions(journals):
    exported = journal(journals)
    first = next(e for e in exported["events"] if e["kind"] == "action" and e["name"] == "classify")
    first["detail"].update(severity="sev3", major="no")
    raised = copy.deepcopy(first)
    raised.update(seq=998, t=first["t"] + 7)
    raised["detail"].update(severity="sev1", major="yes")
    exported["events"].append(raised)
    (row,) = read_history_document(exported, "drill").table.to_dict("records")
    assert (row["first_severity"], row["first_major"], row["reclassifications"], row["severity"]) == ("sev3", False, 1,
                                                                                                      "sev1")
    assert row["is_major"] and minute(row, "raised_at") - minute(row, "classified_at") == pytest.approx(7)


def test_a_drill_that_ended_before_restoring_is_censored_at_its_end(journals):
    """A drill records every milestone it reaches: one stopped at minute 15 had not restored
    service by then, which fitting counts as lasting at least that long, not as missing."""
    exported = journal(journals)
    exported["events"] = [e for e in exported["events"] if e["t"] <= 15]
    exported["events"].append({"seq": 999, "t": 15.0, "wall": None, "kind": "control", "name": "end", "role": "",
                               "actor": "facilitator", "detail": {}})
    table = read_history_document(exported, "drill").table
    (row,) = table.to_dict("records")
    assert pd.isna(row["mitigated"]) and minute(row, "closed") == 15
    restore = stage_durations(table, "restore")
    assert restore.censored.tolist() == [pytest.approx(15 - minute(row, "acknowledged"))] and restore.missing == 0


def test_per_role_responses_to_injects_come_from_the_scorecard(journals, imported):
    responses = imported.responses
    page = responses[(responses["inject"] == "synthetic_waf_test")]
    assert sorted(page["response_min"]) == sorted(ACK_LATE) and set(page["role"]) == {"technical_lead"}
    unscored = journal(journals)
    unscored["drill"]["extra"].pop("scorecard")
    assert inject_responses(unscored) == []
    facts = read_history_document(unscored, "drill").journals[0]
    assert not facts.scored and facts.responses == ()


def test_real_key_figures_are_unchanged_with_drills_present(journals):
    runner = CliRunner()
    alone = runner.invoke(main, ["history", "kpi", str(REAL), "--source", "canonical", "--json"])
    beside = runner.invoke(main, ["history", "kpi", str(REAL), "--source", "canonical", "--journals", str(journals),
                                  "--json"])
    assert alone.exit_code == 0 and beside.exit_code == 0, beside.output
    alone, beside = json.loads(alone.output), json.loads(beside.output)
    for key in ("metrics", "mtbf", "majors", "all_incidents", "per_service", "review", "repeats", "detectability",
                "classification", "not_in_history", "notes"):
        assert beside[key] == alone[key], key
    assert beside["incidents"]["used"] == alone["incidents"]["used"] == 6
    assert beside["incidents"]["drills_excluded"] == alone["incidents"]["drills_excluded"] + len(ACK_LATE)
    assert "responses_by_role" not in beside and "rehearsed" not in beside


def test_drills_alone(journals, imported):
    result = history_kpis(imported.table, drills="only", responses=imported.responses, journals=imported.journals)
    assert result["incidents"]["used"] == len(ACK_LATE) and result["detectability"] is None
    acknowledge = result["metrics"]["time_to_acknowledge"]
    assert acknowledge["n"] == len(ACK_LATE) and acknowledge["p50"] == pytest.approx(statistics.median(ACK_LATE))
    lead = result["responses_by_role"]["technical_lead"]
    assert lead["answered"] >= len(ACK_LATE) and lead["drills"] == len(ACK_LATE)
    assert result["not_in_history"] == []  # a drill has every SPEC 3.1 milestone the history can hold
    text = CliRunner().invoke(main, ["history", "kpi", str(journals), "--source", "drill", "--drills"])
    assert text.exit_code == 0, text.output
    said = " ".join(text.output.split())  # prose is wrapped to the terminal
    assert f"{len(ACK_LATE)} drills used (rehearsals, not real incidents)" in said
    assert "Responses to injects per role" in said and "technical_lead" in text.output
    assert "Major incidents per quarter" not in text.output  # when drills were run is not how often incidents happen
    assert max(len(line) for line in text.output.splitlines() if "  " in line) <= 80  # tables fit the terminal


def test_rehearsed_vs_real_side_by_side(tmp_path, journals, imported):
    real = read_history(REAL, "canonical")
    both = pd.concat([real.table, imported.table], ignore_index=True)
    result = history_kpis(both, drills="beside", responses=imported.responses, journals=imported.journals)
    plain = history_kpis(real.table)
    assert result["metrics"] == plain["metrics"] and result["incidents"]["used"] == plain["incidents"]["used"]
    rehearsed = result["rehearsed"]
    drills_alone = history_kpis(both, drills="only")
    assert rehearsed["incidents"]["used"] == len(ACK_LATE) + 2  # the real history's own two drill rows too
    assert rehearsed["incidents"]["teams"] == ["Edge SRE"]
    rows = {row["metric"]: row for row in rehearsed["comparison"]}
    for metric, row in rows.items():
        assert row["real"]["p50"] == plain["metrics"][metric]["p50"], metric
        assert row["drills"]["p50"] == drills_alone["metrics"][metric]["p50"], metric
    assert rows["time_to_detect"]["scripted_in_drills"] and not rows["time_to_restore"]["scripted_in_drills"]
    assert "time_to_identify" in rows and rows["time_to_identify"]["real"]["n"] == 0  # drills have it, this export not

    # A service only real incidents have: no drills beside it, and which services the drills are of.
    payments = history_kpis(both, drills="beside", service="payments-api")["rehearsed"]["incidents"]
    assert payments["used"] == 0 and "Edge proxy (HTTP and HTTPS)" in payments["drill_services"]
    with pytest.raises(ValueError, match="has only drills in this history"):
        history_kpis(both, service="Edge proxy (HTTP and HTTPS)")

    out = tmp_path / "kpis.html"
    shown = CliRunner().invoke(main, ["history", "kpi", str(REAL), "--source", "canonical", "--journals",
                                      str(journals), "--rehearsed-vs-real", "-o", str(out)])
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.output.split())  # prose and table cells are wrapped to the terminal
    assert "Rehearsed vs real: 10 drills (team Edge SRE; scenario cloudflare-2019-waf)" in text
    assert "(MTTD)*" in text and "* Time to detect (MTTD): in a drill, detection is" in text
    table = text[text.index("Rehearsed vs real"):]
    assert "real drills" in table and "Time to identify" in table
    html = out.read_text(encoding="utf-8")
    assert "<h2>Rehearsed vs real</h2>" in html and "Responses to injects per role" in html
    assert "drills beside real incidents" in html


def test_fit_from_drills_writes_a_staffing_that_says_where_its_figures_came_from(tmp_path, journals):
    target = tmp_path / "rehearsed.yaml"
    runner = CliRunner()
    result = runner.invoke(main, ["history", "fit", str(journals), "--source", "drill", "--drills", "--staffing",
                                  "cloudflare-2019-sre", "-o", str(target)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert f"{len(ACK_LATE)} drills used (rehearsals, not real incidents)" in said
    assert "Fitted from drills: the team's rehearsed delays" in said
    assert "detect n 0" in said and "detection is when the scenario's injects say" in said
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# Fitted from drills by warroom")
    assert "drills used (rehearsals, not real incidents)" in text.split("\n# ")[1]  # the header's History line
    fitted = load(target)
    origin = fitted.document.calibrated_from
    assert origin.drills == origin.incidents == len(ACK_LATE) and origin.incidents_per_year is None
    assert origin.stages == ["acknowledge"] and origin.source == "drill"
    # The fitted delay is the team's rehearsed one: its median's interval holds the rehearsals' median.
    fit = fit_history(read_history(journals, "drill").table, drills="only", stages=["acknowledge"])
    low, high = fit.stage("acknowledge").chosen.to_dict()["ci95"]["median"]
    assert fit.stage("acknowledge").data.n == len(ACK_LATE) and low <= statistics.median(ACK_LATE) <= high
    (said,) = calibrations([fitted])
    assert f"fitted to {len(ACK_LATE)} drills (rehearsals, not real incidents)" in said["sentence"]
    assert said["detectability"] is None

    unasked = runner.invoke(main, ["history", "fit", str(journals), "--source", "drill", "--staffing",
                                   "cloudflare-2019-sre", "-o", str(tmp_path / "real.yaml")])
    assert unasked.exit_code == 2 and "8 drills/tests left out (--drills for them alone" in " ".join(
        unasked.output.split())
    assert not (tmp_path / "real.yaml").exists()


def test_how_often_drills_are_run_is_not_an_incident_rate(imported):
    """Spread over a year, the drills would give a rate of incidents a year if they were
    incidents; fitted as drills they give none, so a fitted scenario keeps its frequency."""
    spread = imported.table.copy()
    times = [c for c in spread.columns if str(spread[c].dtype).startswith("datetime64")]
    for position in range(len(spread)):
        spread.loc[position, times] = spread.loc[position, times] + pd.Timedelta(days=45 * position)
    assert fit_history(spread, drills="only", stages=["acknowledge"]).rate() is None
    as_if_real = spread.assign(is_drill=False)
    assert fit_history(as_if_real, stages=["acknowledge"]).rate()["incidents"] == len(ACK_LATE)
    assert fit_history(pd.concat([as_if_real, spread]), drills="include", stages=["acknowledge"]).rate() is None


def test_bad_journals_are_all_reported_with_their_file_and_field(tmp_path, journals):
    folder = tmp_path / "drills"
    folder.mkdir()
    good = journal(journals)
    (folder / "a.json").write_text(json.dumps(good), encoding="utf-8")
    broken = journal(journals, 2)
    index = next(i for i, e in enumerate(broken["events"]) if e["kind"] == "milestone" and e["name"] == "declared")
    broken["events"][index]["t"] = "soon"
    (folder / "b.json").write_text(json.dumps(broken), encoding="utf-8")
    (folder / "c.json").write_text(json.dumps(dict(good, format="warroom.journal/9")), encoding="utf-8")
    (folder / "d.json").write_text("{not json", encoding="utf-8")
    (folder / "e.json").write_text(json.dumps(good), encoding="utf-8")  # the same drill again
    result = CliRunner().invoke(main, ["history", "import", str(folder), "--source", "drill"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    err = result.output
    assert f"{folder / 'b.json'}: events[{index}].t: expected the event's scenario minute" in err and "'soon'" in err
    assert f"{folder / 'c.json'}: format: not a warroom drill journal this version reads" in err
    assert f"{folder / 'd.json'}: not valid JSON" in err
    assert f"{folder / 'e.json'}: drill.id: duplicate id (first in {folder / 'a.json'})" in err
    folder_as_pagerduty = CliRunner().invoke(main, ["history", "import", str(folder), "--source", "pagerduty"])
    assert folder_as_pagerduty.exit_code == 2 and "only --source drill reads a folder" in folder_as_pagerduty.output
    both = CliRunner().invoke(main, ["history", "kpi", str(journals), "--source", "drill", "--drills",
                                     "--include-drills"])
    assert both.exit_code == 2 and "give one of them" in both.output


def test_the_examples_with_drill_journals_run(tmp_path, monkeypatch, journals):
    """Every example that reads a team's drill journals, in the history helps and the history
    how-to, runs as written (drills/ standing for the rehearsals, incidents.json for a
    PagerDuty export)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "drills").symlink_to(journals, target_is_directory=True)
    runner = CliRunner()
    stand_ins = {"incidents.json": str(FIXTURES / "pagerduty-rest.json"), "2000": "200"}
    examples = []
    for command in (["history"], ["history", "import"], ["history", "kpi"], ["history", "fit"]):
        text = runner.invoke(main, [*command, "--help"]).output.replace("\\\n", " ")
        examples += [line.strip() for line in text.splitlines()
                     if line.strip().startswith("warroom history ") and "drills/" in line]
    assert any("--rehearsed-vs-real" in e for e in examples) and any(" fit " in e and "--drills" in e
                                                                     for e in examples)
    howto = (Path(__file__).resolve().parents[2] / "docs" / "howto" / "history.md").read_text(encoding="utf-8")
    blocks = [b.replace("\\\n", " ") for b in re.findall(r"```sh\n(.*?)```", howto, re.S)]
    documented = [line.split("#")[0].strip() for block in blocks for line in block.splitlines()
                  if line.startswith("warroom ") and ("drills/" in line or "rehearsed.yaml" in line)]
    assert len(documented) == 5 and documented[-1].startswith("warroom compare")  # the fit, then the compare
    for example in examples + documented:
        args = [stand_ins.get(a, a) for a in shlex.split(example)[1:]]
        result = runner.invoke(main, args + (["-q"] if args[0] == "compare" else []))
        assert result.exit_code == 0, (example, result.output)
    assert "fitted to 8 drills (rehearsals, not real incidents)" in result.output
