"""Noisy labels: does `tuneloop assist label-issues` find planted label errors, and does reviewing
what it flags win back the accuracy the errors cost?

    cd benchmarks && ../.venv/bin/python noisy_labels.py --issues-only   # the finder alone
    cd benchmarks && ../.venv/bin/python noisy_labels.py --quick         # + rounds A, B, C, short
    cd benchmarks && ../.venv/bin/python noisy_labels.py                 # + the example's full recipe

The BANKING77 example's rows are split as its spec splits them. 20% of the train rows (seeded)
get the most confusable other intent: the label whose TF-IDF centroid is nearest their own (the
way people err on similar intents). The finder (`assist/review_queue.py`'s: 5-fold out-of-fold
probabilities of the TF-IDF regression in two passes, the first pass's suspects not fitted on;
cleanlab's `find_label_issues`) ranks the noisy rows and flags some of them; SIMULATED reviewers
(90% reliable: the true label, else the confusable one) review what it flags. Then the finder runs
again on the reviewed labels, as `tuneloop assist label-issues` does when it is run after a review
(the decisions are the rows' labels now, and a row already reviewed is not queued again), and the
reviewers take its new suspects up to the budget: K, the rows reviewed in both passes, is at most
25% of the rows. Precision and recall are measured against the planted flips.

Then three rounds train the example's recipe on the same validation and test rows: A on the
clean labels, B on the noisy ones, C on the reviewed ones, and the test accuracy of each
is reported with its Wilson 95% interval, with the share of the A-B gap that C recovers.
Results go to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from results import replace_section
from rich.console import Console
from ruamel.yaml import YAML

from tuneloop.assist.label_issues import MAX_SHARE, label_suspects, pruned_out_of_fold
from tuneloop.assist.tfidf import tfidf_features
from tuneloop.data.example import Example
from tuneloop.data.prepare import read_and_split
from tuneloop.evaluate.fairness.counterfactual import wilson_interval
from tuneloop.round import run_round
from tuneloop.run_dir import EVAL_METRICS_FILE, eval_dir
from tuneloop.spec import load_spec

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "banking77"
NOISE, REVIEWER_RELIABILITY, SEED, REVIEW_PASSES = 0.20, 0.90, 0, 2
QUICK_ROWS, QUICK_STEPS = 2000, 60
MARKER = "## Noisy labels: label issues found and reviewed"


def confusable(examples: list[Example], labels: list[str]) -> dict[str, str]:
    """Each label's nearest other label by the cosine of the TF-IDF centroids of its rows."""
    vectors = tfidf_features().fit_transform([e.text for e in examples])
    given = np.array([labels.index(str(e.label)) for e in examples])
    centroids = np.vstack([np.asarray(vectors[given == i].mean(axis=0)) for i in range(len(labels))])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    similarity = centroids @ centroids.T
    np.fill_diagonal(similarity, -np.inf)
    return {label: labels[int(similarity[i].argmax())] for i, label in enumerate(labels)}


def plant(truth: list[str], nearest: dict[str, str]) -> tuple[list[str], set[int]]:
    """The labels with NOISE of them (seeded) swapped for their confusable label."""
    rng = np.random.default_rng(SEED)
    flipped = set(rng.choice(len(truth), round(NOISE * len(truth)), replace=False).tolist())
    return [nearest[t] if i in flipped else t for i, t in enumerate(truth)], flipped


def find(texts: list[str], given: list[str], labels: list[str], reviewed: set[int], budget: int) -> list[int]:
    """The rows the finder flags on the `given` labels, most suspect first, the rows already
    `reviewed` left out, at most `budget` of them."""
    classes = [label for label in labels if label in set(given)]
    probs = pruned_out_of_fold(texts, np.array([classes.index(label) for label in given]), SEED)
    return [s.row for s in label_suspects(given, probs, classes, 1.0) if s.row not in reviewed][:budget]


def review(
    given: list[str], truth: list[str], flagged: list[int], nearest: dict[str, str], seed: int
) -> list[str]:
    """SIMULATED reviewers decide each flagged row: the truth with REVIEWER_RELIABILITY, else the
    truth's confusable label."""
    rng = np.random.default_rng(seed)
    reviewed = list(given)
    for row in flagged:
        reviewed[row] = truth[row] if rng.random() < REVIEWER_RELIABILITY else nearest[truth[row]]
    return reviewed


def train_round(
    name: str,
    train: list[Example],
    labels: list[str],
    held: dict[str, list[Example]],
    quick: bool,
    home: Path,
) -> dict[str, Any]:
    """One round of the example's recipe on `train` with `labels`, the same validation and test
    rows every time; its test accuracy with a Wilson 95% interval."""
    project = home / name
    project.mkdir()
    shutil.copy(EXAMPLE / "guidelines.md", project / "guidelines.md")
    for part, rows, answers in (
        ("train", train, labels),
        *((part, rows, [str(e.label) for e in rows]) for part, rows in held.items()),
    ):
        with (project / f"{part}.csv").open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["text", "category"])
            writer.writerows((e.text, label) for e, label in zip(rows, answers, strict=True))
    yaml = YAML()
    spec = yaml.load((EXAMPLE / "tuneloop.yaml").read_text())
    source = {"format": "csv", "fields": {"text": "text", "label": "category"}}
    spec["data"]["sources"] = [{"path": "train.csv", **source}]
    spec["splits"] = {"files": {part: {"path": f"{part}.csv", **source} for part in held}}
    if quick:
        for phase in spec["phases"]:
            phase.update({"max_steps": QUICK_STEPS})
            phase.pop("gate", None)
    with (project / "tuneloop.yaml").open("w") as fh:
        yaml.dump(spec, fh)
    run_dir, _ = run_round(load_spec(project), Console(stderr=True))
    metrics = orjson.loads((eval_dir(run_dir, "test") / EVAL_METRICS_FILE).read_bytes())
    n, accuracy = int(metrics["n"]), float(metrics["accuracy"])
    low, high = wilson_interval(round(accuracy * n), n)
    return {"accuracy": accuracy, "low": low, "high": high, "n": n}


