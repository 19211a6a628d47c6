"""Generated extraction answers become predictions that score field by field, survive
predictions.jsonl, slice, compare pairwise, and show in the report and the model card."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tuneloop.data.example import Example, build_messages
from tuneloop.evaluate.compare import paired_tests
from tuneloop.evaluate.extraction import extraction_metrics, record_prediction
from tuneloop.evaluate.multilabel_metrics import encode_rows
from tuneloop.evaluate.runner import read_predictions
from tuneloop.evaluate.slices import slice_metrics
from tuneloop.report.extraction import extraction_card, extraction_section
from tuneloop.spec import Evaluation, SliceSpec
from tuneloop.spec.fields import FieldSpec

FIELDS = [FieldSpec(name="company", span=True), FieldSpec(name="amount", type="number", span=True)]
EVALUATION = Evaluation.for_task("extract").model_copy(
    update={"slices": [SliceSpec(name="src", field="src")], "min_slice_size": 1}
)
CASES = [  # text, gold answer, output
    ("Tesco took 12.50", '{"company":"Tesco","amount":12.5}', '{"company": "tesco", "amount": 12.5}'),
    ("Aldi took 3", '{"company":"Aldi","amount":3}', '{"company": "Aldi", "amount": 4}'),
    ("hello", "{}", '{"company": "Lidl"}'),
    ("Lidl took 9", '{"company":"Lidl","amount":9}', "Lidl, 9 pounds"),
    ("nothing here", "{}", "{}"),
]


def _predictions() -> list:
    out = []
    for i, (text, gold, output) in enumerate(CASES):
        example = Example(build_messages(text, gold, None), gold, "t", slices={"src": "ab"[i % 2]})
        out.append(record_prediction(example, output, FIELDS))
    return out


def test_outputs_are_read_counted_and_reported_by_reason() -> None:
    predictions = _predictions()
    assert [p.predicted is not None for p in predictions] == [True, True, True, False, True]
    assert predictions[0].field_counts == {"company": [1, 0, 0, 0], "amount": [1, 0, 0, 0]}
    assert predictions[2].problems == ("not_in_text: company: 'Lidl' does not occur in the text",)
    metrics = extraction_metrics(predictions, FIELDS, EVALUATION, seed=0, decoding="free")
    # correct 3 (Tesco, 12.5, Aldi); gold values 6; predicted values 5 (Lidl made up, 4 wrong)
    assert metrics["field_micro_precision"] == pytest.approx(3 / 5)
    assert metrics["field_micro_recall"] == pytest.approx(3 / 6)
    assert metrics["exact_record"] == pytest.approx(2 / 5)
    assert metrics["invalid_rate"] == pytest.approx(1 / 5)
    assert metrics["invalid_outputs"]["by_reason"] == {"not_json": 1}
    assert metrics["not_in_text"] == 2  # Lidl in "hello", 4 in "Aldi took 3"
    low, high = metrics["ci"]["field_micro_f1"]
    assert low <= metrics["field_micro_f1"] <= high


def test_predictions_survive_the_file_and_slice_and_compare(tmp_path: Path) -> None:
    predictions = _predictions()
    path = tmp_path / "predictions.jsonl"
    path.write_bytes(b"".join(orjson.dumps(p.to_dict()) + b"\n" for p in predictions))
    again = read_predictions(path)
    assert again == predictions
    slices = slice_metrics(again, [], EVALUATION, 0)
    assert set(slices["src"]) == {"a", "b"} and slices["src"]["a"]["n"] == 3
    tests = paired_tests(encode_rows(again, []), encode_rows(again, []), ["field_micro_f1"], 200, 0)
    assert tests[0]["difference"] == 0.0


def test_the_report_and_the_card_show_every_field() -> None:
    metrics = {"n": 5, **extraction_metrics(_predictions(), FIELDS, EVALUATION, seed=0, decoding="free")}
    section = extraction_section(metrics)
    assert section is not None and [f["name"] for f in section["fields"]] == ["company", "amount"]
    card = extraction_card(metrics, "test")
    assert "| company | 3 | 0.667 | 0.667 | 0.667 | 0 | 1 | 1 |" in card
    assert "Invalid outputs (no record of the schema): 1 (not_json 1)" in card
    assert extraction_section({"n": 3, "bleu": 1.0}) is None


def test_one_answer_for_nearly_every_row_raises_the_collapse_alarm() -> None:
    from tuneloop.evaluate.collapse import same_answer_alarm

    def rows(outputs: list[str], golds: list[str]) -> list:
        return [
            record_prediction(Example(build_messages(f"t{i}", g, None), g, "t"), o, FIELDS)
            for i, (o, g) in enumerate(zip(outputs, golds, strict=True))
        ]

    golds = ["{}"] * 14 + ['{"amount":3}'] * 6
    alarm = same_answer_alarm(rows(["{}"] * 20, golds))
    assert alarm["alarm"] and alarm["reasons"] == [
        "one answer for 20 of 20 rows: '{}', the gold answer of 70% of them"
    ]
    assert not same_answer_alarm(rows(["{}"] * 19 + ['{"amount":3}'], ["{}"] * 19 + ['{"amount":3}']))[
        "alarm"
    ]
    assert not same_answer_alarm(rows(["{}"] * 18 + ['{"amount":3}'] * 2, golds))["alarm"]
