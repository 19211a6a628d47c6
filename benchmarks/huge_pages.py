"""What tuneloop's huge-page default buys a CPU training step: the SmolLM2 recipe, the same rows
and steps, with PyTorch's CPU allocator on 4 KB pages and on transparent huge pages.

    .venv/bin/python benchmarks/huge_pages.py [--project demo-smollm2] [--steps 16]

`THP_MEM_ALLOC_ENABLE` is read once, when torch loads, so each setting trains in a process of its
own (this script again with `--child`), after one untimed step. Reported per setting: seconds per
step, page faults per step and the share of the process's CPU time spent in the kernel (from
`getrusage`). The kernel's THP mode must allow `madvise` (it is printed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MARKER = "## Huge pages for PyTorch's CPU allocations: SmolLM2 LoRA training step"
THP_MODE = Path("/sys/kernel/mm/transparent_hugepage/enabled")


def child(project: Path, steps: int) -> dict[str, float]:
    """Train the recipe for 1 + `steps` steps here; time and count the last `steps`."""
    from throughput_common import make_trainer, timed_phase
    from transformers import TrainerCallback

    from tuneloop.data.prepare import read_and_split
    from tuneloop.models import load_model_and_tokenizer
    from tuneloop.spec import load_spec
    from tuneloop.train.phases import phase_dataset
    from tuneloop.train.trainer_config import lora_config, training_config

    spec = load_spec(project / "smollm2-lora.yaml")
    phase = timed_phase(spec.phases[0], steps + 1)
    base = str(project / spec.model.base)
    model, tokenizer = load_model_and_tokenizer(base)
    dataset, _ = phase_dataset(spec, phase, read_and_split(spec)[1], tokenizer)
    marks: list[tuple[float, resource.struct_rusage]] = []

    class AfterFirstStep(TrainerCallback):  # type: ignore[misc]
        def on_step_end(self, args: object, state: object, control: object, **kwargs: object) -> None:
            marks.append((time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)))

    config = training_config(spec, phase, project / "runs-bench" / "huge-pages")
    make_trainer(config, base, dataset, lora_config(phase.lora, model), [AfterFirstStep()])[0].train()
    (t0, r0), (t1, r1) = marks[0], marks[-1]
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return {
        "seconds_per_step": (t1 - t0) / steps,
        "faults_per_step": (r1.ru_minflt - r0.ru_minflt) / steps,
        "kernel_share": (r1.ru_stime - r0.ru_stime) / cpu,
    }


def run(project: Path, steps: int) -> dict[str, dict[str, float]]:
    results = {}
    settings = (("4 KB pages (THP_MEM_ALLOC_ENABLE=0)", "0"), ("huge pages (tuneloop's default)", "1"))
    for label, value in settings:
        env = os.environ | {"THP_MEM_ALLOC_ENABLE": value}
        command = [sys.executable, __file__, "--child", "--project", str(project), "--steps", str(steps)]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        results[label] = json.loads(done.stdout.strip().splitlines()[-1])
        print(label, results[label], flush=True)
    return results


def record(results: dict[str, dict[str, float]], steps: int, command: str) -> None:
    from results import replace_section

    rows = [
        f"| {label} | {r['seconds_per_step']:.2f} s | {r['faults_per_step']:,.0f} | {r['kernel_share']:.0%} |"
        for label, r in results.items()
    ]
    small, huge = results.values()
    mode = THP_MODE.read_text().strip() if THP_MODE.is_file() else "unknown"
    replace_section(
        MARKER,
        "\n".join(
            [
                MARKER,
                "",
                f"Run {date.today()}: `{command}`. The recipe of `examples/banking77/smollm2-lora.yaml`, "
                f"{steps} timed steps of 16 rows after one untimed, each setting in its own process. "
                f"{platform.machine()}, {os.cpu_count()} CPU cores, kernel THP mode `{mode}`.",
                "",
                "| allocator pages | time per step | page faults per step | CPU time in the kernel |",
                "| --- | --- | --- | --- |",
                *rows,
                "",
                f"Huge pages make a step **{small['seconds_per_step'] / huge['seconds_per_step']:.2f}x**"
                " as fast.",
            ]
        ),
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--project", type=Path, default=REPO / "demo-smollm2")
    parser.add_argument("--steps", type=int, default=16)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        print(json.dumps(child(options.project, options.steps)))
        return
    results = run(options.project, options.steps)
    record(results, options.steps, " ".join([".venv/bin/python benchmarks/huge_pages.py", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
