"""The web layer sits on top: no domain module imports `tuneloop.web` (at module level or inside a
function). Only the `serve` command, the web package itself, and the CLI that registers the
command may name it."""

from __future__ import annotations

import ast
from pathlib import Path

import tuneloop

ROOT = Path(tuneloop.__file__).parent
ALLOWED = {"cli_serve.py"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_no_domain_module_imports_the_web_layer() -> None:
    modules = [p for p in ROOT.rglob("*.py") if "web" not in p.relative_to(ROOT).parts[:1]]
    assert len(modules) > 50 and any(p.name == "assign.py" for p in modules)
    offenders = {
        str(path.relative_to(ROOT))
        for path in modules
        if path.name not in ALLOWED
        and any(n == "tuneloop.web" or n.startswith("tuneloop.web.") for n in _imports(path))
    }
    assert offenders == set()


def test_the_check_sees_a_web_import() -> None:
    assert "tuneloop.web.server" in _imports(ROOT / "cli_serve.py")
