"""Shared building blocks of every document model: frozen, strict, durations in minutes."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from .durations import parse_duration

__all__ = ["Frozen", "Minutes", "PositiveMinutes", "Identifier", "duplicates"]


class Frozen(BaseModel):
    """Immutable, typo-proof model: unknown fields are errors, not silently ignored."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)


_DURATION_SCHEMA = WithJsonSchema(
    {
        "anyOf": [
            {"type": "string", "pattern": r"^\s*(\d+(\.\d+)?\s*[dhms]\s*)+$"},
            {"type": "number", "minimum": 0},
        ],
        "description": "A duration: '90s', '15m', '1h30m', '2d', or a number of minutes.",
    }
)

Minutes = Annotated[float, BeforeValidator(parse_duration), _DURATION_SCHEMA]
"""A non-negative duration, written in human units, held in minutes."""

PositiveMinutes = Annotated[float, BeforeValidator(parse_duration), Field(gt=0), _DURATION_SCHEMA]

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
"""snake_case names for roles, resolver groups, steps and options."""


def duplicates(keys: list[str], path: str, what: str) -> list[tuple[str, str]]:
    """(field path, message) for every key seen before; `path` has a `{}` for the index."""
    seen: dict[str, int] = {}
    found = []
    for i, key in enumerate(keys):
        if key in seen:
            found.append((path.format(i), f"duplicate {what} {key!r} (first at {path.format(seen[key])})"))
        seen.setdefault(key, i)
    return found
