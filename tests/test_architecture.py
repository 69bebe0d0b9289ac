"""The import rules of docs/architecture.md, read from the code so they stay true as it grows."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODULES = sorted((ROOT / "worker").rglob("*.py"))

# Third-party packages that only one edge module may import.
OWNERS = {"requests": {"worker/fetch.py"}, "sqlite_utils": {"worker/store.py"}, "click": set()}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_edge_libraries_stay_at_the_edges(path: Path) -> None:
    relative = str(path.relative_to(ROOT))
    for package, owners in OWNERS.items():
        if package in imported_roots(path):
            assert relative in owners, f"{relative} imports {package}; only {sorted(owners) or 'cli.py'} may"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_module_says_what_it_is_for(path: Path) -> None:
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert docstring, f"{path.relative_to(ROOT)} has no module docstring"
    assert len(docstring.strip().splitlines()) <= 4


def test_cli_is_the_only_click_user() -> None:
    assert "click" in imported_roots(ROOT / "cli.py")


SQL_METHODS = {"execute", "executemany", "executescript"}


def database_calls(path: Path) -> list[str]:
    """`x.db` attribute reads, `.execute*(` calls, and `.query(` on a db/conn receiver, as "line: code"."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in {"db", "conn"}:
            found.append(f"{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            receiver = ast.unparse(node.func.value)
            if node.func.attr in SQL_METHODS or (
                node.func.attr == "query" and receiver.split(".")[-1] in {"db", "conn", "database", "connection"}
            ):
                found.append(f"{node.lineno}: {receiver}.{node.func.attr}(")
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_only_the_store_touches_the_database(path: Path) -> None:
    if path.relative_to(ROOT) == Path("worker/store.py"):
        return
    assert not database_calls(path), f"{path.relative_to(ROOT)} runs SQL itself; add a Store method instead"


def test_the_database_check_finds_sql(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("def f(store, db):\n    store.db.execute('x')\n    db.query('y')\n    conn.executemany('z', [])\n")
    # store.db (attribute) + .execute( + db.query( + .executemany(
    assert len(database_calls(probe)) == 4
    assert database_calls(ROOT / "worker" / "dedupe.py") == []  # index.query(...) is not SQL
