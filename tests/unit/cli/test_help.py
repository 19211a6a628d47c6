"""Every command has help: each leaf command of the app, found by walking the app itself, has a
non-empty help text (its docstring), `--help` works, and docs/cli.md has a section for it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer
import typer.core
from typer.testing import CliRunner

from tuneloop.cli import app

runner = CliRunner()
DOCS = Path(__file__).resolve().parents[3] / "docs" / "cli.md"
#: `### \`tuneloop annotate import [PROJECT] ...` → "annotate import": the lowercase words after tuneloop.
DOC_HEADING = re.compile(r"^### `tuneloop((?: [a-z][a-z-]*)+)", re.MULTILINE)


def leaf_commands(typer_app: typer.Typer) -> dict[tuple[str, ...], str]:
    """Every command that is not a group, by its path (`("annotate", "import")`), with its help."""
    found: dict[tuple[str, ...], str] = {}

    def walk(command: object, path: tuple[str, ...]) -> None:
        if isinstance(command, typer.core.TyperGroup):
            for name, sub in command.commands.items():
                walk(sub, (*path, name))
        else:
            found[path] = (getattr(command, "help", None) or "").strip()

    walk(typer.main.get_command(typer_app), ())
    return found


def missing_help(typer_app: typer.Typer) -> list[str]:
    return sorted(" ".join(path) for path, text in leaf_commands(typer_app).items() if not text)


LEAVES = sorted(leaf_commands(app))


def test_the_walk_finds_every_command() -> None:
    assert len(LEAVES) >= 19
    assert {("init",), ("run",), ("serve",), ("base-model", "build"), ("annotate", "import")} <= set(LEAVES)
    assert ("review", "results") in LEAVES and ("users", "password") in LEAVES


def test_every_command_has_a_help_text() -> None:
    assert missing_help(app) == []


@pytest.mark.parametrize("path", LEAVES, ids=" ".join)
def test_every_command_help_exits_0(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output


def test_docs_name_every_command_and_no_other() -> None:
    documented = {tuple(words.split()) for words in DOC_HEADING.findall(DOCS.read_text(encoding="utf-8"))}
    assert sorted(set(LEAVES) - documented) == [], "add a section to docs/cli.md"
    assert sorted(documented - set(LEAVES)) == [], "docs/cli.md names a command that does not exist"


def test_a_command_without_a_docstring_is_reported() -> None:
    probe = typer.Typer()
    group = typer.Typer(help="A group.")
    probe.add_typer(group, name="group")

    @probe.command()
    def documented() -> None:
        """Does something."""

    @group.command("bare")
    def bare() -> None:
        pass

    assert missing_help(probe) == ["group bare"]


def test_the_doc_heading_pattern_reads_the_command_words() -> None:
    text = "### `tuneloop annotate import [PROJECT] [--part train]`\n### `tuneloop run [PROJECT]`\n"
    assert DOC_HEADING.findall(text) == [" annotate import", " run"]


@pytest.mark.parametrize("path", LEAVES, ids=" ".join)
def test_extras_in_help_survive_the_rich_markup(path: tuple[str, ...]) -> None:
    """`pip install 'tuneloop[ray]'` written plainly renders as `pip install 'tuneloop'`."""
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "300"})
    assert "'tuneloop'" not in result.output
    if path == ("check",):
        assert "pip install 'tuneloop[ray]'" in result.output
