"""Guideline hints: corrections (served and reviewed), disagreements of closed items and the
latest monitor's label drift, each counted apart with examples, combined into one ranked list;
and each kind of evidence says so when there is none."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from tests.unit.feedback.served import answer_every_item, project_with_run, rate, serve
from tuneloop.cli import app
from tuneloop.feedback.guideline_evidence import Evidence
from tuneloop.feedback.guideline_hints import guideline_hints, rank, write_guideline_hints
from tuneloop.feedback.next_round import route_next_round
from tuneloop.report.html import build_report
from tuneloop.run_dir import (
    GUIDELINE_HINTS_FILE,
    MONITOR_FILE,
    REVIEW_CANDIDATES_FILE,
    monitor_dir,
    review_dir,
    write_json,
)
from tuneloop.spec import load_spec

runner = CliRunner()
#: what `tuneloop monitor` writes under `labels` when the answers were tested
MOVED = {"status": "tested", "moved": [
    {"label": "card_linking", "training_share": 0.25, "served_share": 0.65},
    {"label": "exchange_rate", "training_share": 0.25, "served_share": 0.15},
]}  # fmt: skip


def hinted_project(root: Path) -> Path:
    """Two corrected served answers (card_linking → card_arrival), a reviewed output corrected
    (exchange_rate → card_payment_wrong_exchange_rate), items the two annotators split on
    (card_arrival against card_linking) and a monitor check where card_linking's share rose."""
    project = project_with_run(root, [])
    served = [("my card never came", "card_linking"), ("card still not here", "card_linking")]
    ids = serve(project, served, 0.9)
    rate(project, [(ids[0], "down", "card_arrival"), (ids[1], "down", "Card arrival")])
    spec = load_spec(project)
    line = {"text": "is the rate fixed?", "label": "card_payment_wrong_exchange_rate", "reviewer": "ann",
            "prediction_id": "p1", "model_output": "exchange_rate", "run": "run-001"}  # fmt: skip
    reviews = review_dir(spec.output_path / "run-001")
    reviews.mkdir(parents=True)
    (reviews / REVIEW_CANDIDATES_FILE).write_bytes(orjson.dumps(line) + b"\n")
    route_next_round(spec)
    answers = {"ann": "card_arrival", "bo": "card_linking"}
    answer_every_item(spec, list(answers), lambda name, item: answers[name])
    write_json(monitor_dir(spec.output_path, datetime.now(UTC)) / MONITOR_FILE, {"labels": MOVED})
    return project


def test_labels_are_ranked_by_their_summed_shares_with_counts_pairs_and_examples(tmp_path: Path) -> None:
    hints = guideline_hints(load_spec(hinted_project(tmp_path)))
    by = {h["label"]: h for h in hints["labels"]}
    assert [h["label"] for h in hints["labels"]][:2] == ["card_linking", "card_arrival"]
    linking = by["card_linking"]
    assert linking["counts"]["corrections"] == 2 and linking["counts"]["disagreements"] == 3
    assert linking["counts"]["drift"] == pytest.approx(0.4)
    assert linking["shares"]["drift"] == pytest.approx(0.8)
    assert linking["score"] == pytest.approx(sum(linking["shares"].values()), abs=1e-3)
    assert "card_arrival / card_linking (3 items)" in linking["confused_with"]
    assert linking["examples"]["corrections"][0] == "'my card never came': card_linking → card_arrival"
    assert len(linking["examples"]["disagreements"]) == 3  # at most three per signal
    assert linking["examples"]["drift"][0] == "'card still not here'"  # served with it, latest first
    reviewed = by["card_payment_wrong_exchange_rate"]
    assert reviewed["counts"] == {"corrections": 1, "disagreements": 0, "drift": 0}
    assert by["exchange_rate"]["counts"]["drift"] == pytest.approx(0.1)
    assert hints["note"] is None and all(s["note"] is None for s in hints["signals"].values())


