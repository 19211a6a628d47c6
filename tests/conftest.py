"""Shared fixtures: small real projects built from the BANKING77 example shipped in examples/."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "banking77"

# Small enough for a test to build and train in seconds on two cores.
TINY_SIZES = {"vocab_size": 600, "hidden_size": 64, "layers": 2, "heads": 2, "context_length": 128}


def spread_weights(model: Any, seed: int, std: float = 0.2) -> None:
    """Redraw a built tiny model's weight matrices ten times wider (std 0.2, not 0.02), seeded.

    The built model gives every prompt the same answer (a newline, the same label), so a test that
    compares answers would compare constants; with these weights each prompt gets its own answer."""
    import torch

    torch.manual_seed(seed)
    with torch.no_grad():
        for weights in model.parameters():
            if weights.dim() > 1:
                weights.normal_(0.0, std)


def banking_rows(n: int, labels: int = 5) -> list[dict[str, str]]:
    """`n` real BANKING77 rows spread evenly over its first `labels` intents, interleaved."""
    with (EXAMPLE / "data" / "train.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    keep = list(dict.fromkeys(r["category"] for r in rows))[:labels]
    groups = [[r for r in rows if r["category"] == label] for label in keep]
    return [row for batch in zip(*groups, strict=False) for row in batch][:n]


def write_csv(path: Path, rows: list[dict[str, Any]], header: list[str] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header or list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def build_project(
    project: Path, rows: int = 300, labels: int = 5, max_steps: int = 8, **overrides: Any
) -> Path:
    """A BANKING77 project with few rows, few labels and a tiny model; `overrides` replace spec keys."""
    project.mkdir(parents=True)
    shutil.copy(EXAMPLE / "guidelines.md", project / "guidelines.md")
    data = banking_rows(rows, labels)
    write_csv(project / "data" / "train.csv", data)
    yaml = YAML()
    spec = yaml.load((EXAMPLE / "tuneloop.yaml").read_text())
    present = {r["category"] for r in data}
    spec["labels"] = [label for label in spec["labels"] if label["name"] in present]
    del spec["annotation"]  # its label groups name intents these rows lack; tests set their own
    spec["model"]["tiny"] = dict(TINY_SIZES)
    spec["splits"] = {"validation": 0.15, "test": 0.15}
    for phase in spec["phases"]:
        for key in ("eval_every", "eval_rows", "early_stopping", "gate"):  # tests that watch set their own
            phase.pop(key, None)
        phase.update(
            {
                "epochs": 1,
                "max_steps": max_steps,
                "batch_size": 16,
                "learning_rate": 0.003,
                "logging_steps": 2,
            }
        )
    spec.update(overrides)
    with (project / "tuneloop.yaml").open("w") as fh:
        yaml.dump(spec, fh)
    return project


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """`build_project` in this test's temporary directory."""
    return lambda **kwargs: build_project(tmp_path / "project", **kwargs)
