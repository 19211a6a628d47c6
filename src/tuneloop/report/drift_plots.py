"""Plots for the monitor's report (`tuneloop monitor`), drawn with the report's own helpers
(`plots.to_base64`, its colours and tick labels) and returned as base64 PNG for embedding."""

from __future__ import annotations

from typing import Any

import numpy as np

from tuneloop.report.plots import SPLIT_COLOURS, _plain, plt, to_base64

DRIFT, STEADY, NOT_JUDGED = "#cc0000", "#204a87", "#888a85"


def domain_aucs(scopes: list[tuple[str, dict[str, Any]]]) -> str:
    """Per scope (overall, each slice group tested): the domain classifier's AUC as a dot, red when
    it drifted after Holm, and the AUC the shuffled labels reach 95% of the time as a bar."""
    fig, ax = plt.subplots(figsize=(7.0, 0.6 + 0.32 * max(len(scopes), 3)))
    for y, (_, s) in enumerate(scopes):
        ax.plot([s["threshold"]] * 2, [y - 0.3, y + 0.3], color=NOT_JUDGED, linewidth=2)
        ax.plot(s["auc"], y, "o", color=DRIFT if s["drifted"] else STEADY, markersize=6)
    ax.axvline(0.5, color="#555753", linestyle=":", linewidth=1)
    names = [f"{_plain(name)} ({s['reference']} / {s['current']})" for name, s in scopes]
    ax.set_yticks(range(len(scopes)), names, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(min(0.3, *(s["auc"] - 0.05 for _, s in scopes)), 1.01)
    ax.set_xlabel(
        "domain classifier ROC AUC, training vs served (rows: training / served)\n"
        "grey bar: 95th percentile of shuffled AUCs; red: drift (Holm p <= 0.05)"
    )
    ax.grid(axis="x", alpha=0.3)
    return to_base64(fig)


def label_shares(moved: list[dict[str, Any]], against: str) -> str:
    """The labels whose share moved most: their share among the reference answers and the served."""
    fig, ax = plt.subplots(figsize=(7.0, 0.8 + 0.3 * max(len(moved), 3)))
    y = np.arange(len(moved))
    for offset, key, colour, name in (
        (-0.2, "training_share", "train", against),
        (0.2, "served_share", "validation", "served"),
    ):
        ax.barh(y + offset, [m[key] for m in moved], 0.4, color=SPLIT_COLOURS[colour], label=name)
    ax.set_yticks(y, [_plain(m["label"]) for m in moved], fontsize=7)
    ax.invert_yaxis()  # the largest change at the top
    ax.set_xlabel("share of the labels answered")
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    return to_base64(fig)


def confidence_histogram(confidence: dict[str, Any]) -> str:
    """The answers' confidence, served and reference, as shares of each side, with the threshold."""
    edges = np.array(confidence["bins"])
    fig, ax = plt.subplots(figsize=(7.0, 3.0))
    sides = [("served", confidence["counts"], SPLIT_COLOURS["validation"])]
    if confidence.get("reference"):
        sides.insert(0, (confidence["reference"], confidence["reference_counts"], SPLIT_COLOURS["train"]))
    for name, counts, colour in sides:
        shares = np.array(counts, dtype=float) / max(sum(counts), 1)
        ax.stairs(shares, edges, color=colour, linewidth=2, label=f"{name} ({sum(counts):,})")
    threshold = confidence["threshold"]
    ax.axvline(threshold, color=DRIFT, linestyle="--", linewidth=1, label=f"low below {threshold:g}")
    ax.set(xlim=(0, 1), xlabel="confidence of the answer", ylabel="share of answers")
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(axis="y", alpha=0.3)
    return to_base64(fig)
