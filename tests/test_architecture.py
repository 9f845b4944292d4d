"""Dependencies point one way: cli -> reports, drills -> simulator -> scenarios."""

import ast
import sys
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


# -- the module graph -----------------------------------------------------------------

def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for pkg in ("scenarios", "simulator", "drills", "reports") for p in (ROOT / pkg).rglob("*.py")}
MODULES["cli"] = ROOT / "cli.py"


def _lazy_names(package: str) -> dict:
    """A package __init__'s `_LAZY` table (name -> submodule): its names load on first use."""
    path = MODULES.get(package)
    if path is None or path.name != "__init__.py":
        return {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "_LAZY":
            table = {k.value: v.value for k, v in zip(node.value.keys, node.value.values)}
            return {name: sub if sub.startswith(package + ".") else f"{package}.{sub}" for name, sub in table.items()}
    return {}


def imports_of(module: str) -> set[str]:
    """The project modules `module` imports anywhere (at the top or inside a function), a
    name taken from a package resolved to the submodule that defines it."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in MODULES}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            lazy = _lazy_names(target)
            for alias in node.names:
                if f"{target}.{alias.name}" in MODULES:
                    found.add(f"{target}.{alias.name}")
                elif alias.name in lazy:
                    found.add(lazy[alias.name])
                elif target in MODULES:
                    found.add(target)
    found.discard(module)
    return found


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each import cycle found by a depth-first walk, as the modules around it."""
    cycles, state = [], {}

    def visit(module, trail):
        state[module] = "open"
        for other in sorted(graph[module]):
            if state.get(other) == "open":
                cycles.append(trail[trail.index(other):] + [other])
            elif other not in state:
                visit(other, trail + [other])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    return cycles


def test_no_import_cycles():
    """No module reaches itself through imports, not even through one inside a function
    (a cycle held apart by a late import is still a cycle)."""
    assert find_cycles({m: imports_of(m) for m in MODULES}) == []


def test_the_cycle_check_sees_late_imports_and_cycles(tmp_path, monkeypatch):
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "a.py").write_text("def f():\n    from scenarios.b import g\n")
    (tmp_path / "scenarios" / "b.py").write_text("def g():\n    from .a import f\n")
    monkeypatch.setitem(MODULES, "scenarios.a", tmp_path / "scenarios" / "a.py")
    monkeypatch.setitem(MODULES, "scenarios.b", tmp_path / "scenarios" / "b.py")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    graph = {"scenarios.a": imports_of("scenarios.a"), "scenarios.b": imports_of("scenarios.b")}
    assert graph == {"scenarios.a": {"scenarios.b"}, "scenarios.b": {"scenarios.a"}}
    assert find_cycles(graph) == [["scenarios.a", "scenarios.b", "scenarios.a"]]
    assert find_cycles({"x": {"y"}, "y": set()}) == []


# What each room of the simulator may import from the project: the model is the innermost
# room (documents and its own parts only); history statistics never simulate.
SIMULATOR_ROOMS = {
    "simulator.model": ("scenarios", "simulator.errors", "simulator.model"),
    "simulator.history": ("scenarios", "simulator.errors", "simulator.history"),
    "simulator.run": ("scenarios", "simulator.errors", "simulator.model", "simulator.run", "simulator.history"),
    "simulator.studies": ("scenarios", "simulator", "simulator.errors", "simulator.model", "simulator.run",
                          "simulator.studies"),
}
THIRD_PARTY_OF_THE_MODEL = {"numpy", "simpy"}


@pytest.mark.parametrize("room", sorted(SIMULATOR_ROOMS))
def test_each_simulator_room_imports_only_what_it_may(room):
    allowed = SIMULATOR_ROOMS[room]
    bad = []
    for module in (m for m in MODULES if m == room or m.startswith(room + ".")):
        for other in imports_of(module):
            if not any(other == a or other.startswith(a + ".") for a in allowed if a != "simulator") \
                    and not (other == "simulator" and "simulator" in allowed):
                bad.append((module, other))
    assert bad == []


def test_the_model_uses_only_numpy_simpy_and_the_standard_library():
    bad = [(str(p.relative_to(ROOT)), m) for p, m in imported_modules("simulator/model")
           if m not in THIRD_PARTY_OF_THE_MODEL | set(sys.stdlib_module_names) | {"scenarios", "simulator"}]
    assert bad == []

