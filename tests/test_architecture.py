"""The packages of `app` import each other without cycles (a package that needs another's
vocabulary finds it where both can import it: app.intake.vocabulary, app.contract)."""

from __future__ import annotations

import ast
from collections import defaultdict

from app.config import PROJECT_ROOT

APP = PROJECT_ROOT / "app"


def package_imports() -> dict[str, set[str]]:
    """Package → the other `app` packages its modules import (at any depth of the module)."""
    packages = {p.name for p in APP.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    edges: dict[str, set[str]] = defaultdict(set)
    for path in APP.rglob("*.py"):
        parts = path.relative_to(APP).parts
        if len(parts) < 2:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                bits = name.split(".")
                if bits[:1] == ["app"] and len(bits) > 1 and bits[1] in packages - {parts[0]}:
                    edges[parts[0]].add(bits[1])
    return edges


def test_no_package_imports_itself_through_others() -> None:
    edges = package_imports()
    assert edges  # the walk found the imports

    def reaches(start: str, goal: str, seen: set[str]) -> list[str] | None:
        for nxt in sorted(edges.get(start, ())):
            if nxt == goal:
                return [start, nxt]
            if nxt not in seen:
                seen.add(nxt)
                path = reaches(nxt, goal, seen)
                if path:
                    return [start, *path]
        return None

    cycles = [path for package in sorted(edges) if (path := reaches(package, package, set()))]
    assert not cycles, " ; ".join(" → ".join(c) for c in cycles)
