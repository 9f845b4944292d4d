"""JSON that can always be served back: strict parsing of what arrives over HTTP, and the
rule that nothing reaches the journal unless it can be written out again as valid JSON.

Python's `json` accepts `NaN`, `Infinity`, numbers that overflow to infinity (`1e999`, and
integers of any length: a browser reads `1` followed by 400 zeros as Infinity) and lone
surrogates (`"\\ud800"`); none of them is JSON a browser can use, and a journal holding one
would break every page and export of its drill. `loads_strict` refuses them at the door;
`problems` is the same rule for a value already in hand; `repaired` mends a row that is
somehow already stored, so a bad event is reported instead of taking its drill down.
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["JSONRefused", "loads_strict", "problems", "repaired", "MAX_DEPTH"]

MAX_DEPTH = 32


class JSONRefused(ValueError):
    """Text that is not strict JSON, or is JSON beyond the limits; the message says where.
    `malformed` is true when it is not JSON at all (a syntax error), false when it parses
    but holds something JSON does not allow or nests too deeply."""

    def __init__(self, message: str, malformed: bool = False):
        super().__init__(message)
        self.malformed = malformed


def _no_constant(name: str):
    raise JSONRefused(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JSONRefused(f"the number {text[:40]} is too large for JSON")
    return value


def _finite_int(text: str) -> int:
    digits = len(text) - text.startswith("-")
    # A double holds at most 309 digits; checking the length first also spares Python's
    # own limit on converting long digit strings (a ValueError that would read as malformed).
    if digits > 309 or not _fits_a_double(value := int(text)):
        raise JSONRefused(f"the number {text[:40]}{'...' if len(text) > 40 else ''} is too large for JSON")
    return value


def _fits_a_double(value: int) -> bool:
    try:
        float(value)
    except OverflowError:
        return False
    return True


def _depth_of(text: str, limit: int) -> int:
    """How deeply arrays and objects nest, counted without recursion (strings skipped);
    stops counting once past `limit`."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif ch in "]}":
            depth -= 1
    return deepest


def loads_strict(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON as RFC 8259 has it: UTF-8, no NaN or Infinity, finite numbers, no lone
    surrogates, nesting at most `max_depth` deep. Raises JSONRefused with the reason."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JSONRefused(f"not UTF-8 (byte {exc.start}: {raw[exc.start:exc.start + 1]!r})",
                              malformed=True) from None
    else:
        text = raw
    if _depth_of(text, max_depth) > max_depth:
        raise JSONRefused(f"nested more than {max_depth} deep")
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float, parse_int=_finite_int)
    except JSONRefused:
        raise
    except (ValueError, RecursionError) as exc:
        raise JSONRefused(f"not JSON ({exc})", malformed=True) from None
    found = problems(value)
    if found:
        raise JSONRefused(found[0])
    return value


def problems(value: Any, path: str = "") -> list[str]:
    """Why `value` cannot be written as valid JSON, one line per problem ([] if it can)."""
    out: list[str] = []
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, bool) or item is None:
            continue
        if isinstance(item, int):
            if not _fits_a_double(item):
                out.append(f"{where or 'value'}: an integer of {item.bit_length()} bits is too large for JSON")
        elif isinstance(item, float):
            if not math.isfinite(item):
                out.append(f"{where or 'value'}: {item!r} is not a JSON number")
        elif isinstance(item, str):
            if not _encodable(item):
                out.append(f"{where or 'value'}: text with a lone surrogate is not valid UTF-8")
        elif isinstance(item, dict):
            for key, sub in item.items():
                if not isinstance(key, str) or not _encodable(key):
                    out.append(f"{where or 'value'}: key {key!r} is not JSON text")
                    continue
                stack.append((sub, f"{where}.{key}" if where else key))
        elif isinstance(item, (list, tuple)):
            stack.extend((sub, f"{where}[{k}]") for k, sub in enumerate(item))
        else:
            out.append(f"{where or 'value'}: a {type(item).__name__} is not JSON")
    return out


def repaired(value: Any) -> Any:
    """`value` made valid JSON: non-finite numbers (and integers beyond a double) become null,
    lone surrogates U+FFFD, anything else unknown its text. Used only on rows already stored."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if _fits_a_double(value) else None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return value if _encodable(value) else "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in value)
    if isinstance(value, dict):
        return {repaired(str(k)): repaired(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [repaired(v) for v in value]
    return repaired(str(value))


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
