"""`tuneloop check`: the data-quality suite on a project or on data files (docs/checks.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from tuneloop.cli.support import JsonOpt, emit, guarded, out
from tuneloop.errors import CheckFailed, TuneloopError

PAIRS_SHOWN = 10  # label pairs printed for a multilabel task; --json lists them all


@guarded
def check(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="A project directory (default: .), or data files to check on their own."),
    ] = None,
    spec_dir: Annotated[
        Path | None,
        typer.Option("--spec", help="With FILES: labels, tokenizer and quality settings from this project."),
    ] = None,
    engine: Annotated[
        str, typer.Option(help=r"local, or ray (pip install 'tuneloop\[ray]').")  # \[: not rich markup
    ] = "local",
    json_out: JsonOpt = False,
) -> None:
    """Check the data before training (docs/checks.md); exit 1 if any row has an error.

    With a project: every source, read and split as a run would. With FILES: each file on its own,
    its format and fields inferred (chat, Alpaca, ShareGPT or preference rows, or CSV/JSONL/JSON/
    Parquet with text and label columns; docs/formats.md).
    """
    from tuneloop.data.check_report import check_data, check_files
    from tuneloop.spec import load_spec

    given = paths or [Path(".")]
    if len(given) == 1 and given[0].is_dir():
        if spec_dir is not None:
            raise TuneloopError("--spec goes with data files; a project directory brings its own spec")
        report = check_data(load_spec(given[0]), engine=engine)
    else:
        report = check_files(given, load_spec(spec_dir) if spec_dir else None, engine=engine)
    if json_out:
        emit(report)
    else:
        _print_report(report)
    if not report["ok"]:
        errors = report["findings_summary"]["by_severity"].get("error", 0)
        raise CheckFailed(f"{errors} row(s) cannot be used; they would be quarantined (see the findings)")


def _print_report(report: dict[str, Any]) -> None:
    from tuneloop.data.check_report import FINDINGS_LISTED

    counts = report["counts"]
    out.print(f"read {counts['read']} rows: kept {counts['kept']}, quarantined {counts['quarantined']}")
    out.print(f"splits: {counts['splits']}")
    by_code = report["findings_summary"]["by_code"]
    if by_code:
        out.print("findings: " + ", ".join(f"{code} {n}" for code, n in by_code.items()), highlight=False)
    for finding in report["findings"][:FINDINGS_LISTED]:
        out.print(
            f"  {finding['severity']}: {finding['file']}:{finding['line']} [{finding['code']}] "
            f"{finding['message']}",
            highlight=False,
            markup=False,
        )
    hidden = report["findings_summary"]["total"] - min(len(report["findings"]), FINDINGS_LISTED)
    if hidden > 0:
        out.print(f"  … and {hidden} more (all of them with --json, or in a run's data/manifest.json)")
    if report.get("labels_without_examples"):
        out.print(f"labels without examples: {', '.join(report['labels_without_examples'])}")
    sets = report["checks"].get("balance", {}).get("multilabel")
    if sets:
        _print_label_sets(sets)


def _print_label_sets(sets: dict[str, Any]) -> None:
    """A multilabel task's balance: rows per label and split (fewest first), set sizes, top pairs."""
    from rich.table import Table

    splits = [name for name in ("train", "validation", "test") if name in sets["split_counts"]]
    table = Table("label", "rows", *splits, title="rows holding each label (fewest first)")
    for label, n in sorted(sets["label_counts"].items(), key=lambda item: (item[1], item[0])):
        table.add_row(label, str(n), *(str(sets["split_counts"][s].get(label, 0)) for s in splits))
    out.print(table)
    sizes = ", ".join(f"{k}: {n}" for k, n in sets["set_sizes"].items())
    out.print(
        f"labels per row: mean {sets['mean_labels']:g} ({sizes}); {sets['distinct_sets']} distinct sets",
        highlight=False,
    )
    pairs = "; ".join(f"{a} + {b} {n}" for a, b, n in sets["cooccurrence"][:PAIRS_SHOWN])
    out.print(f"most frequent pairs: {pairs}", highlight=False, markup=False)
