"""History exports that are large or hostile: read quickly, and every problem located.

A CSV is mapped and checked a column at a time; the records that fail a check there are
read one by one. The table and the problems must be exactly those of reading every record
one by one, which these tests compare on generated exports full of good and bad rows. A
file that cannot be read at all (not UTF-8, a NUL byte, JSON nested without end, too
large) is one located problem, and on the command line exit 2 without a traceback.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from cli import main
from scenarios.history import (
    HistoryError,
    HistoryMapping,
    canonical_frame,
    read_history,
    readers,
)
from scenarios.history.mapping import effective_mapping
from scenarios.history.platforms import PLATFORMS
from scenarios.history.records import ReadContext
from scenarios.history.times import (
    BEYOND_RANGE,
    iso_z,
    iso_z_column,
    parse_time,
    parse_times,
    zone_named,
)
from scenarios.textfile import (
    MAX_CELL_CHARS,
    MAX_JSON_DEPTH,
    TextFileProblem,
    load_json,
)

MILESTONES = ("impact_started", "detected", "created", "acknowledged", "declared", "assembled", "mitigated",
              "resolved", "closed", "postmortem_started", "postmortem_completed")


def record_by_record(path: Path, source: str, *, assume_timezone: str | None = None,
                     mapping: HistoryMapping | None = None) -> tuple[pd.DataFrame, list, tuple]:
    """The import with every record read one by one (the way JSON exports are read)."""
    document = readers._read(path, str(path))
    zone = zone_named(assume_timezone) if assume_timezone else None
    context = ReadContext(str(path), zone, effective_mapping(source, mapping))
    platform = PLATFORMS[source]
    records, fatal = platform.extract(document, platform.shape(document), context)
    rows, problems, skipped = readers._rows(records, source, context)
    return canonical_frame(rows), fatal + problems, tuple(skipped)


def assert_same_import(path: Path, source: str, **options) -> None:
    expected_table, expected_problems, expected_skipped = record_by_record(path, source, **options)
    imported = read_history(path, source, skip_bad_rows=True, **options)
    pd.testing.assert_frame_equal(imported.table, expected_table)
    assert imported.problems == expected_problems
    assert imported.skipped_rows == expected_skipped
    if expected_problems:
        with pytest.raises(HistoryError) as caught:
            read_history(path, source, **options)
        assert caught.value.problems == sorted(expected_problems, key=lambda p: (p.file, p.row or 0, p.field))


def _time(rng: random.Random, moment: datetime) -> str:
    """A good time in one of the ways exports write them."""
    style = rng.random()
    if style < 0.55:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.7:
        return moment.astimezone(timezone(timedelta(hours=rng.choice((-7, 1, 5.5))))).isoformat()
    if style < 0.8:
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:rng.choice((23, 26))] + "+00:00"
    if style < 0.9:
        return moment.strftime("%Y-%m-%dT%H:%MZ")  # no seconds: read value by value
    return f" {moment.strftime('%Y-%m-%dT%H:%M:%SZ')} "


# Ways a row goes wrong: each names what it does to the row's cells.
BREAKAGES = ("bad date", "order", "duplicate", "no id", "flag", "short line", "long line", "no zone", "never",
             "placeholder", "long cell", "text", "drill title", "spaced id", "multi-line", "blank line",
             "commas only", "local time")


def write_canonical(path: Path, rows: int, seed: int, bad_share: float) -> None:
    rng = random.Random(seed)
    header = ("id", "source", "title", "service", "severity", "is_major", "is_drill") + MILESTONES
    lines = [",".join(header)]
    ids: list[str] = []
    for number in range(rows):
        moment = datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=47 * number + rng.randrange(40))
        times = []
        for _ in MILESTONES:
            moment += timedelta(seconds=rng.randrange(1, 4000), microseconds=rng.choice((0, 0, 250_000, 123_456)))
            times.append("" if rng.random() < 0.2 else _time(rng, moment))
        incident_id = f"H-{number}"
        cells = [incident_id, rng.choice(("", "pagerduty", " servicenow")), f'"Errors, {number}"',
                 rng.choice(("api", "db", "")), rng.choice(("sev1", "P2", "SEV 3", "Critical", "", "minor")),
                 rng.choice(("", "true", "FALSE", "1", "no")), rng.choice(("", "false", "yes"))] + times
        if rng.random() < bad_share:
            breakage = rng.choice(BREAKAGES)
            column = 7 + rng.randrange(len(MILESTONES))
            if breakage == "bad date":
                cells[column] = "2025-02-30T10:00:00Z"
            elif breakage == "order":
                cells[7 + MILESTONES.index("resolved")] = "2024-01-01T00:00:00Z"
            elif breakage == "duplicate" and ids:
                cells[0] = rng.choice(ids)
            elif breakage == "no id":
                cells[0] = ""
            elif breakage == "flag":
                cells[5] = "maybe"
            elif breakage == "short line":
                cells = cells[:rng.randrange(1, len(cells))]
            elif breakage == "long line":
                cells = cells + ["surplus"]
            elif breakage == "no zone":
                cells[column] = "2024-06-01 10:00:00"
            elif breakage == "never":
                cells[column] = "9999-12-31T23:59:59Z"
            elif breakage == "placeholder":
                cells[column] = "1970-01-01T00:00:00Z"
            elif breakage == "long cell":
                cells[2] = "x" * (MAX_CELL_CHARS + 1)
            elif breakage == "text":
                cells[column] = rng.choice(("soon", "2024-06-01", "yesterday 10:00"))
            elif breakage == "drill title":
                cells[2] = rng.choice(("[DRILL] failover", "  drill: tabletop", "Drill hall"))
            elif breakage == "spaced id":
                cells[0] = f"  {incident_id}\u3000"
            elif breakage == "multi-line":
                cells[2] = '"a title\nover two lines"'
            elif breakage == "blank line":
                lines.append("")
            elif breakage == "commas only":
                lines.append("," * (len(header) - 1))
            elif breakage == "local time":
                cells[column] = rng.choice(("2024-03-31 01:30:00", "2024-10-27 01:30:00", "2024-07-01 12:00:00"))
        ids.append(cells[0].strip() if cells else "")
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_twenty_thousand_rows_read_at_once_equal_the_rows_read_one_by_one(tmp_path):
    export = tmp_path / "history.csv"
    write_canonical(export, 20_000, seed=7, bad_share=0.02)
    imported = read_history(export, "canonical", skip_bad_rows=True)
    assert 19_000 < len(imported.table) < 20_000 and imported.problems  # mostly good, some bad
    assert_same_import(export, "canonical")


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("assume_timezone", [None, "Europe/London"])
def test_a_mix_of_good_and_bad_rows_gives_the_same_table_and_problems(tmp_path, seed, assume_timezone):
    export = tmp_path / "history.csv"
    write_canonical(export, 400, seed=seed, bad_share=0.5)
    assert_same_import(export, "canonical", assume_timezone=assume_timezone)


def test_every_kind_of_bad_row_is_worded_as_before(tmp_path):
    """The problems the column-wise reading leaves to the record-wise one, one of each."""
    export = tmp_path / "history.csv"
    export.write_text(
        "id,title,is_drill,detected,created,resolved\n"
        "A,fine,false,2025-03-01T10:00:00Z,2025-03-01T10:01:00Z,2025-03-01T11:00:00Z\n"
        "B,bad date,false,2025-02-30T10:00:00Z,,\n"
        "C,order,false,2025-03-02T10:00:00Z,2025-03-02T10:05:00Z,2025-03-02T10:01:00Z\n"
        "A,again,false,2025-03-03T10:00:00Z,,\n"
        ",no id,false,2025-03-04T10:00:00Z,,\n"
        "D,flag,maybe,2025-03-05T10:00:00Z,,\n"
        "E,short\n"
        "F,long,false,2025-03-06T10:00:00Z,,,surplus\n"
        "G,no zone,false,2025-03-07 10:00:00,,\n"
        "H,never,false,2025-03-08T10:00:00Z,,9999-12-31T23:59:59Z\n"
        f"I,{'x' * (MAX_CELL_CHARS + 1)},false,2025-03-09T10:00:00Z,,\n", encoding="utf-8")
    imported = read_history(export, "canonical", skip_bad_rows=True)
    assert list(imported.table["id"]) == ["A"]
    found = [(p.row, p.field, p.value, p.message) for p in imported.problems]
    assert found == [
        (3, "detected", "2025-02-30T10:00:00Z", "not a valid date and time (day is out of range for month)"),
        (4, "resolved", "2025-03-02T10:01:00Z",
         "impossible: resolved at 2025-03-02T10:01:00Z comes before created at 2025-03-02T10:05:00Z"),
        (5, "id", "A", "duplicate id (first at row 2)"),
        (6, "id", "", "missing: every incident needs an id"),
        (7, "is_drill", "maybe", "expected true or false"),
        (8, "", "", "4 cell(s) fewer than the header has columns"),
        (9, "", "surplus", "1 more cell(s) than the header has columns"),
        (10, "detected", "2025-03-07 10:00:00",
         "has no time zone offset; write Z or +hh:mm, or pass --assume-timezone"),
        (11, "resolved", "9999-12-31T23:59:59Z", BEYOND_RANGE),
        (12, "title", "x" * 77 + "...",
         f"a cell of {MAX_CELL_CHARS + 1:,} characters, over the limit of {MAX_CELL_CHARS:,}: "
         "a document pasted into a cell?"),
    ]
    assert_same_import(export, "canonical")


def write_canonical_json(path: Path, rows: int, seed: int, bad_share: float) -> None:
    """The rows of `write_canonical` as a canonical JSON list, some values typed as JSON
    writes them (true, 42), some not text where text belongs, some entries not objects."""
    rng = random.Random(seed)
    write_canonical(path, rows, seed, bad_share)
    incidents: list = [row for _, row, _ in readers._read(path, str(path)).rows()]
    for number, incident in enumerate(incidents):
        for flag in ("is_major", "is_drill"):
            if incident.get(flag) in ("true", "false") and rng.random() < 0.8:
                incident[flag] = incident[flag] == "true"
        for key in [key for key in incident if rng.random() < 0.05]:
            del incident[key]  # an absent field is a missing one
        if rng.random() < bad_share:
            incident[rng.choice(("id", "title", "detected", "resolved", "is_major"))] = rng.choice(
                (42, 1.5, None, ["x"], {"name": "nested"}, True))
        if rng.random() < bad_share / 4:
            incidents[number] = rng.choice(("x", 7, None, ["a"]))
    path.write_text(json.dumps({"format": "warroom.incidents/1", "incidents": incidents}), encoding="utf-8")


@pytest.mark.parametrize("seed", [4, 5])
def test_a_canonical_json_export_reads_the_same_at_once_and_one_by_one(tmp_path, seed):
    export = tmp_path / "history.json"
    write_canonical_json(export, 600, seed=seed, bad_share=0.3)
    imported = read_history(export, "canonical", skip_bad_rows=True)
    assert len(imported.table) > 200 and imported.problems
    assert_same_import(export, "canonical")


def write_servicenow(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    lines = ['"number","sys_id","short_description","priority","opened_at","sys_created_on","u_impact_start",'
             '"resolved_at","closed_at","major_incident_state","business_service","cmdb_ci"']
    for number in range(rows):
        # Around the 2024 clock changes in London: some local times do not exist, some twice.
        moment = datetime(2024, rng.choice((3, 10)), rng.choice((30, 31, 26, 27)), rng.randrange(24),
                          rng.randrange(60), rng.randrange(60))
        times = []
        for _ in range(5):
            moment += timedelta(minutes=rng.randrange(0, 90))
            times.append("" if rng.random() < 0.15 else moment.strftime("%Y-%m-%d %H:%M:%S"))
        identifier = "" if rng.random() < 0.1 else f"INC{number % (rows - 5):07d}"
        cells = [identifier, f"sys{number}", "Shared drive, Leeds", rng.choice(("1 - Critical", "3 - Moderate", "")),
                 times[0], times[1], rng.choice(("", times[0], "2024-13-01 10:00:00")), times[3], times[4],
                 rng.choice(("Accepted", "Proposed", "", "accepted ")), rng.choice(("Payroll", "")),
                 rng.choice(("ci-1", ""))]
        lines.append(",".join(f'"{cell}"' for cell in cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_servicenow_csv_in_local_time_reads_the_same_both_ways(tmp_path):
    export = tmp_path / "incidents.csv"
    write_servicenow(export, 600, seed=5)
    mapping = HistoryMapping(kind="history-mapping", version=1, source="servicenow",
                             milestones={"impact_started": ["u_impact_start", "opened_at"],
                                         "detected": ["sys_created_on", "opened_at"]})
    for options in ({"assume_timezone": "Europe/London"}, {"assume_timezone": "UTC", "mapping": mapping}):
        imported = read_history(export, "servicenow", skip_bad_rows=True, **options)
        assert len(imported.table) > 300 and imported.problems
        assert_same_import(export, "servicenow", **options)


texts = st.one_of(
    st.none(), st.just(""), st.just("  "),
    st.builds(lambda y, mo, d, h, mi, s, sep, fraction, zone: f"{y:04d}-{mo:02d}-{d:02d}{sep}{h:02d}:{mi:02d}:{s:02d}"
              f"{fraction}{zone}",
              st.sampled_from([1, 1979, 1980, 2024, 2025, 2262, 9999]), st.integers(0, 13), st.integers(0, 32),
              st.integers(0, 24), st.integers(0, 60), st.integers(0, 60), st.sampled_from(["T", " "]),
              st.sampled_from(["", ".5", ".123", ".123456", ".1234567"]),
              st.sampled_from(["", "", "Z", "+01:00", "-05:30", "+14:00", "+23:59", "+24:00", "+05:60", "z"])),
    st.text(max_size=30))


@settings(max_examples=60, deadline=None)
@given(st.lists(texts, max_size=40), st.sampled_from([None, "UTC", "Europe/London", "America/New_York",
                                                      "Australia/Lord_Howe"]))
def test_a_column_of_times_reads_as_each_time_alone(values, zone_name):
    zone = zone_named(zone_name) if zone_name else None
    moments, failed = parse_times(pa.array(values, type=pa.string()), zone)
    for value, moment, broken in zip(values, moments, failed):
        try:
            expected = parse_time(value, zone)
        except ValueError:
            assert broken and np.isnat(moment), value
        else:
            assert not broken, value
            assert (np.isnat(moment) if expected is None else pd.Timestamp(moment, tz="UTC") == expected), value


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.tuples(st.integers(-9 * 10**9, 9 * 10**9),
                                               st.sampled_from([0, 1, 500_000_000, 123_000_000, 123_456_000,
                                                                123_456_789]))), max_size=30))
def test_a_column_of_times_is_written_as_each_time_alone(moments):
    column = pd.Series(pd.to_datetime([None if m is None else m[0] * 10**9 + m[1] for m in moments], utc=True),
                       dtype="datetime64[ns, UTC]")
    assert iso_z_column(column) == [iso_z(moment) for moment in column]


# -- files that cannot be read ------------------------------------------------------------

def test_a_latin_1_export_is_located_by_line_and_byte(tmp_path):
    export = tmp_path / "latin1.csv"
    export.write_bytes("id,title\nA,Caf\xe9 down\n".encode("latin-1"))
    with pytest.raises(HistoryError) as caught:
        read_history(export, "canonical", skip_bad_rows=True)  # the whole file is in another encoding
    (problem,) = caught.value.problems
    assert problem.row == 2 and "not UTF-8 text" in problem.message and "byte 0xE9 at byte offset 14" in problem.message
    assert "Latin-1" in problem.message


def test_a_nul_byte_is_located_by_line(tmp_path):
    export = tmp_path / "nul.csv"
    export.write_bytes(b"id,title\nA,fine\nB,bro\x00ken\n")
    with pytest.raises(HistoryError) as caught:
        read_history(export, "canonical")
    (problem,) = caught.value.problems
    assert problem.row == 3 and "a NUL byte at byte offset 21" in problem.message


def test_a_cell_over_the_csv_modules_own_limit_is_read_and_one_over_ours_is_a_row_problem(tmp_path):
    export = tmp_path / "long.csv"
    export.write_text(f"id,title,detected\nA,{'a' * 200_000},2025-01-01T10:00:00Z\n"
                      f"B,{'b' * (MAX_CELL_CHARS + 1)},2025-01-01T10:00:00Z\nC,short,2025-01-01T10:00:00Z\n",
                      encoding="utf-8")
    imported = read_history(export, "canonical", skip_bad_rows=True)
    assert list(imported.table["id"]) == ["A", "C"] and len(imported.table.loc[0, "title"]) == 200_000
    (problem,) = imported.problems
    assert (problem.row, problem.field) == (3, "title") and "over the limit of 1,048,576" in problem.message


def test_a_ragged_canonical_line_is_a_problem_of_that_line(tmp_path):
    export = tmp_path / "ragged.csv"
    export.write_text("id,title,detected\nA,x\nB,y,2025-01-01T10:00:00Z,extra,cells\nC,z,2025-01-01T10:00:00Z\n",
                      encoding="utf-8")
    imported = read_history(export, "canonical", skip_bad_rows=True)
    assert list(imported.table["id"]) == ["C"]
    assert [(p.row, p.value, p.message) for p in imported.problems] == [
        (2, "", "1 cell(s) fewer than the header has columns"),
        (3, "extra,cells", "2 more cell(s) than the header has columns")]


def test_json_nested_past_the_limit_is_refused_with_its_line(tmp_path):
    export = tmp_path / "deep.json"
    export.write_text('{"incidents": [\n' + "[" * 100_000 + "]" * 100_000 + "\n]}", encoding="utf-8")
    with pytest.raises(HistoryError) as caught:
        read_history(export, "canonical")
    (problem,) = caught.value.problems
    assert problem.row == 2 and f"nested more than {MAX_JSON_DEPTH} levels deep" in problem.message
    shallow = tmp_path / "shallow.json"
    shallow.write_text(json.dumps({"incidents": [{"id": "A", "title": "[[[{{{ not brackets \\\" [["}]}),
                       encoding="utf-8")
    assert read_history(shallow, "canonical").table.loc[0, "title"] == '[[[{{{ not brackets \\" [['


@pytest.mark.parametrize("content", [
    b"[\\" + b"[" * 100 + b"]" * 101,
    b'["' + b"[" * 100,
    b'[\\"' + b"{" * 70 + b'"]',
    b"[" * 70 + b'"\\' + b"]" * 70,
])
def test_broken_json_with_deep_brackets_is_one_problem_of_the_file(tmp_path, content):
    export = tmp_path / "broken.json"
    export.write_bytes(content)
    with pytest.raises(HistoryError) as caught:
        read_history(export, "canonical")
    (problem,) = caught.value.problems
    assert "nested" in problem.message or "not valid JSON" in problem.message


def depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    return 0


nested = st.recursive(st.one_of(st.none(), st.integers(), st.text(alphabet='[]{}"\\ab', max_size=6)),
                      lambda inner: st.one_of(st.lists(inner, max_size=2),
                                              st.dictionaries(st.text(alphabet='[]{}"\\k', max_size=4), inner,
                                                              max_size=2)),
                      max_leaves=200)


@settings(max_examples=200, deadline=None)
@given(nested, st.integers(0, MAX_JSON_DEPTH + 3))
def test_the_nesting_limit_counts_brackets_outside_strings_only(value, wrap):
    for _ in range(wrap):
        value = [value]
    raw = json.dumps(value, ensure_ascii=False).encode("utf-8")
    if depth(value) > MAX_JSON_DEPTH:
        with pytest.raises(TextFileProblem):
            load_json(raw)
    else:
        assert load_json(raw) == value


def test_a_file_over_the_size_limits_is_refused_before_it_is_read(tmp_path, monkeypatch):
    export = tmp_path / "big.csv"
    export.write_bytes(b"id\n" + b"A\n" * 1024**2)
    monkeypatch.setattr(readers, "MAX_FILE_BYTES", 1024**2)
    with pytest.raises(HistoryError, match=r"2 MiB: larger than the 1 MiB an export may be; export a shorter period"):
        read_history(export, "canonical")
    monkeypatch.setattr(readers, "MAX_FILE_BYTES", 1024**3)
    monkeypatch.setattr(readers, "MAX_JSON_BYTES", 1024**2)
    document = tmp_path / "big.json"
    document.write_text(json.dumps({"incidents": [{"id": f"A{n}"} for n in range(100_000)]}), encoding="utf-8")
    with pytest.raises(HistoryError, match="MiB of JSON: larger than the 1 MiB a JSON export may be"):
        read_history(document, "canonical")


@pytest.mark.parametrize("content, words", [
    (b"", "the file is empty"),
    (b" \n\t\n", "the file is empty"),
    (b"\xff\xfe\x00\x00", "a NUL byte"),
    ("id,title\nA,ok\n".encode("utf-16"), "a NUL byte"),
    (b"\xef\xbb\xbfid,title\nA,\xc3\n", "not UTF-8 text"),
])
def test_unreadable_files_are_one_problem_of_the_file(tmp_path, content, words):
    export = tmp_path / "export.csv"
    export.write_bytes(content)
    with pytest.raises(HistoryError) as caught:
        read_history(export, "canonical")
    (problem,) = caught.value.problems
    assert words in problem.message


@pytest.mark.parametrize("content, words", [
    ("id,title\nA,Caf\xe9\n".encode("latin-1"), "not UTF-8 text"),
    (b"id,title\nA,\x00\n", "a NUL byte"),
    (("[" * 100_000 + "]" * 100_000).encode(), "nested more than 64 levels deep"),
])
def test_the_command_exits_2_with_the_located_problem_and_no_traceback(tmp_path, content, words):
    export = tmp_path / "export.csv"
    export.write_bytes(content)
    for command in ("import", "kpi"):
        result = CliRunner().invoke(main, ["history", command, str(export), "--source", "canonical"])
        assert result.exit_code == 2, result.output
        assert words in result.stderr and str(export) in result.stderr and "Traceback" not in result.output
