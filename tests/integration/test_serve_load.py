"""The served model's load benchmark, shortened to about 10 s: `openai` clients over loopback,
the server killed with SIGKILL half way and restarted, and no answer a client received missing
from the log, no acknowledged rating lost or stored twice."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import serve_load


@pytest.mark.slow
def test_received_answers_and_acknowledged_ratings_survive_a_sigkill() -> None:
    options = serve_load.parse(["--seconds", "10", "--clients", "10", "--labels", "5", "--no-record"])
    with ThreadPoolExecutor(1) as pool:  # asyncio.run needs a thread without a running loop
        result = pool.submit(serve_load.run, options).result()
    for check in (result.at_kill, result.at_end):
        assert check.lost_answers == check.lost_ratings == check.duplicated_ratings == 0
    assert result.at_end.answers > result.at_kill.answers > 0  # answering went on after the restart
    assert result.at_end.ratings > 0 and result.stats.retried["chat"] > 0  # the kill was felt
