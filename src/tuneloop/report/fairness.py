"""The report's fairness section, read from `RUN/eval/SPLIT/fairness.json` (test, else validation):
the counterfactual table with a flip-rate plot, the flipped rows, group metrics with intervals,
the training-data skew flags and the fairness gates' verdicts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt

from tuneloop.evaluate.fairness.assessment import read_fairness
from tuneloop.report.plots import to_base64
from tuneloop.run_dir import eval_dir

FLIPS_SHOWN = 50  # flipped rows listed per family; fairness.json keeps them all


def fairness_section(run_dir: Path, max_flip_rate: float | None) -> dict[str, Any] | None:
    for split in ("test", "validation"):
        result = read_fairness(eval_dir(run_dir, split))
        if result is not None:
            families = result["counterfactual"]["families"]
            measured = {name: f for name, f in families.items() if f["rows"]}
            return {
                "split": split,
                "result": result,
                "flips": [
                    {"family": name, **flip}
                    for name, family in families.items()
                    for flip in family["flips"][:FLIPS_SHOWN]
                ],
                "flip_plot": flip_rate_plot(measured, max_flip_rate) if measured else None,
            }
    return None


def flip_rate_plot(families: dict[str, dict[str, Any]], max_flip_rate: float | None) -> str:
    """Flip rate per swap family with its Wilson 95% interval, and the gate's limit when set."""
    names = list(families)
    rates = [families[n]["flip_rate"] for n in names]
    # Clamped: a run recorded before the interval was made exact may hold a bound 1e-17 past it.
    lows = [max(0.0, r - families[n]["flip_rate_ci"][0]) for n, r in zip(names, rates, strict=True)]
    highs = [max(0.0, families[n]["flip_rate_ci"][1] - r) for n, r in zip(names, rates, strict=True)]
    fig, ax = plt.subplots(figsize=(6, 0.5 * len(names) + 1.2))
    ax.barh(range(len(names)), rates, xerr=[lows, highs], color="#4c72b0", capsize=3)
    ax.set_yticks(range(len(names)), [f"{n} ({families[n]['rows']} rows)" for n in names])
    ax.invert_yaxis()
    if max_flip_rate is not None:
        ax.axvline(max_flip_rate, color="#c44e52", linestyle="--", label=f"gate: {max_flip_rate:g}")
        ax.legend(loc="lower right")
    ax.set(
        xlabel="share of swapped rows whose answer changed",
        xlim=(0, max(0.05, *[r + h for r, h in zip(rates, highs, strict=True)]) * 1.1),
    )
    ax.grid(axis="x", alpha=0.3)
    return to_base64(fig)
