"""Running under `accelerate launch`: one process per device, the same spec and command in each.

Every process trains: the Trainer wraps the model for DDP, FSDP or DeepSpeed as accelerate's config
says. Only the main process writes the run (run.json, the dataset version, models, metrics, the
report); the others wait where they would read what it writes, and agree on the run directory
through a broadcast from it. In a single process all of this is a no-op.

On CPU the process group uses gloo (accelerate's MULTI_CPU), which is what the 2-process test runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import TypeVar

import torch
from accelerate import PartialState
from accelerate.utils import broadcast_object_list

T = TypeVar("T")
SHARDED = ("FSDP", "DEEPSPEED")


@cache
def _state() -> PartialState:
    return PartialState(cpu=not torch.cuda.is_available())


def is_distributed() -> bool:
    return _state().num_processes > 1


def is_main() -> bool:
    return _state().is_main_process


def agree(value: T) -> T:
    """The main process's `value`, in every process."""
    if not is_distributed():
        return value
    box: list[object] = [value if is_main() else None]
    broadcast_object_list(box, from_process=0)
    return box[0]  # type: ignore[return-value]


@contextmanager
def main_first() -> Iterator[None]:
    """Run the block in the main process first (it writes), then in the others (they find it written)."""
    with _state().main_process_first():
        yield


def is_sharded() -> bool:
    """FSDP or DeepSpeed, as `accelerate launch` announces them: no process holds whole weights."""
    return any(os.environ.get(f"ACCELERATE_USE_{name}", "false").lower() == "true" for name in SHARDED)


def wait_for_everyone() -> None:
    _state().wait_for_everyone()
