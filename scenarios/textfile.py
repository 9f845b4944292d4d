"""Files other tools wrote (spreadsheets saved as CSV, incident-platform exports as CSV or
JSON), read as text at the boundary.

Text is strict UTF-8 (a leading byte-order mark is dropped) without NUL bytes. A CSV is
read record by record with the line each record starts on, blank records left out; JSON
is refused past MAX_JSON_DEPTH levels of nesting, before the parser recurses that deep.
What keeps a file from being read at all is a `TextFileProblem` with its line, which each
caller reports in its own terms (DocumentError, HistoryError). A line with more or fewer
cells than the header, or a cell longer than MAX_CELL_CHARS, is a problem of that line
only (`cell_count_problem`, `cell_size_problem`).
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import re
from typing import Any, Iterator

import numpy as np

__all__ = ["MAX_CELL_CHARS", "MAX_JSON_DEPTH", "TextFileProblem", "decoded", "line_at", "csv_records", "load_json",
           "cell_count_problem", "cell_size_problem", "size_text"]

MAX_CELL_CHARS = 1024 * 1024
"""The longest cell read (1 Mi characters): far beyond any field of an incident or an inject
(a spreadsheet program holds 32,767), short enough that a file pasted into a cell is caught."""

MAX_JSON_DEPTH = 64
"""The deepest nesting of JSON read (objects and lists inside each other): exports nest a
handful of levels; a file nested thousands deep is refused before the parser recurses."""

# The csv module's own limit (131,072 characters by default) is a process-wide setting; it is
# raised while a file is read so that a long cell is a problem of its line, not a parser error.
_PARSER_FIELD_LIMIT = 2**31 - 1


class TextFileProblem(Exception):
    """A file that cannot be read as CSV text: the line where it shows (None if unknown) and why."""

    def __init__(self, line: int | None, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def line_at(raw: bytes, offset: int) -> int:
    """The 1-based line of byte `offset` (a line ends at LF, CR or CR LF, as the csv module counts)."""
    before = raw[:offset]
    return before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1


def _undecodable(raw: bytes, exc: UnicodeDecodeError) -> TextFileProblem:
    """Where `raw` stops being UTF-8, from the error of decoding it whole (as utf-8-sig,
    whose offsets leave out a byte-order mark)."""
    offset = exc.start + (len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0)
    bad = " ".join(f"0x{byte:02X}" for byte in exc.object[exc.start:exc.end])
    legacy = "UTF-16" if raw[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else "Windows-1252 or Latin-1"
    return TextFileProblem(line_at(raw, offset), (
        f"not UTF-8 text ({exc.reason}: byte {bad} at byte offset {offset}); save the file as UTF-8 "
        f"(it may be {legacy})"))


def _nul(raw: bytes) -> TextFileProblem | None:
    offset = raw.find(b"\x00")
    if offset < 0:
        return None
    return TextFileProblem(line_at(raw, offset), (
        f"a NUL byte at byte offset {offset}: not a text file (a workbook such as .xlsx, or UTF-16 text?); "
        "save it as CSV in UTF-8"))


def decoded(raw: bytes) -> str:
    """`raw` as text: UTF-8 without a byte-order mark and without NUL bytes; TextFileProblem otherwise."""
    problem = _nul(raw)
    if problem is not None:
        raise problem
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _undecodable(raw, exc) from None


def load_json(raw: bytes) -> Any:
    """The JSON document in `raw` (strict UTF-8 text, at most MAX_JSON_DEPTH levels deep).
    Raises TextFileProblem with the line, and json.JSONDecodeError for text that is not JSON."""
    text = decoded(raw)
    offset = _too_deep(raw)
    if offset is not None:
        raise TextFileProblem(line_at(raw, offset), (
            f"nested more than {MAX_JSON_DEPTH} levels deep (at byte offset {offset}): not an export warroom reads"))
    try:
        return json.loads(text)
    except RecursionError:  # not expected past the check above; never a traceback all the same
        raise TextFileProblem(None, "nested too deeply to read") from None


_ESCAPE = re.compile(rb"\\[\s\S]")  # a backslash and what it escapes, inside a JSON string
_NOT_JSON_MARKS = bytes(byte for byte in range(256) if byte not in b'"[]{}')
_JSON_MARKS = np.zeros(256, dtype=bool)  # the bytes that open or close strings, lists and objects
_JSON_MARKS[list(b'"\\[]{}')] = True


def _too_deep(raw: bytes) -> int | None:
    """The byte offset where brackets outside strings first nest deeper than MAX_JSON_DEPTH (None if never)."""
    # At once, on quotes and brackets alone (escapes dropped first, so every quote left opens
    # or closes a string); only a document that is too deep is searched for where.
    marks = np.frombuffer(_ESCAPE.sub(b"", raw).translate(None, _NOT_JSON_MARKS), dtype=np.uint8)
    quotes = marks == ord('"')
    brackets = marks[~quotes & ~np.logical_xor.accumulate(quotes)]
    steps = np.where((brackets == ord("[")) | (brackets == ord("{")), 1, -1)
    if not len(steps) or np.cumsum(steps).max() <= MAX_JSON_DEPTH:
        return None
    return _first_too_deep(raw)


def _first_too_deep(raw: bytes) -> int | None:
    data = np.frombuffer(raw, dtype=np.uint8)
    marks = np.flatnonzero(_JSON_MARKS[data])
    kinds = data[marks]
    slashes = marks[kinds == ord("\\")]
    quotes = marks[kinds == ord('"')]
    # A quote right after an odd run of backslashes is escaped: part of a string, not its end.
    if len(slashes) and len(quotes):
        run_start = slashes[np.flatnonzero(np.diff(slashes, prepend=-2) != 1)]
        starts = run_start[np.maximum(np.searchsorted(run_start, quotes - 1, side="right") - 1, 0)]
        before = np.searchsorted(slashes, quotes - 1, side="right") - 1
        escaped = (before >= 0) & (slashes[np.maximum(before, 0)] == quotes - 1) & ((quotes - starts) % 2 == 1)
        quotes = quotes[~escaped]
    brackets = marks[(kinds != ord('"')) & (kinds != ord("\\"))]
    brackets = brackets[np.searchsorted(quotes, brackets) % 2 == 0]  # outside strings
    opening = data[brackets]
    deep = np.flatnonzero(np.cumsum(np.where((opening == ord("[")) | (opening == ord("{")), 1, -1)) > MAX_JSON_DEPTH)
    return int(brackets[deep[0]]) if len(deep) else None  # None: not JSON, which the parser will say


def csv_records(raw: bytes, chunk: int = 4096) -> tuple[list[str], Iterator[tuple[list[int], list[list[str]]]]]:
    """The header (the first record, as written) and then the other records in chunks of up
    to `chunk`: the line each starts on, and its cells. Blank records (no cell, or only
    blank cells) are left out. Raises TextFileProblem, at once or while the chunks are
    read, for text that is not UTF-8, a NUL byte, or CSV the csv module refuses."""
    problem = _nul(raw)
    if problem is not None:
        raise problem
    # Decoded as it is read: the text is never held whole beside the bytes.
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8-sig", newline=""))
    _, first = _read(raw, reader, 1)
    return (first[0] if first else []), _chunks(raw, reader, chunk)


def _read(raw: bytes, reader, count: int) -> tuple[list[int], list[list[str]]]:
    """Up to `count` records and the line each ends on, with the parser's errors located."""
    limit = csv.field_size_limit(_PARSER_FIELD_LIMIT)
    ends: list[int] = []
    records: list[list[str]] = []
    try:
        for cells in itertools.islice(reader, count):
            ends.append(reader.line_num)
            records.append(cells)
    except csv.Error as exc:
        raise TextFileProblem(reader.line_num, f"not valid CSV: {exc}") from None
    except UnicodeDecodeError:
        decoded(raw)  # the stream's offsets are its buffer's: the whole text says where, and raises
        raise
    finally:
        csv.field_size_limit(limit)
    return ends, records


