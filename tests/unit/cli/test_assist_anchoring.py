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

from tests.unit.cli.test_multilabel import _annotation_html
from tuneloop.cli import app
from tuneloop.report.annotation import annotation_section
from tuneloop.spec import load_spec

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


def test_the_report_shows_suggestions_accepted_changed_and_the_delta(
    make_project: Callable[..., Path],
) -> None:
    annotation = {"overlap": 2, "gate": {"alpha": 0.0}, "suggestions": True}
    project = make_project(rows=200, labels=4, annotation=annotation, assist={"blind_share": 0.5})
    _json(["annotate", "import", str(project), "--limit", "60"])
    _json(["assist", "suggest", str(project), "--model", "tfidf"])
    _json(["annotate", "simulate", str(project), "--items", "60", "--annotators", "4", "--anchoring", "1"])
    section = annotation_section(load_spec(project))
    assert section is not None
    used = section["suggestions"]
    assert used["made"] == 60 and used["answers"] == 120 and used["shown"] + used["blind"] == 120
    assert used["accepted"] + used["changed"] == used["shown"] > 0 and used["accepted"] > used["changed"]
    assert used["anchoring"]["delta"] is not None
    html = _annotation_html(section)
    assert f"{used['made']} made; of {used['shown']} answers" in html and "Anchoring delta" in html
