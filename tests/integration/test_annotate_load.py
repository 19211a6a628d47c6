"""The load benchmark's scenario, shortened to about 10 s: annotators over loopback, the server
killed with SIGKILL half way and restarted, and no acknowledged answer lost or duplicated."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import annotate_load


@pytest.mark.slow
def test_acknowledged_answers_survive_a_sigkill_exactly_once() -> None:
    options = annotate_load.parse(["--seconds", "10", "--annotators", "10", "--items", "2000", "--no-record"])
    # Its own thread: asyncio.run needs one without a running loop (playwright's sync API, when the
    # browser tests share the session, keeps one in the main thread).
    with ThreadPoolExecutor(1) as pool:
        result = pool.submit(annotate_load.run, options).result()
    for check in (result.at_kill, result.at_end):
        assert check.lost == check.duplicated == check.wrongly_superseded == check.items_over_k == 0
    assert result.at_end.acknowledged > result.at_kill.acknowledged > 0  # work went on after the restart
    assert result.stats.retried  # some requests really hit the dead server and were retried
    assert result.at_end.undone > 0
