"""The layout holds: imports flow api -> matchmaker -> models, and docs name every module."""

import ast
from pathlib import Path

import pytest

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
