"""Dependencies point one way: cli -> reports, drills -> simulator -> scenarios."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "scenarios": {"simulator", "drills", "reports", "cli", "click", "jinja2", "matplotlib", "simpy"},
    "simulator": {"drills", "reports", "cli", "click", "jinja2", "matplotlib", "yaml", "http", "urllib",
                  "requests", "starlette", "uvicorn", "random"},
    "reports": {"drills", "cli"},
    "drills": {"reports", "cli"},
}


def imported_modules(package: str):
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield path, alias.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                yield path, node.module.split(".")[0]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_downstream(package):
    bad = [(str(p.relative_to(ROOT)), m) for p, m in imported_modules(package) if m in FORBIDDEN[package]]
    assert bad == []


def test_simulator_does_no_file_io():
    offenders = []
    for path in (ROOT / "simulator").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        for call in ("open(", ".read_text(", ".write_text(", "to_parquet(", "to_csv("):
            if call in source:
                offenders.append((path.name, call))
    assert offenders == []
