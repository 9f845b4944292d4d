"""Documents derived from others: a copy with some fields changed, re-validated.

The copy is the original's YAML data with the changed values put in, dumped back to YAML
headed by a comment saying what changed, and loaded again, so its text re-loads to the same
model and its sha256 names exactly what was run (sensitivity variants and staffing
candidates are made this way).
"""

from __future__ import annotations

import copy
from typing import Any

import yaml

from .loader import Loaded, load_text, parse_yaml
from .staffing import Staffing

__all__ = ["with_changes", "pool_path"]


def with_changes(loaded: Loaded, changes: dict[tuple, Any], note: str, name: str | None = None) -> Loaded:
    """A copy of `loaded` with the value at each path (a tuple of keys and list indexes)
    replaced, validated again; missing mappings on the way are created. Raises
    DocumentError if the changed document is not valid."""
    data, _ = parse_yaml(loaded.text)
    data = copy.deepcopy(data)
    for path, value in changes.items():
        _put(data, path, value)
    if name is not None:
        data["name"] = name
    header = f"# {loaded.document.kind} {loaded.document.name!r} from {loaded.source}, varied: {note}\n"
    text = header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return load_text(text, f"{loaded.source} ({note})", expect=loaded.document.kind)


def _put(data, path: tuple, value) -> None:
    node = data
    for key in path[:-1]:
        if isinstance(node, dict):
            if not isinstance(node.get(key), (dict, list)):
                node[key] = {}
            node = node[key]
        else:
            node = node[key]
    node[path[-1]] = value


def pool_path(staffing: Staffing, name: str) -> tuple:
    """Where role or resolver group `name` sits in a staffing document."""
    return ("roles", name) if name in staffing.roles else ("resolver_groups", name)
