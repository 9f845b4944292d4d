"""Documents are validated at the boundary: every problem at once, located, no traceback."""

import pytest
import yaml

from scenarios import (
    DocumentError,
    Playbook,
    Scenario,
    Staffing,
    bundled,
    check_together,
    load,
    load_text,
    resolve,
)


def problems_of(path_or_text, **kw):
    with pytest.raises(DocumentError) as err:
        if isinstance(path_or_text, str) and "\n" in path_or_text:
            load_text(path_or_text, "doc.yaml", **kw)
        else:
            load(path_or_text, **kw)
    return [str(p) for p in err.value.problems]


def test_every_bundled_document_is_valid_and_typed():
    from scenarios import Responses, Roster

    kinds = {"scenario": Scenario, "staffing": Staffing, "playbook": Playbook, "roster": Roster, "responses": Responses}
    kinds["improvement_plan"] = type(None)
    from scenarios.classification import ClassificationPolicy

    kinds["classification"] = ClassificationPolicy
    found = bundled()
    assert {"cloudflare-2019-waf", "cloudflare-2019-sre", "itil-major-incident"} <= set(found)
    for name, path in found.items():
        doc = load(path).document
        assert isinstance(doc, kinds[doc.kind]), name


def test_documents_are_immutable(cloudflare):
    with pytest.raises(Exception):
        cloudflare.document.name = "other"


def test_broken_staffing_reports_every_problem_with_line_path_and_value(write):
    path = write("staff.yaml", """
        kind: staffing
        version: 1
        name: broken
        roles:
          incident_manager:
            on_call: -1
            acknowledge:
              in_hours: {dist: lognormal, median: 10m, p90: 5m}
              out_of_hours: 5 minutes
          dba: {}
        resolver_groups:
          database:
            coverage: {type: business_hours, timezone: Mars/Base}
            skil: 2
        """)
    problems = problems_of(path)
    text = "\n".join(problems)
    assert f"{path}:6: roles.incident_manager.on_call:" in text and "got -1" in text
    assert f"{path}:8: roles.incident_manager.acknowledge.in_hours: p90 must be >= median" in text
    assert f"{path}:9: roles.incident_manager.acknowledge.out_of_hours:" in text and "'5 minutes'" in text
    assert f"{path}:10: roles.dba: unknown role" in text
    assert f"{path}:13: resolver_groups.database.coverage.timezone: unknown time zone" in text
    assert f"{path}:14: resolver_groups.database.skil: unknown field" in text
    assert len(problems) == 6


def test_duplicate_yaml_keys_are_rejected_with_both_lines():
    problems = problems_of("kind: staffing\nversion: 1\nname: a\nname: b\n")
    assert problems == ["doc.yaml:4: name: duplicate key 'name' (first at line 3)"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("kind: runbook\nversion: 1\n", "doc.yaml:1: kind: unknown kind 'runbook' (expected one of scenario, staffing, playbook, roster, responses, improvement_plan, staffing_space, classification)"),
        ("kind: staffing\nversion: 7\nname: x\n", "doc.yaml:2: version: unsupported version 7 for a staffing document (supported: 1)"),
        ("version: 1\nname: x\n", "doc.yaml:1: kind: missing (expected one of scenario, staffing, playbook, roster, responses, improvement_plan, staffing_space, classification)"),
        ("kind: [unclosed\n", "not valid YAML"),
    ],
)
def test_unknown_kind_version_or_bad_yaml(text, expected):
    (problem,) = problems_of(text + "\n")
    assert expected in problem


PLAYBOOK = """
kind: playbook
version: 1
name: loops
steps:
  - id: a
    action: coordinate
    after: [c]
    duration: 5m
    raci: {incident_manager: R/A}
  - id: b
    action: coordinate
    after: [a]
    duration: -5m
    raci: {incident_manager: R, technical_lead: R}
  - id: c
    action: coordinate
    after: [b, nowhere]
    raci: {incident_manager: A, communications_lead: A}
"""


def test_playbook_cycle_missing_accountable_and_bad_duration_all_reported():
    problems = problems_of(PLAYBOOK)
    text = "\n".join(problems)
    assert "doc.yaml:14: steps[1].duration: duration must be >= 0, got '-5m'" in text
    assert "doc.yaml:15: steps[1].raci: exactly one role must be Accountable (A), found none" in text
    assert "doc.yaml:19: steps[2].raci: exactly one role must be Accountable (A), found incident_manager, communications_lead" in text


