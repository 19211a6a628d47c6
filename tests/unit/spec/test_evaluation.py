"""The evaluation section: slices."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.unit.spec.projects import broken
from tuneloop.errors import SpecError
from tuneloop.spec import Evaluation, load_spec


def test_a_slice_on_a_field_no_source_tags_is_refused(make_project: Callable[..., Path]) -> None:
    project = broken(
        make_project(), "- name: length", "- name: channel\n    field: channel\n  - name: length"
    )
    with pytest.raises(SpecError, match=r"evaluation: slices\[0\]\.field 'channel' is not a slice field"):
        load_spec(project)


def test_empty_length_buckets_are_refused(make_project: Callable[..., Path]) -> None:
    project = broken(make_project(), "length_words:", "length_words: []\n    old_words:")
    with pytest.raises(SpecError, match=r"evaluation\.slices\[0\]\.length_words: needs at least 1 item"):
        load_spec(project)


GATE = "- {metric: accuracy, max_drop: 0.03, against: base}"


def test_a_beats_gate_names_a_baseline(make_project: Callable[..., Path]) -> None:
    spec = load_spec(broken(make_project(), GATE, "- {beats: majority}\n  - {beats: tfidf_logreg, p: 0.01}"))
    assert [(g.beats, g.metric, g.p) for g in spec.evaluation.gates] == [
        ("majority", "accuracy", 0.05),
        ("tfidf_logreg", "accuracy", 0.01),
    ]


def test_an_unknown_baseline_is_refused_naming_the_known_ones(make_project: Callable[..., Path]) -> None:
    with pytest.raises(
        SpecError,
        match=r"evaluation\.gates\[0\]\.beats: unknown baseline 'tfidf': the baselines are majority, "
        r"tfidf_logreg \(tuneloop\.yaml:\d+\)",
    ):
        load_spec(broken(make_project(), GATE, "- {beats: tfidf}"))


def test_a_gate_is_one_kind(make_project: Callable[..., Path]) -> None:
    with pytest.raises(
        SpecError, match=r"evaluation\.gates\[0\]: set exactly one of min:, max_drop: or beats:"
    ):
        load_spec(broken(make_project(), GATE, "- {beats: majority, min: 0.5}"))


def test_a_generate_task_is_scored_by_text_metrics_and_gated_in_their_own_units() -> None:
    from tuneloop.spec.evaluation import GENERATE_TOKENS

    fitted = Evaluation(gates=[{"metric": "chrf", "min": 30}]).fit_task("generate")
    assert fitted.metrics == ["bleu", "chrf", "rouge_l", "exact_match"]
    assert fitted.max_new_tokens == GENERATE_TOKENS
    with pytest.raises(ValueError, match="exact_match is a share, 0-1"):
        Evaluation(gates=[{"metric": "exact_match", "min": 30}])
    with pytest.raises(ValueError, match="bleu has none to beat"):
        Evaluation(gates=[{"metric": "bleu", "beats": "majority"}])
    with pytest.raises(ValueError, match="lower is better"):
        Evaluation(gates=[{"metric": "slot_error_rate", "min": 0.1}])
    with pytest.raises(ValueError, match="accuracy is not a metric of a generate task"):
        Evaluation(metrics=["accuracy"]).fit_task("generate")
