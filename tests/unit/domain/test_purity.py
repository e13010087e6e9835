"""The domain is pure: standard library and itself, no I/O, no clock, no chance."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from tests.import_graph import imported_modules, parse

DOMAIN = Path(__file__).resolve().parents[3] / "domain"
MODULES = sorted(DOMAIN.rglob("*.py"))
ALLOWED_THIRD_PARTY = {"pyrsistent"}
"""Pure data structures (persistent maps and vectors): no I/O, nothing outside the process."""
# Standard-library modules that reach outside the process or make results differ from
# run to run; decisions must depend on their inputs only.
IMPURE_STDLIB = {
    "asyncio", "http", "io", "logging", "os", "pathlib", "random", "secrets", "shutil",
    "socket", "sqlite3", "subprocess", "tempfile", "threading", "time", "urllib", "uuid",
}  # fmt: skip
CLOCK_CALLS = {"now", "utcnow", "today", "time", "monotonic", "perf_counter"}


def test_the_domain_has_modules_to_check() -> None:
    assert len(MODULES) > 10


def _outside_imports(tree: ast.AST) -> list[str]:
    """Imports of anything but the standard library and the domain itself."""
    return [
        name
        for name in imported_modules(tree)
        if (top := name.split(".")[0]) != "domain"
        and top not in ALLOWED_THIRD_PARTY
        and top not in sys.stdlib_module_names
    ]


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_imports_only_the_standard_library_and_itself(path: Path) -> None:
    outside = _outside_imports(parse(path))
    assert outside == [], f"{path.name} imports {outside}"


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_uses_no_io_clock_or_randomness(path: Path) -> None:
    tree = parse(path)
    impure = [name for name in imported_modules(tree) if name.split(".")[0] in IMPURE_STDLIB]
    calls = [
        node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Attribute) and node.func.attr in CLOCK_CALLS)
            or (isinstance(node.func, ast.Name) and node.func.id in {"open", "print", "input"})
        )
    ]
    assert (impure, calls) == ([], []), f"{path.name} imports {impure} and calls {calls}"


def test_the_check_flags_the_layers_and_libraries_the_domain_must_not_use() -> None:
    source = """
import sqlalchemy
import json
from starlette.requests import Request
from casbin import Enforcer
import websockets
from events.store import EventStore
from rbac import policy
from server import app
from domain.roles import Role
import merge3
"""
    assert _outside_imports(ast.parse(source)) == [
        "sqlalchemy",
        "starlette.requests",
        "casbin",
        "websockets",
        "events.store",
        "rbac",
        "server",
        "merge3",
    ]
