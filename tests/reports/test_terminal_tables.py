"""Every table warroom prints fits the terminal: wrapped, never cut, stacked when nothing
else fits; to a file or a pipe it fits 80 columns unless COLUMNS says otherwise."""

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from reports.text.tables import table, terminal_width

ROOT = Path(__file__).resolve().parents[2]
RULE = re.compile(r"^ *-+( +-+)*$")

HEADER = ["#", "change", "p90 chg", "95% CI", "staffing/yr", "vs base", "min/100k"]
ROWS = [
    ["1", "sre: skill factor (higher is faster) x1.25 (1 -> 1.25)", "-5.8", "[-6.6, -5.0]", "6,617,600", "+0", "-"],
    ["2", "declaration delay (playbook) x0.75 (declare: median 4m, p90 10m -> declare: median 3m, p90 7m30s)",
     "-2.2", "[-2.9, -1.4]", "6,617,600", "+0", "-"],
    ["13", "technical_lead: people on call +1 (1/8 -> 2/16)", "+0.0", "[+0.0, +0.0]", "8,281,600", "+1,664,000",
     "0.00"],
]


def words(text: str) -> list[str]:
    return text.split()


@pytest.mark.parametrize("width", [80, 120])
def test_a_wide_table_fits_and_keeps_every_word_and_number(width):
    out = table(HEADER, ROWS, "rlrrrrr", width=width)
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= width
    assert sum(bool(RULE.match(line)) for line in lines) == 1
    # Numbers are never wrapped: each sits whole on one line, right-aligned in its column.
    for row in ROWS:
        for cell in row[2:]:
            assert any(cell in line for line in lines), cell
    # Text wraps at word boundaries: nothing is lost or cut.
    printed = [w for line in lines if not RULE.match(line) for w in words(line)]
    assert sorted(printed) == sorted(w for cells in [HEADER, *ROWS] for cell in cells for w in words(cell))
    # A row's continuation lines are indented under its text, so each row starts on a numbered line.
    starts = [line.split()[0] for line in lines[lines.index(next(x for x in lines if RULE.match(x))) + 1:]
              if line[:3].strip()]
    assert starts == ["1", "2", "13"]


def test_a_table_that_fits_is_laid_out_as_before():
    out = table(["option", "p90", "staffing/yr"], [["cloudflare-2019-sre", "43.2", "6,617,600"]], width=200)
    assert out == ("option                p90  staffing/yr\n"
                   "-------------------  ----  -----------\n"
                   "cloudflare-2019-sre  43.2    6,617,600")


def test_too_narrow_for_columns_each_row_becomes_a_block():
    out = table(HEADER, ROWS, "rlrrrrr", width=40)
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 40 and not any(RULE.match(line) for line in lines)
    flat = " ".join(out.split())
    for row in ROWS:
        for header, cell in zip(HEADER[2:], row[2:]):
            assert f"{header}: {cell}" in flat


def test_rows_without_a_header_and_an_indent():
    out = table(None, [["cloudflare-2019-waf", "Global HTTP 502s after a WAF rule deploy (Cloudflare, July 2019)"],
                       ["gitlab-2017-database", "Production database directory deleted, every backup broken"]],
                "ll", width=60, indent="  ")
    lines = out.splitlines()
    assert all(line.startswith("  ") and len(line) <= 60 for line in lines)
    assert lines[0].startswith("  cloudflare-2019-waf") and not any(RULE.match(line) for line in lines)


def test_width_comes_from_columns_else_the_terminal_else_80(monkeypatch):
    monkeypatch.setenv("COLUMNS", "132")
    assert terminal_width() == 132
    monkeypatch.delenv("COLUMNS")

    def not_a_terminal(*_):
        raise OSError("not a terminal")

    monkeypatch.setattr(os, "get_terminal_size", not_a_terminal)
    assert terminal_width() == 80


# -- every command -------------------------------------------------------------------

