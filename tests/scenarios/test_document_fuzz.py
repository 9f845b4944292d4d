"""Any document text either loads or gives located problems: never a traceback, never a
hang. Hypothesis writes the text three ways: anything at all, bundled documents broken
by small edits (lines dropped or repeated, hostile YAML spliced in, values replaced), and
YAML trees with a real kind and random fields. What loads is then cross-checked alone,
as `warroom validate` would."""

from __future__ import annotations

import re
import time

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cli import main
from scenarios import DOCUMENT_KINDS, DocumentError, Loaded, load_text
from scenarios.crosscheck import check_documents
from scenarios.library import bundled

SOURCE = "fuzzed.yaml"
TIME_LIMIT_S = 5.0          # per document; the slowest seen here is well under a second
BUNDLED = {name: path.read_text(encoding="utf-8") for name, path in sorted(bundled().items())}

HOSTILE = [
    "&a [x, x]", "*a", "*nowhere", "!!python/object:os.system ls", "!!int abc", "!!float x", "!!binary ~~",
    "2026-02-30", "9" * 5000, "-1e999", ".nan", ".inf", "{", "[", "}", "]", "\t", "---", "...", "? x", "- - -",
    "'unterminated", '"\\ud800"', "\x00", "\ufeff", "~", "null", "true", "0x10", "0o17", "1_000", "12:30:00",
    "!!set {a, b}", "!!omap [a: 1]", "<<: *a", "{a: {b: {c: {d: {e: {f: 1}}}}}}", "[" * 40 + "]" * 40,
    "kind: scenario", "version: 2", "p: 1.5", "-5m", "1e308m", "999999d", "dist: weibull",
]


@st.composite
def broken_bundled(draw) -> str:
    lines = BUNDLED[draw(st.sampled_from(sorted(BUNDLED)))].splitlines()
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        at = draw(st.integers(0, len(lines) - 1))
        how = draw(st.sampled_from(["drop", "repeat", "splice", "value", "indent", "number", "number"]))
        if how == "drop":
            del lines[at:at + draw(st.integers(1, 5))]
        elif how == "repeat":
            lines.insert(at, lines[at])
        elif how == "splice":
            column = draw(st.integers(0, len(lines[at])))
            lines[at] = lines[at][:column] + draw(st.sampled_from(HOSTILE)) + lines[at][column:]
        elif how == "value" and ": " in lines[at]:
            key = lines[at].split(": ", 1)[0]
            lines[at] = f"{key}: {draw(st.sampled_from(HOSTILE) | st.text(max_size=20))}"
        elif how == "number":  # often still valid: exercises the cross-checks of what loads
            number = draw(st.integers(0, 10_000).map(str) | st.floats(0, 1).map(lambda x: f"{x:.3f}"))
            lines[at] = re.sub(r"\b\d+(\.\d+)?\b", number, lines[at], count=1)
        else:
            lines[at] = " " * draw(st.integers(1, 3)) + lines[at]
    return "\n".join(lines) + "\n"


scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30) | st.sampled_from(HOSTILE)
trees = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                                          max_size=4), max_leaves=20)


@st.composite
def random_fields(draw) -> str:
    kind = draw(st.sampled_from(sorted(DOCUMENT_KINDS)))
    fields = sorted(DOCUMENT_KINDS[kind].model_fields)
    data = {"kind": kind, "version": 1, "name": "fuzzed"}
    for name in draw(st.lists(st.sampled_from(fields), max_size=6, unique=True)):
        data[name] = draw(trees)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


documents = st.text(max_size=300) | broken_bundled() | random_fields()


def load_or_problems(text: str) -> Loaded | None:
    started = time.perf_counter()
    try:
        loaded = load_text(text, SOURCE)
    except DocumentError as exc:
        assert exc.problems, "a DocumentError with no problem"
        for problem in exc.problems:
            assert problem.file == SOURCE and problem.message, problem
            assert problem.line is None or (isinstance(problem.line, int) and problem.line >= 1), problem
        loaded = None
    else:
        check_documents([loaded])
    assert time.perf_counter() - started < TIME_LIMIT_S
    return loaded


@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_any_document_text_loads_or_gives_located_problems(text):
    loaded = load_or_problems(text)
    assert loaded is None or loaded.source == SOURCE
    event("loaded and cross-checked" if loaded else "refused with located problems")


@pytest.mark.slow
@settings(max_examples=5000, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_any_document_text_loads_or_gives_located_problems_at_length(text):
    loaded = load_or_problems(text)
    assert loaded is None or loaded.source == SOURCE
    event("loaded and cross-checked" if loaded else "refused with located problems")


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(broken_bundled())
def test_validate_exits_0_or_2_without_a_traceback(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("fuzz") / SOURCE
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code in (0, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output


@pytest.mark.parametrize("depth", [100, 10_000])
def test_deeply_nested_documents_are_refused_with_a_located_problem(depth):
    for text in ("kind: scenario\nversion: 1\nname: deep\nservice: " + "[" * depth + "]" * depth + "\n",
                 "kind: scenario\nversion: 1\nname: deep\nservice:\n" + "".join(
                     "  " * (i + 1) + f"k{i}:\n" for i in range(min(depth, 2000))) + "  " * 2001 + "end: 1\n"):
        with pytest.raises(DocumentError) as caught:
            load_or_problems(text) or load_text(text, SOURCE)
        assert all(p.file == SOURCE for p in caught.value.problems)
