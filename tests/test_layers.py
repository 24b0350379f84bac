"""The layers of the code, read from the imports of every module (its source parsed, nothing imported): ``db`` is
the domain and the store, below every front end; the store (``db/store/``) is below the service and its protocol,
and the one place that knows its files are TinyDB; the modules of ``db`` import each other without a cycle."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("db", "tui", "benchmarks")


def _name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """What an import statement of ``module`` names: the modules, or the module and each name imported from it
    (``from . import quota`` is the module ``db.quota``)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        package = module.split(".") if MODULES[module].name == "__init__.py" else module.split(".")[:-1]
        base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    return [base] + [f"{base}.{alias.name}" for alias in node.names]


def _is_type_checking(node: ast.If) -> bool:
    return "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(module: str, *, at_import: bool) -> set[str]:
    """Every module ``module`` imports (``at_import``: only those its import runs, not those of its functions nor
    of an ``if TYPE_CHECKING:`` block)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found: set[str] = set()

    def visit(node: ast.AST, inside: bool) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.update(_targets(module, node))
        for child in ast.iter_child_nodes(node):
            if at_import and (isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                              or isinstance(child, ast.If) and _is_type_checking(child)):
                continue
            visit(child, inside)
    visit(tree, False)
    return found


def _named(imports: set[str], prefixes: tuple[str, ...]) -> set[str]:
    return {name for name in imports if any(name == p or name.startswith(p + ".") for p in prefixes)}


def _in(package: str) -> list[str]:
    return [m for m in MODULES if m == package or m.startswith(package + ".")]


def test_the_modules_are_found():
    assert {"db.store", "db.store.transaction", "db.store.summaries", "db.service", "tui.cli"} <= set(MODULES)


@pytest.mark.parametrize("module", _in("db"))
def test_db_imports_no_front_end(module):
    assert not _named(_imports(module, at_import=False), ("textual", "click", "tui", "rich"))


@pytest.mark.parametrize("module", _in("db.store"))
def test_the_store_is_below_the_service_and_its_protocol(module):
    above = tuple(f"db.{name}" for name in ("service", "remote", "server", "connect", "protocol", "wire"))
    assert not _named(_imports(module, at_import=False), above)


@pytest.mark.parametrize("module", [m for m in MODULES if not m.startswith("db.store")])
def test_only_the_store_knows_its_files_are_tinydb(module):
    assert not _named(_imports(module, at_import=False), ("tinydb",))


@pytest.mark.parametrize("module", _in("db.store"))
def test_the_stores_summaries_are_its_one_user_of_the_figures_arithmetic(module):
    arithmetic = _named(_imports(module, at_import=False), ("db.counts", "db.quota", "db.report", "db.rules"))
    assert not arithmetic or module == "db.store.summaries", arithmetic


def test_the_modules_of_db_import_each_other_without_a_cycle():
    """At import (a function's own import aside): a cycle would make the order modules are imported in matter."""
    graph = {m: {t for t in _imports(m, at_import=True) if t in MODULES and t != m} for m in _in("db")}
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        if state.get(module) == "done":
            return
        assert state.get(module) != "open", " -> ".join(path[path.index(module):] + [module])
        state[module] = "open"
        for target in sorted(graph[module]):
            visit(target, path + [module])
        state[module] = "done"
        order.append(module)
    for module in sorted(graph):
        visit(module, [])
    assert len(order) == len(graph)
