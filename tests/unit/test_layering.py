"""The layers import one way, and no two files import each other round in a circle.

- ``domain`` is pure (its own test says how pure: ``domain/test_purity.py``); ``events``
  knows nothing of the domain or of who may do what; ``rbac`` knows nothing of the server.
- ``server.commands`` and ``server.accounts`` know nothing of HTTP or websockets: routes
  call them, never the other way round (the docstrings of ``server/http/__init__.py``,
  ``server/commands/__init__.py`` and ``server/accounts/__init__.py``).
- Every import counts for the layers, wherever it stands (in a function, under
  ``TYPE_CHECKING``); for cycles only those that run when a module is imported do.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

import pytest

from tests.import_graph import Source, cycles, dependency_graph, imports, read_sources

SOURCES = read_sources("domain", "events", "rbac", "server")
MODULES = {source.module for source in SOURCES}


@dataclass(frozen=True)
class Rule:
    layer: str
    must_not_import: tuple[str, ...]

    def covers(self, module: str) -> bool:
        return _within(module, self.layer)

    def forbidden(self, source: Source, modules: set[str] = MODULES) -> list[str]:
        """``file:line imports module`` for each import of source this rule forbids."""
        return [
            f"{source.where}:{found.line} imports {found.module}"
            for found in imports(source.tree, package=source.package, modules=modules)
            if any(_within(found.module, outside) for outside in self.must_not_import)
        ]


HTTP_AND_WEBSOCKETS = ("server.http", "server.live", "server.audit", "starlette", "websockets")
RULES = [
    Rule("domain", ("events", "rbac", "server")),
    Rule("events", ("domain", "rbac", "server")),
    Rule("rbac", ("server",)),
    Rule("server.commands", HTTP_AND_WEBSOCKETS),
    Rule("server.accounts", HTTP_AND_WEBSOCKETS),
]


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.layer)
def test_the_layer_has_modules_to_check(rule: Rule) -> None:
    assert [source for source in SOURCES if rule.covers(source.module)]


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.layer)
def test_the_layer_imports_nothing_it_must_not(rule: Rule) -> None:
    forbidden = [
        line for source in SOURCES if rule.covers(source.module) for line in rule.forbidden(source)
    ]
    assert forbidden == [], f"{rule.layer} must not import {rule.must_not_import}:\n" + "\n".join(
        forbidden
    )


def test_no_modules_import_each_other_round_in_a_circle() -> None:
    found = cycles(dependency_graph(SOURCES))
    assert found == [], "import cycles:\n" + "\n".join(" -> ".join(chain) for chain in found)


def test_the_check_flags_what_a_layer_must_not_import() -> None:
    source = Source.parse(
        "server.commands.example",
        """
from typing import TYPE_CHECKING

import starlette.responses
from domain.errors import DomainError
from server.commands import errors
from server.http.problems import Problem
from server import live, accounts
from ..audit import trail
from . import service

if TYPE_CHECKING:
    from websockets import ServerConnection


def late() -> None:
    import server.httpx_helpers
""",
    )
    modules = {"server.live", "server.accounts", "server.audit.trail", "server.commands.errors"}
    assert Rule("server.commands", HTTP_AND_WEBSOCKETS).forbidden(source, modules) == [
        "server.commands.example:4 imports starlette.responses",
        "server.commands.example:7 imports server.http.problems",
        "server.commands.example:8 imports server.live",
        "server.commands.example:9 imports server.audit.trail",
        "server.commands.example:13 imports websockets",
    ]


def test_the_check_finds_a_cycle_of_imports_that_run_when_imported() -> None:
    sources = [
        Source.parse("app.a", "from app import b\n"),
        Source.parse("app.b", "import app.c\nimport json\n"),
        Source.parse("app.c", "from .a import thing\n"),
        # neither of these runs when app.d is imported: no cycle through app.d
        Source.parse(
            "app.d",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import app.e\n"
            "def f() -> None:\n    import app.e\n",
        ),
        Source.parse("app.e", "import app.d\n"),
        Source.parse("app", "from app.a import thing\n", is_package=True),
    ]
    assert cycles(dependency_graph(sources)) == [["app.a", "app.b", "app.c", "app.a"]]


def test_imports_reads_the_kinds_of_import_statement() -> None:
    tree = ast.parse(
        """
import os.path, json
from typing import TYPE_CHECKING
try:
    from server.http import app
except ImportError:
    pass
if TYPE_CHECKING:
    from events import store
else:
    import rbac
class C:
    import domain
"""
    )
    assert [
        (found.module, found.at_import_time)
        for found in imports(tree, package="server", modules={"server.http.app"})
    ] == [
        ("os.path", True),
        ("json", True),
        ("typing", True),
        ("server.http.app", True),
        ("events", False),
        ("rbac", True),
        ("domain", True),
    ]
