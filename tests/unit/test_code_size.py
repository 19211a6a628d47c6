"""Small modules and short functions: no module in `src/` over 400 lines, no function over 60.

A module that grows past that holds more than one idea and a function past it more than one step;
split them (migrations, which Alembic writes as one unit, aside).
"""

from __future__ import annotations

import ast
from pathlib import Path

import tuneloop

ROOT = Path(tuneloop.__file__).parent
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def modules() -> list[Path]:
    return [p for p in ROOT.rglob("*.py") if "migrations" not in p.relative_to(ROOT).parts]


def long_functions(path: Path, limit: int = MAX_FUNCTION_LINES) -> list[str]:
    """`file:line name (N lines)` for each function or method longer than `limit`, decorators
    and docstring included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            length = (node.end_lineno or node.lineno) - first + 1
            if length > limit:
                found.append(f"{path.relative_to(ROOT)}:{first} {node.name} ({length} lines)")
    return found


def test_no_module_over_the_limit() -> None:
    sizes = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines()) for p in modules()}
    assert len(sizes) > 50
    assert {name: n for name, n in sizes.items() if n > MAX_MODULE_LINES} == {}


def test_no_function_over_the_limit() -> None:
    assert [f for p in modules() for f in long_functions(p)] == []


def test_a_long_function_is_seen(tmp_path: Path) -> None:
    probe = ROOT / "_size_probe.py"
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    probe.write_text(f"@staticmethod\ndef f():\n{body}\n")
    try:
        assert long_functions(probe) == [f"_size_probe.py:1 f ({MAX_FUNCTION_LINES + 2} lines)"]
    finally:
        probe.unlink()
