"""`tuneloop annotate simulate --anchoring` and `tuneloop assist anchoring`: SIMULATED annotators
who take a shown suggestion when unsure are caught by the anchoring delta, and unanchored ones are
not; the gate and the CLI's messages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from tuneloop.cli import app

runner = CliRunner()


def _json(args: list[str]) -> dict[str, Any]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return dict(orjson.loads(result.stdout))


@pytest.mark.parametrize("anchoring", [0.0, 1.0])
def test_simulated_anchoring_is_detected_and_its_absence_is_not(
    make_project: Callable[..., Path], anchoring: float
) -> None:
    annotation = {"overlap": 2, "gate": {"alpha": 0.0}, "suggestions": True}
    project = make_project(rows=300, labels=5, annotation=annotation, assist={"blind_share": 0.5})
    _json(["annotate", "import", str(project), "--limit", "200"])
    _json(["assist", "suggest", str(project), "--model", "tfidf"])
    simulated = _json(
        [
            "annotate",
            "simulate",
            str(project),
            "--items",
            "200",
            "--annotators",
            "5",
            "--anchoring",
            str(anchoring),
        ]
    )
    report = _json(["assist", "anchoring", str(project)])
    overall = report["overall"]
    assert report["answers"] == simulated["submitted"] == 400
    assert 150 < report["blind"] < 250  # about half the items are blind
    if anchoring:
        assert simulated["anchored"] > 40
        assert overall["low"] > 0.05 and overall["delta"] > 0.1  # the pull is found, with its interval
    else:
        assert simulated["anchored"] == 0
        assert overall["low"] < 0 < overall["high"]  # no pull, none found
    text = runner.invoke(app, ["assist", "anchoring", str(project)])
    assert text.exit_code == 0 and "blind share 50%" in text.output and "overall: delta" in text.output


def test_bad_anchoring_probability_exits_2(make_project: Callable[..., Path]) -> None:
    project = make_project(rows=60, labels=3)
    result = runner.invoke(app, ["annotate", "simulate", str(project), "--items", "5", "--anchoring", "1.5"])
    assert result.exit_code == 2 and "within 0..1" in result.output
