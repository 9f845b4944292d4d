"""The boundary: YAML text in, typed immutable documents out, or every problem at once.

YAML is parsed once with the safe loader; duplicate keys are rejected; each value's line
is remembered so that a problem can say `file:line: field.path: message, got value`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

import yaml
from pydantic import ValidationError

from .classification import ClassificationPolicy
from .errors import DocumentError, Problem
from .improvement import ImprovementPlan
from .playbook import Playbook
from .responses import Responses
from .roster import Roster
from .scenario import Scenario
from .staffing import Staffing
from .staffing_space import StaffingSpace

__all__ = ["Document", "Loaded", "DOCUMENT_KINDS", "load", "load_text", "parse_yaml", "validation_problems"]

Document = Union[Scenario, Staffing, Playbook, Roster, Responses, ImprovementPlan]
DOCUMENT_KINDS: dict[str, type] = {
    "scenario": Scenario, "staffing": Staffing, "playbook": Playbook, "roster": Roster, "responses": Responses,
    "improvement_plan": ImprovementPlan, "staffing_space": StaffingSpace, "classification": ClassificationPolicy,
}
SUPPORTED_VERSIONS = {kind: (1,) for kind in DOCUMENT_KINDS}


@dataclass(frozen=True)
class Loaded:
    """A valid document with where it came from (for messages and result provenance)."""

    document: Any
    source: str
    text: str
    lines: dict

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def line_of(self, path: tuple) -> int | None:
        return _line_for(self.lines, path)


class _YamlProblem(Exception):
    def __init__(self, line: int | None, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


MAX_DOCUMENT_BYTES = 8 * 1024 * 1024
"""A document larger than this is refused before parsing (the largest bundled one is about 20 KiB)."""
MAX_DOCUMENT_VALUES = 200_000
"""A document that expands to more values than this is refused: aliases repeated into each
other (a "billion laughs") would otherwise grow until memory runs out."""


def parse_yaml(text: str) -> tuple[Any, dict]:
    """Plain data and a map from path tuples to 1-based line numbers. Refuses (with a
    located problem) documents over MAX_DOCUMENT_BYTES or expanding to more than
    MAX_DOCUMENT_VALUES values, and scalars that cannot be read (an impossible date, a tag
    that does not fit, an integer of thousands of digits)."""
    if len(text) > MAX_DOCUMENT_BYTES:
        raise _YamlProblem(None, f"not read: the document is {len(text):,} characters, more than "
                                 f"{MAX_DOCUMENT_BYTES:,}")
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise _YamlProblem(line, f"not valid YAML: character {exc.character:#06x} is not allowed in a document "
                                 f"(column {exc.position - text.rfind(chr(10), 0, exc.position)})") from None
    try:
        node = loader.get_single_node()
        lines: dict[tuple, int] = {}
        data = _build(loader, node, (), lines, [MAX_DOCUMENT_VALUES]) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise _YamlProblem(mark.line + 1 if mark else None, f"not valid YAML: {exc.problem or exc}")
    except yaml.YAMLError as exc:
        raise _YamlProblem(None, f"not valid YAML: {exc}") from None
    except RecursionError:
        raise _YamlProblem(None, "not valid here: the YAML nests too deeply (a recursive alias?)") from None
    finally:
        loader.dispose()
    return data, lines


def _scalar(loader: yaml.SafeLoader, node: yaml.Node, path: tuple) -> Any:
    """One scalar as YAML reads it, or a located problem naming the bad value."""
    try:
        return loader.construct_object(node, deep=True)
    except yaml.MarkedYAMLError:
        raise
    except (ValueError, TypeError, OverflowError) as exc:
        shown = str(getattr(node, "value", ""))
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        reason = str(exc).split("\n")[0]
        if "integer string conversion" in reason:
            reason = "an integer of more than 4,300 digits"
        raise _YamlProblem(node.start_mark.line + 1,
                           f"{_render(path) or 'value'}: cannot be read ({reason}), got {shown!r}") from None


def _build(loader: yaml.SafeLoader, node: yaml.Node, path: tuple, lines: dict, budget: list) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise _YamlProblem(node.start_mark.line + 1, f"not read: the document expands to more than "
                                                     f"{MAX_DOCUMENT_VALUES:,} values (aliases repeated into "
                                                     "each other?)")
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        for key_node, value_node in node.value:
            key = _scalar(loader, key_node, path)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise _YamlProblem(key_node.start_mark.line + 1,
                                   f"{_render(path)}: a key must be a plain name, got {_short(key)}")
            if key in out:
                raise _YamlProblem(
                    key_node.start_mark.line + 1,
                    f"{_render(path + (key,))}: duplicate key {key!r} (first at line {lines[path + (key,)]})",
                )
            out[key] = None  # reserve the key so a duplicate is caught even when its value fails
            lines[path + (key,)] = key_node.start_mark.line + 1
            out[key] = _build(loader, value_node, path + (key,), lines, budget)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, path + (i,), lines, budget) for i, item in enumerate(node.value)]
    value = _scalar(loader, node, path)
    # YAML 1.1 reads 13:42 as a base-60 number; people mean a clock time.
    if isinstance(value, (int, float)) and ":" in str(node.value):
        return str(node.value)
    return value


def _render(path: tuple) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _line_for(lines: dict, path: tuple) -> int | None:
    path = tuple(path)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())


def _data_path(data: Any, loc: tuple) -> tuple:
    """Pydantic's location with its own markers (union tags, validator names) dropped."""
    out = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            out.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            out.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and part.isidentifier() and _is_field_of(node, part):
            out.append(part)  # a missing field: point at it by name
            node = None
    return tuple(out)


