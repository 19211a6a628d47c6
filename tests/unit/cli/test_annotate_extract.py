"""Annotating an extract task from the CLI, as the NLU++ slots example does: items imported from
the spec's data, SIMULATED people fill records (missing a field, a span a word off, a value under
the wrong field), agreement is measured per field with intervals, disputes are adjudicated field
by field, and the decided records are the training rows' answers, in the export and in the round."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tuneloop.annotate.project import operator, project_store, task_schema
from tuneloop.annotate.store.models import LabelSchema
from tuneloop.annotate.store.repository import audit_log
from tuneloop.annotate.summary import agreement_report
from tuneloop.annotate.training_labels import training_gold
from tuneloop.cli import app
from tuneloop.errors import TuneloopError
from tuneloop.report.annotation import annotation_section
from tuneloop.spec import load_spec

runner = CliRunner()
ITEMS = 40


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ann-ext") / "slots"
    assert runner.invoke(app, ["init", "--example", "nlupp-slots", str(path)]).exit_code == 0
    for args in (
        ["annotate", "import", str(path), "--limit", str(ITEMS)],
        ["annotate", "simulate", str(path), "--items", str(ITEMS), "--annotators", "3"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    return path


def test_agreement_is_per_field_with_the_pool_over_every_field(project: Path) -> None:
    result = runner.invoke(app, ["annotate", "agreement", str(project), "--json"])
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.output)
    spec = load_spec(project)
    assert report["level"] == "fields" and report["items"] == ITEMS
    assert [f["name"] for f in report["per_label"]] == [f.name for f in spec.field_schema]
    assert 0 < report["alpha"]["estimate"] < 1  # the 80%-reliable annotator errs
    assert report["alpha"]["low"] <= report["alpha"]["estimate"] <= report["alpha"]["high"]
    filled = [f for f in report["per_label"] if f["n"] > 0]
    assert filled and all(f["estimate"] is None or f["low"] <= f["estimate"] <= f["high"] for f in filled)
    assert all(f["estimate"] is None for f in report["per_label"] if f["n"] == 0)  # never filled: undefined
    text = runner.invoke(app, ["annotate", "agreement", str(project)]).output
    assert "over every field of every record" in text and "field date:" in text
    section = annotation_section(spec)
    assert section is not None and section["label_plot"]  # the per-field plot of the report
    assert {f["name"] for f in section["label_table"]} == {f.name for f in spec.field_schema}


def test_decided_records_are_the_exported_and_trained_answers(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "annotated"
    result = runner.invoke(app, ["annotate", "export", str(project), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = orjson.loads(result.output)
    assert sum(summary["decided_by"].values()) == ITEMS and summary["decided_by"].get("adjudicated", 0) > 0
    rows = [orjson.loads(line) for line in (out / "label_provenance.jsonl").read_bytes().splitlines()]
    assert all(isinstance(orjson.loads(r["label"]), dict) for r in rows)  # canonical JSON answers
    gold = training_gold(load_spec(project))
    assert gold is not None and len(gold.labels) == ITEMS
    assert all(isinstance(orjson.loads(g.label), dict) for g in gold.labels)  # type: ignore[arg-type]


def test_the_field_gate_judges_the_fields_people_filled(project: Path) -> None:
    """`annotation.gate.label_alpha` is each field's floor; a field nobody filled has no alpha
    and nothing to judge, so it neither passes nor blocks."""
    spec = load_spec(project)
    gated = spec.model_copy(
        update={
            "annotation": spec.annotation.model_copy(
                update={"gate": spec.annotation.gate.model_copy(update={"label_alpha": -1.0})}
            )
        }
    )
    store = project_store(gated)
    with store.read() as session:
        report = agreement_report(session, gated)
    store.close()
    judged = {
        v.gate.removeprefix("alpha of field ") for v in report.gate if v.gate.startswith("alpha of field")
    }
    filled = {f.name for f in report.per_label if f.n > 0}
    assert judged == filled and filled < {f.name for f in spec.field_schema}
    assert all(v.passed for v in report.gate if v.gate.startswith("alpha of field") and v.actual is not None)


def test_a_new_field_description_is_taken_and_a_new_field_shape_refused(project: Path) -> None:
    """Descriptions guide people, as the guidelines do: a new wording replaces the stored one (and
    is audited). A field made required changes what a valid record is: the stored answers were
    checked without it, so the spec is refused, naming the field schema, and the store keeps its own."""
    spec = load_spec(project)
    reworded = spec.model_copy(
        update={
            "field_schema": [
                f.model_copy(update={"description": f"{f.description}, as written"})
                for f in spec.field_schema
            ]
        }
    )
    required = spec.model_copy(
        update={
            "field_schema": [
                spec.field_schema[0].model_copy(update={"required": True}),
                *spec.field_schema[1:],
            ]
        }
    )
    store = project_store(spec)
    try:
        with store.begin() as session:
            schema = task_schema(session, reworded, operator(session))
            assert schema.field_schema == [f.model_dump() for f in reworded.field_schema]
        with pytest.raises(TuneloopError, match="field schema: stored"), store.begin() as session:
            task_schema(session, required, operator(session))
        with store.read() as session:
            stored = session.scalar(select(LabelSchema).where(LabelSchema.name == spec.objective.name))
            assert stored is not None and stored.field_schema == [
                f.model_dump() for f in reworded.field_schema
            ]
            actions = [e.action for e in audit_log(session, "label_schemas")]
            assert actions.count("label_schema.descriptions") == 1
    finally:
        store.close()
