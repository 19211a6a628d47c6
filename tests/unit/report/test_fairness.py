from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson

from tuneloop.data.example import Example, build_messages
from tuneloop.evaluate.fairness.assessment import write_fairness
from tuneloop.evaluate.fairness.counterfactual import counterfactual
from tuneloop.evaluate.fairness.gates import fairness_verdicts
from tuneloop.evaluate.fairness.group_metrics import group_metrics
from tuneloop.evaluate.fairness.skew import term_skew
from tuneloop.evaluate.metrics import classification_metrics
from tuneloop.evaluate.predict import Prediction
from tuneloop.lexicons import BUILT_IN, Swapper
from tuneloop.report.fairness import flip_rate_plot
from tuneloop.report.html import build_report
from tuneloop.run_dir import new_run_dir, update_record
from tuneloop.spec import FairnessSpec, SliceSpec, load_spec


def _fairness_result() -> dict:
    examples = [
        Example(build_messages(text, "lost_card", None), "lost_card", "x", {"channel": ch})
        for text, ch in [("he lost the <b>card</b>", "app"), ("his card is lost", "web"), ("lost", "web")]
    ]

    def predict(rows: list[Example]) -> list[Prediction]:
        guess = ["refund" if "she" in e.text else "lost_card" for e in rows]
        return [Prediction(e.id, e.text, e.label, g, g, e.slices) for e, g in zip(rows, guess, strict=True)]

    originals = predict(examples)
    swappers = [Swapper.of(name, BUILT_IN[name]) for name in ("gender", "age")]
    result = {
        "scoring": "loglik",
        "counterfactual": counterfactual(examples, {p.id: p for p in originals}, swappers, predict),
        "groups": group_metrics(originals, [SliceSpec(name="channel", field="channel")], ["channel"], 100),
        "skew": term_skew(examples * 5, swappers),
    }
    result["verdicts"] = [v.to_dict() for v in fairness_verdicts(result, FairnessSpec(max_flip_rate=0.02))]
    return result


def test_fairness_section_shows_swaps_flips_groups_skew_and_gates(
    make_project: Callable[..., Path],
) -> None:
    spec = load_spec(make_project())
    run_dir = new_run_dir(spec.output_path, spec.path)
    update_record(run_dir, project=str(spec.root), spec=spec.model_dump(mode="json"), status="evaluated")
    predictions = [Prediction("1", "t", "a", "a", "a")]
    metrics = {**classification_metrics(predictions, ["a"]), "slices": {}, "mapping_rule": "exact"}
    (run_dir / "eval" / "test").mkdir(parents=True)
    (run_dir / "eval" / "test" / "metrics.json").write_bytes(orjson.dumps(metrics))
    before = build_report(run_dir).read_text()
    assert "Fairness (test)" not in before  # no fairness.json: no section

    write_fairness(run_dir / "eval" / "test", _fairness_result())
    html = build_report(run_dir).read_text()
    assert "Fairness (test)" in html
    assert "she lost the &lt;b&gt;card&lt;/b&gt;" in html and "lost_card → refund" in html  # the flipped row
    assert "<b>card</b>" not in html  # row text is escaped
    assert "family gender" in html and "FAILED" in html  # 1 of 2 rows flipped > 0.02
    assert "no test row holds a term of this family" in html  # age
    assert "Group metrics" in html and "difference" in html
    assert "PMI(term, label)" in html
    assert html.count("data:image/png;base64,") == before.count("data:image/png;base64,") + 1  # flip plot


def test_a_stored_interval_a_rounding_error_past_the_rate_still_plots() -> None:
    """Runs recorded before the Wilson bounds were made exact hold 0.0 with a low of 5.6e-17."""
    families = {
        "gender": {"flip_rate": 0.0, "flip_rate_ci": [5.551115123125783e-17, 0.354], "rows": 7},
        "location": {"flip_rate": 0.43, "flip_rate_ci": [0.21, 0.67], "rows": 14},
    }
    assert flip_rate_plot(families, 0.1)  # a PNG, not a ValueError from matplotlib