def test_playbook_graph_problems_are_located():
    text = PLAYBOOK.replace("duration: -5m", "duration: 5m").replace(
        "raci: {incident_manager: R, technical_lead: R}", "raci: {incident_manager: R/A}"
    ).replace("raci: {incident_manager: A, communications_lead: A}", "raci: {incident_manager: A}")
    problems = problems_of(text)
    joined = "\n".join(problems)
    assert "doc.yaml:18: steps[2].after[1]: unknown step or milestone 'nowhere'" in joined
    assert "steps[2].duration: a coordinate step needs a duration" in joined
    assert "dependency cycle: a -> c -> b -> a" in joined or "dependency cycle" in joined


def test_scenario_needing_an_unstaffed_group_fails_the_cross_check(write, playbook, cloudflare):
    path = write("staff.yaml", """
        kind: staffing
        version: 1
        name: thin
        roles:
          incident_manager: {on_call: 1}
          technical_lead: {on_call: 1}
        resolver_groups:
          sre: {on_call: 1, rota: 1}
        """)
    problems = [str(p) for p in check_together(cloudflare, load(path), playbook)]
    assert any("needs.sre: the scenario needs 2 sre at once but staffing" in p and "only 1 in the rota" in p for p in problems)
    assert problems[0].startswith(f"{cloudflare.source}:")


def test_missing_role_without_substitute_is_reported(write, cloudflare, playbook):
    staff = write("staff.yaml", """
        kind: staffing
        version: 1
        name: nobody-leads
        roles:
          technical_lead: {on_call: 1}
        resolver_groups:
          sre: {on_call: 2}
        """)
    book_text = playbook.text
    book = load_text(book_text.split("role_effects:")[0], "book.yaml")
    problems = [str(p) for p in check_together(cloudflare, load(staff), book)]
    assert any("step 'page_incident_manager' needs incident_manager" in p for p in problems)
    assert any("step 'declare' needs incident_manager" in p for p in problems)


def test_load_of_dump_is_the_same_document(cloudflare, playbook, staffing):
    for loaded in (cloudflare, playbook, staffing("business-hours-pager"), staffing("follow-the-sun")):
        doc = loaded.document
        dumped = yaml.safe_dump(doc.model_dump(mode="json"), sort_keys=False)
        assert load_text(dumped, "dump.yaml").document == doc


def test_unknown_bundled_name_lists_the_bundled_ones():
    with pytest.raises(DocumentError) as err:
        resolve("cloudflare-2020", "scenario")
    assert "no bundled scenario of that name (bundled: " in str(err.value)
    assert "cloudflare-2019-waf, " in str(err.value) and "gitlab-2017-database" in str(err.value)


def test_clock_times_are_not_read_as_base_60_numbers():
    text = """
    kind: scenario
    version: 1
    name: s
    service: {name: x}
    start: {policy: fixed, weekday: tue, time: 13:42}
    detection: {monitoring: {probability: 1, delay: 3m}}
    diagnosis: {time: 5m}
    workarounds: [{name: w, apply: 5m}]
    """
    import textwrap

    doc = load_text(textwrap.dedent(text), "s.yaml").document
    assert doc.start.time == "13:42"
    assert doc.start.minute_of_week == 1 * 1440 + 13 * 60 + 42


@pytest.mark.parametrize("text, message", [
    ("kind: [roster]\nversion: 1\n", "unknown kind ['roster']"),
    ("kind: roster\nversion: 1\n[1]: 2\n", "a key must be a plain name"),
    ("kind: roster\nversion: 1\nname: r\nteam: t\nparticipants: &a [*a]\n", "not valid"),
])
def test_hostile_yaml_is_a_located_problem_not_a_traceback(text, message):
    with pytest.raises(DocumentError) as err:
        load_text(text, "x.yaml")
    assert message in str(err.value)


def test_scenario_drill_parts_are_checked_together(cloudflare):
    text = cloudflare.text.replace("    - {id: traffic_served,", "    - {id: cost,", 1)
    text = text.replace("  - id: deploy_log\n    requested: recent_changes\n",
                        "  - id: deploy_log\n    requested: recent_changes\n    when: identified\n", 1)
    text = text.replace("  wrong_hypothesis:\n    probability: 0.5", "  wrong_hypothesis:\n    probability: 0.5", 1)
    with pytest.raises(DocumentError) as err:
        load_text(text, "cf.yaml")
    messages = "\n".join(str(p) for p in err.value.problems)
    assert "requested inject is delivered when asked for" in messages
    text = cloudflare.text.replace("    - {id: traffic_served,", "    - {id: cost,", 1)
    with pytest.raises(DocumentError) as err:
        load_text(text, "cf.yaml")
    assert "world.indicators[0].id: 'cost' is already a name in conditions" in str(err.value)


