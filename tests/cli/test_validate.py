"""`warroom validate` refuses what the commands that run the documents refuse: each case
below goes through both, and both must exit 2 with the same located message (and no
traceback). What validate cannot check without another document, it says so."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from scenarios.library import bundled

LIBRARY = bundled()


def text_of(name: str) -> str:
    return LIBRARY[name].read_text(encoding="utf-8")


def edited(name: str, old: str, new: str) -> str:
    text = text_of(name)
    assert old in text, f"{old!r} not in {name}"
    return text.replace(old, new, 1)


def without_block(name: str, start: str, end: str) -> str:
    text = text_of(name)
    return text[:text.index(start)] + text[text.index(end):]


LOOP = """  - id: loop_a
    when: delivered(loop_b) and elapsed > 5m
    channel: chat
    from: A colleague
    subject: First
    content: First message.
    expect: Nothing.
  - id: loop_b
    when: since(loop_a) > 2m or (delivered(loop_a) and declared)
    channel: chat
    from: A colleague
    subject: Second
    content: Second message.
    expect: Nothing.
  - id: synthetic_waf_test
"""

SPACE = """kind: staffing_space
version: 1
name: my-space
base: {base}
choices:
  {role}:
    on_call: [1, 2]
"""

TARGET = "p90(time_to_restore) <= 45m"

# name: (files to write, validate's arguments, the consuming command's arguments, the shared message)
CASES = {
    "inject cycle": (
        {"loop.yaml": edited("cloudflare-2019-waf", "  - id: synthetic_waf_test\n", LOOP)},
        ["loop.yaml"],
        ["drill", "start", "loop.yaml", "--web", "--no-serve"],
        "inject cycle: loop_a -> loop_b -> loop_a",
    ),
    "space without a base": (
        {"space.yaml": SPACE.format(base="no-such-staffing", role="sre")},
        ["cloudflare-2019-waf", "space.yaml"],
        ["optimize", "cloudflare-2019-waf", "--staffing-space", "space.yaml", "--target", TARGET, "-n", "5"],
        "cannot load staffing 'no-such-staffing'",
    ),
    "space varying a role no base has": (
        {"space.yaml": SPACE.format(base="cloudflare-2019-sre", role="dba")},
        ["space.yaml"],
        ["optimize", "cloudflare-2019-waf", "--staffing-space", "space.yaml", "--target", TARGET, "-n", "5"],
        "no staffing of the space has 'dba'",
    ),
    "staffing that lacks a group the scenario needs": (
        {"needs-dba.yaml": edited("cloudflare-2019-waf", "needs:\n  sre: 2\n", "needs:\n  sre: 2\n  dba: 1\n")},
        ["needs-dba.yaml", "cloudflare-2019-sre"],
        ["simulate", "needs-dba.yaml", "--staffing", "cloudflare-2019-sre", "-n", "5"],
        "the scenario needs dba but staffing",
    ),
    "a reference staffing that does not exist": (
        {"ref.yaml": edited("cloudflare-2019-waf", "reference_staffing: cloudflare-2019-sre",
                                    "reference_staffing: no-such-team")},
        ["ref.yaml"],
        ["drill", "start", "ref.yaml", "--web", "--no-serve"],
        "cannot load staffing 'no-such-team'",
    ),
    "a roster role the scenario does not have": (
        {"roster.yaml": edited("cloudflare-2019-team", "role: sre}", "role: dba}")},
        ["cloudflare-2019-waf", "roster.yaml"],
        ["drill", "start", "cloudflare-2019-waf", "--roster", "roster.yaml", "--web", "--no-serve"],
        "'dba' is neither an incident role nor a resolver group",
    ),
    "responses naming an unknown cause": (
        {"responses.yaml": edited("cloudflare-2019-actual", "cause: ddos_attack", "cause: solar_flare")},
        ["responses.yaml"],
        ["drill", "run", "cloudflare-2019-waf", "--responses", "responses.yaml"],
        "unknown cause 'solar_flare'",
    ),
    "responses for another scenario": (
        {"responses.yaml": text_of("cloudflare-2019-actual")},
        ["gitlab-2017-database", "responses.yaml"],
        ["drill", "run", "gitlab-2017-database", "--responses", "responses.yaml", "--roster", "gitlab-2017-team"],
        "these responses were written for 'cloudflare-2019-waf'",
    ),
    "a playbook step nobody in the staffing can do": (
        {"playbook.yaml": without_block("itil-major-incident", "  - when_missing: communications_lead",
                                                     "  - when_missing: scribe")},
        ["cloudflare-2019-waf", "business-hours-pager", "playbook.yaml"],
        ["simulate", "cloudflare-2019-waf", "--staffing", "business-hours-pager", "--playbook", "playbook.yaml",
         "-n", "5"],
        "needs communications_lead but staffing",
    ),
}


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("case", list(CASES))
def test_validate_refuses_what_the_command_refuses(case, in_tmp):
    files, validate_args, command_args, message = CASES[case]
    for name, text in files.items():
        Path(name).write_text(text, encoding="utf-8")
    runner = CliRunner()
    checked = runner.invoke(main, ["validate", *validate_args])
    ran = runner.invoke(main, [*command_args, "--store", "drills.db"] if command_args[0] == "drill" else command_args)
    for result, who in ((checked, "validate"), (ran, command_args[0])):
        assert result.exception is None or isinstance(result.exception, SystemExit), (who, result.exception)
        assert "Traceback" not in result.output
        assert result.exit_code == 2, (who, result.output)
        assert message in result.output, (who, result.output)


def test_the_cases_cover_every_cross_document_check():
    """Each check `check_documents` runs has a refusal case above (a new check needs one)."""
    import inspect

    from scenarios import crosscheck

    called = {name for name in ("check_together", "check_drill", "space_bases", "reference_staffing")
              if f"{name}(" in "".join(inspect.getsource(f) for f in (crosscheck.check_documents,
                                                                        crosscheck._each_together,
                                                                        crosscheck._check_drill_set))}
    assert called == {"check_together", "check_drill", "space_bases", "reference_staffing"}


def test_validate_says_what_it_could_not_check(in_tmp):
    Path("responses.yaml").write_text(edited("cloudflare-2019-actual", "scenario: cloudflare-2019-waf",
                                             "scenario: my-own-scenario"), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["validate", "responses.yaml", "cloudflare-2019-sre"])
    assert result.exit_code == 0, result.output
    assert "ok: responses.yaml (responses 'cloudflare-2019-actual')" in result.output
    assert "not checked: whether it fits its scenario 'my-own-scenario'" in result.output
    assert "not checked: whether it covers a scenario's resolver groups" in result.output

    together = runner.invoke(main, ["validate", "cloudflare-2019-waf", "cloudflare-2019-sre", "cloudflare-2019-team",
                                    "cloudflare-2019-actual"])
    assert together.exit_code == 0, together.output
    assert "not checked" not in together.output
    assert together.output.count("ok: ") == 4


def test_every_bundled_document_validates_with_what_it_names():
    """Alone, each bundled document is checked against what it names (a scenario's
    reference staffing, responses' scenario and roster)."""
    runner = CliRunner()
    for name in LIBRARY:
        result = runner.invoke(main, ["validate", name])
        assert result.exit_code == 0, result.output
