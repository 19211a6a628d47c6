"""The store's decided labels for the next round: adjudicated and agreed, with who decided them;
nothing (and no store opened) for a project without one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from tuneloop.annotate.training_labels import training_gold
from tuneloop.cli import app
from tuneloop.spec import load_spec

runner = CliRunner()


def _simulated(make_project: Callable[..., Path], gate: float = 0.0, **annotation: object) -> Path:
    project = make_project(
        rows=90, labels=4, annotation={"overlap": 2, "gate": {"alpha": gate}, **annotation}
    )
    result = runner.invoke(app, ["annotate", "simulate", str(project), "--items", "40", "--annotators", "4"])
    assert result.exit_code == 0, result.output
    return project


def test_a_project_without_a_store_gets_nothing_and_no_store_is_made(
    make_project: Callable[..., Path],
) -> None:
    project = make_project(rows=30, labels=3)
    assert training_gold(load_spec(project)) is None
    assert not (project / "annotations.db").exists()


def test_adjudicated_and_agreed_labels_come_with_who_decided(make_project: Callable[..., Path]) -> None:
    spec = load_spec(_simulated(make_project))
    gold = training_gold(spec)
    assert gold is not None and gold.agreement_gate_passed and gold.withheld == {}
    assert len(gold.labels) == 40 and {g.kind for g in gold.labels} == {"adjudicated", "agreed"}
    for label in gold.labels:
        assert label.label in spec.label_names and label.guideline_versions == (1,)
        if label.kind == "adjudicated":
            assert label.by == ("simulated-expert",)
        else:
            assert len(label.by) == 2 and all(name.startswith("simulated-") for name in label.by)


def test_agreed_labels_wait_for_the_gate_and_the_spec_can_turn_it_off(
    make_project: Callable[..., Path],
) -> None:
    spec = load_spec(_simulated(make_project, gate=0.99))
    gold = training_gold(spec)
    assert gold is not None and not gold.agreement_gate_passed
    assert {g.kind for g in gold.labels} == {"adjudicated"}
    assert gold.withheld["agreed_below_gate"] == 40 - len(gold.labels)
    off = spec.model_copy(
        update={"annotation": spec.annotation.model_copy(update={"gold_feeds_training": False})}
    )
    assert training_gold(off) is None


def test_simulated_people_answer_a_routed_item_whose_text_the_data_holds_and_skip_others(
    make_project: Callable[..., Path],
) -> None:
    """Items `tuneloop round next` routes carry a served text, not a dataset row's key: the
    simulation answers them by the text's recorded label, and still skips a text it cannot know."""
    from sqlalchemy import select

    from tuneloop.annotate.project import dataset_for_annotation, operator, project_store, task_schema
    from tuneloop.annotate.store.items import FeedbackItem, import_feedback_items
    from tuneloop.annotate.store.models import Item

    spec = load_spec(_simulated(make_project))
    served = dataset_for_annotation(spec).split("test")[0].text  # a held-out message, as the demo serves
    store = project_store(spec)
    with store.begin() as session:
        schema = task_schema(session, spec, operator(session))
        routed = [
            FeedbackItem("thumbs_down", "chatcmpl-1", served, "m", "run-001"),
            FeedbackItem("thumbs_down", "chatcmpl-2", "a message no row of the data holds", "m", "run-001"),
        ]
        import_feedback_items(session, routed, schema, overlap=2)
    result = runner.invoke(
        app, ["annotate", "simulate", str(spec.root), "--items", "100", "--annotators", "4"]
    )
    assert result.exit_code == 0, result.output
    with store.read() as session:
        answered = {i.external_id: i.closed_at is not None for i in session.scalars(select(Item))}
    assert answered["chatcmpl-1"] and not answered["chatcmpl-2"]
