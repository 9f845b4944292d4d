"""Packages whose names load on first use (PEP 562): `from scenarios import Scenario`
imports the module that defines `Scenario` only then, so a command that needs one light
module does not pay for the whole package."""

from __future__ import annotations

import importlib
from typing import Callable

__all__ = ["lazy_exports"]


def lazy_exports(package: str, table: dict[str, str]) -> tuple[Callable, Callable]:
    """`__getattr__` and `__dir__` for `package`, whose names are in `table` (name -> module,
    relative to the package or absolute)."""
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name: str):
        if name not in table:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = table[name] if table[name].startswith(package + ".") else f"{package}.{table[name]}"
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__():
        return sorted(set(namespace) | set(table))

    return __getattr__, __dir__
