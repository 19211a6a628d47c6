"""Plots for the report, rendered with matplotlib and returned as base64 PNG for embedding."""

from __future__ import annotations

import base64
import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator


def to_base64(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def loss_curves(phases: list[tuple[str, list[dict[str, Any]], list[dict[str, Any]]]]) -> str:
    """Per phase: training loss (and its moving average), validation loss, the task metric on a
    second axis, and the phase's events (early stop, overfitting alarms) as vertical lines."""
    fig, axes = plt.subplots(1, len(phases), figsize=(5.5 * len(phases), 4.0), squeeze=False)
    for ax, (name, records, events) in zip(axes[0], phases, strict=True):
        train = [r for r in records if r.get("kind", "train") == "train"]
        evals = [r for r in records if r.get("kind") == "eval"]
        steps, losses = [r["step"] for r in train], [r["loss"] for r in train]
        ax.plot(steps, losses, marker=".", color="#729fcf", alpha=0.6, label="training loss")
        ax.plot(steps, _moving_average(losses), color="#204a87", label="training loss, moving average")
        scored = [r for r in evals if r.get("loss") is not None]
        if scored:
            ax.plot(
                [r["step"] for r in scored],
                [r["loss"] for r in scored],
                "o-",
                color="#f57900",
                label="validation loss",
            )
        ax.set(title=name, xlabel="step", ylabel="loss")
        ax.grid(alpha=0.3)
        handles, labels = ax.get_legend_handles_labels()
        accurate = [r for r in evals if r.get("accuracy") is not None]
        if accurate:
            twin = ax.twinx()
            twin.plot(
                [r["step"] for r in accurate],
                [r["accuracy"] for r in accurate],
                "s-",
                color="#4e9a06",
                label="validation accuracy",
            )
            twin.set(ylim=(0, 1), ylabel="accuracy")
            more_handles, more_labels = twin.get_legend_handles_labels()
            handles, labels = handles + more_handles, labels + more_labels
        for event in events:
            ax.axvline(event["step"], color="#cc0000", linestyle="--", linewidth=1)
            ax.annotate(
                event["kind"].replace("_", " "),
                (event["step"], ax.get_ylim()[1]),
                fontsize=7,
                color="#cc0000",
                rotation=90,
                va="top",
                ha="right",
            )
        ax.legend(handles, labels, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    return to_base64(fig)


def _moving_average(values: list[float], window: int = 5) -> list[float]:
    """Smooths the ups and downs that length-grouped batches put into a logged loss."""
    out, total = [], 0.0
    for i, value in enumerate(values):
        total += value - (values[i - window] if i >= window else 0.0)
        out.append(total / min(i + 1, window))
    return out


def per_class_recall(per_class: dict[str, dict[str, float]]) -> str:
    """Recall of every class, worst first, so the labels that need work stand out."""
    items = sorted(per_class.items(), key=lambda kv: kv[1]["recall"])
    fig, ax = plt.subplots(figsize=(7, max(2.5, 0.16 * len(items))))
    recalls = [v["recall"] for _, v in items]
    ax.barh(range(len(items)), recalls, color=plt.cm.RdYlGn(np.array(recalls)))
    ax.set_yticks(range(len(items)), [k for k, _ in items], fontsize=6)
    ax.invert_yaxis()  # worst at the top, where the eye starts
    ax.set(xlim=(0, 1), xlabel="recall")
    ax.grid(axis="x", alpha=0.3)
    return to_base64(fig)


def confusion_heatmap(confusion: dict[str, Any]) -> str:
    """Row-normalised confusion matrix: rows are gold labels, columns predictions (+ invalid)."""
    matrix = np.array(confusion["matrix"], dtype=float)
    rows = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    size = max(4.0, 0.12 * len(confusion["columns"]))
    fig, ax = plt.subplots(figsize=(size + 1.5, size))
    image = ax.imshow(rows, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    fontsize = 5 if len(confusion["columns"]) > 30 else 8
    ax.set_xticks(range(len(confusion["columns"])), confusion["columns"], rotation=90, fontsize=fontsize)
    ax.set_yticks(range(len(confusion["labels"])), confusion["labels"], fontsize=fontsize)
    ax.set(xlabel="predicted", ylabel="gold")
    fig.colorbar(image, ax=ax, fraction=0.03, label="share of gold row")
    return to_base64(fig)


def label_agreement(labels: list[tuple[str, float | None, float | None, float | None]]) -> str:
    """Alpha of each label against the rest with its 95% interval, lowest first."""
    known = sorted((item for item in labels if item[1] is not None), key=lambda item: item[1] or 0.0)
    fig, ax = plt.subplots(figsize=(7.0, 0.5 + 0.16 * max(len(known), 4)))
    y = np.arange(len(known))
    estimate = np.array([item[1] for item in known], dtype=float)
    low = np.array([np.nan if item[2] is None else item[2] for item in known], dtype=float)
    high = np.array([np.nan if item[3] is None else item[3] for item in known], dtype=float)
    spread = np.vstack([np.nan_to_num(estimate - low), np.nan_to_num(high - estimate)])
    ax.errorbar(estimate, y, xerr=spread, fmt="o", color="#204a87", ecolor="#729fcf", markersize=3)
    ax.axvline(0.667, color="#cc0000", linestyle="--", linewidth=1, label="0.667 (tentative)")
    ax.axvline(0.8, color="#4e9a06", linestyle="--", linewidth=1, label="0.8 (reliable)")
    ax.set_yticks(y, [item[0] for item in known], fontsize=6)
    ax.set_xlabel("Krippendorff's alpha, label against the rest (95% bootstrap interval)")
    ax.set_xlim(min(-0.05, float(np.nanmin(low)) if len(known) and not np.all(np.isnan(low)) else 0), 1.02)
    ax.legend(loc="lower right", fontsize=7)
    return to_base64(fig)


def annotator_heatmap(names: list[str], kappa: np.ndarray) -> str:
    """Cohen's kappa of every pair of annotators on the items both answered."""
    fig, ax = plt.subplots(figsize=(1.2 + 0.9 * len(names), 0.8 + 0.8 * len(names)))
    image = ax.imshow(kappa, vmin=0, vmax=1, cmap="viridis")
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    for i in range(len(names)):
        for j in range(len(names)):
            if not np.isnan(kappa[i, j]):
                ax.text(j, i, f"{kappa[i, j]:.2f}", ha="center", va="center", color="white", fontsize=8)
    fig.colorbar(image, ax=ax, label="Cohen's kappa")
    return to_base64(fig)


SEVERITY_COLOURS = {"error": "#cc0000", "warning": "#f57900", "info": "#3465a4"}
SPLIT_COLOURS = {"train": "#3465a4", "validation": "#f57900", "test": "#4e9a06"}


def _plain(text: str, limit: int = 40) -> str:
    """Data text as a tick label: cut short, and with `$` escaped so matplotlib never reads mathtext."""
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.replace("$", r"\$")


def length_histogram(lengths: dict[str, np.ndarray]) -> str:
    """Input length in words per split, on shared bins (log-spaced when lengths span a lot)."""
    splits = [(name, values) for name, values in lengths.items() if len(values)]
    longest = max(int(values.max()) for _, values in splits)
    if longest > 200:
        bins = np.unique(np.geomspace(1, longest + 1, 40).astype(int))
    else:
        bins = np.arange(0, longest + 2, max(1, (longest + 1) // 40 or 1))
    fig, axes = plt.subplots(1, len(splits), figsize=(3.8 * len(splits), 2.8), squeeze=False, sharex=True)
    for ax, (name, values) in zip(axes[0], splits, strict=True):
        ax.hist(values, bins=bins, color=SPLIT_COLOURS.get(name, "#555753"), alpha=0.85)
        median = float(np.median(values))
        ax.axvline(median, color="#2e3436", linestyle="--", linewidth=1)
        ax.set(title=f"{name} ({len(values):,} rows, median {median:g})", xlabel="input words", ylabel="rows")
        if longest > 200:
            ax.set_xscale("log")
        ax.title.set_fontsize(9)
        ax.grid(axis="y", alpha=0.3)
    return to_base64(fig)


def label_distribution(
    label_counts: dict[str, dict[str, int]], slice_counts: dict[str, dict[str, dict[str, int]]]
) -> str:
    """Rows per label, most first, stacked by split; with slices, a second panel beside it on the same
    rows: the share of each label within each slice value (columns: `slice=value`)."""
    totals: dict[str, int] = {}
    for counts in label_counts.values():
        for label, n in counts.items():
            totals[label] = totals.get(label, 0) + n
    order = sorted(totals, key=lambda label: (-totals[label], label))
    columns = [(name, value, c) for name, values in slice_counts.items() for value, c in values.items()]
    height = max(2.5, 0.8 + 0.17 * len(order))
    widths = [5.0] + ([max(2.0, 0.45 * len(columns) + 1.0)] if columns else [])
    fig, axes = plt.subplots(
        1, len(widths), figsize=(sum(widths) + 1.5, height), squeeze=False, sharey=True,
        gridspec_kw={"width_ratios": widths},
    )  # fmt: skip
    ax = axes[0][0]
    y = np.arange(len(order))
    left = np.zeros(len(order))
    for split, counts in label_counts.items():
        values = np.array([counts.get(label, 0) for label in order], dtype=float)
        if values.any():
            ax.barh(y, values, left=left, color=SPLIT_COLOURS.get(split, "#555753"), label=split)
            left += values
    ax.set_yticks(y, [_plain(label) for label in order], fontsize=5 if len(order) > 30 else 7)
    ax.invert_yaxis()  # most rows at the top
    ax.set_xlabel("rows (kept)")
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    if columns:
        shares = np.array(
            [[c.get(label, 0) / max(sum(c.values()), 1) for _, _, c in columns] for label in order]
        ).reshape(len(order), len(columns))
        ax = axes[0][1]
        image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=max(float(shares.max()), 1e-9), aspect="auto")
        names = [
            f"{_plain(name, 20)}={_plain(value, 20)} ({sum(c.values()):,})" for name, value, c in columns
        ]
        ax.set_xticks(range(len(columns)), names, rotation=60, ha="right", fontsize=7)
        ax.set_title("share of each label per slice value\n(rows as checked)", fontsize=8)
        fig.colorbar(image, ax=ax, fraction=0.08, label="share of the value's rows")
    return to_base64(fig)


def label_cooccurrence(sets: dict[str, Any]) -> str:
    """A multilabel task's co-occurrence: cell (row a, column b) is the share of the rows holding
    a that also hold b, labels ordered by rows (most first), rows per label beside each name."""
    counts = sets["label_counts"]
    order = sorted(counts, key=lambda label: (-counts[label], label))
    at = {label: i for i, label in enumerate(order)}
    both = np.zeros((len(order), len(order)))
    for a, b, n in sets["cooccurrence"]:
        if a in at and b in at:
            both[at[a], at[b]] = both[at[b], at[a]] = n
    shares = both / np.array([max(counts[label], 1) for label in order], dtype=float)[:, None]
    np.fill_diagonal(shares, np.nan)
    size = max(4.0, 0.17 * len(order) + 1.5)
    fig, ax = plt.subplots(figsize=(size + 1.5, size))
    image = ax.imshow(shares, cmap="Purples", vmin=0, vmax=1, aspect="auto")
    fontsize = 5 if len(order) > 30 else 7
    names = [f"{_plain(label, 30)} ({counts[label]})" for label in order]
    ax.set_xticks(range(len(order)), [_plain(label, 30) for label in order], rotation=90, fontsize=fontsize)
    ax.set_yticks(range(len(order)), names, fontsize=fontsize)
    ax.set(xlabel="also holds", ylabel="rows holding (rows)")
    fig.colorbar(image, ax=ax, fraction=0.03, label="share of the row label's rows")
    return to_base64(fig)


def duplicate_clusters(sizes: dict[str, dict[str, int]]) -> str:
    """How many clusters of each size: exact copies (same normalised input) and near copies."""
    kinds = [(kind, counts) for kind, counts in sizes.items() if counts]
    fig, axes = plt.subplots(1, max(len(kinds), 1), figsize=(4.0 * max(len(kinds), 1), 2.8), squeeze=False)
    for ax, (kind, counts) in zip(axes[0], kinds, strict=False):
        pairs = sorted((int(size), n) for size, n in counts.items())
        ax.bar([str(size) for size, _ in pairs], [n for _, n in pairs], color="#75507b")
        ax.set(title=f"{kind} copies: {sum(n for _, n in pairs):,} clusters", xlabel="cluster size (rows)")
        ax.set_ylabel("clusters")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.title.set_fontsize(9)
        ax.grid(axis="y", alpha=0.3)
    return to_base64(fig)


def findings_by_code(by_code: dict[str, dict[str, int]]) -> str:
    """Findings per code, most first, each bar split by severity (error red, warning orange, info blue)."""
    codes = sorted(by_code, key=lambda code: (-sum(by_code[code].values()), code))
    fig, ax = plt.subplots(figsize=(7.0, 0.8 + 0.3 * len(codes)))
    y = np.arange(len(codes))
    left = np.zeros(len(codes))
    for severity, colour in SEVERITY_COLOURS.items():
        values = np.array([by_code[code].get(severity, 0) for code in codes], dtype=float)
        if values.any():
            ax.barh(y, values, left=left, color=colour, label=severity)
            left += values
    ax.set_yticks(y, [_plain(code) for code in codes], fontsize=8)
    ax.invert_yaxis()  # most findings at the top
    ax.set_xlabel("findings")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    return to_base64(fig)


def slice_intervals(slices: dict[str, dict[str, dict[str, Any]]], metric: str, overall: float | None) -> str:
    """`metric` of every slice group with its 95% interval; groups too small to judge are grey."""
    groups = [(f"{name}: {value}", m) for name, values in slices.items() for value, m in values.items()]
    fig, ax = plt.subplots(figsize=(7.0, 0.6 + 0.3 * max(len(groups), 3)))
    for y, (_, m) in enumerate(groups):
        if m[metric] is None:
            continue
        low, high = m["ci"][metric]
        colour = "#888a85" if m["too_small"] else "#204a87"
        spread = [[m[metric] - low], [high - m[metric]]]
        ax.errorbar(m[metric], y, xerr=spread, fmt="o", color=colour, ecolor=colour, capsize=3, markersize=4)
    if overall is not None:
        ax.axvline(overall, color="#4e9a06", linestyle="--", linewidth=1, label=f"whole split {overall:.3f}")
        ax.legend(loc="lower right", fontsize=7)
    ax.set_yticks(range(len(groups)), [f"{_plain(label)} (n={m['n']})" for label, m in groups], fontsize=7)
    ax.invert_yaxis()
    ax.set(xlim=(-0.02, 1.02), xlabel=f"{metric} (95% bootstrap interval; grey: too small to judge)")
    ax.grid(axis="x", alpha=0.3)
    return to_base64(fig)


def comparison_differences(targets: list[dict[str, Any]], metric: str) -> str:
    """Per compared model and scope, this model minus the other with the paired 95% interval;
    red for a drop and green for a gain that are significant after Holm (p < 0.05)."""
    rows = [(t["name"], test) for t in targets for test in t["tests"] if test["metric"] == metric]
    fig, ax = plt.subplots(figsize=(7.0, 0.6 + 0.3 * max(len(rows), 3)))
    for y, (_, test) in enumerate(rows):
        low, high = test["ci"]
        significant = test["p_holm"] < 0.05
        colour = "#204a87" if not significant else "#cc0000" if test["difference"] < 0 else "#4e9a06"
        spread = [[test["difference"] - low], [high - test["difference"]]]
        ax.errorbar(test["difference"], y, xerr=spread, fmt="o", color=colour, ecolor=colour, capsize=3)
    ax.axvline(0, color="#555753", linewidth=1)
    names = [f"vs {name}: {_plain(test['scope'])}" for name, test in rows]
    ax.set_yticks(range(len(rows)), names, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel(
        f"{metric}: this model minus the other (paired 95% interval)\n"
        "red / green: a significant drop / gain (Holm p < 0.05)"
    )
    ax.grid(axis="x", alpha=0.3)
    return to_base64(fig)


def precision_recall(
    curve: dict[str, Any], marks: dict[str, tuple[float, float]], worst: dict[str, dict[str, Any]]
) -> str:
    """The micro-averaged precision-recall curve of a multilabel task's presence scores, with
    the (recall, precision) of each named threshold marked (0.5, the tuned one), and beside it
    the curves of the `worst` labels (lowest average precision), which the pooled curve hides."""
    fig, (pooled, labels) = plt.subplots(1, 2, figsize=(10, 4.2), sharey=True)
    pooled.plot(
        curve["recall"], curve["precision"], color="#204a87", label=f"AP {curve['average_precision']:.3f}"
    )
    for (name, (recall, precision)), colour in zip(marks.items(), ("#f57900", "#4e9a06"), strict=False):
        pooled.plot(recall, precision, "o", color=colour, label=name)
    pooled.set(title="all labels pooled", xlabel="micro recall", ylabel="precision")
    for label, own in worst.items():
        labels.plot(own["recall"], own["precision"], label=f"{label} (AP {own['average_precision']:.2f})")
    labels.set(title=f"the {len(worst)} labels of lowest AP", xlabel="recall")
    for ax in (pooled, labels):
        ax.set(xlim=(0, 1.02), ylim=(0, 1.02))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower left")
    return to_base64(fig)
