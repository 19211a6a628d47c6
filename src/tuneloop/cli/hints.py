"""`tuneloop annotate hints`: the labels whose guideline most needs work, for the guideline's owner
(a thin shell over `feedback.guideline_hints`; the report and the admin page show the same list)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from tuneloop.cli.support import JsonOpt, ProjectArg, emit, guarded, out

TopOpt = Annotated[int, typer.Option("--top", min=1, help="How many labels to list.")]


@guarded
def hints(project: ProjectArg = Path("."), top: TopOpt = 10, json_out: JsonOpt = False) -> None:
    """Labels ranked by corrections (served and reviewed), annotator disagreements and drift in the
    latest monitor check, each signal normalised to its share and the shares summed, with examples."""
    from tuneloop.feedback.guideline_hints import guideline_hints
    from tuneloop.spec import load_spec

    found = guideline_hints(load_spec(project), top=top)
    if json_out:
        emit(found)
        return
    for line in hint_lines(found):
        out.print(line, highlight=False)


def hint_lines(found: dict[str, Any]) -> list[str]:
    """The hints as text: the rule, one block per label, then the signals without evidence."""
    lines = [f"guideline hints ({found['rule']}):"]
    for rank, hint in enumerate(found["labels"], 1):
        counts = hint["counts"]
        lines.append(
            f"{rank}. {hint['label']}  score {hint['score']:.2f}: {counts['corrections']} corrections, "
            f"{counts['disagreements']} disputed items, share moved {counts['drift']:.2f}"
        )
        if hint["confused_with"]:
            lines.append(f"   confused: {'; '.join(hint['confused_with'][:3])}")
        for signal, examples in hint["examples"].items():
            lines.extend(f"   {signal}: {example}" for example in examples)
    lines.extend(f"{name}: {signal['note']}" for name, signal in found["signals"].items() if signal["note"])
    if found.get("note"):
        lines.append(found["note"])
    return lines
