"""`tuneloop run`: one round end to end, answering in JSON even when a gate stops it."""

from __future__ import annotations

from pathlib import Path

from tuneloop.cli.evaluate import print_headline, print_verdicts
from tuneloop.cli.support import JsonOpt, ProjectArg, emit, guarded, out, process_console


@guarded
def run_command(project: ProjectArg = Path("."), json_out: JsonOpt = False) -> None:
    """Run one round end to end: data, base model, every phase, evaluation and the report."""
    from tuneloop.distributed import is_main
    from tuneloop.round import run_round
    from tuneloop.run_dir import read_record
    from tuneloop.spec import load_spec
    from tuneloop.train.phases import GateFailed

    try:
        run_dir, report_path = run_round(load_spec(project), process_console())
    except GateFailed as exc:
        if json_out and exc.run_dir is not None and is_main():  # a stopped round still answers in JSON
            record = read_record(exc.run_dir)
            emit(
                {
                    "run_dir": str(exc.run_dir),
                    "report": str(exc.report),
                    "status": record.status,
                    "phases": record.phases or [],
                    **(record.evaluation or {}),
                    "gates": [v.to_dict() for v in record.evaluation_gates or []],
                }
            )
        raise
    if not is_main():
        return
    record = read_record(run_dir)
    evaluation = record.evaluation or {}
    if json_out:
        emit(
            {
                "run_dir": str(run_dir),
                "model": record.final_model,
                "report": str(report_path),
                **evaluation,
                "gates": [v.to_dict() for v in record.evaluation_gates or []],
            }
        )
        return
    for split, m in evaluation.items():
        print_headline(split, m)
    print_verdicts(record.evaluation_gates or [])
    out.print(f"model: {record.final_model}", highlight=False)
    out.print(f"report: {report_path}", highlight=False)
