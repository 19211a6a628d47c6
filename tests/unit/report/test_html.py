from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from tuneloop.data.prepare import prepare_dataset
from tuneloop.errors import TuneloopError
from tuneloop.evaluate.metrics import classification_metrics
from tuneloop.evaluate.predict import Prediction
from tuneloop.evaluate.runner import evaluation_intervals
from tuneloop.report.data_quality import FINDINGS_SHOWN
from tuneloop.report.html import build_report
from tuneloop.run_dir import new_run_dir, update_record
from tuneloop.spec import Evaluation, SliceSpec, load_spec
from tuneloop.verdict import Verdict

PAYLOAD = '<script>alert(1)</script><img src=x onerror="alert(2)">'
LABELS = ["a", "b", "c"]


def test_untrusted_text_is_escaped_and_missing_stages_are_left_out(make_project: Callable[..., Path]) -> None:
    spec = load_spec(make_project())
    spec.labels[0].description = PAYLOAD
    run_dir = new_run_dir(spec.output_path, spec.path)
    update_record(run_dir, project=str(spec.root), spec=spec.model_dump(mode="json"), status="preparing data")
    html = build_report(run_dir).read_text()
    assert PAYLOAD not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html and "Training" not in html and "Confusion matrix" not in html
    assert "Not evaluated yet" in _verdict(html)


def test_evaluation_alone_gives_the_verdict_with_the_headline(make_project: Callable[..., Path]) -> None:
    spec = load_spec(make_project())
    run_dir = new_run_dir(spec.output_path, spec.path)
    update_record(run_dir, project=str(spec.root), spec=spec.model_dump(mode="json"), status="evaluated")
    predictions = [Prediction(str(i), "t", "a", "a", "a" if i % 2 else None) for i in range(4)]
    (run_dir / "eval" / "test").mkdir(parents=True)
    metrics = {**classification_metrics(predictions, ["a"]), "slices": {}, "mapping_rule": "exact"}
    (run_dir / "eval" / "test" / "metrics.json").write_bytes(orjson.dumps(metrics))
    html = build_report(run_dir).read_text()
    verdict = _verdict(html)
    assert "Headline: the test split (n = 4)" in verdict and ">0.500<" in verdict
    assert html.count("data:image/png;base64,") == 2  # recall per class and confusion; no training yet
    # An evaluation from before baselines, the collapse check and comparisons: this model alone.
    assert "baseline" not in verdict and "collapse" not in verdict.lower() and "this model +" not in verdict
    assert "Nothing found wrong: no gate is set" in verdict


def test_the_report_opens_with_the_verdict_and_ends_with_the_data_and_setup(
    make_project: Callable[..., Path],
) -> None:
    run_dir = _evaluated_run(make_project)
    html = build_report(run_dir).read_text()
    headings = [
        "<h2>Verdict</h2>",
        "<h2>Training</h2>",
        "<h2>Weakest classes (test)</h2>",
        "<h2>Weakest slice groups (test)</h2>",
        "<h2>Slices (test)</h2>",
        "<h2>Comparisons (test",
        "<h2>Evaluation gates</h2>",
        "<h2>Data</h2>",
        "<h2>Data quality</h2>",
        "<h3>Findings by code</h3>",
        "<h2>Setup</h2>",
    ]
    positions = [html.index(h) for h in headings]
    assert positions == sorted(positions)
    assert html.index("<h2>Verdict</h2>") < html.index("data:image/png;base64,")  # before any plot
    assert "<script" not in html


def test_the_worst_classes_and_slices_come_with_support_n_and_intervals(
    make_project: Callable[..., Path],
) -> None:
    html = build_report(_evaluated_run(make_project)).read_text()
    classes = html[html.index("<h2>Weakest classes") : html.index("<h2>Weakest slice")]
    rows = re.findall(
        r'<tr><td>(\w)</td><td class="num">([\d.]+)</td>.*?<td class="num">(\d+)</td></tr>', classes
    )
    assert [(label, support) for label, _, support in rows] == [("c", "10"), ("b", "10"), ("a", "20")]
    assert [float(recall) for _, recall, _ in rows] == sorted(float(r) for _, r, _ in rows)
    slices = html[html.index("<h2>Weakest slice") : html.index("<h2>Slices (test)</h2>")]
    assert re.search(
        r"<td>channel</td><td>web</td><td class=\"num\">\d+</td><td class=\"num\">[\d.]+ \[", slices
    )
    assert "left out: 1 group too small to judge" in slices and "<td>tiny</td>" not in slices


