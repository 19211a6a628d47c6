"""`tuneloop monitor` on a real store: requests logged through the server's own log function,
BANKING77 traffic like the training rows (no drift, exit 0) and traffic of other intents (drift,
exit 1), the per-slice verdicts and "too few", the feedback figures, the report files, and the
clear errors of exit 2 (no store, no run, nothing served in the window)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import numpy as np
import orjson
import pytest
from typer.testing import CliRunner

from tests.conftest import EXAMPLE, banking_rows, build_project
from tests.unit.feedback.served import LABELS, project_with_run, rate, serve
from tuneloop.annotate.store import open_store
from tuneloop.annotate.store.models import utcnow
from tuneloop.cli import app
from tuneloop.data.example import Example, build_messages
from tuneloop.errors import TuneloopError
from tuneloop.evaluate.predict import Prediction
from tuneloop.feedback.monitor import LABELS as LABEL_TEST
from tuneloop.feedback.monitor import (
    OVERALL,
    adjust,
    answered,
    confidence_of,
    input_scopes,
    monitor,
    run_domain_test,
)
from tuneloop.feedback.served_log import ServedRow, answer_confidence, parse_since, read_served
from tuneloop.run_dir import PREDICTIONS_FILE, eval_dir, latest_monitor
from tuneloop.spec import SliceSpec, load_spec

runner = CliRunner()
APP = [{"name": "app", "keywords": ["app"]}]  # about a tenth of these messages name the app


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with (EXAMPLE / "data" / "train.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def in_distribution(rows: list[dict[str, str]], n: int) -> list[tuple[str, str]]:
    """Messages of the training intents, as many of each, that the training rows do not hold."""
    training = banking_rows(240, LABELS)
    seen, intents = {r["text"] for r in training}, list(dict.fromkeys(r["category"] for r in training))
    groups = [[(r["text"], i) for r in rows if r["category"] == i and r["text"] not in seen] for i in intents]
    return [row for batch in zip(*groups, strict=False) for row in batch][:n]


def other_intents(rows: list[dict[str, str]], n: int) -> list[tuple[str, str]]:
    intents = {r["category"] for r in banking_rows(240, LABELS)}
    return [(r["text"], "card_arrival") for r in rows if r["category"] not in intents][:n]


@pytest.fixture
def make(tmp_path: Path) -> Callable[..., Path]:
    return lambda slices=(): project_with_run(tmp_path, list(slices))


def test_traffic_like_the_training_rows_is_no_drift_and_exits_0(
    make: Callable[..., Path], rows: list[dict[str, str]]
) -> None:
    project = make(APP)
    ids = serve(project, in_distribution(rows, 120), confidence=0.9)
    rate(
        project,
        [(ids[0], "up", None), (ids[1], "down", "card_linking"), (ids[2], 4, None), (ids[3], 2, None)],
    )
    result = runner.invoke(app, ["monitor", str(project), "--json"])
    assert result.exit_code == 0, result.output
    found = orjson.loads(result.stdout)
    assert not found["drift"] and found["drifted"] == [] and found["run"] == "run-001"
    overall = found["inputs"]["overall"]
    assert overall["status"] == "tested" and not overall["drifted"] and overall["current"] == 120
    assert found["labels"]["status"] == "reported" and found["labels"]["against"] == "training labels"
    assert not found["labels"]["drifted"] and "p_holm" not in found["labels"]  # outside the family
    app_slice = found["inputs"]["slices"]["app"]
    assert app_slice["no match"]["status"] == "tested" and not app_slice["no match"]["drifted"]
    assert app_slice["match"] == {"status": "too few", "reference": 17, "current": 12, "needed": 30}
    assert found["tests"]["count"] == 2 and found["tests"]["permutations"] == 50  # Holm can reach 5%
    assert found["confidence"]["share"] == 0 and found["confidence"]["answers"] == 120
    feedback = found["feedback"]
    assert (
        feedback["rated_answers"] == 4
        and feedback["thumbs_down"] == 2
        and feedback["thumbs_down_rate"] == 0.5
    )
    assert feedback["ratings"] == {"2": 1, "4": 1, "down": 1, "up": 1} and feedback["corrections"] == 1
    report = Path(found["files"]["report"]).read_text(encoding="utf-8")
    assert "No drift found" in report and report.count("data:image/png;base64,") == 3
    assert "too few rows to judge" in report and "<script" not in report
    assert orjson.loads(Path(found["files"]["json"]).read_bytes())["drift"] is False
    assert latest_monitor(load_spec(project).output_path) == orjson.loads(
        Path(found["files"]["json"]).read_bytes()
    )


def test_other_intents_are_drift_with_the_words_and_labels_that_moved_and_exit_1(
    make: Callable[..., Path], rows: list[dict[str, str]]
) -> None:
    project = make()
    serve(project, other_intents(rows, 120), confidence=0.3)
    result = runner.invoke(app, ["monitor", str(project)])
    assert result.exit_code == 1, result.output
    assert (
        "inputs overall: drift" in result.output
        and "check failed: drift found in inputs overall" in result.output
    )
    folder = next((load_spec(project).output_path / "monitor").iterdir())
    found = orjson.loads((folder / "monitor.json").read_bytes())
    assert found["drifted"] == ["inputs overall"]  # the labels against training labels: reported only
    assert found["labels"]["status"] == "reported" and found["labels"]["p_value"] <= 0.05
    overall = found["inputs"]["overall"]
    assert overall["auc"] > 0.8 and overall["p_holm"] <= 0.05 and overall["marking_terms"]
    assert (
        found["labels"]["moved"][0]["label"] == "card_arrival"
        and found["labels"]["moved"][0]["served_share"] == 1
    )
    assert found["confidence"]["share"] == 1 and found["feedback"]["rated_answers"] == 0
    report = (folder / "monitor.html").read_text(encoding="utf-8")
    assert "Drift found" in report and "inputs overall" in report and "No feedback on these answers" in report


def test_the_window_and_the_run_choose_what_is_compared(
    make: Callable[..., Path], rows: list[dict[str, str]]
) -> None:
    project = make()
    serve(project, other_intents(rows, 30), confidence=0.3, days_ago=10)
    serve(project, in_distribution(rows, 30), confidence=0.9)
    spec = load_spec(project)
    recent = monitor(spec, since=utcnow() - timedelta(days=1), run=Path("run-001"))
    assert recent["served"]["requests"] == 30 and recent["window"]["since"] is not None
    assert monitor(spec)["served"]["requests"] == 60
    with pytest.raises(TuneloopError, match="no request was served since"):
        monitor(spec, since=utcnow() + timedelta(days=1))
    with pytest.raises(TuneloopError, match="run-009: not a run with a dataset version"):
        monitor(spec, run=Path("run-009"))


def test_the_runs_own_predictions_are_the_reference_for_answers_and_confidence(
    make: Callable[..., Path], rows: list[dict[str, str]]
) -> None:
    """Where the run was evaluated, served answers are compared with what the model answered on
    its test split (its own errors included), not with the gold labels."""
    project = make()
    traffic = in_distribution(rows, 40)
    serve(project, traffic, confidence=0.9)
    unsure = [
        Prediction(f"p{i}", text, label, label, label, probabilities={label: 0.4 if i % 4 == 0 else 0.8})
        for i, (text, label) in enumerate(traffic)
    ]
    path = eval_dir(load_spec(project).output_path / "run-001", "test") / PREDICTIONS_FILE
    path.parent.mkdir(parents=True)
    path.write_bytes(b"".join(orjson.dumps(p.to_dict()) + b"\n" for p in unsure))
    found = monitor(load_spec(project))
    assert found["training"]["labels_from"] == "predictions on test"
    assert found["labels"]["against"] == "predictions on test" and found["labels"]["distance"] == 0
    assert found["confidence"]["reference"] == "predictions on test"
    assert found["confidence"]["reference_share"] == 0.25 and found["confidence"]["share"] == 0
    label_set = Prediction("s", "t", "a", "a", None, gold_labels=("a",), predicted_labels=("a", "b"))
    assert answered(label_set) == ("a", "b") and answered(Prediction("i", "t", "a", "???", None)) == ()
    scored_set = replace(label_set, label_scores={"a": 0.9, "b": 0.55, "c": 0.2})
    assert confidence_of(scored_set) == pytest.approx(0.55)


def test_bad_input_exits_2_with_the_reason(tmp_path: Path) -> None:
    bare = build_project(tmp_path / "bare", rows=30, labels=3)
    no_store = runner.invoke(app, ["monitor", str(bare)])
    assert no_store.exit_code == 2 and "the project has no store" in no_store.output
    open_store(load_spec(bare).store_url).close()
    no_run = runner.invoke(app, ["monitor", str(bare), "--json"])
    assert no_run.exit_code == 2 and "no run with training data yet" in orjson.loads(no_run.stdout)["error"]
    bad_time = runner.invoke(app, ["monitor", str(bare), "--since", "yesterday"])
    assert bad_time.exit_code == 2 and "not an ISO 8601 time" in bad_time.output


def test_nothing_served_in_the_window_is_bad_input(make: Callable[..., Path]) -> None:
    project = make()
    open_store(load_spec(project).store_url).close()
    empty = runner.invoke(app, ["monitor", str(project)])
    assert empty.exit_code == 2 and "no request was served at all; nothing to monitor" in empty.output


def test_the_logged_answer_gives_the_input_labels_and_confidence(make: Callable[..., Path]) -> None:
    assert answer_confidence({"label": "a", "probabilities": {"a": 0.7, "b": 0.3}}) == 0.7
    sets = {"labels": ["a"], "label_scores": {"a": 0.8, "b": 0.4, "c": 0.1}, "threshold": 0.5}
    assert answer_confidence(sets) == pytest.approx(0.6)  # b's absence is the least sure decision
    assert answer_confidence({"label": None, "probabilities": None}) is None
    assert parse_since("2026-12-01") is not None and parse_since("2026-12-01").tzinfo is not None  # type: ignore[union-attr]
    project = make()
    serve(project, [("where is my card", "card_arrival")], confidence=0.4)
    store = open_store(load_spec(project).store_url)
    (row,) = read_served(store)
    store.close()
    assert (row.text, row.labels, row.answer) == ("where is my card", ("card_arrival",), "card_arrival")
    assert row.confidence == pytest.approx(0.4)


@pytest.mark.slow
def test_replays_of_in_distribution_traffic_rarely_alarm_however_many_slices(
    make: Callable[..., Path], rows: list[dict[str, str]]
) -> None:
    """20 windows of 60 messages like the training rows, each checked overall, in two slice
    groups (its labels are reported, against training labels): Holm keeps the whole check's
    false alarms near 5% (1 expected)."""
    project = make([{"name": "card", "keywords": ["card"]}])
    spec, pool = load_spec(project), in_distribution(rows, 400)
    rng = np.random.default_rng(3)
    alarms = 0
    for _ in range(20):
        start = utcnow()
        serve(project, [pool[i] for i in rng.choice(len(pool), 60, replace=False)], confidence=0.9)
        found = monitor(spec, since=start)
        assert found["served"]["requests"] == 60 and found["tests"]["count"] >= 2  # labels: reported
        alarms += found["drift"]
    assert alarms <= 2


def test_a_p_value_of_zero_is_drift_after_holm_and_none_is_no_evidence() -> None:
    """A chi-squared p-value can underflow to exactly 0.0; it must stay the strongest evidence, not
    read as missing (a label test with one label only has p None)."""
    scopes = {"overall": {"status": "tested", "p_value": 0.5}, "few": {"status": "too_few", "p_value": None}}
    labels = {"status": "tested", "p_value": 0.0}
    assert adjust(scopes, labels) == [LABEL_TEST]
    assert labels["p_holm"] == 0.0 and labels["drifted"] and not scopes["overall"]["drifted"]
    alone = {"status": "tested", "p_value": None}
    assert adjust({}, alone) == [] and alone["p_holm"] == 1.0


def _predictions_of(project: Path, traffic: list[tuple[str, str]]) -> None:
    """run-001 evaluated: its test predictions, each answering its own label, confidence 0.8."""
    found = [Prediction(f"p{i}", t, a, a, a, probabilities={a: 0.8}) for i, (t, a) in enumerate(traffic)]
    path = eval_dir(load_spec(project).output_path / "run-001", "test") / PREDICTIONS_FILE
    path.parent.mkdir(parents=True)
    path.write_bytes(b"".join(orjson.dumps(p.to_dict()) + b"\n" for p in found))


def test_answers_of_another_run_are_counted_apart_not_compared(
    make: Callable[..., Path], rows: list[dict[str, str]]
) -> None:
    """run-002's answers (another intent, unsure) would read as run-001's label shift and low
    confidence; they are counted apart."""
    project = make()
    traffic = in_distribution(rows, 40)
    _predictions_of(project, traffic)
    serve(project, traffic, confidence=0.9)
    serve(project, [(t, "card_arrival") for t, _ in traffic[:30]], confidence=0.1, run="run-002")
    found = monitor(load_spec(project))
    assert found["labels"]["status"] == "tested" and found["labels"]["distance"] == 0
    assert not found["labels"]["drifted"] and found["labels"]["permutations"] >= 999
    assert found["served"]["of_run"] == 40 and found["served"]["other_runs"] == {"run-002": 30}
    assert found["confidence"]["answers"] == 40 and found["confidence"]["share"] == 0


def test_scopes_that_cannot_be_judged_say_why_instead_of_failing(
    make: Callable[..., Path], rows: list[dict[str, str]]
) -> None:
    """20 requests, one blank and one repeated, are 18 distinct inputs: too few, not exit 2;
    inputs without a word in common are `no shared terms`, not a traceback."""
    project = make()
    traffic = in_distribution(rows, 18)
    serve(project, [*traffic, ("   ", "card_arrival"), traffic[0]], confidence=0.9)
    result = runner.invoke(app, ["monitor", str(project), "--json"])
    assert result.exit_code == 0, result.output
    overall = orjson.loads(result.stdout)["inputs"]["overall"]
    assert overall == {"status": "too few", "reference": 168, "current": 18, "needed": 20}
    scope = {"status": "tested", "texts": ([f"alpha{i}" for i in range(25)], [f"beta{i}" for i in range(25)])}
    run_domain_test(scope, 19, 0)
    assert scope["status"] == "no shared terms" and "no word or word pair" in scope["why"]


def _examples(texts: list[str], slices: dict[str, str] | None = None) -> list[Example]:
    return [
        Example(messages=build_messages(t, "a", None), label="a", source="s", slices=slices or {})
        for t in texts
    ]


def _served(texts: list[str], redacted: bool = False) -> list[ServedRow]:
    now = utcnow()
    return [
        ServedRow(i, f"r{i}", now, "m", "run-001", t, "a", ("a",), 0.9, redacted=redacted)
        for i, t in enumerate(texts)
    ]


def test_a_field_slice_is_not_applicable_to_served_requests(make: Callable[..., Path]) -> None:
    """A served request carries no data tags: its groups are not applicable, never `too few`."""
    spec = load_spec(make())
    field = SliceSpec(name="channel", field="channel")
    spec = spec.model_copy(update={"evaluation": spec.evaluation.model_copy(update={"slices": [field]})})
    scopes = input_scopes(
        spec, _examples([f"text {i}" for i in range(40)], {"channel": "web"}), _served(["x"])
    )
    assert scopes["channel=web"] == {
        "slice": "channel", "value": "web", "status": "not applicable",
        "why": "served requests carry no channel", "reference": 40, "current": 0}  # fmt: skip


def test_training_texts_are_redacted_like_the_logged_ones(make: Callable[..., Path]) -> None:
    """Logged with `serving.redact_pii`, a served text holds [EMAIL] where a training text holds
    an address: the placeholder alone marked the served side as drift."""
    spec = load_spec(make())
    words = ["card", "transfer", "refund", "rate", "limit", "top up", "pin", "fee"]
    texts = [f"my {words[i % 8]} question {i % 5}, mail me at person{i}@bank.com" for i in range(120)]
    served = _served([t.split(" at ")[0] + " at [EMAIL]" for t in texts[60:]], redacted=True)
    for redacted, drift in ((True, False), (False, True)):
        scope = input_scopes(spec, _examples(texts[:60]), served, redacted)[OVERALL]
        run_domain_test(scope, 19, 0)
        assert scope["drifted"] is drift
