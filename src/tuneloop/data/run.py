"""The data stage of a round: the run's `DatasetVersion`, its counts shown, the data gate judged.

    prepare(spec, run_dir, console, gold)  what `tuneloop run` and `tuneloop train` call first

`gold` is the annotation store's decided labels (`annotate/training_labels.py`), handed down by the
round because the data stage comes before annotate; None when the project has none.

Under `accelerate launch` the main process writes the version and the others read it back, so
every process trains on the same rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console

from tuneloop.data.gold import CHANGES, GoldLabels
from tuneloop.data.prepare import prepare_dataset
from tuneloop.data.prepare_policy import data_gate
from tuneloop.data.split import SPLITS
from tuneloop.data.version import DatasetVersion
from tuneloop.distributed import is_main, main_first
from tuneloop.errors import TuneloopError
from tuneloop.run_dir import data_dir, update_record
from tuneloop.spec import ProjectSpec


def prepare(
    spec: ProjectSpec, run_dir: Path, console: Console, gold: GoldLabels | None = None
) -> DatasetVersion:
    """Write the run's dataset version (with the gold labels applied) and record the data gate (it
    refuses too many error rows, exit 1); a version with no training row left stops here."""
    with main_first():  # the main process writes the dataset version, the others read it
        dataset = (
            prepare_dataset(spec, data_dir(run_dir), gold)
            if is_main()
            else DatasetVersion.load(data_dir(run_dir))
        )
    counts = dataset.manifest["counts"]
    console.print(
        f"data: read {counts['read']}, kept {counts['kept']}, quarantined {counts['quarantined']} "
        f"→ {split_sizes(spec, counts['splits'])}"
        + (f", unlabeled text {counts['splits']['unlabeled']}" if counts["splits"]["unlabeled"] else "")
    )
    if "gold" in dataset.manifest:
        console.print(f"gold labels from the annotation store: {gold_counts(dataset.manifest['gold'])}")
    update_record(run_dir, data_gate=data_gate(spec, dataset).to_dict())
    if not dataset.split("train"):
        raise TuneloopError("no usable training rows: every row was quarantined (run `tuneloop check`)")
    return dataset


def gold_counts(summary: dict[str, Any]) -> str:
    """`overridden 12, added 3, unchanged 85 (adjudicated 20, agreed 80)`, and what was withheld."""
    kinds = {kind: sum(summary["by_kind"][kind].values()) for kind in summary["by_kind"]}
    withheld = ", ".join(f"{why.replace('_', ' ')} {n}" for why, n in summary["withheld"].items())
    origins = ", ".join(
        f"{origin.replace('_', ' ')} {sum(n.values())}" for origin, n in summary.get("by_origin", {}).items()
    )
    return (
        ", ".join(f"{change} {summary[change]}" for change in CHANGES)
        + f" ({', '.join(f'{kind} {n}' for kind, n in kinds.items())})"
        + (f"; from the model's use: {origins}" if origins else "")
        + (f"; withheld: {withheld}" if withheld else "")
    )


def split_sizes(spec: ProjectSpec, splits: dict[str, int]) -> str:
    """The split sizes, each held-out split with its share of the split rows and the fraction the
    spec asked for (none with split files): `train 707 / validation 151 (15.0%, asked 15%) / ...`."""
    total = max(sum(splits[name] for name in SPLITS), 1)
    shown = [f"train {splits['train']}"]
    for name in SPLITS[1:]:
        asked = None if spec.splits.files is not None else getattr(spec.splits, name)
        share = f" ({splits[name] / total:.1%}, asked {asked * 100:g}%)" if asked is not None else ""
        shown.append(f"{name} {splits[name]}{share}")
    return " / ".join(shown)