def test_baselines_compared_models_and_the_collapse_alarm_sit_beside_the_headline(
    make_project: Callable[..., Path],
) -> None:
    run_dir = _evaluated_run(make_project)
    metrics_path = run_dir / "eval" / "test" / "metrics.json"
    metrics = orjson.loads(metrics_path.read_bytes())
    metrics["baselines"] = {
        "majority": {"label": "a", "accuracy": 0.5, "macro_f1": 0.222},
        "tfidf_logreg": {"accuracy": 0.9, "macro_f1": 0.88},
    }
    metrics["collapse"] = {
        "distinct_predictions": 1,
        "labels_expected": 3,
        "entropy_bits": 0.0,
        "expected_entropy_bits": 1.5,
        "alarm": True,
        "reasons": ["1 distinct prediction for 3 labels"],
    }
    metrics_path.write_bytes(orjson.dumps(metrics))
    verdict = _verdict(build_report(run_dir).read_text())
    assert re.search(r"<td>majority class \(a\)</td>\s*<td class=\"num\">0\.500", verdict)
    assert re.search(r"<td>TF-IDF logistic regression</td>\s*<td class=\"num\">0\.900", verdict)
    assert "not above the TF-IDF logistic regression baseline: accuracy 0.900" in verdict
    assert "collapse alarm: 1 distinct prediction for 3 labels" in verdict
    assert 'class="alarm">Collapse alarm: 1 distinct prediction for 3 labels' in verdict
    assert "<td>base model</td>" in verdict and "<td>previous round (run-000)</td>" in verdict
    assert "this model +0.250 [+0.100, +0.400], Holm p 0.012" in verdict  # vs the previous round
    assert 'class="verdict bad"' in verdict


def test_every_gate_has_its_verdict_and_a_failed_one_is_said_first(make_project: Callable[..., Path]) -> None:
    run_dir = _evaluated_run(make_project)
    verdict = _verdict(build_report(run_dir).read_text())
    gates = verdict[verdict.index("<h3>Gates</h3>") :]
    expected = [
        ("data", "error rate &lt;= 5.0%", "passed"),
        ("phase task", "val.accuracy &gt;= 0.9", "FAILED"),
        ("evaluation", "accuracy drop &lt;= 0.03 vs base (p &lt; 0.05)", "passed"),
        ("evaluation", "accuracy &gt;= 0.99", "FAILED"),
    ]
    found = re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td><td class=\"\w+\"><strong>(\w+)</strong>", gates)
    assert found == expected
    assert "(2 of 2 scopes passed)" in gates
    head = verdict[: verdict.index("<h3>")]
    assert "phase task gate val.accuracy &gt;= 0.9 FAILED: measured 0.500, needed 0.900" in head
    assert "evaluation gate accuracy &gt;= 0.99 FAILED: accuracy 0.500" in head
    assert "stopped: 2 gates failed" in head and 'class="verdict bad"' in head


def test_findings_are_grouped_by_code_with_counts_and_their_rows_folded(
    make_project: Callable[..., Path],
) -> None:
    run_dir = _evaluated_run(make_project)
    manifest_path = run_dir / "data" / "manifest.json"
    manifest = orjson.loads(manifest_path.read_bytes())
    row = {"severity": "warning", "file": "data/train.csv", "fix": "keep one", "row_id": None}
    copies = [
        {**row, "code": "duplicate", "line": i, "message": f"a copy of line {i}"} for i in range(2, 252)
    ]
    email = {**row, "code": "pii_email", "line": 300, "message": f"contains an e-mail address {PAYLOAD}"}
    manifest["findings"] = [*copies, email]
    manifest["quality"]["findings_by_code"] = {"duplicate": {"warning": 250}, "pii_email": {"warning": 1}}
    manifest_path.write_bytes(orjson.dumps(manifest))
    html = build_report(run_dir).read_text()
    section = html[html.index("<h3>Findings by code</h3>") : html.index("<h3>What prepare did</h3>")]
    table, folded = section.split("</table>", 1)
    assert re.search(
        r"<code>duplicate</code></td><td class=\"num\">250</td>\s*<td><span class=\"warning\">", table
    )
    assert "a copy of line 2 <span" in table and "&lt;script&gt;" in table and PAYLOAD not in html
    assert table.count("<tr>") == 3  # the header and one line per code, no finding rows
    details = re.findall(
        r"<details><summary><code>(\w+)</code>: (.*?)</summary>(.*?)</details>", folded, re.S
    )
    assert [(code, summary) for code, summary, _ in details] == [
        ("duplicate", f"250 rows, the first {FINDINGS_SHOWN} listed"),
        ("pii_email", "1 row"),
    ]
    assert details[0][2].count("<td>data/train.csv:") == FINDINGS_SHOWN
    assert "<td>data/train.csv:" not in re.sub(r"<details>.*?</details>", "", section, flags=re.S)


