"""`tuneloop assist suggest` end to end: the TF-IDF baseline before any run (on the sources' labels
while gold ones are few), a run's model calibrated on its validation split, label sets, a re-run
that replaces every suggestion, and the errors."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select
from typer.testing import CliRunner

from tests.unit.serving.conftest import make_run
from tuneloop.annotate.project import dataset_for_annotation, project_store
from tuneloop.annotate.store import add_user, claim_next
from tuneloop.annotate.store.models import Item
from tuneloop.assist.suggestions import margin
from tuneloop.cli import app
from tuneloop.run_dir import data_dir
from tuneloop.spec import load_spec

runner = CliRunner()


def _json(args: list[str]) -> dict[str, Any]:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return dict(orjson.loads(result.stdout))


def _stored(project: Path) -> dict[int, tuple[Any, float | None, str | None]]:
    store = project_store(load_spec(project))
    with store.read() as session:
        rows = {
            i.id: (i.suggestion_label, i.suggestion_confidence, i.suggestion_model)
            for i in session.scalars(select(Item).where(Item.closed_at.is_(None)))
        }
    store.close()
    return rows


def _first_served(project: Path) -> tuple[int, dict[int, float]]:
    """The item an annotator gets first from the uncertainty queue, and every open item's margin."""
    store = project_store(load_spec(project))
    with store.begin() as session:
        items = session.scalars(select(Item).where(Item.closed_at.is_(None))).all()
        margins = {i.id: margin(i.suggestion_probabilities or {}, False) for i in items}
        item = claim_next(session, add_user(session, "queue-tester", "annotator"), queue="uncertainty")
        assert item is not None
        first = item.id
    store.close()
    return first, margins


def test_the_baseline_suggests_every_open_item_with_calibration(make_project: Callable[..., Path]) -> None:
    project = make_project(rows=120, labels=4)
    _json(["annotate", "import", str(project), "--limit", "30", "--json"])
    report = _json(["assist", "suggest", str(project), "--json"])
    assert report["agent"] == "tfidf-logreg" and report["suggested"] == 30
    assert report["trained_on"].startswith("gold+sources (0 gold labels")
    calibration = report["calibration"]
    assert calibration["held_out"] > 60 and calibration["temperature"] > 0
    assert 0 <= calibration["ece_after"] <= calibration["ece_before"] + 0.02
    stored = _stored(project)
    assert len(stored) == 30 and all(
        label is not None and 0 < (p or 0) <= 1 for label, p, _ in stored.values()
    )
    assert report["ranked"] == 30 and report["queue"] == "sequential"
    first, margins = _first_served(project)
    assert margins[first] == min(margins.values())  # the uncertainty queue's first item: least sure
    text = runner.invoke(app, ["assist", "suggest", str(project), "--model", "tfidf"])
    assert (
        text.exit_code == 0 and "expected calibration error" in text.output and "30 replaced" in text.output
    )


def test_the_latest_run_is_the_default_suggester(make_project: Callable[..., Path]) -> None:
    project = make_project(rows=80, labels=3)
    _json(["annotate", "import", str(project), "--limit", "6", "--json"])
    _json(["assist", "suggest", str(project), "--model", "tfidf", "--json"])
    run = make_run(project)
    shutil.copytree(dataset_for_annotation(load_spec(project)).path, data_dir(run))
    report = _json(["assist", "suggest", str(project), "--json"])
    assert report["agent"] == "model-loglik" and report["model_version"].startswith("run-001:")
    assert report["calibration"]["source"].startswith("run-001 validation predictions")
    assert report["replaced"] == 6
    assert {model.split(":")[0] for _, _, model in _stored(project).values()} == {"run-001"}


def test_label_sets_get_set_suggestions(tmp_path: Path) -> None:
    project = tmp_path / "nlupp"
    assert runner.invoke(app, ["init", "--example", "nlupp-banking", str(project)]).exit_code == 0
    _json(["annotate", "import", str(project), "--limit", "5", "--json"])
    report = _json(["assist", "suggest", str(project), "--json"])
    assert report["suggested"] == 5 and report["calibration"]["held_out"] > 800
    labels = load_spec(project).label_names
    for s in report["suggestions"]:
        assert isinstance(s["label"], list) and set(s["label"]) <= set(labels) and 0 < s["probability"] <= 1
    stored = _stored(project)
    assert all(isinstance(label, list) for label, _, _ in stored.values())


def test_errors_say_why(make_project: Callable[..., Path], tmp_path: Path) -> None:
    project = make_project(rows=120, labels=4)
    missing = runner.invoke(app, ["assist", "suggest", str(project), "--model", str(tmp_path)])
    assert missing.exit_code == 2 and "name the run" in missing.output
