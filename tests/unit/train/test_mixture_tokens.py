"""`mix_by: tokens`: mixture weights are shares of the trained tokens, priced by the real encoding."""

from __future__ import annotations

import pytest
from transformers import AutoTokenizer

from tests.conftest import TINY_SIZES, banking_rows
from tuneloop.data.example import Example, build_messages
from tuneloop.spec import Phase, TinyModel
from tuneloop.train.base_model import build_tiny_model
from tuneloop.train.loss_mask import check_template
from tuneloop.train.mixture import PhaseRow, draw_rows, encode, mean_trained_tokens, with_trained_tokens

ROWS = banking_rows(120, labels=3)
LABELS = sorted({r["category"] for r in ROWS})
PARTS = {
    "train": [
        Example(build_messages(r["text"], r["category"], None), r["category"], f"t.csv:{i + 2}")
        for i, r in enumerate(ROWS)
    ]
}


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory) -> object:
    path = tmp_path_factory.mktemp("m") / "base"
    return AutoTokenizer.from_pretrained(
        build_tiny_model(TinyModel(**TINY_SIZES), [r["text"] for r in ROWS], path, LABELS)
    )


def _drawn(tokenizer: object, phase: Phase) -> tuple[list[PhaseRow], list[int], dict[str, int]]:
    template = check_template(tokenizer)
    rows, mix = draw_rows(phase, PARTS, seed=0, cost_of=mean_trained_tokens(tokenizer, template, 256))
    encoded = list(encode(tokenizer, rows, template))
    tokens = {m.source: m.trained_tokens for m in with_trained_tokens(mix, rows, encoded)}
    return rows, [m.drawn for m in mix], tokens


def test_weights_are_shares_of_the_trained_tokens_by_default(tokenizer: object) -> None:
    phase = Phase(name="task", kind="sft", mix={"task": 0.8, "inputs": 0.2})
    _, drawn, tokens = _drawn(tokenizer, phase)
    share = tokens["inputs"] / (tokens["task"] + tokens["inputs"])
    assert drawn[0] == 120 and 0 < drawn[1] < 30  # a text row trains more tokens than an answer
    assert share == pytest.approx(0.2, abs=0.03)


def test_by_rows_the_text_takes_far_more_of_the_loss_than_its_weight(tokenizer: object) -> None:
    phase = Phase(name="task", kind="sft", mix={"task": 0.8, "inputs": 0.2}, mix_by="rows")
    _, drawn, tokens = _drawn(tokenizer, phase)
    assert drawn == [120, 30]
    assert tokens["inputs"] / (tokens["task"] + tokens["inputs"]) > 0.4


def test_the_record_counts_the_trained_tokens_of_each_source(tokenizer: object) -> None:
    phase = Phase(name="task", kind="sft", mix={"task": 0.8, "inputs": 0.2})
    rows, _, tokens = _drawn(tokenizer, phase)
    template = check_template(tokenizer)
    answers = [
        mask
        for row, (_, mask) in zip(rows, encode(tokenizer, rows, template), strict=True)
        if not row.as_text
    ]
    assert tokens["task"] == sum(sum(mask) for mask in answers)


def test_a_draw_by_tokens_is_seeded(tokenizer: object) -> None:
    phase = Phase(name="task", kind="sft", mix={"task": 0.8, "inputs": 0.2})
    assert _drawn(tokenizer, phase)[0] == _drawn(tokenizer, phase)[0]


def test_without_a_pricer_a_mix_is_drawn_by_rows(tokenizer: object) -> None:
    phase = Phase(name="task", kind="sft", mix={"task": 0.8, "inputs": 0.2})
    assert [m.drawn for m in draw_rows(phase, PARTS, seed=0)[1]] == [120, 30]


def test_mix_by_is_validated() -> None:
    with pytest.raises(ValueError, match="mix_by"):
        Phase(name="task", kind="sft", mix={"task": 1.0}, mix_by="bytes")  # type: ignore[arg-type]
