"""Importing tuneloop turns on PyTorch's huge-page CPU allocations unless the user decided."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

THP = Path("/sys/kernel/mm/transparent_hugepage/enabled")
PROBE = """
import re, tuneloop, torch
buffer = torch.empty(16 * 1024 * 1024).fill_(1.0)  # 64 MB, touched
rollup = open("/proc/self/smaps_rollup").read()
print(int(re.search(r"AnonHugePages:\\s+(\\d+) kB", rollup).group(1)))
"""

pytestmark = pytest.mark.skipif(
    not THP.is_file() or "[madvise]" not in THP.read_text(),
    reason="huge pages on request only where the kernel's THP mode is madvise",
)


def _huge_kb(env: dict[str, str]) -> int:
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    return int(done.stdout.strip())


def test_large_tensors_get_huge_pages_by_default() -> None:
    env = {k: v for k, v in os.environ.items() if k != "THP_MEM_ALLOC_ENABLE"}
    assert _huge_kb(env) >= 32 * 1024  # most of the 64 MB buffer is in 2 MB pages


def test_a_users_choice_is_kept() -> None:
    assert _huge_kb(os.environ | {"THP_MEM_ALLOC_ENABLE": "0"}) < 32 * 1024
