"""A generate task's metrics: sacrebleu's corpus scores from per-output statistics, under the bootstrap."""

from __future__ import annotations

import numpy as np
import pytest
import sacrebleu
from rouge_score.rouge_scorer import RougeScorer

from tuneloop.evaluate.compare import paired_tests
from tuneloop.evaluate.generation import generation_metrics
from tuneloop.evaluate.predict import Prediction
from tuneloop.evaluate.text_metrics import text_metrics, text_scores
from tuneloop.spec import Evaluation

OUTPUTS = [
    "The Eagle is a cheap coffee shop.",
    "Alimentum is in the city centre",
    "",
    "A b c d e f",
    "Zizzi serves French food near the river.",
]
REFERENCES = [
    ("The Eagle is a cheap coffee shop near the river.", "Cheap coffee shop: The Eagle."),
    ("In the city centre there is Alimentum.",),
    ("x y", "y x", "x"),
    ("a b c d e f", "g"),
    ("Zizzi, by the river, serves French food.", "French food at Zizzi near the riverside."),
]


def _predictions(outputs: list[str] = OUTPUTS) -> list[Prediction]:
    return [
        Prediction(str(i), f"input {i}", refs[0], out, None, references=refs, finished=True)
        for i, (out, refs) in enumerate(zip(outputs, REFERENCES, strict=True))
    ]


def _streams(references: list[tuple[str, ...]]) -> list[list[str | None]]:
    depth = max(len(r) for r in references)
    return [[r[k] if k < len(r) else None for r in references] for k in range(depth)]


def test_the_point_estimates_are_sacrebleus_corpus_scores_and_rouge_scores_best_reference() -> None:
    metrics = text_metrics(text_scores(_predictions()))
    assert metrics["bleu"] == pytest.approx(
        sacrebleu.corpus_bleu(OUTPUTS, _streams(REFERENCES)).score, abs=1e-9
    )
    assert metrics["chrf"] == pytest.approx(
        sacrebleu.corpus_chrf(OUTPUTS, _streams(REFERENCES)).score, abs=1e-9
    )
    scorer = RougeScorer(["rougeL"], use_stemmer=True)
    best = [
        max(scorer.score(r, o)["rougeL"].fmeasure for r in refs)
        for o, refs in zip(OUTPUTS, REFERENCES, strict=True)
    ]
    assert metrics["rouge_l"] == pytest.approx(100 * np.mean(best), abs=1e-9)
    assert metrics["exact_match"] == pytest.approx(1 / 5)  # "A b c d e f" is "a b c d e f" less case
    assert metrics["output_words"] == pytest.approx(np.mean([len(o.split()) for o in OUTPUTS]))


def test_a_resample_recomputes_the_corpus_score_from_the_rows_it_drew() -> None:
    scores = text_scores(_predictions())
    drawn = np.array([[0, 0, 4, 1, 1], [3, 3, 3, 3, 3]])
    values = scores.values(drawn, ["bleu", "chrf"])
    for k, rows in enumerate(drawn):
        hyps, refs = [OUTPUTS[i] for i in rows], [REFERENCES[i] for i in rows]
        assert values["bleu"][k] == pytest.approx(sacrebleu.corpus_bleu(hyps, _streams(refs)).score, abs=1e-9)
        assert values["chrf"][k] == pytest.approx(sacrebleu.corpus_chrf(hyps, _streams(refs)).score, abs=1e-9)


def test_metrics_json_has_every_metric_with_an_interval_and_the_checks() -> None:
    predictions = _predictions()
    cut = [*predictions[:1], Prediction("9", "in", "x", "", None, references=("x",), finished=False)]
    metrics = generation_metrics(predictions + cut, Evaluation.for_task("generate"), seed=0)
    for name in ("bleu", "chrf", "rouge_l", "exact_match", "length_ratio"):
        low, high = metrics["ci"][name]
        assert low <= metrics[name] <= high
    assert metrics["checks"] == {"empty": 2, "truncated": 1, "copied_input": 0}
    assert metrics["invalid_rate"] == pytest.approx(2 / 7)
    assert metrics["references"]["total"] == 10 + 2 + 1
    assert "slot_error_rate" not in metrics  # no input here is structured


def test_paired_tests_score_both_models_on_the_same_resamples() -> None:
    better = text_scores(_predictions([refs[0] for refs in REFERENCES]))
    worse = text_scores(_predictions())
    tests = {t["metric"]: t for t in paired_tests(better, worse, ["bleu", "exact_match"], 200, seed=0)}
    assert tests["bleu"]["current"] == pytest.approx(100.0) and tests["bleu"]["difference"] > 0
    assert tests["bleu"]["ci"][0] <= tests["bleu"]["difference"] <= tests["bleu"]["ci"][1]
    assert tests["exact_match"]["test"] == "McNemar exact"
    assert tests["exact_match"]["difference"] == pytest.approx(4 / 5)