def test_top_keeps_the_first_labels_and_ties_go_by_counts_then_name() -> None:
    evidence = {
        "corrections": Evidence(counts={"b": 1, "a": 1}),
        "disagreements": Evidence(counts={"c": 2, "a": 2}),
        "drift": Evidence(),
    }
    assert [h["label"] for h in rank(evidence)] == ["a", "b", "c"]  # b and c tie: corrections first
    assert [h["label"] for h in rank(evidence, top=1)] == ["a"]
    assert rank(evidence)[0]["score"] == pytest.approx(1.0)


def test_each_kind_says_when_there_is_no_evidence(tmp_path: Path) -> None:
    spec = load_spec(project_with_run(tmp_path, []))
    hints = guideline_hints(spec)
    assert hints["labels"] == [] and hints["note"] == "no evidence of any kind yet"
    notes = {name: s["note"] for name, s in hints["signals"].items()}
    assert notes["disagreements"] == "no annotation store"
    assert notes["drift"] == "no `tuneloop monitor` check yet"
    assert notes["corrections"].startswith("no corrections (no store")


def test_the_cli_prints_the_same_list_as_json_and_as_text(tmp_path: Path) -> None:
    project = hinted_project(tmp_path)
    result = runner.invoke(app, ["annotate", "hints", str(project), "--json", "--top", "2"])
    assert result.exit_code == 0, result.output
    found = orjson.loads(result.stdout)
    assert [h["label"] for h in found["labels"]] == ["card_linking", "card_arrival"]
    assert found["signals"]["drift"]["labels"] == 2
    text = runner.invoke(app, ["annotate", "hints", str(project)])
    assert text.exit_code == 0 and "1. card_linking" in text.stdout
    assert "'my card never came': card_linking → card_arrival" in text.stdout


def test_the_report_renders_the_hints_the_run_keeps(tmp_path: Path) -> None:
    project = hinted_project(tmp_path)
    run_dir = load_spec(project).output_path / "run-001"
    before = build_report(run_dir).read_text(encoding="utf-8")
    assert "Guideline hints" not in before  # nothing kept yet: no section
    assert write_guideline_hints(run_dir) == run_dir / GUIDELINE_HINTS_FILE
    html = build_report(run_dir).read_text(encoding="utf-8")
    section = html[html.index('<section id="guideline-hints">') :]
    assert '<a href="#guideline-hints">' in html
    assert section.index("<td>card_linking</td>") < section.index("<td>card_arrival</td>")
    assert "&#39;my card never came&#39;: card_linking → card_arrival" in section
    assert "card_arrival / card_linking (3 items)" in section


def test_label_sets_count_each_label_a_correction_or_a_split_is_about(tmp_path: Path) -> None:
    """For a multilabel task a correction counts for the labels added or taken away, and items
    count for each label whose presence the annotators split on."""
    project = tmp_path / "nlupp"
    assert runner.invoke(app, ["init", "--example", "nlupp-banking", str(project)]).exit_code == 0
    simulated = runner.invoke(
        app, ["annotate", "simulate", str(project), "--items", "20", "--annotators", "2"]
    )
    assert simulated.exit_code == 0, simulated.output
    spec = load_spec(project)
    a, b, c = spec.label_names[:3]
    line = {"text": "t", "label": [a, c], "model_output": f"{a}, {b}", "prediction_id": "p", "run": "run-001"}
    reviews = review_dir(spec.output_path / "run-001")
    reviews.mkdir(parents=True)
    (reviews / REVIEW_CANDIDATES_FILE).write_bytes(orjson.dumps(line) + b"\n")
    hints = guideline_hints(spec, top=len(spec.label_names))
    by = {h["label"]: h for h in hints["labels"]}
    assert by[b]["counts"]["corrections"] == 1 and by[c]["counts"]["corrections"] == 1
    assert a not in by or by[a]["counts"]["corrections"] == 0  # kept: not what was corrected
    assert by[b]["examples"]["corrections"] == [f"'t': {a}, {b} → {a}, {c}"]
    disputed = [h for h in hints["labels"] if h["counts"]["disagreements"]]
    assert disputed and {h["label"] for h in disputed} <= set(spec.label_names)
    assert any(h["confused_with"] for h in disputed)