def _is_field_of(node: dict, part: str) -> bool:
    # Discriminator tags (e.g. 'lognormal') are values, never keys we should add.
    return part not in {str(v) for v in node.values() if isinstance(v, (str, int, float))}


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _message(error: dict) -> str:
    kind = error["type"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field"
    message = error["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix):]
    if kind == "union_tag_invalid":
        ctx = error.get("ctx", {})
        return f"unknown {ctx.get('discriminator', 'type').strip(chr(39))} {ctx.get('tag')!r} (expected one of {ctx.get('expected_tags')})"
    if kind == "union_tag_not_found":
        return f"needs a {error.get('ctx', {}).get('discriminator', 'type')} field"
    if "got" not in message:
        message = f"{message[0].lower()}{message[1:]}, got {_short(error.get('input'))}"
    return message


def load_text(text: str, source: str = "<text>", expect: str | None = None) -> Loaded:
    """Validate one document; raise DocumentError listing every problem."""
    try:
        data, lines = parse_yaml(text)
    except _YamlProblem as exc:
        raise DocumentError([Problem(source, exc.line, "", exc.message)])
    if not isinstance(data, dict):
        raise DocumentError([Problem(source, 1, "", "a document must be a mapping starting with kind: and version:")])
    kind = data.get("kind")
    problems: list[Problem] = []
    if not isinstance(kind, str) or kind not in DOCUMENT_KINDS:
        known = ", ".join(DOCUMENT_KINDS)
        what = "missing" if "kind" not in data else f"unknown kind {kind!r}"
        raise DocumentError([Problem(source, lines.get(("kind",), 1), "kind", f"{what} (expected one of {known})")])
    if expect and kind != expect:
        raise DocumentError([Problem(source, lines.get(("kind",)), "kind", f"expected a {expect} document, got {kind!r}")])
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version not in SUPPORTED_VERSIONS[kind]:
        what = "missing" if "version" not in data else f"unsupported version {version!r}"
        raise DocumentError([
            Problem(source, lines.get(("version",), 1), "version",
                    f"{what} for a {kind} document (supported: {', '.join(map(str, SUPPORTED_VERSIONS[kind]))})")
        ])
    try:
        document = DOCUMENT_KINDS[kind].model_validate(data)
    except ValidationError as exc:
        raise DocumentError(validation_problems(exc, data, source, lines)) from None
    if hasattr(document, "problems"):
        for path_text, message in document.problems():
            problems.append(Problem(source, _line_for(lines, _parse_path(path_text)), path_text, message))
    if problems:
        raise DocumentError(problems)
    return Loaded(document, source, text, lines)


def validation_problems(error: ValidationError, data: Any, source: str, lines: dict | None = None) -> list[Problem]:
    """Pydantic's errors for `data` (read from `source`) as located problems: field path,
    message and bad value, with the line when `lines` (from parse_yaml) knows it."""
    found = set()
    for item in error.errors():
        path = _data_path(data, item["loc"])
        found.add(Problem(source, _line_for(lines, path) if lines else None, _render(path), _message(item)))
    return sorted(found, key=lambda p: (p.line or 0, p.path))


def _parse_path(text: str) -> tuple:
    out: list = []
    for piece in text.replace("]", "").split("."):
        name, *indexes = piece.split("[")
        if name:
            out.append(name)
        out.extend(int(i) for i in indexes)
    return tuple(out)


def load(path: str | Path, expect: str | None = None) -> Loaded:
    """Read and validate a document file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DocumentError([Problem(str(path), None, "", "no such file")])
    except (OSError, UnicodeDecodeError) as exc:
        raise DocumentError([Problem(str(path), None, "", f"cannot read: {exc}")])
    return load_text(text, str(path), expect)