def label_issue_part(quick: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """The planted flips and what the finder and the reviewers made of them."""
    spec = load_spec(EXAMPLE)
    _, parts = read_and_split(spec)
    train = parts["train"][:QUICK_ROWS] if quick else parts["train"]
    truth = [str(e.label) for e in train]
    nearest = confusable(train, spec.label_names)
    noisy, flipped = plant(truth, nearest)
    texts, budget = [e.text for e in train], int(np.floor(len(train) * MAX_SHARE))
    reviewed, flagged, passes = noisy, list[int](), list[dict[str, int]]()
    for review_pass in range(REVIEW_PASSES):
        more = find(texts, reviewed, spec.label_names, set(flagged), budget - len(flagged))
        reviewed = review(reviewed, truth, more, nearest, SEED + 1 + review_pass)
        flagged += more
        passes.append({"flagged": len(more), "hits": len(set(more) & flipped)})
    hits = len(set(flagged) & flipped)
    found = {
        "passes": passes,
        "rows": len(train),
        "planted": len(flipped),
        "flagged": len(flagged),
        "share_flagged": len(flagged) / len(train),
        "precision": hits / len(flagged) if flagged else float("nan"),
        "recall": hits / len(flipped),
        "wrong_after_review": sum(r != t for r, t in zip(reviewed, truth, strict=True)),
    }
    data = {"train": train, "truth": truth, "noisy": noisy, "reviewed": reviewed, "parts": parts}
    return found, data


def section(found: dict[str, Any], rounds: dict[str, dict[str, Any]], command: str) -> str:
    lines = [
        MARKER,
        "",
        f"`{command}`: BANKING77 train rows {found['rows']}, {found['planted']} ({NOISE:.0%}) flipped to "
        "the most confusable intent (nearest TF-IDF centroid). Finder: 5-fold out-of-fold TF-IDF "
        f"logistic regression, cleanlab `find_label_issues`; SIMULATED reviewers ({REVIEWER_RELIABILITY:.0%} "
        "reliable) review what it flags, then it runs again on the reviewed labels and they review its "
        f"new suspects, K (both passes) capped at {MAX_SHARE:.0%} of the rows.",
        "",
        "| review pass | flagged | planted flips among them | precision |",
        "|---|---|---|---|",
        *(
            f"| {i} | {p['flagged']} | {p['hits']} | {p['hits'] / p['flagged'] if p['flagged'] else 0:.3f} |"
            for i, p in enumerate(found["passes"], 1)
        ),
        "",
        "| flagged (K) | share of rows reviewed | precision at K | recall of the flips "
        "| wrong labels left after review |",
        "|---|---|---|---|---|",
        f"| {found['flagged']} | {found['share_flagged']:.1%} | {found['precision']:.3f} "
        f"| {found['recall']:.3f} "
        f"| {found['wrong_after_review']} of {found['rows']} (was {found['planted']}) |",
    ]
    if not rounds:
        lines += [
            "",
            "Rounds A, B and C (training) were not run in this measurement; `--quick` or no flag runs them.",
        ]
    else:
        lines += ["", "| round | labels | test accuracy (Wilson 95%) |", "|---|---|---|"]
        for name, what in (("A", "clean"), ("B", "noisy"), ("C", "reviewed")):
            r = rounds[name]
            lines.append(
                f"| {name} | {what} | {r['accuracy']:.3f} ({r['low']:.3f} to {r['high']:.3f}), n={r['n']} |"
            )
        gap = rounds["A"]["accuracy"] - rounds["B"]["accuracy"]
        recovered = (rounds["C"]["accuracy"] - rounds["B"]["accuracy"]) / gap if gap else float("nan")
        lines += ["", f"C recovers {recovered:.0%} of the A-B gap ({gap:+.3f})."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_ROWS} train rows, {QUICK_STEPS} steps a phase"
    )
    parser.add_argument("--issues-only", action="store_true", help="the finder alone: no model is trained")
    args = parser.parse_args()
    command = "benchmarks/noisy_labels.py" + " --quick" * args.quick + " --issues-only" * args.issues_only
    found, data = label_issue_part(args.quick)
    print(orjson.dumps(found, option=orjson.OPT_INDENT_2).decode())
    rounds: dict[str, dict[str, Any]] = {}
    if not args.issues_only:
        held = {part: data["parts"][part] for part in ("validation", "test")}
        with tempfile.TemporaryDirectory(prefix="noisy-labels-") as home:
            for name, key in (("A", "truth"), ("B", "noisy"), ("C", "reviewed")):
                rounds[name] = train_round(name, data["train"], data[key], held, args.quick, Path(home))
                print(name, rounds[name])
    replace_section(MARKER, section(found, rounds, command))


if __name__ == "__main__":
    main()
