"""`read_history`: an incident platform's export in, the canonical incident table out.

The common work after a platform reader has found the records: pick each milestone by the
mapping, check that the times are possible, reject duplicate ids, and either raise every
problem at once or (with `skip_bad_rows`) keep the good rows and list the bad ones. Rows
are never dropped silently and missing times are never filled in.

A flat export (a CSV) is mapped and checked a column at a time; the records that fail a
check there are then read one by one, so the table and every problem are the same as
record by record, in a fraction of the time and memory.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..textfile import TextFileProblem, csv_records, decoded, load_json, size_text
from .classification import classification_columns
from .mapping import SOURCE_TITLES, SOURCES, EffectiveMapping, HistoryMapping, effective_mapping, load_mapping
from .platforms import INCIDENTS_FORMAT, PLATFORMS, RESPONSE_COLUMNS, JournalFacts, JournalFolder
from .records import Candidate, CsvTable, ReadContext, SourceColumns, SourceRecord, each_distinct
from .table import MILESTONE_COLUMNS, HistoryError, RowProblem, canonical_frame, canonical_table
from .times import iso_z, parse_times, zone_named

__all__ = ["HistoryImport", "read_history", "read_history_document", "combined", "history_sha256", "SOURCES",
           "ORDER_RULES", "MAX_FILE_BYTES", "MAX_JSON_BYTES"]

MAX_FILE_BYTES = 1024**3
"""The largest export read (1 GiB, some four million canonical CSV rows): a CSV is read as it streams."""
MAX_JSON_BYTES = 512 * 1024**2
"""The largest JSON export read (512 MiB, some million canonical incidents): a JSON document
is held whole in memory, as Python objects about four times its size."""

# (earlier, later): a record whose `later` milestone comes before its `earlier` one is impossible.
ORDER_RULES = (
    ("impact_started", "detected"), ("impact_started", "mitigated"), ("impact_started", "resolved"),
    ("detected", "acknowledged"),
    ("created", "resolved"), ("created", "closed"),
    ("impact_started", "identified"), ("impact_started", "workaround_applied"), ("impact_started", "fixed"),
    ("mitigated", "resolved"), ("resolved", "closed"),
    ("postmortem_started", "postmortem_completed"),
)


@dataclass(frozen=True, eq=False)
class HistoryImport:
    """What one export gave: the canonical table (every good row, drills included and
    flagged) and the problems of the rows left out (only with `skip_bad_rows`). Drill
    journals (source `drill`) also give `journals`: per drill in the table, its team,
    scenario, what was not taken as a measurement, and its per-role inject responses."""

    table: pd.DataFrame
    problems: list[RowProblem]
    source: str
    file: str
    shape: str = ""                       # which layout of the source, e.g. "Analytics raw incidents"
    skipped_rows: tuple[int, ...] = field(default=())
    journals: tuple[JournalFacts, ...] = field(default=())

    @property
    def drills(self) -> int:
        return int(self.table["is_drill"].sum())

    @property
    def responses(self) -> pd.DataFrame:
        """Every drill's per-role responses to the injects that expected an action
        (`platforms.RESPONSE_COLUMNS`; no rows for other sources or unscored drills)."""
        rows = [row for facts in self.journals for row in facts.responses]
        return pd.DataFrame(rows, columns=list(RESPONSE_COLUMNS))

    def coverage(self) -> dict[str, int]:
        """How many rows have each milestone (the rest are missing, not zero)."""
        return {column: int(self.table[column].notna().sum()) for column in MILESTONE_COLUMNS}


def read_history(path: str | Path, source: str, *, mapping: HistoryMapping | str | Path | None = None,
                 skip_bad_rows: bool = False, assume_timezone: str | None = None) -> HistoryImport:
    """Read the export at `path`, made by `source` (one of SOURCES), into the canonical table.

    `mapping` is a HistoryMapping or the path of a mapping file (overrides of the built-in
    field mapping). `assume_timezone` (an IANA name) is the zone of times written without an
    offset, for formats that do not define one: required for a ServiceNow CSV export (the
    exporting user's zone), refused for ServiceNow Table API JSON (UTC by definition). A
    time beyond 2262 (a "never" placeholder) is a problem of its row, as is a CSV line with
    more or fewer cells than the header or a cell over MAX_CELL_CHARS. Raises HistoryError
    with every problem found; with `skip_bad_rows` bad rows are left out and listed in `problems` instead
    (problems with the file as a whole still raise: over MAX_FILE_BYTES, or MAX_JSON_BYTES
    for JSON; not UTF-8 or a NUL byte, located by line and byte offset; JSON nested deeper
    than MAX_JSON_DEPTH). A bad mapping file raises DocumentError.
    """
    file = str(path)
    document = _read_folder(Path(path), file, source) if Path(path).is_dir() else _read(path, file)
    return read_history_document(document, source, file=file, mapping=mapping,
                                 skip_bad_rows=skip_bad_rows, assume_timezone=assume_timezone)


def history_sha256(path: str | Path) -> str:
    """SHA-256 of an export, for provenance: of the file, or for a folder of drill journals of
    each *.json file's name and hash in name order ("" when it cannot be read)."""
    import hashlib

    try:
        if Path(path).is_dir():
            digest = hashlib.sha256()
            for file in sorted(p for p in Path(path).iterdir() if p.suffix.casefold() == ".json" and p.is_file()):
                digest.update(f"{file.name}\0{hashlib.sha256(file.read_bytes()).hexdigest()}\n".encode())
            return digest.hexdigest()
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""


def combined(imports: list[HistoryImport]) -> HistoryImport:
    """Several imports as one history (e.g. a platform's export and a team's drill
    journals): their rows in order, their problems and journals together. Raises
    HistoryError when an id appears in two of them."""
    if len(imports) == 1:
        return imports[0]
    first_file: dict[str, str] = {}
    problems = []
    for part in imports:
        for incident in part.table["id"]:
            if incident in first_file:
                problems.append(RowProblem(part.file, None, "id", incident,
                                           f"duplicate id (also in {first_file[incident]})"))
            first_file.setdefault(incident, part.file)
    if problems:
        raise HistoryError(problems)
    return HistoryImport(pd.concat([part.table for part in imports], ignore_index=True),
                         [p for part in imports for p in part.problems], " + ".join(p.source for p in imports),
                         " + ".join(p.file for p in imports), "; ".join(p.shape for p in imports),
                         journals=tuple(facts for part in imports for facts in part.journals))


def read_history_document(document: Any, source: str, *, file: str = "<data>",
                          mapping: HistoryMapping | str | Path | None = None, skip_bad_rows: bool = False,
                          assume_timezone: str | None = None) -> HistoryImport:
    """Like `read_history`, for an export already parsed from JSON (or a CsvTable)."""
    if source not in SOURCES:
        raise HistoryError([RowProblem(file, None, "source", source,
                                       f"unknown source (expected one of {', '.join(SOURCES)})")])
    if isinstance(mapping, (str, Path)):
        mapping = load_mapping(mapping)
    if mapping is not None and mapping.source != source:
        raise HistoryError([RowProblem(file, None, "mapping", mapping.source,
                                       f"the mapping is for source {mapping.source}, not {source}")])
    zone = None
    if assume_timezone is not None:
        try:
            zone = zone_named(assume_timezone)
        except ValueError as exc:
            raise HistoryError([RowProblem(file, None, "assume_timezone", assume_timezone, str(exc))]) from None
    context = ReadContext(file, zone, effective_mapping(source, mapping))
    platform = PLATFORMS[source]
    shape = _shape_or_fail(document, source, file)
    columns, fatal = platform.columns(document, shape, context) if platform.columns else (None, [])
    if columns is not None:
        table, problems, skipped = _table_at_once(columns, source, context)
    else:
        records, fatal = platform.extract(document, shape, context)
        rows, problems, skipped = _rows(records, source, context)
        table = canonical_frame(rows)
    journals: tuple[JournalFacts, ...] = ()
    if source == "drill":  # each journal's problems are placed in its own file; its facts go with its row
        fatal, problems = _in_journal_files(fatal, document, shape, file), _in_journal_files(problems, document,
                                                                                             shape, file)
        kept = set(table["id"])
        journals = tuple(r.details for r in records if r.details is not None and r.row not in skipped
                         and r.id in kept)
    if fatal or (problems and not skip_bad_rows):
        raise HistoryError(fatal + problems)
    return HistoryImport(table, problems, source, file, platform.shapes[shape], tuple(skipped), journals)


def _in_journal_files(problems: list[RowProblem], document: Any, shape: str, file: str) -> list[RowProblem]:
    """A drill journal's problems as the importer words them (its record's row of the export)
    placed in the journal's own file: a folder's N-th journal is its N-th file by name."""
    if shape == "journals":
        return problems
    files = [name for name, _ in document.journals] if shape == "folder" else [file]

    def placed(message: str) -> str:  # "duplicate id (first at row 2)": the second file
        first = re.fullmatch(r"duplicate id \(first at row (\d+)\)", message)
        return f"duplicate id (first in {files[int(first[1]) - 1]})" if first and int(first[1]) <= len(files) else message

    return [RowProblem(files[p.row - 1], None, p.field, p.value, placed(p.message))
            if p.file == file and p.row is not None and 0 < p.row <= len(files) else p for p in problems]


# -- the file -------------------------------------------------------------------------

def _read(path: str | Path, file: str) -> Any:
    """The export at `path`, parsed (its bytes are let go once it is)."""
    try:
        size = Path(path).stat().st_size
        if size > MAX_FILE_BYTES:
            raise HistoryError([RowProblem(file, None, "", "", (
                f"{size_text(size)}: larger than the {size_text(MAX_FILE_BYTES)} an export may be; "
                "export a shorter period, or split the file"))])
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise HistoryError([RowProblem(file, None, "", "", "no such file")]) from None
    except OSError as exc:
        raise HistoryError([RowProblem(file, None, "", "", f"cannot read: {exc.strerror or exc}")]) from None
    return _parse(raw, file)


def _read_folder(path: Path, file: str, source: str) -> JournalFolder:
    """The drill journals in the folder at `path` (its *.json files, by name), with the files
    that are not JSON at all as problems. Only the `drill` source reads a folder."""
    if source != "drill":
        raise HistoryError([RowProblem(file, None, "", "", "a folder: only --source drill reads a folder (of drill "
                                                           "journals); give the export file itself")])
    try:
        files = sorted(p for p in path.iterdir() if p.suffix.casefold() == ".json" and p.is_file())
    except OSError as exc:
        raise HistoryError([RowProblem(file, None, "", "", f"cannot read: {exc.strerror or exc}")]) from None
    journals, problems = [], []
    for journal in files:
        try:
            journals.append((str(journal), _read(journal, str(journal))))
        except HistoryError as exc:  # said with the other journals' problems
            problems += exc.problems
    return JournalFolder(file, tuple(journals), tuple(problems))


def _parse(raw: bytes, file: str) -> Any:
    try:
        start = raw[:65536].decode("utf-8-sig", errors="ignore").lstrip() or decoded(raw).lstrip()
        if not start:
            raise HistoryError([RowProblem(file, None, "", "", "the file is empty")])
        if start[0] not in "{[":
            return _csv_table(raw)
        if len(raw) > MAX_JSON_BYTES:
            raise HistoryError([RowProblem(file, None, "", "", (
                f"{size_text(len(raw))} of JSON: larger than the {size_text(MAX_JSON_BYTES)} a JSON export may be; "
                "export a shorter period, or as CSV where the platform can"))])
        return load_json(raw)
    except TextFileProblem as problem:
        raise HistoryError([RowProblem(file, problem.line, "", "", problem.message)]) from None
    except json.JSONDecodeError as exc:
        raise HistoryError([RowProblem(file, None, "", "",
                                       f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})")]) from None


def _csv_table(raw: bytes) -> CsvTable:
    """The CSV in `raw` column by column. Records are read a chunk at a time and each
    column's UTF-8 text appended to one growing buffer, so that the cells are never all
    held as Python strings, nor in many small pieces."""
    header, chunks = csv_records(raw, chunk=8192)
    width = len(header)
    lines: list[int] = []
    texts = [bytearray() for _ in header]
    ends: list[list[np.ndarray]] = [[np.zeros(1, dtype=np.int32)] for _ in header]  # where each cell's text ends
    extra: dict[int, tuple[str, ...]] = {}
    short: list[tuple[int, int]] = []  # (record, cells it has) of lines with fewer cells than the header
    for chunk_lines, records in chunks:
        if set(map(len, records)) - {width}:
            for position, cells in enumerate(records):
                if len(cells) > width:
                    extra[len(lines) + position] = tuple(cells[width:])
                elif len(cells) < width:
                    short.append((len(lines) + position, len(cells)))
                records[position] = cells[:width] + [""] * (width - len(cells))
        for column, cells in enumerate(zip(*records)):
            # Joined by NUL, which the text cannot hold (csv_records refuses it): the NULs'
            # places give each cell's length without a Python object per cell.
            joined = "\x00".join(cells).encode()
            separators = np.flatnonzero(np.frombuffer(joined, dtype=np.uint8) == 0)
            lengths = np.append(separators, len(joined)) - np.arange(len(separators) + 1)
            ends[column].append((lengths + ends[column][-1][-1]).astype(np.int32))
            texts[column] += joined.replace(b"\x00", b"")
        lines += chunk_lines
    columns = []
    for column in range(width):  # one column at a time, its pieces let go as it is built
        built = pa.StringArray.from_buffers(len(lines), pa.py_buffer(np.concatenate(ends[column])),
                                            pa.py_buffer(texts[column]))
        ends[column] = []
        missing = np.zeros(len(lines), dtype=bool)
        missing[[record for record, has in short if has <= column]] = True
        columns.append(pc.if_else(pa.array(missing), pa.scalar(None, pa.string()), built) if missing.any() else built)
    return CsvTable(tuple(header), np.array(lines, dtype=np.int64), tuple(columns), extra)


def _looks_like(document: Any) -> list[str]:
    """The sources whose layout `document` has (canonical only by its own marker)."""
    found = [name for name, platform in PLATFORMS.items() if name != "canonical" and platform.shape(document)]
    if isinstance(document, dict) and document.get("format") == INCIDENTS_FORMAT:
        found.append("canonical")
    if isinstance(document, CsvTable) and "id" in {h.strip() for h in document.header}:
        found.append("canonical")
    return found


def _shape_or_fail(document: Any, source: str, file: str) -> str:
    platform = PLATFORMS[source]
    shape = platform.shape(document)
    others = [name for name in _looks_like(document) if name != source]
    if source == "canonical" and shape is not None and others and "canonical" not in _looks_like(document):
        shape = None  # a list of incident objects of some platform is not a canonical file
    if shape is not None:
        return shape
    expected = " or ".join(platform.shapes.values())
    if others:
        hint = " or ".join(_a(f"{SOURCE_TITLES[o]} export") for o in others)
        hint = f"it looks like {hint}: read it with --source {others[0]}"
    else:
        hint = "its layout matches no source warroom reads"
    kind = "CSV" if isinstance(document, CsvTable) else "JSON"
    raise HistoryError([RowProblem(file, None, "", "",
                                   f"this {kind} does not look like {_a(SOURCE_TITLES[source] + ' export')} "
                                   f"({expected}); {hint}")])


def _a(phrase: str) -> str:
    return ("an " if phrase[:1].casefold() in "aeiou" else "a ") + phrase


# -- records to rows ------------------------------------------------------------------

_FAILED = object()


def _pick(record: SourceRecord, context: ReadContext, problems: list[RowProblem]) -> dict[str, tuple[pd.Timestamp, Candidate]]:
    """Each milestone column from the first of its candidate names that has a time."""
    results: dict[str, Any] = {}
    picked: dict[str, tuple[pd.Timestamp, Candidate]] = {}
    for column, names in context.mapping.milestones.items():
        for name in names:
            candidate = record.times.get(name)
            if candidate is None:
                continue
            if record.retrospective and name in record.creation_names:
                # Written up afterwards: the record's creation says nothing about the incident,
                # and kept as `created` it would come after the resolution.
                continue
            if name not in results:
                try:
                    results[name] = candidate.compute()
                except ValueError as exc:
                    results[name] = _FAILED
                    problems.append(context.problem(record.row, candidate.field, candidate.raw, str(exc)))
            if results[name] is _FAILED:
                break  # a broken first choice is reported, not quietly replaced by the next
            if results[name] is not None:
                picked[column] = (results[name], candidate)
                break
    return picked


def _order_problems(record: SourceRecord, picked: dict, context: ReadContext) -> list[RowProblem]:
    found = []
    for earlier, later in ORDER_RULES:
        if earlier not in picked or later not in picked:
            continue
        (first, first_from), (then, then_from) = picked[earlier], picked[later]
        if then < first:
            named = f"{earlier}, {first_from.field}," if first_from.field != earlier else earlier
            found.append(context.problem(
                record.row, then_from.field, then_from.raw,
                f"impossible: {later} at {iso_z(then)} comes before {named} at {iso_z(first)}"))
    return found


def _rows(records: list[SourceRecord], source: str, context: ReadContext,
          first_row_of: dict[str, int] | None = None) -> tuple[list[dict], list[RowProblem], list[int]]:
    """The canonical rows of `records`, the problems of the others and their rows.
    `first_row_of` gives the first row of each id among all the export's records (by
    default, among `records`): a later row with that id is a duplicate."""
    mapping: EffectiveMapping = context.mapping
    if first_row_of is None:
        first_row_of = {}
        for record in records:
            if record.id:
                first_row_of.setdefault(record.id, record.row)
    rows, problems, skipped = [], [], []
    for record in records:
        found = list(record.problems)
        picked = _pick(record, context, found)
        found += _order_problems(record, picked, context)
        severity = mapping.severity_of(record.severity_raw)
        classified = classification_columns(record.classification, severity, record.row, context, found)
        if not record.id and record.id_field:
            found.append(context.problem(record.row, record.id_field, "", "missing: every incident needs an id"))
        elif record.id and first_row_of[record.id] != record.row:
            found.append(context.problem(record.row, record.id_field, record.id,
                                         f"duplicate id (first at row {first_row_of[record.id]})"))
        if found:
            problems += found
            skipped.append(record.row)
            continue
        row = {
            "id": record.id, "source": record.source_label or source, "title": record.title,
            "service": record.service, "severity": severity,
            "is_major": record.major_flag if record.major_flag is not None else mapping.is_major(severity),
            "is_drill": bool(record.drill_flag) or mapping.marks_drill(record.title, record.tags),
        }
        row.update({column: moment for column, (moment, _) in picked.items()})
        row.update(classified)
        rows.append(row)
    return rows, problems, skipped


def _table_at_once(columns: SourceColumns, source: str,
                   context: ReadContext) -> tuple[pd.DataFrame, list[RowProblem], list[int]]:
    """What `_rows` and `canonical_frame` give for the same records, column by column: the
    records with a problem (or that `columns` is unsure of) go through `_rows`, the rest
    are mapped a column at a time."""
    mapping: EffectiveMapping = context.mapping
    count = len(columns.rows)
    unsure = columns.unsure.copy()
    parsed: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    picked: dict[str, np.ndarray] = {}
    for column, names in mapping.milestones.items():
        moments = np.full(count, np.datetime64("NaT"), dtype="datetime64[ns]")
        undecided = np.ones(count, dtype=bool)
        for name in names:
            if name not in columns.times:
                continue
            if name not in parsed:
                parsed[name] = parse_times(columns.times[name][1], columns.zone)
            values, failed = parsed[name]
            unsure |= undecided & failed  # a broken first choice is a problem, not a reason to look further
            found = undecided & ~failed & ~np.isnat(values)
            moments[found] = values[found]
            undecided &= ~failed & ~found
        picked[column] = moments
    parsed.clear()
    for earlier, later in ORDER_RULES:
        if earlier in picked and later in picked:
            unsure |= picked[later] < picked[earlier]
    named = pc.not_equal(columns.ids, "").to_numpy(zero_copy_only=False)
    unsure |= ~named & pc.not_equal(columns.id_fields, "").to_numpy(zero_copy_only=False)
    ids = columns.ids.dictionary_encode()
    codes = ids.indices.to_numpy(zero_copy_only=False)
    first_of_code = np.unique(codes, return_index=True)[1]  # every code appears, so this is indexed by code
    unsure |= named & (first_of_code[codes] != np.arange(count))

    doubtful = np.flatnonzero(unsure)
    doubtful_codes = np.unique(codes[doubtful])
    first_row_of = dict(zip(ids.dictionary.take(pa.array(doubtful_codes, type=pa.int64())).to_pylist(),
                            columns.rows[first_of_code[doubtful_codes]].tolist()))
    records = columns.records(doubtful)
    rows, problems, skipped = _rows(records, source, context, first_row_of)
    good = np.flatnonzero(~unsure)
    if not len(good):
        return canonical_frame(rows), problems, skipped

    everyone = len(good) == count  # the usual case: nothing to copy out

    def kept(values: pa.StringArray | np.ndarray) -> pa.StringArray | np.ndarray:
        return values if everyone else values.take(pa.array(good)) if isinstance(values, pa.Array) else values[good]

    severities, majors, titles, labels = (kept(columns.severities), kept(columns.major_flags), kept(columns.titles),
                                          kept(columns.source_labels))
    major_by_severity = each_distinct(severities, lambda raw: mapping.is_major(mapping.severity_of(raw))).astype(bool)
    table = canonical_table({
        "id": kept(columns.ids), "source": pc.if_else(pc.equal(labels, ""), source, labels), "title": titles,
        "service": kept(columns.services),
        "severity": pa.array(each_distinct(severities, mapping.severity_of), type=pa.string()),
        "is_major": np.where(majors >= 0, majors == 1, major_by_severity),
        "is_drill": (kept(columns.drill_flags) == 1) | each_distinct(titles, mapping.marks_drill_title).astype(bool),
        **{column: kept(moments) for column, moments in picked.items()},
    }, len(good))
    if rows:
        left_out = set(skipped)
        also_good = [position for position, record in zip(doubtful, records) if record.row not in left_out]
        order = np.argsort(np.concatenate([good, also_good]), kind="stable")
        table = pd.concat([table, canonical_frame(rows)], ignore_index=True).take(order).reset_index(drop=True)
    return table, problems, skipped