def test_a_workaround_answers_a_cause_of_its_scenario_and_an_effective_one_the_right_cause(cloudflare):
    text = cloudflare.text.replace("    answers: waf_regex\n", "    answers: ddos_attack\n", 1)
    text = text.replace("    answers: edge_release\n", "    answers: gremlins\n", 1)
    with pytest.raises(DocumentError) as err:
        load_text(text, "cf.yaml")
    messages = "\n".join(str(p) for p in err.value.problems)
    line = text.splitlines().index("    answers: ddos_attack") + 1
    assert f"cf.yaml:{line}: workarounds[0].answers: an effective workaround cannot answer a wrong cause: " \
           "'ddos_attack' is not marked correct" in messages
    assert "workarounds[2].answers: unknown cause 'gremlins' (diagnosis.causes: waf_regex, ddos_attack, " \
           "edge_release)" in messages


def test_the_drill_only_restore_delay_is_gone_with_a_pointer_to_what_replaces_it(cloudflare):
    text = cloudflare.text.replace("    answers: waf_regex\n", "    answers: waf_regex\n    restores_after: 2m\n", 1)
    with pytest.raises(DocumentError) as err:
        load_text(text, "cf.yaml")
    (problem,) = err.value.problems
    assert problem.path == "workarounds[0]"
    assert "restores_after was removed" in problem.message and "takes:" in problem.message
    assert "got restores_after: '2m'" in problem.message


BOMB = "kind: scenario\nversion: 1\n" + "a0: &a0 [" + ", ".join(['"lol"'] * 9) + "]\n" + "".join(
    f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 9) + "]\n" for k in range(1, 9))


@pytest.mark.parametrize("text,where,message", [
    (BOMB, None, "expands to more than 200,000 values"),
    ("kind: staffing\nversion: 1\nname: x\nwhen: 2026-02-30\n", 4, "when: cannot be read (day is out of range for month), got '2026-02-30'"),
    ("kind: staffing\nversion: 1\nname: !!int abc\n", 3, "name: cannot be read"),
    ("kind: staffing\nversion: 1\nname: x\nn: " + "9" * 5000 + "\n", 4, "an integer of more than 4,300 digits"),
])
def test_hostile_yaml_is_a_located_problem_not_a_crash(text, where, message):
    """A billion-laughs document stops at a fixed budget of values (no memory blow-up);
    scalars YAML cannot read (an impossible date, a tag that does not fit, a huge integer)
    are located problems, never a traceback."""
    with pytest.raises(DocumentError) as found:
        load_text(text, "hostile.yaml")
    problem = found.value.problems[0]
    assert message in problem.message
    if where is not None:
        assert problem.line == where


def test_hostile_yaml_exits_2_from_validate(tmp_path):
    from click.testing import CliRunner

    from cli import main

    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BOMB, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(bomb)])
    assert result.exit_code == 2 and "expands to more than" in result.output
    assert "Traceback" not in result.output


def test_the_incident_model_fields_are_explained_with_their_lines(library):
    """Services, cascades, onset, stages and workaround effects: every bad value located."""
    text = library("internal-dns-outage", "scenario").text
    bad = (text.replace("restores: {internal_dns: 1.0}", "restores: {internal_dns: 1.5}\n    lasts: sometimes")
           .replace("      service: internal_dns\n      probability: 0.95", "      service: internal_dns\n      probability: 1.95", 1)
           .replace("restore_stages: [0.5, 0.95]", "restore_stages: [0.5, 1.2]")
           .replace("onset: {trigger_before: 12m, ramp: 6m}", "onset: {trigger_before: 12m, ramp: -6m}"))
    with pytest.raises(DocumentError) as caught:
        load_text(bad, "bad.yaml")
    shown = {(p.path, p.line) for p in caught.value.problems}
    lines = bad.splitlines()
    for path, needle in [("services[1].depends_on.probability", "probability: 1.95"),
                         ("restore_stages[1]", "restore_stages: [0.5, 1.2]"), ("onset.ramp", "ramp: -6m"),
                         ("workarounds[0].restores.internal_dns", "restores: {internal_dns: 1.5}"),
                         ("workarounds[0].lasts", "lasts: sometimes")]:
        assert (path, next(i for i, line in enumerate(lines, 1) if needle in line)) in shown, (path, shown)
    crossed = (text.replace("restores: {internal_dns: 1.0}", "restores: {nowhere: 1.0}\n    needs: {workarounds: [nothing_here]}")
               .replace("      service: internal_dns\n      probability: 0.9\n", "      service: login\n      probability: 0.9\n", 1))
    with pytest.raises(DocumentError) as caught:
        load_text(crossed, "crossed.yaml")
    messages = "\n".join(str(p) for p in caught.value.problems)
    assert "workarounds[0].restores.nowhere: unknown service 'nowhere'" in messages
    assert "workarounds[0].needs.workarounds[0]: 'nothing_here' is not another workaround" in messages
    assert "services[2].depends_on.service: 'login' is not a service hit first" in messages
