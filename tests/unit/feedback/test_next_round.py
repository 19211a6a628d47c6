"""`tuneloop round next`: every origin (a client's correction, a thumbs-down, a review candidate,
a low-confidence answer) becomes one item for people, tagged and with its suggestion, never its
label; running it twice adds nothing twice; and once people have answered, the next round's
data counts the rows that came from the model's use."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.unit.feedback.served import answer_every_item, project_with_run, rate, serve
from tuneloop.annotate.project import project_store
from tuneloop.annotate.store import add_user, claim_next, submit
from tuneloop.annotate.store.items import item_origin
from tuneloop.annotate.store.models import Item
from tuneloop.annotate.training_labels import training_gold
from tuneloop.cli import app
from tuneloop.data.gold import PROVENANCE
from tuneloop.data.prepare import prepare_dataset
from tuneloop.data.run import gold_counts
from tuneloop.feedback.next_round import as_label, route_next_round
from tuneloop.report.html import build_report
from tuneloop.run_dir import (
    MONITOR_FILE,
    REVIEW_CANDIDATES_FILE,
    monitor_dir,
    review_dir,
    update_record,
    write_json,
)
from tuneloop.spec import load_spec

runner = CliRunner()
ORIGINS = ("feedback_correction", "thumbs_down", "review_candidate", "low_confidence")


def candidate(text: str, label: str, reviewer: str, prediction: str = "p1") -> dict[str, object]:
    """A line of RUN/review/candidates.jsonl as `tuneloop review results` writes it."""
    return {"text": text, "label": label, "candidate": True, "source": "output_review", "reviewer": reviewer,
            "item_id": 1, "prediction_id": prediction, "model_output": "exchange_rate", "model": "/m",
            "run": "run-001", "phase": "task"}  # fmt: skip


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Five served answers (corrected, rated down, two unsure, one sure and rated up) and a review
    candidate corrected by two reviewers alike, by a third otherwise."""
    project = project_with_run(tmp_path, [])
    ids = serve(project, [("my card never came", "card_linking"), ("why this rate?", "card_linking")], 0.9)
    unsure = serve(
        project, [("link a card I found", "card_linking"), ("what rate today", "exchange_rate")], 0.3
    )
    sure = serve(project, [("rate for euros", "exchange_rate")], 0.95)
    rate(project, [(ids[0], "down", "Card arrival"), (ids[1], 1, None), (sure[0], "up", None)])
    rate(project, [(ids[0], "down", "card arrival")])  # a second rating of the same answer
    run = load_spec(project).output_path / "run-001"
    lines = [candidate("is the rate fixed?", "exchange_rate", r) for r in ("ann", "bo")]
    lines.append(candidate("is the rate fixed?", "card_linking", "cy"))
    review_dir(run).mkdir(parents=True)
    (review_dir(run) / REVIEW_CANDIDATES_FILE).write_bytes(b"".join(orjson.dumps(c) + b"\n" for c in lines))
    assert unsure
    return project


def items(project: Path) -> list[Item]:
    store = project_store(load_spec(project))
    with store.read() as session:
        found = list(session.scalars(select(Item).order_by(Item.id)))
    store.close()
    return found


def test_each_origin_becomes_one_tagged_item_with_its_suggestion_in_queue_order(project: Path) -> None:
    result = route_next_round(load_spec(project))
    assert result["added"] == dict.fromkeys(ORIGINS, 1) | {"low_confidence": 2}
    assert result["already_routed"] == 0 and result["served_requests"] == 5
    routed = items(project)
    assert [item_origin(i.source_key) for i in routed] == [*ORIGINS, "low_confidence"]  # claimed oldest first
    corrected, down, reviewed, *unsure = routed
    assert (corrected.text, corrected.suggestion_label, corrected.suggestion_confidence) == (
        "my card never came", "card_arrival", None)  # fmt: skip
    assert corrected.external_id.startswith("chatcmpl-") and corrected.run == "run-001"
    assert corrected.closed_at is None and down.suggestion_label is None  # a suggestion, never a label
    assert (reviewed.text, reviewed.suggestion_label, reviewed.external_id) == (
        "is the rate fixed?", "exchange_rate", "run-001/p1")  # fmt: skip
    assert [(u.suggestion_label, u.suggestion_confidence) for u in unsure] == [
        ("card_linking", 0.3), ("exchange_rate", 0.3)]  # the model's answers, its confidence  # fmt: skip
    assert all(i.overlap == 2 for i in routed) and len({i.label_schema_id for i in routed}) == 1


