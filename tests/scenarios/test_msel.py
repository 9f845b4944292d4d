"""MSEL spreadsheets that are not what they should be: every problem located (file, line,
row and column), exit 2 on the command line, never a traceback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli import main
from scenarios import load_text, resolve
from scenarios.errors import DocumentError
from scenarios.msel import MAX_MSEL_BYTES, read_msel, scenario_from_msel
from scenarios.textfile import MAX_CELL_CHARS

HEADER = "id,time,delivery,to,subject,content\n"


@pytest.fixture(scope="module")
def base():
    return resolve("cloudflare-2019-waf", "scenario")


def problems_of(raw: bytes, base) -> list[str]:
    with pytest.raises(DocumentError) as caught:
        scenario_from_msel(raw, "msel.csv", "drill", base)
    return [str(problem) for problem in caught.value.problems]


def test_a_latin_1_msel_is_located_by_line_and_byte(base):
    raw = (HEADER + "call,5m,phone,everyone,Caf\xe9 on the phone,\n").encode("latin-1")
    (problem,) = problems_of(raw, base)
    assert problem.startswith("msel.csv:2: not UTF-8 text") and "byte 0xE9 at byte offset" in problem
    assert "Windows-1252 or Latin-1" in problem


def test_a_nul_byte_is_located_by_line(base):
    (problem,) = problems_of((HEADER + "call,5m,phone,everyone,Hello,\n" + "x,6m,chat,everyone,Bye\x00,\n").encode(),
                             base)
    assert problem.startswith("msel.csv:3: a NUL byte at byte offset")


def test_a_long_cell_is_read_and_one_over_the_limit_is_a_problem_of_its_row(base):
    long = "word " * 40_000  # 200,000 characters: past the csv module's own limit of 131,072
    scenario = scenario_from_msel((HEADER + f"call,5m,phone,everyone,Hello,{long}\n").encode(), "msel.csv", "drill",
                                  base)
    injects = load_text(scenario, "drill.yaml", expect="scenario").document.injects
    assert injects[0].content == long.strip()
    too_long = "x" * (MAX_CELL_CHARS + 1)
    (problem,) = problems_of((HEADER + f"call,5m,phone,everyone,Hello,{too_long}\n").encode(), base)
    assert problem == (f"msel.csv:2: row 1.content: a cell of {MAX_CELL_CHARS + 1:,} characters, over the limit of "
                       f"{MAX_CELL_CHARS:,}: a document pasted into a cell?")


def test_lines_with_more_or_fewer_cells_than_the_header_are_problems_of_their_rows(base):
    raw = (HEADER + "one,5m,phone,everyone,Hello,hi,surplus\n"
           'two,6m,chat,everyone,"A subject\nover two lines",\n'
           "three,7m,chat\n").encode()
    assert problems_of(raw, base) == [
        "msel.csv:2: row 1: 1 more cell(s) than the header has columns",
        "msel.csv:5: row 3: 3 cell(s) fewer than the header has columns",
        "msel.csv:5: row 3.subject: an inject needs a subject",
    ]


def test_blank_rows_of_a_spreadsheet_are_left_out(base):
    raw = (HEADER + "call,5m,phone,everyone,Hello,\n,,,,,\n\n" + "alarm,10m,alert,everyone,Disk alarm,\n").encode()
    scenario = scenario_from_msel(raw, "msel.csv", "drill", base)
    assert [j.id for j in load_text(scenario, "drill.yaml", expect="scenario").document.injects] == ["call", "alarm"]


def test_a_file_too_large_or_missing_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = tmp_path / "msel.csv"
    path.write_bytes(b"x" * 2048)
    monkeypatch.setattr("scenarios.msel.MAX_MSEL_BYTES", 1024)
    with pytest.raises(DocumentError, match="2 KiB: larger than the 1 KiB an MSEL may be"):
        read_msel(path)
    with pytest.raises(DocumentError, match="no such file"):
        read_msel(tmp_path / "missing.csv")
    assert MAX_MSEL_BYTES == 16 * 1024**2


@pytest.mark.parametrize("raw, words", [
    ((HEADER + "call,5m,phone,everyone,Caf\xe9,\n").encode("latin-1"), ":2: not UTF-8 text"),
    ((HEADER + "call,5m,phone,everyone,Hi\x00,\n").encode(), ":2: a NUL byte"),
    ((HEADER + f"call,5m,phone,everyone,Hi,{'x' * (MAX_CELL_CHARS + 1)}\n").encode(), ":2: row 1.content: a cell of"),
    ((HEADER + "call,5m,phone,everyone,Hi,,extra\n").encode(), ":2: row 1: 1 more cell(s)"),
])
def test_the_command_exits_2_with_the_located_problem_and_no_traceback(tmp_path, raw, words):
    path = tmp_path / "msel.csv"
    path.write_bytes(raw)
    result = CliRunner().invoke(main, ["scenario", "import-msel", str(path), "--name", "x", "--base",
                                       "cloudflare-2019-waf", "-o", str(tmp_path / "x.yaml")])
    assert result.exit_code == 2, result.output
    assert f"{path}{words}" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "x.yaml").exists()
