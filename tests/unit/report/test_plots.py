from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.image import imread
from matplotlib.text import Annotation

from tuneloop.report import plots
from tuneloop.report.plots import _moving_average, confusion_heatmap, loss_curves, per_class_recall


def _image(encoded: str) -> tuple[int, int]:
    raw = base64.b64decode(encoded)
    assert raw.startswith(b"\x89PNG")
    height, width = imread(io.BytesIO(raw)).shape[:2]
    return width, height


def test_moving_average_smooths_over_a_window() -> None:
    assert _moving_average([1.0, 3.0, 5.0, 7.0], window=2) == pytest.approx([1.0, 2.0, 4.0, 6.0])
    assert _moving_average([], window=3) == []


def test_one_loss_panel_per_phase() -> None:
    records = [{"step": s, "loss": 5.0 / s} for s in range(1, 20)]
    one_width, _ = _image(loss_curves([("general", records, [])]))
    two_width, _ = _image(loss_curves([("general", records, []), ("task", records, [])]))
    assert two_width > 1.8 * one_width


def test_validation_metrics_and_events_are_drawn(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[Figure] = []
    encode = plots.to_base64

    def keep(fig: Figure) -> str:  # the figure itself, to read what was drawn on it
        drawn.append(fig)
        return encode(fig)

    monkeypatch.setattr(plots, "to_base64", keep)
    train = [{"kind": "train", "step": s, "loss": 5.0 / s} for s in range(1, 40)]
    evals = [{"kind": "eval", "step": s, "loss": 1.0 + s / 100, "accuracy": 0.5} for s in (10, 20, 30)]
    events = [{"step": 20, "kind": "overfitting"}, {"step": 30, "kind": "early_stop"}]
    encoded = loss_curves([("task", train + evals, events)])
    assert _image(encoded)[0] > 100
    (figure,) = drawn
    loss_axis, accuracy_axis = figure.axes
    lines = {line.get_label(): line for line in loss_axis.lines}
    assert np.asarray(lines["validation loss"].get_xdata()).tolist() == [10, 20, 30]
    assert np.asarray(accuracy_axis.lines[0].get_ydata()).tolist() == [0.5, 0.5, 0.5]
    markers = [
        np.asarray(line.get_xdata()).tolist() for line in loss_axis.lines if line.get_linestyle() == "--"
    ]
    assert markers == [[20, 20], [30, 30]]  # one vertical line per event
    labels = [(t.get_text(), t.xy[0]) for t in loss_axis.texts if isinstance(t, Annotation)]
    assert labels == [("overfitting", 20), ("early stop", 30)]


def test_recall_and_confusion_scale_with_the_label_count() -> None:
    few = {f"l{i}": {"recall": i / 4} for i in range(4)}
    many = {f"l{i}": {"recall": (i % 10) / 10} for i in range(77)}
    assert _image(per_class_recall(many))[1] > _image(per_class_recall(few))[1]
    labels = ["a", "b"]
    confusion = {"labels": labels, "columns": [*labels, "<invalid>"], "matrix": [[3, 1, 0], [0, 0, 0]]}
    width, height = _image(confusion_heatmap(confusion))
    assert width > 100 and height > 100