def test_running_it_twice_adds_nothing_twice_and_a_new_correction_upgrades_its_item(project: Path) -> None:
    route_next_round(load_spec(project))
    low = next(i for i in items(project) if item_origin(i.source_key) == "low_confidence")
    rate(project, [(low.external_id, "down", "exchange rate")])  # now also corrected: still one item
    again = runner.invoke(app, ["round", "next", str(project), "--json"])
    assert again.exit_code == 0, again.output
    payload = orjson.loads(again.stdout)
    assert payload["added"] == dict.fromkeys(ORIGINS, 0) and payload["already_routed"] == 4
    assert payload["upgraded"] == 1 and len(items(project)) == 5
    upgraded = next(i for i in items(project) if i.id == low.id)
    assert item_origin(upgraded.source_key) == "feedback_correction"
    assert (upgraded.suggestion_label, upgraded.suggestion_confidence) == ("exchange_rate", None)
    assert upgraded.suggestion_agent == "feedback:feedback_correction"
    shown = runner.invoke(app, ["round", "next", str(project)])
    assert "0 new items for people" in shown.output and "0 upgraded" in shown.output
    assert "5 already routed" in shown.output


def test_an_answered_item_keeps_its_origin_when_a_correction_comes_later(project: Path) -> None:
    spec = load_spec(project)
    route_next_round(spec)
    low = next(i for i in items(project) if item_origin(i.source_key) == "low_confidence")
    store = project_store(spec)
    with store.begin() as session:
        ann = add_user(session, "ann", "annotator")
        while (item := claim_next(session, ann)) is not None:  # answer up to and with the low one
            submit(session, ann, item, "card_linking")
            if item.id == low.id:
                break
    store.close()
    rate(project, [(low.external_id, "down", "exchange rate")])
    assert route_next_round(spec)["upgraded"] == 0
    assert item_origin(next(i for i in items(project) if i.id == low.id).source_key) == "low_confidence"


def test_low_confidence_answers_of_drifted_inputs_come_first_up_to_the_limit(tmp_path: Path) -> None:
    project = project_with_run(tmp_path, [{"name": "card", "keywords": ["card"]}])
    serve(project, [("what rate today", "exchange_rate")], 0.2)
    serve(project, [("my card is lost", "card_linking")], 0.45)
    spec = load_spec(project)
    check = monitor_dir(spec.output_path, datetime.now(UTC)) / MONITOR_FILE
    write_json(check, {"drifted": ["card=match"], "drift": True})  # what `tuneloop monitor` found
    assert route_next_round(spec, limit=1)["added"]["low_confidence"] == 1
    assert [i.text for i in items(project)] == ["my card is lost"]  # drifted before less sure


def test_routed_low_confidence_answers_leave_the_limit_to_new_ones(tmp_path: Path) -> None:
    """The least sure answer, routed by the first run, must not take the second run's one place."""
    project = project_with_run(tmp_path, [])
    for text, confidence in (("what rate today", 0.1), ("my card is lost", 0.2), ("fee for euros", 0.3)):
        serve(project, [(text, "exchange_rate")], confidence)
    spec = load_spec(project)
    assert route_next_round(spec, limit=1)["added"]["low_confidence"] == 1
    again = route_next_round(spec, limit=1)
    assert again["added"]["low_confidence"] == 1 and again["already_routed"] == 1
    assert [i.text for i in items(project)] == ["what rate today", "my card is lost"]


def test_since_reads_feedback_given_since_on_earlier_answers(tmp_path: Path) -> None:
    project = project_with_run(tmp_path, [])
    (old,) = serve(project, [("why this rate?", "card_linking")], 0.9, days_ago=10)
    serve(project, [("rate for euros", "exchange_rate")], 0.95, days_ago=10)
    rate(project, [(old, "down", None)])  # rated today
    found = route_next_round(load_spec(project), since=datetime.now(UTC) - timedelta(days=1))
    assert found["added"]["thumbs_down"] == 1 and found["served_requests"] == 1


