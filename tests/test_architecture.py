"""The layout holds: imports flow api -> matchmaker -> models, and docs name every module."""

import ast
import inspect
import textwrap
from pathlib import Path

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from api.main import create_app
from matchmaker.settings import Settings
from models.common import Page

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "architecture.md"


def imported_packages(path: Path) -> set[str]:
    """The top-level packages a module imports (absolute imports only)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("matchmaker", {"api", "fastapi", "starlette"}),
        ("models", {"api", "matchmaker", "fastapi", "starlette"}),
    ],
)
def test_imports_flow_one_way(package: str, forbidden: set[str]) -> None:
    """No module of `matchmaker` imports the web layer; no module of `models` imports either."""
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & forbidden)
        for path in (ROOT / package).rglob("*.py")
        if imported_packages(path) & forbidden
    }
    assert offenders == {}


def test_docs_name_every_module_of_matchmaker() -> None:
    """docs/architecture.md lists each module, so the page cannot fall behind the code."""
    documented = DOCS.read_text(encoding="utf-8")
    modules = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "matchmaker").rglob("*.py")
        if path.name != "__init__.py" or path.parent.name == "demo"
    )
    assert [module for module in modules if f"`{module}`" not in documented] == []


def test_every_paginated_route_answers_through_one_helper() -> None:
    """Each route that answers a `Page` builds it and its Link header in one call of
    `api.deps.paginated`, so no list can answer a page without the links to its neighbours."""
    app = create_app(Settings(database_url="sqlite:///unused.db"))
    routes = [
        context.original_route
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
    ]
    routes = [
        route
        for route in routes
        if isinstance(route.response_model, type) and issubclass(route.response_model, Page)
    ]
    offenders = {}
    for route in routes:
        tree = ast.parse(textwrap.dedent(inspect.getsource(route.endpoint)))
        called = [
            node.func.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        ]
        built = [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Subscript)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "Page"
        ]
        if called.count("paginated") != 1 or built:
            offenders[route.name] = (called.count("paginated"), len(built))
    assert offenders == {}
    assert len(routes) == 10