def _chunks(raw: bytes, reader, size: int) -> Iterator[tuple[list[int], list[list[str]]]]:
    previous = reader.line_num
    while True:
        ends, records = _read(raw, reader, size)
        if not records:
            return
        # A record ends on the line `ends` says; one read over more than one line has quoted
        # line breaks in its cells, and starts that many lines earlier.
        lines = np.array(ends, dtype=np.int64)
        for position in np.flatnonzero(np.diff(lines, prepend=previous) != 1):
            lines[position] -= sum(cell.count("\n") for cell in records[position])
        previous = ends[-1]
        blank = [position for position, cells in enumerate(records)
                 if not cells or not (cells[0].strip() or "".join(cells).strip())]
        if blank:
            kept = np.ones(len(records), dtype=bool)
            kept[blank] = False
            records = [cells for cells, keep in zip(records, kept) if keep]
            lines = lines[kept]
        yield lines.tolist(), records


def cell_count_problem(cells: int, columns: int) -> str:
    """What is wrong with a line of `cells` cells under a header of `columns` ('' if nothing):
    a truncated line or a stray separator cannot be trusted cell by cell."""
    if cells > columns:
        return f"{cells - columns} more cell(s) than the header has columns"
    if cells < columns:
        return f"{columns - cells} cell(s) fewer than the header has columns"
    return ""


def cell_size_problem(cell: str) -> str:
    """What is wrong with a cell longer than MAX_CELL_CHARS ('' if nothing)."""
    if len(cell) <= MAX_CELL_CHARS:
        return ""
    return (f"a cell of {len(cell):,} characters, over the limit of {MAX_CELL_CHARS:,}: "
            "a document pasted into a cell?")


def size_text(size: int) -> str:
    """A file size for a message: 300 bytes, 2 KiB, 1.5 MiB, 1 GiB."""
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} bytes"
