"""`tuneloop assist label-issues` end to end on a small BANKING77 project with planted label flips
and simulated annotators: exit codes, --json, the queue it fills and a simulated expert empties."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import orjson
from typer.testing import CliRunner

from tuneloop.cli import app

runner = CliRunner()


def _flip(project: Path, every: int) -> set[str]:
    """Give every `every`-th row another row's label; the texts whose label is now wrong."""
    path = project / "data" / "train.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    labels = sorted({r["category"] for r in rows})
    flipped = set()
    for i in range(0, len(rows), every):
        rows[i]["category"] = labels[(labels.index(rows[i]["category"]) + 1) % len(labels)]
        flipped.add(rows[i]["text"])
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return flipped


def test_label_issues_flags_planted_flips_and_queues_them(make_project: Callable[..., Path]) -> None:
    project = make_project(rows=150, labels=5, annotation={"overlap": 2, "gate": {"alpha": 0.0}})
    flipped = _flip(project, 7)  # 7 and the 5 interleaved labels are coprime: every label loses rows
    simulated = runner.invoke(
        app, ["annotate", "simulate", str(project), "--items", "30", "--annotators", "4"]
    )
    assert simulated.exit_code == 0, simulated.output
    result = runner.invoke(app, ["assist", "label-issues", str(project), "--json"])
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.stdout)
    assert report["rows"] > 90 and 0 < report["share_flagged"] <= 0.25
    assert report["queued"] == report["queue"]["open"] == report["queue"]["found"] > 0
    confident = [s for s in report["suspects"] if s["method"] == "confident_learning"]
    hits = sum(s["text"] in flipped for s in confident)
    assert hits >= 0.5 * len(confident) and hits >= 6  # a chance list would hold about 14%
    assert {"given", "suggested", "score", "row"} <= set(report["suspects"][0])
    assert [a["annotator"] for a in report["annotators"]][-1] == "simulated-4"  # 65% reliable: last
    again = orjson.loads(runner.invoke(app, ["assist", "label-issues", str(project), "--json"]).stdout)
    assert again["queued"] == 0 and again["queue"]["found"] == report["queue"]["found"]  # queued once
    text = runner.invoke(app, ["assist", "label-issues", str(project)])
    assert text.exit_code == 0 and "open for review at /review/issues" in text.output
    # The simulated expert's review session: the 5 most suspect, decided and no longer open.
    review = runner.invoke(
        app, ["annotate", "simulate", str(project), "--items", "30", "--label-issues", "5"]
    )
    assert review.exit_code == 0 and "label issues: 5 reviewed by the simulated expert" in review.output
    after = orjson.loads(runner.invoke(app, ["assist", "label-issues", str(project), "--json"]).stdout)
    queue = after["queue"]
    assert queue["kept"] + queue["corrected"] == 5 and queue["open"] == report["queue"]["open"] - 5


def test_bad_input_exits_2_with_the_reason(make_project: Callable[..., Path]) -> None:
    project = make_project(rows=12, labels=3)
    small = runner.invoke(app, ["assist", "label-issues", str(project)])
    assert small.exit_code == 2 and "cross-validation needs 10" in small.output
    share = runner.invoke(app, ["assist", "label-issues", str(project), "--max-share", "0"])
    assert share.exit_code == 2
