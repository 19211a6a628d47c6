from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import orjson
import pytest

from tests.conftest import TINY_SIZES, banking_rows, write_csv
from tuneloop.data.example import Example, build_messages
from tuneloop.errors import TuneloopError
from tuneloop.evaluate.runner import evaluate_examples, evaluate_file, trained_shape
from tuneloop.spec import TinyModel, load_spec
from tuneloop.task_card import TaskCard
from tuneloop.train.base_model import build_tiny_model

ROWS = banking_rows(30, labels=3)
CARD = TaskCard("classify", sorted({r["category"] for r in ROWS}), "Classify.", "text", "category", 4)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = build_tiny_model(
        TinyModel(**TINY_SIZES), [r["text"] for r in ROWS], tmp_path_factory.mktemp("m"), CARD.labels
    )
    CARD.save(path)
    return path


def test_a_file_with_no_usable_row_says_why(model_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "held_out.jsonl"
    data.write_text('{"body": "Where is my card?", "category": "card_arrival"}\n{"body": "x"}\n')
    with pytest.raises(TuneloopError) as err:
        evaluate_file(model_dir, data)
    assert "none of the 2 rows could be used ({'missing_field': 2})" in str(err.value)
    assert "first: line 1: the text field 'text' is missing" in str(err.value)


def test_field_names_default_to_the_task_card_and_results_are_written(
    model_dir: Path, tmp_path: Path
) -> None:
    data = write_csv(tmp_path / "held_out.csv", ROWS[:9])
    report = evaluate_file(model_dir, data, out_dir=tmp_path / "out")
    assert report["n"] == 9 and report["data"] == {
        "path": str(data),
        "read": 9,
        "skipped": 0,
        "skipped_reasons": [],
    }
    assert (tmp_path / "out" / "predictions.jsonl").read_text().count("\n") == 9
    assert (tmp_path / "out" / "metrics.json").is_file()


def test_unlabelled_rows_cannot_be_scored(model_dir: Path) -> None:
    examples = [Example(build_messages("hi", None, None), None, "x")]
    with pytest.raises(TuneloopError, match="1 of 1 rows have no label"):
        evaluate_examples(str(model_dir), examples, CARD)


def test_an_unknown_format_is_named(model_dir: Path, tmp_path: Path) -> None:
    data = write_csv(tmp_path / "d.csv", ROWS[:2])
    with pytest.raises(
        TuneloopError,
        match="--format 'xlsx': expected one of csv, jsonl, json, parquet, chat, alpaca, sharegpt",
    ):
        evaluate_file(model_dir, data, data_format="xlsx")


@pytest.mark.parametrize("scoring", ["loglik", "generate"])
def test_the_card_scoring_is_used_and_reported(model_dir: Path, scoring: str) -> None:
    examples = [
        Example(build_messages(r["text"], r["category"], "Classify."), r["category"], "x") for r in ROWS[:6]
    ]
    card = replace(CARD, scoring=scoring, parsing="strict")
    report = evaluate_examples(str(model_dir), examples, card)
    assert report["scoring"]["method"] == scoring
    if scoring == "loglik":
        assert report["parsing"]["headline"] is None and report["invalid_rate"] == 0.0
        assert 0 < report["scoring"]["mean_confidence"] <= 1
    else:
        assert report["parsing"]["headline"] == "strict"
        assert report["accuracy"] == report["parsing"]["strict"]["accuracy"]
        assert report["invalid_rate"] == report["parsing"]["strict"]["invalid_rate"]


def test_a_json_file_is_read_as_the_row_shape_the_model_trained_on(model_dir: Path, tmp_path: Path) -> None:
    chat_model = tmp_path / "chat-model"
    shutil.copytree(model_dir, chat_model)
    replace(CARD, data_format="chat").save(chat_model)
    rows = [
        {
            "messages": [
                {"role": "user", "content": r["text"]},
                {"role": "assistant", "content": r["category"]},
            ]
        }
        for r in ROWS[:5]
    ]
    data = tmp_path / "held_out.jsonl"
    data.write_bytes(b"".join(orjson.dumps(row) + b"\n" for row in rows))
    report = evaluate_file(chat_model, data)  # no --format: the card says chat
    assert report["n"] == 5 and report["data"]["skipped"] == 0
    csv = write_csv(tmp_path / "held_out.csv", ROWS[:3])  # a CSV still reads as the extension says
    assert evaluate_file(chat_model, csv)["n"] == 3
    assert trained_shape(CARD, data) is None  # a card from before it kept the format: as before


def test_the_card_keeps_the_format_of_the_training_data(make_project: Callable[..., Path]) -> None:
    card = TaskCard.from_spec(load_spec(make_project(rows=30, labels=3)))
    assert card.data_format == "csv" and trained_shape(card, Path("x.jsonl")) is None  # tabular: by extension
    alpaca = replace(card, data_format="alpaca")
    assert trained_shape(alpaca, Path("x.json")) == "alpaca" and trained_shape(alpaca, Path("x.csv")) is None