def test_imported_feedback_is_routed_too(tmp_path: Path) -> None:
    project = project_with_run(tmp_path, [])
    fix = {
        "prompt": "is the rate fixed?",
        "response": "card_linking",
        "rating": "down",
        "correction": "exchange rate",
    }
    lines = [fix, {"prompt": "where is my card", "response": "card_arrival", "rating": "up"}]
    (tmp_path / "fb.jsonl").write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    imported = runner.invoke(app, ["feedback", "import", str(project), str(tmp_path / "fb.jsonl")])
    assert imported.exit_code == 0, imported.output
    found = route_next_round(load_spec(project))
    assert found["added"]["feedback_correction"] == 1 and found["imported_feedback"] == 2
    (item,) = items(project)
    assert (item.text, item.suggestion_label, item.external_id[:7]) == (
        "is the rate fixed?",
        "exchange_rate",
        "import:",
    )


def test_an_input_asked_many_times_becomes_one_item_once(tmp_path: Path) -> None:
    """The same text served three times (one corrected), and a text already a routed item, add
    one item: the strongest origin's."""
    project = project_with_run(tmp_path, [])
    ids = serve(
        project, [("what rate today", "card_linking")] * 2 + [("what  rate today ", "card_linking")], 0.3
    )
    rate(project, [(ids[1], "down", "exchange rate")])
    spec = load_spec(project)
    assert route_next_round(spec)["added"] == dict.fromkeys(ORIGINS, 0) | {"feedback_correction": 1}
    serve(project, [("what rate today", "card_linking")], 0.3)  # asked again later
    assert sum(route_next_round(spec)["added"].values()) == 0 and len(items(project)) == 1


def test_a_correction_is_read_as_the_tasks_label_or_not_at_all(project: Path) -> None:
    spec = load_spec(project)
    assert as_label(spec, " Card_Arrival. ") == "card_arrival" and as_label(spec, "no such intent") is None
    sets = spec.model_copy(update={"objective": spec.objective.model_copy(update={"task": "multilabel"})})
    assert as_label(sets, "exchange rate, card linking") == ["exchange_rate", "card_linking"]
    assert as_label(sets, "none") == [] and as_label(sets, "card_linking, nope") is None


def test_no_store_is_bad_input(tmp_path: Path, make_project: Callable[..., Path]) -> None:
    bare = make_project(rows=30, labels=3)
    result = runner.invoke(app, ["round", "next", str(bare)])
    assert result.exit_code == 2 and "the project has no store" in result.output


def test_decided_labels_of_routed_items_reach_the_data_with_their_origin(project: Path) -> None:
    """People answer every routed item (two annotators agreeing); the next round's dataset
    version counts the rows by origin, and its provenance names each row's origin."""
    spec = load_spec(project)
    route_next_round(spec)
    answer_every_item(spec, ["ann", "bo"], lambda name, item: item.suggestion_label or "exchange_rate")
    gold = training_gold(spec)
    assert gold is not None and len(gold.labels) == 5
    assert sorted(g.origin or "" for g in gold.labels) == sorted([*ORIGINS, "low_confidence"])
    version = prepare_dataset(spec, spec.output_path / "run-002" / "data", gold)
    by_origin = version.manifest["gold"]["by_origin"]
    assert sum(sum(n.values()) for n in by_origin.values()) == 5
    assert by_origin["low_confidence"] == {"added": 2} and by_origin["feedback_correction"] == {"added": 1}
    provenance = [orjson.loads(line) for line in (version.path / PROVENANCE).read_bytes().splitlines()]
    assert sorted(p["origin"] for p in provenance) == sorted([*ORIGINS, "low_confidence"])
    assert "from the model's use: feedback correction 1, low confidence 2" in gold_counts(
        version.manifest["gold"]
    )
    run_dir = spec.output_path / "run-002"
    update_record(run_dir, project=str(project), spec=spec.model_dump(mode="json"), status="preparing data")
    html = build_report(run_dir).read_text(encoding="utf-8")
    lineage = html[html.index("Rows from the model's use") :]
    assert "<td>low confidence</td>" in lineage and "<td>review candidate</td>" in lineage
