"""Who imports what, read from the source files (nothing is imported to find out).

Shared by the domain's purity test (``tests/unit/domain/test_purity.py``) and the layering
test (``tests/unit/test_layering.py``).

- :func:`imports`: every import statement of a parsed file, as absolute module names;
  each says whether it runs when the file is imported (at module level, not in a function
  and not under ``if TYPE_CHECKING:``).
- :func:`read_sources`: the parsed files of packages; :func:`dependency_graph`: which of
  them imports which when imported; :func:`cycles`: the import cycles of such a graph,
  each a chain that ends where it starts.

A ``from package import name`` names ``package.name`` when that is one of the modules
read, else ``package``: an import points at the module that supplies the name (like
grimp, the graph of import-linter), not at every package ``__init__`` on the way.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Import:
    module: str
    line: int
    # runs when the file is imported: at module level, not under `if TYPE_CHECKING:`
    at_import_time: bool


@dataclass(frozen=True)
class Source:
    module: str
    tree: ast.Module
    is_package: bool = False
    path: Path | None = None  # relative to the root it was read from

    @classmethod
    def parse(cls, module: str, text: str, *, is_package: bool = False) -> Source:
        return cls(module, ast.parse(text), is_package)

    @property
    def package(self) -> str:
        """The package relative imports start from."""
        return self.module if self.is_package else self.module.rpartition(".")[0]

    @property
    def where(self) -> str:
        return str(self.path) if self.path else self.module


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def read_sources(*packages: str, root: Path = ROOT) -> list[Source]:
    """The Python files of the top-level packages under root, parsed."""
    return [
        Source(
            module_name(path, root), parse(path), path.name == "__init__.py", path.relative_to(root)
        )
        for package in packages
        for path in sorted((root / package).rglob("*.py"))
    ]


def imports(
    tree: ast.AST, *, package: str | None = None, modules: Collection[str] = ()
) -> list[Import]:
    """The imports of tree in source order, as absolute module names.

    Relative imports are resolved from ``package`` (skipped without it); ``from x import
    y`` gives ``x.y`` when that is one of ``modules``, else ``x``.
    """
    found: list[Import] = []
    for node, at_import_time in _import_statements([tree], at_import_time=True):
        if isinstance(node, ast.Import):
            found += [Import(alias.name, node.lineno, at_import_time) for alias in node.names]
            continue
        base = _absolute(node, package)
        if base is None:
            continue
        names = [f"{base}.{alias.name}" for alias in node.names]
        submodules = [name for name in names if name in modules]
        found += [Import(name, node.lineno, at_import_time) for name in submodules]
        if len(submodules) < len(names):
            found.append(Import(base, node.lineno, at_import_time))
    return found


def imported_modules(tree: ast.AST) -> list[str]:
    """The modules tree imports anywhere (in functions and for type checking too)."""
    return [found.module for found in imports(tree)]


def dependency_graph(sources: Sequence[Source]) -> dict[str, set[str]]:
    """Each module -> the modules among ``sources`` it imports when it is imported."""
    known = {source.module for source in sources}
    return {
        source.module: {
            found.module
            for found in imports(source.tree, package=source.package, modules=known)
            if found.at_import_time and found.module in known
        }
        for source in sources
    }


def cycles(graph: Mapping[str, Collection[str]]) -> list[list[str]]:
    """One shortest cycle per strongly connected part of graph, e.g. ``[a, b, a]``.

    Each starts at the first module of its part by name; the parts come in name order.
    """
    found = []
    for part in _strongly_connected(graph):
        start = min(part)
        if len(part) > 1 or start in graph.get(start, ()):
            found.append(_shortest_cycle(graph, start, part))
    return sorted(found)


def _import_statements(
    nodes: Iterable[ast.AST], *, at_import_time: bool
) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    for node in nodes:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, at_import_time
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            yield from _import_statements(ast.iter_child_nodes(node), at_import_time=False)
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _import_statements(node.body, at_import_time=False)
            yield from _import_statements(node.orelse, at_import_time=at_import_time)
        else:
            yield from _import_statements(ast.iter_child_nodes(node), at_import_time=at_import_time)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _absolute(node: ast.ImportFrom, package: str | None) -> str | None:
    if node.level == 0:
        return node.module
    if not package:
        return None
    parts = package.split(".")
    if node.level - 1 >= len(parts):
        return None
    base = ".".join(parts[: len(parts) - (node.level - 1)])
    return f"{base}.{node.module}" if node.module else base


def _strongly_connected(graph: Mapping[str, Collection[str]]) -> list[set[str]]:
    """Tarjan's algorithm, without recursion."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    parts: list[set[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in graph:
                    continue
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph[successor]))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    part = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        part.add(member)
                        if member == node:
                            break
                    parts.append(part)
    return parts


def _shortest_cycle(graph: Mapping[str, Collection[str]], start: str, part: set[str]) -> list[str]:
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for successor in sorted(graph[node]):
            if successor == start:
                chain = [node]
                while chain[-1] != start:
                    chain.append(came_from[chain[-1]])
                return [*reversed(chain), start]
            if successor in part and successor not in came_from:
                came_from[successor] = node
                queue.append(successor)
    raise AssertionError(f"{start} is on no cycle")
