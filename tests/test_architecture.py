"""Imports run one way: sharing may use analytics, never the reverse, and no module imports itself in a circle.

Lazy imports inside functions count too: a cycle hidden in a function body is still a cycle.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("analytics", "sharing", "teams", "config")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path for app in APPS for path in (ROOT / app).rglob("*.py") if "migrations" not in path.parts
    }


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """The project modules `path` imports, wherever the import statement stands."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        found |= {name for name in names if name in known}
    return found


@pytest.fixture(scope="module")
def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    known = set(modules)
    return {name: imported_modules(path, known) - {name} for name, path in modules.items()}


@pytest.mark.parametrize(("lower", "upper"), [("analytics", "sharing"), ("analytics", "teams"), ("sharing", "teams")])
def test_lower_apps_never_import_higher_ones(import_graph, lower, upper):
    edges = sorted(
        f"{module} -> {target}"
        for module, targets in import_graph.items()
        if module.startswith(lower)
        for target in targets
        if target.startswith(upper)
    )
    assert edges == []


def test_no_module_imports_itself_through_others(import_graph):
    cycles: list[list[str]] = []
    state: dict[str, str] = {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = "open"
        for target in sorted(import_graph[module]):
            if state.get(target) == "open":
                cycles.append([*trail[trail.index(target) :], target])
            elif target not in state:
                visit(target, [*trail, target])
        state[module] = "done"

    for module in sorted(import_graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_graph_sees_imports_inside_functions():
    """The checker itself: a lazy import in a function body is an edge."""
    source = ROOT / "sharing" / "apps.py"
    assert "analytics.process_state" in imported_modules(source, set(project_modules()))