HISTORY = str(ROOT / "tests" / "fixtures" / "history" / "pagerduty-rest.json")
CANONICAL = str(ROOT / "tests" / "fixtures" / "history" / "canonical.csv")
SPACE = str(ROOT / "docs" / "examples" / "cloudflare-2019-space.yaml")
COMMANDS = {
    "simulate": ["simulate", "cloudflare-2019-waf", "--staffing", "cloudflare-2019-sre", "-n", "100"],
    "compare": ["compare", "cloudflare-2019-waf", "--staffing", "cloudflare-2019-sre", "--staffing",
                "business-hours-pager", "--staffing", "24x7-comms-lead", "--staffing", "follow-the-sun", "-n", "100"],
    "sensitivity": ["sensitivity", "cloudflare-2019-waf", "--staffing", "cloudflare-2019-sre", "-n", "60", "-q"],
    "optimize": ["optimize", "cloudflare-2019-waf", "--staffing-space", SPACE, "--target",
                 "p90(time_to_restore) <= 45m", "-n", "60", "-q"],
    "compare adaptive": ["compare", "cloudflare-2019-waf", "--staffing", "cloudflare-2019-sre", "--staffing",
                         "follow-the-sun", "--adaptive", "--first-round", "500", "--max-replications", "1000", "-q"],
    "optimize adaptive": ["optimize", "cloudflare-2019-waf", "--staffing-space", SPACE, "--target",
                          "p90(time_to_restore) <= 45m", "--adaptive", "--first-round", "500", "--max-replications",
                          "1000", "-q"],
    "history kpi": ["history", "kpi", HISTORY, "--source", "pagerduty"],
    "history import": ["history", "import", HISTORY, "--source", "pagerduty"],
    "history fit": ["history", "fit", CANONICAL, "--source", "canonical", "--staffing", "cloudflare-2019-sre"],
    "list": ["list"],
    "scenario list": ["scenario", "list"],
    "scenario show": ["scenario", "show", "cloudflare-2019-waf"],
    "drill run": ["drill", "run", "cloudflare-waf-2019", "--roster", "cloudflare-2019-team", "--responses",
                  "cloudflare-2019-actual"],
}
# Their whole answer fits, prose included, not only the tables.
WHOLLY = {"sensitivity", "list", "scenario list"}
# At 120 columns these print at least one table with columns (not stacked).
TABULAR = {"simulate", "compare", "sensitivity", "optimize", "compare adaptive", "optimize adaptive", "history kpi",
           "history import", "drill run"}


@pytest.fixture
def printed_tables(monkeypatch):
    """Every table a command renders, whichever text module asks for it."""
    import importlib
    import pkgutil

    import reports.text as text
    from reports.text import tables

    found = []
    original = tables.table

    def recording(*args, **kwargs):
        out = original(*args, **kwargs)
        found.append(out)
        return out

    for module in pkgutil.iter_modules(text.__path__):
        loaded = importlib.import_module(f"reports.text.{module.name}")
        if getattr(loaded, "table", None) is original:
            monkeypatch.setattr(loaded, "table", recording)
    return found


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_prints_tables_that_fit(command, width, tmp_path, monkeypatch, printed_tables):
    monkeypatch.chdir(tmp_path)
    args = COMMANDS[command]
    if command == "drill run":
        args = args + ["--store", str(tmp_path / "drills.db")]
    if command == "history fit":
        args = args + ["-o", str(tmp_path / "fitted.yaml")]
    result = CliRunner().invoke(main, args, env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    assert printed_tables and all(t in result.output for t in printed_tables)
    lines = [line for t in printed_tables for line in t.splitlines()]
    assert [line for line in lines if len(line) > width] == []
    if command in WHOLLY:
        assert [line for line in result.output.splitlines() if len(line) > width] == []
    if command in TABULAR and width == 120:
        assert any(RULE.match(line) for line in lines)
