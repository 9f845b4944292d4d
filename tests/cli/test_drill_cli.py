"""The drill and scenario commands as a new user meets them."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cli import main
from scenarios import load, load_text, resolve


def run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


@pytest.fixture
def store(tmp_path):
    return tmp_path / "drills.db"


def test_cloudflare_replay_reproduces_the_published_timeline(store):
    result = run("drill", "run", "cloudflare-waf-2019", "--roster", "cloudflare-2019-team",
                 "--responses", "cloudflare-2019-actual", "--json", "--store", store, "--baseline", 300)
    assert result.exit_code == 0, result.output
    card = json.loads(result.output)
    metrics = card["metrics"]
    actual = {k: metrics[k]["actual_min"] for k in
              ("time_to_detect", "time_to_identify", "time_to_workaround", "time_to_restore", "time_to_fix",
               "time_to_resolve")}
    assert actual == {"time_to_detect": 3, "time_to_identify": 18, "time_to_workaround": 25, "time_to_restore": 27,
                      "time_to_fix": 70, "time_to_resolve": 75}
    assert card["milestones"]["first_update"]["t"] == 10
    # The declaration time was never published: the metrics that hang on it are assumed.
    assert metrics["time_to_declare"]["assumed"] and metrics["time_to_first_update"]["assumed"]
    assert not metrics["time_to_identify"]["assumed"]
    # The kill's and the fix's world durations are pinned to the published ones (takes:, with
    # assumed:), so the milestones they lead to are shown as assumed.
    assert metrics["time_to_restore"]["assumed"] and metrics["time_to_fix"]["assumed"]
    assert set(metrics["time_to_restore"]) >= {"actual_min", "target_min", "met", "assumed"}
    assert {"score", "metrics", "ratings", "percentiles"} <= set(card)
    assert 0 <= card["score"] <= 100
    assert card["percentiles"]["time_to_restore"]["simulated_n"] == 300
    assert card["drill"]["responses"]["name"] == "cloudflare-2019-actual"


def test_gitlab_replay_reproduces_the_published_timeline(store):
    result = run("drill", "run", "gitlab-2017-database", "--roster", "gitlab-2017-team",
                 "--responses", "gitlab-2017-actual", "--json", "--store", store, "--baseline", 0)
    assert result.exit_code == 0, result.output
    card = json.loads(result.output)
    assert card["milestones"]["first_update"]["t"] == 2
    assert card["milestones"]["declared"]["t"] == 2
    # The restore work started at 69m; the workaround is in place when the database started.
    assert card["metrics"]["time_to_workaround"]["actual_min"] == 1046
    assert card["metrics"]["time_to_restore"]["actual_min"] == 1127
    assert card["metrics"]["time_to_restore"]["met"] is False  # the 12-hour target was missed
    assert card["percentiles"] == {}


def test_human_scorecard_and_the_journal_commands(store, tmp_path):
    result = run("drill", "run", "cloudflare-2019-waf", "--roster", "cloudflare-2019-team",
                 "--responses", "cloudflare-2019-actual", "--store", store, "--baseline", 200,
                 "-o", tmp_path / "card.json")
    assert result.exit_code == 0, result.output
    assert "Score " in result.output and "Time to restore (MTTR)" in result.output
    assert "faster than" in result.output or "%" in result.output
    assert json.loads((tmp_path / "card.json").read_text())["format"] == "warroom.scorecard/3"

    listed = json.loads(run("drill", "list", "--json", "--store", store).output)
    assert len(listed) == 1 and listed[0]["status"] == "ended" and listed[0]["events"] > 30
    drill_id = listed[0]["id"]
    human = run("drill", "list", "--store", store).output
    assert drill_id in human and "ended" in human

    exported = run("drill", "export", drill_id[:20], "-o", tmp_path / "journal.json", "--store", store)
    assert exported.exit_code == 0, exported.output
    journal = json.loads((tmp_path / "journal.json").read_text())
    assert journal["format"] == "warroom.journal/2"
    assert [e["seq"] for e in journal["events"]] == list(range(1, len(journal["events"]) + 1))
    assert {d["kind"] for d in journal["drill"]["documents"]} == {"scenario", "roster", "playbook", "staffing", "classification"}

    rescored = run("drill", "score", tmp_path / "journal.json", "--json", "--baseline", 0)
    assert rescored.exit_code == 0, rescored.output
    assert json.loads(rescored.output)["metrics"]["time_to_restore"]["actual_min"] == 27


def test_bad_responses_exit_2_with_every_problem_and_nothing_stored(store, tmp_path, write):
    text = resolve("cloudflare-2019-actual", "responses").text
    text = text.replace("role: sre\n    action: apply_workaround\n    workaround: kill_waf_globally",
                        "role: sre\n    action: apply_workaround\n    workaround: reboot_everything")
    text = text.replace("cause: waf_regex", "cause: gremlins")
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    result = run("drill", "run", "cloudflare-2019-waf", "--roster", "cloudflare-2019-team", "--responses", path,
                 "--store", store)
    assert result.exit_code == 2
    assert "unknown workaround 'reboot_everything'" in result.output
    assert "unknown cause 'gremlins'" in result.output
    assert f"{path}:" in result.output
    assert "Traceback" not in result.output
    assert "nothing was run" in result.output


def test_usage_errors(store):
    assert run("drill", "run", "cloudflare-2019-waf", "--store", store).exit_code == 2
    missing = run("drill", "export", "no-such-drill", "--store", store)
    assert missing.exit_code == 2 and "no drill 'no-such-drill'" in missing.output
    unknown = run("drill", "run", "no-such-scenario", "--responses", "cloudflare-2019-actual", "--store", store)
    assert unknown.exit_code == 2 and "no bundled scenario of that name" in unknown.output


def test_console_reads_commands_when_not_on_a_terminal(store):
    commands = "\n".join([
        "start", "next", "tl ack", "tl pge sre", "im declare", "im update public We know and we are on it",
        "sre wa no_such_thing", "status", "end",
    ]) + "\n"
    result = run("drill", "run", "cloudflare-2019-waf", "--roster", "cloudflare-2019-team", "--console",
                 "--store", store, "--baseline", 0, input=commands)
    assert result.exit_code == 0, result.output
    assert "PAGE: external WAF probe failing" in result.output
    assert "unknown action 'pge'" in result.output
    assert "refused: unknown workaround 'no_such_thing'" in result.output
    assert "* declared" in result.output
    assert "Score " in result.output


def test_the_console_lets_the_fix_go_ahead_and_lists_causes_in_the_drills_order(store):
    commands = "\n".join([
        "start", "next", "tl ack", "help identify", "im approve", "tl fix", "allow_fix",
        "allow_fix the vendor told us the cause", "tl fix", "end",
    ]) + "\n"
    result = run("drill", "run", "cloudflare-2019-waf", "--roster", "cloudflare-2019-team", "--console",
                 "--store", store, "--baseline", 0, "--seed", 3, input=commands)
    assert result.exit_code == 0, result.output
    assert "refused: the permanent fix needs the cause identified first" in result.output
    assert "refused: allow_fix needs a reason" in result.output
    assert "-- allow_fix: the vendor told us the cause" in result.output
    assert "The permanent fix is in progress: about" in result.output
    from drills.interfaces.views import offered_choices

    listed = [line.split()[0] for line in result.output.split("  cause:\n", 1)[1].splitlines()[:3]]
    causes = offered_choices(resolve("cloudflare-2019-waf", "scenario").document, 3)["cause"]
    assert listed == [key for key, _ in causes]


def test_scenario_list_show_and_msel_round_trip(tmp_path):
    listed = run("scenario", "list")
    assert listed.exit_code == 0
    assert "cloudflare-2019-waf" in listed.output and "gitlab-2017-database" in listed.output

    shown = run("scenario", "show", "cloudflare-2019-waf")
    assert shown.exit_code == 0, shown.output
    assert "Master scenario events list" in shown.output
    assert "synthetic_waf_test" in shown.output and "red herring" in shown.output
    assert "when not declared" not in shown.output and "12m if not declared" in shown.output
    hidden = run("scenario", "show", "cloudflare-2019-waf", "--no-notes")
    assert "WAF rule was deployed" not in hidden.output

    csv_path = tmp_path / "msel.csv"
    assert run("scenario", "export-msel", "cloudflare-2019-waf", "-o", csv_path).exit_code == 0
    header = csv_path.read_text().splitlines()[0]
    assert header.startswith("id,time,condition,repeat,requested,delivery,from,to,subject")
    skeleton = tmp_path / "imported.yaml"
    imported = run("scenario", "import-msel", csv_path, "--name", "my-waf-drill", "--base", "cloudflare-2019-waf",
                   "-o", skeleton)
    assert imported.exit_code == 0, imported.output
    original = resolve("cloudflare-2019-waf", "scenario").document
    again = load(skeleton).document
    fields = lambda j: (j.id, j.at, j.when, j.repeat, j.requested, j.channel, j.to, j.sender, j.subject,  # noqa: E731
                        j.expect, j.expect_action, j.objective, j.type, j.detects)
    assert [fields(j) for j in again.injects] == [fields(j) for j in original.injects]
    assert again.name == "my-waf-drill" and again.workarounds == original.workarounds and again.fix == original.fix
    played = run("drill", "run", skeleton, "--console", "--store", tmp_path / "d.db", "--baseline", 0,
                 input="start\nnext\nend\n")
    assert played.exit_code == 0 and "PAGE: external WAF probe failing" in played.output


def test_a_plain_msel_without_warroom_columns_imports(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("id,time,delivery,to,subject\ncall,15,phone,incident_manager,Customer on the phone\n"
                    "alarm,1h0m30s,alert,everyone,Disk alarm\n")
    out = tmp_path / "plain.yaml"
    made = run("scenario", "import-msel", path, "--name", "plain", "--base", "expired-certificate", "-o", out)
    assert made.exit_code == 0, made.output
    scenario = load(out).document
    assert [(j.at, j.detects) for j in scenario.injects] == [(15.0, "monitoring"), (60.5, None)]
    assert scenario.diagnosis == resolve("expired-certificate", "scenario").document.diagnosis
    missing = run("scenario", "import-msel", path, "--name", "plain", "-o", out)
    assert missing.exit_code == 2 and "--base" in missing.output


def test_msel_import_reports_every_bad_cell(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("id,time,delivery,subject\nfirst,5m,carrier_pigeon,Hello\nsecond,soon,chat,\n")
    result = run("scenario", "import-msel", path, "--name", "x", "--base", "cloudflare-2019-waf",
                 "-o", tmp_path / "x.yaml")
    assert result.exit_code == 2
    assert f"{path}:2: row 1.delivery: unknown delivery 'carrier_pigeon'" in result.output
    assert f"{path}:3: row 2.time: expected a duration" in result.output
    assert f"{path}:3: row 2.subject: an inject needs a subject" in result.output


def test_validate_checks_rosters_and_responses(tmp_path):
    roster = tmp_path / "roster.yaml"
    roster.write_text("kind: roster\nversion: 1\nname: r\nteam: T\nparticipants:\n"
                      "  - {name: Ann, role: incident_manager}\n  - {name: Ann, role: wizard}\n")
    result = run("validate", roster)
    assert result.exit_code == 2
    assert "participants[1].name: duplicate participant 'Ann'" in result.output
    for name in ("cloudflare-2019-team", "cloudflare-2019-actual", "gitlab-2017-team", "gitlab-2017-actual"):
        path = resolve(name, "roster" if name.endswith("team") else "responses").source
        assert run("validate", path).exit_code == 0
    assert load_text(resolve("cloudflare-2019-team", "roster").text).document.team == "Edge SRE"


def test_validate_checks_a_responses_file_against_its_scenario_and_roster(tmp_path):
    text = resolve("cloudflare-2019-actual", "responses").text.replace("cause: waf_regex", "cause: cosmic_rays")
    path = tmp_path / "responses.yaml"
    path.write_text(text)
    result = run("validate", path)
    assert result.exit_code == 2
    assert f"{path}:" in result.output and "unknown cause 'cosmic_rays'" in result.output


def test_a_rating_the_drill_would_refuse_is_found_before_anything_is_written(store, tmp_path):
    base = resolve("cloudflare-2019-actual", "responses").text
    for ratings, message in (("  - {objective: juggling, rating: S, reason: dropped the balls}\n",
                              "unknown objective 'juggling'"),
                             ("  - {objective: diagnose, rating: S, reason: '   '}\n", "needs a reason")):
        path = tmp_path / "rated.yaml"
        path.write_text(base + "ratings:\n" + ratings)
        result = run("drill", "run", "cloudflare-2019-waf", "--responses", path, "--store", store)
        assert result.exit_code == 2, result.output
        assert message in result.output and f"{path}:" in result.output
        assert "Traceback" not in result.output
    assert "No drills" in run("drill", "list", "--store", store).output or \
        json.loads(run("drill", "list", "--json", "--store", store).output) == []


def test_seed_out_of_range_is_a_usage_error(store):
    result = run("drill", "run", "cloudflare-2019-waf", "--responses", "cloudflare-2019-actual", "--seed", -1,
                 "--store", store)
    assert result.exit_code == 2 and "Traceback" not in result.output
