from __future__ import annotations

import re
from pathlib import Path

import orjson

from tests.conftest import TINY_SIZES, banking_rows, spread_weights
from tuneloop.data.example import Example, build_messages
from tuneloop.evaluate.fairness.assessment import fairness_report, read_fairness, write_fairness
from tuneloop.evaluate.predict import predict_labels
from tuneloop.lexicons import GENDER
from tuneloop.models import load_model_and_tokenizer
from tuneloop.spec import Evaluation, FairnessSpec, SliceSpec, TinyModel
from tuneloop.task_card import TaskCard
from tuneloop.train.base_model import build_tiny_model


def test_fairness_report_on_the_tiny_model(tmp_path: Path) -> None:
    rows = banking_rows(80, labels=4)
    labels = sorted({r["category"] for r in rows})
    build_tiny_model(TinyModel(**TINY_SIZES), [r["text"] for r in rows], tmp_path / "m", labels, seed=2)
    model, tokenizer = load_model_and_tokenizer(str(tmp_path / "m"))
    spread_weights(model, seed=1)  # the built model gives every row the same label: nothing would flip
    # Every third row speaks of a wife or a husband, so the gender family has rows to swap.
    texts = [r["text"] + (" for my wife" if i % 3 == 0 else "") for i, r in enumerate(rows)]
    examples = [
        Example(build_messages(text, r["category"], "sys"), r["category"], "x", {"channel": ch})
        for text, r, ch in zip(texts, rows, ["app", "web"] * 40, strict=True)
    ]
    test, train = examples[:40], examples[40:]
    card = TaskCard("classify", labels, "sys")
    evaluation = Evaluation(
        slices=[SliceSpec(name="channel", field="channel")],
        bootstrap=100,
        fairness=FairnessSpec(sensitive=["channel"], max_flip_rate=1.0, max_accuracy_difference=0.0),
    )
    result = fairness_report(model, tokenizer, card, test, train, evaluation)

    families = result["counterfactual"]["families"]
    assert list(families) == ["gender", "names", "nationality", "location", "age"]
    gender = families["gender"]
    terms = {term.lower() for pair in GENDER for term in pair}
    with_term = sum(bool(terms & set(re.findall(r"[\w-]+", e.text.lower()))) for e in test)
    assert gender["rows"] == with_term > 0
    # Each flipped row really flips: the same scorer on the swapped text gives the other label.
    assert 0 < len(gender["flips"]) < gender["rows"]
    for flip in gender["flips"]:
        again = predict_labels(
            model, tokenizer, [Example(build_messages(flip["swapped_text"], None, "sys"), None, "x")], labels
        )
        assert again[0].predicted == flip["predicted_swapped"] != flip["predicted"]
    groups = result["groups"]["channel"]["groups"]
    assert set(groups) == {"app", "web"} and groups["app"]["n"] == 20
    assert result["skew"]["rows"] == 40
    verdicts = {(v["gate"].split(" <=")[0], v["scope"]): v["passed"] for v in result["verdicts"]}
    assert verdicts[("flip rate", "family gender")] is True  # a flip rate is at most 1
    difference = result["groups"]["channel"]["difference"]["accuracy"]["value"]
    assert verdicts[("accuracy difference between groups", "slice channel")] is (difference == 0)

    path = write_fairness(tmp_path / "eval" / "test", result)
    assert read_fairness(tmp_path / "eval" / "test") == orjson.loads(path.read_bytes())
    assert read_fairness(tmp_path / "eval" / "validation") is None
