"""BENCHMARKS.md holds one section per benchmark; each run replaces its own section only."""

from __future__ import annotations

from pathlib import Path

PATH = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"
INTRO = "# Benchmarks\n\nSpeed targets live here, never as timed asserts in tests.\n"


def replace_section(marker: str, section: str) -> None:
    """Put `section` (which starts with the `## ...` line `marker`) in place of its previous version."""
    text = PATH.read_text() if PATH.is_file() else INTRO
    if marker in text:
        before, _, after = text.partition(marker)
        rest = after.split("\n## ", 1)
        text = (
            before.rstrip()
            + "\n\n"
            + section.rstrip()
            + "\n"
            + (("\n## " + rest[1]) if len(rest) > 1 else "")
        )
    else:
        text = text.rstrip() + "\n\n" + section.rstrip() + "\n"
    PATH.write_text(text)
