"""Imports go one way, down the pipeline: a module never imports a later stage.

The order (docs/ARCHITECTURE.md): the run record and shared types, spec, data, annotate, assist,
model loading, train, evaluate, report, feedback, serving (the served model), the orchestrator,
then the CLI and the web app.
Every `import` in `src/` is read, at module level and inside functions, with no exceptions list;
only modules of the same stage or an earlier one may be named.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import tuneloop

ROOT = Path(tuneloop.__file__).parent

#: Top-level names of `tuneloop`, by stage; a name not listed here fails the test below.
STAGES: tuple[tuple[str, ...], ...] = (
    ("errors", "run_dir", "label_text", "distributed", "verdict", "lexicons"),
    ("spec", "task_card"),
    ("data", "extract"),  # extract: the rows of an extract task, read as data reads rows
    ("annotate",),
    ("assist",),
    ("models",),
    ("train",),
    ("evaluate",),
    ("report",),
    ("feedback",),
    ("serving",),
    ("round",),
    ("cli", "web", "__main__", "__init__"),
)
RANK = {name: rank for rank, names in enumerate(STAGES) for name in names}
#: Within the shells, the CLI may register the web app's `serve` command; the web app never
#: reaches into the CLI.
SHELL_ORDER = {"web": 0, "cli": 1, "__main__": 2, "__init__": 2}


def top_name(module: str) -> str | None:
    """`tuneloop.data.ingest` → `data`; a module outside the package → None."""
    parts = module.split(".")
    if parts[0] != "tuneloop":
        return None
    return parts[1] if len(parts) > 1 else "__init__"


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, resolving relative imports against its package."""
    package = ".".join(("tuneloop", *path.relative_to(ROOT).with_suffix("").parts[:-1]))
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names |= {f"{base}.{alias.name}" for alias in node.names}
    return names


def source_modules() -> list[Path]:
    return [p for p in ROOT.rglob("*.py") if "migrations" not in p.relative_to(ROOT).parts]


def own_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return parts[0]


def offences() -> list[str]:
    """`module → imported` for every import of a later stage."""
    found = []
    for path in source_modules():
        own = own_name(path)
        for module in imported_modules(path):
            other = top_name(module)
            if other is None or own not in RANK or other not in RANK or other == own:
                continue
            later = RANK[other] > RANK[own] or (
                RANK[own] == RANK[other] == RANK["cli"] and SHELL_ORDER[other] > SHELL_ORDER[own]
            )
            if later:
                found.append(f"{path.relative_to(ROOT)} → {module}")
    return sorted(set(found))


def test_every_top_level_module_has_a_stage() -> None:
    names = {own_name(p) for p in source_modules()}
    assert len(names) > 8
    assert names - set(RANK) == set(), "add the new module to STAGES"


def test_no_module_imports_a_later_stage() -> None:
    assert offences() == []


def test_the_check_sees_relative_and_function_level_imports(tmp_path: Path) -> None:
    probe = ROOT / "data" / "_layering_probe.py"
    probe.write_text("def f():\n    from ..evaluate import metrics\n    import tuneloop.web\n")
    try:
        assert {"tuneloop.evaluate", "tuneloop.web"} <= imported_modules(probe)
        assert "data/_layering_probe.py → tuneloop.web" in offences()
    finally:
        probe.unlink()


@pytest.mark.parametrize("module", ["tuneloop.data.ingest", "tuneloop"])
def test_top_name(module: str) -> None:
    assert top_name(module) in RANK