def test_the_training_table_shows_each_sources_share_of_the_trained_tokens(
    make_project: Callable[..., Path],
) -> None:
    spec = load_spec(make_project())
    run_dir = new_run_dir(spec.output_path, spec.path)
    phase = {"kind": "sft", "model_dir": str(run_dir / "phases" / "x" / "model"), "steps": 4, "gates": []}
    phase |= {"first_loss": 2.0, "last_loss": 1.0, "runtime_s": 1.0, "best": None}
    mix = [
        {
            "source": "task",
            "weight": 0.9,
            "available": 800,
            "drawn": 800,
            "upsampled": False,
            "trained_tokens": 1600,
        },
        {
            "source": "inputs",
            "weight": 0.1,
            "available": 800,
            "drawn": 12,
            "upsampled": False,
            "trained_tokens": 178,
        },
    ]
    before = [
        {k: v for k, v in m.items() if k != "trained_tokens"} for m in mix
    ]  # a record of an older version
    update_record(
        run_dir,
        project=str(spec.root),
        spec=spec.model_dump(mode="json"),
        status="trained",
        phases=[{**phase, "name": "task", "mix": mix}, {**phase, "name": "older", "mix": before}],
    )
    html = build_report(run_dir).read_text()
    assert (
        "task: 800 of 800, 1,600 trained tokens (90%)<br>inputs: 12 of 800, 178 trained tokens (10%)" in html
    )
    assert "task: 800 of 800<br>inputs: 12 of 800</td>" in html


def test_a_directory_that_is_not_a_run(tmp_path: Path) -> None:
    with pytest.raises(TuneloopError, match="not a run directory"):
        build_report(tmp_path)


def _verdict(html: str) -> str:
    return html[html.index('<section id="verdict">') : html.index("</section>")]


def _evaluated_run(make_project: Callable[..., Path]) -> Path:
    """A run with prepared data, two phases, test metrics with slices and intervals, comparisons
    with the base model and a previous round, and gates of every stage (two of them failed)."""
    spec = load_spec(make_project(rows=60, labels=3))
    run_dir = new_run_dir(spec.output_path, spec.path)
    prepare_dataset(spec, run_dir / "data")
    predictions = _predictions()
    evaluation = Evaluation(
        metrics=["accuracy", "macro_f1"],
        bootstrap=100,
        min_slice_size=5,
        slices=[SliceSpec(name="channel", field="channel")],
    )
    metrics = {
        **classification_metrics(predictions, LABELS),
        "mapping_rule": "exact",
        **evaluation_intervals(predictions, LABELS, evaluation, seed=0),
    }
    split_dir = run_dir / "eval" / "test"
    split_dir.mkdir(parents=True)
    (split_dir / "metrics.json").write_bytes(orjson.dumps(metrics))
    comparisons = {
        "split": "test",
        "n": len(predictions),
        "bootstrap": 100,
        "adjustment": "Holm",
        "targets": [
            _target("base", "base", 0.5, 0.0, 1.0),
            _target("previous-round-run-000", "previous_round", 0.25, 0.25, 0.012),
        ],
    }
    (split_dir / "comparisons.json").write_bytes(orjson.dumps(comparisons))
    phase = {"kind": "sft", "model_dir": str(run_dir / "phases" / "x" / "model"), "steps": 4}
    phase |= {"first_loss": 2.0, "last_loss": 1.0, "runtime_s": 1.0, "best": None}
    verdicts = [
        Verdict("evaluation", "accuracy drop <= 0.03 vs base (p < 0.05)", True, scope=s, detail="ok")
        for s in ("overall vs base", "slice channel=web vs base")
    ]
    verdicts.append(
        Verdict(
            "evaluation", "accuracy >= 0.99", False, scope="overall (test)", detail="accuracy 0.500 (n=40)"
        )
    )
    update_record(
        run_dir,
        project=str(spec.root),
        spec=spec.model_dump(mode="json"),
        status="stopped: 2 gates failed",
        data_gate={"errors": 0, "read": 60, "error_rate": 0.0, "max_error_rate": 0.05, "passed": True},
        phases=[
            {**phase, "name": "general", "gates": []},
            {
                **phase,
                "name": "task",
                "gates": [{"gate": "val.accuracy >= 0.9", "actual": 0.5, "threshold": 0.9, "passed": False}],
            },
        ],
        evaluation_gates=verdicts,
    )
    return run_dir


def _predictions() -> list[Prediction]:
    """40 rows: `a` (20 rows) mostly right, `b` half right, `c` never; a `tiny` channel of 2 rows."""
    rows = []
    for i in range(40):
        gold = LABELS[0] if i < 20 else LABELS[1] if i < 30 else LABELS[2]
        predicted = gold if (gold == "a" and i % 5) or (gold == "b" and i % 2) else "a"
        channel = "tiny" if i in (0, 1) else "web" if i % 3 else "app"
        rows.append(Prediction(str(i), f"text {i}", gold, predicted, predicted, {"channel": channel}))
    return rows


def _target(name: str, kind: str, other: float, difference: float, p_holm: float) -> dict[str, Any]:
    test = {
        "scope": "overall",
        "n": 40,
        "other": other,
        "current": other + difference,
        "test": "McNemar exact",
    }
    test |= {"metric": "accuracy", "difference": difference, "ci": [difference - 0.15, difference + 0.15]}
    return {
        "name": name,
        "kind": kind,
        "model": f"/models/{name}",
        "against": [kind],
        "metrics": {"n": 40, "accuracy": other, "macro_f1": other / 2, "invalid_rate": 0.0, "ci": {}},
        "tests": [{**test, "p": p_holm, "p_holm": p_holm}],
    }
