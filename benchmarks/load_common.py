"""What the load benchmarks share (annotate_load.py, serve_load.py): a tuneloop server as a
subprocess, waiting for it to answer, first-try latencies of clients that retry through a kill,
and their percentiles with and without the restart window."""

from __future__ import annotations

import asyncio
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")


def start_tuneloop(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    """`python -m tuneloop ARGS` of this checkout, its output appended to `log`."""
    env = os.environ | {"PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "tuneloop", *args], env=env, stdout=out, stderr=subprocess.STDOUT
        )


async def wait_ready(base: str, path: str, timeout: float = 60.0) -> None:
    """Until `GET base+path` answers 200."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base) as client:
        while True:
            try:
                if (await client.get(path)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server at {base} did not come up within {timeout:.0f} s")
            await asyncio.sleep(0.1)


@dataclass
class Deadline:
    """When the clients stop. The restart's downtime is added to it, so the run has its seconds of
    serving after the kill even on a loaded machine where the server comes back slowly."""

    at: float

    def passed(self) -> bool:
        return time.monotonic() >= self.at


async def after_work(seconds: float, done: Callable[[], int], timeout: float = 120.0) -> None:
    """Sleep `seconds`, then on until `done()` counts some acknowledged work: a kill before the
    first answer (a loaded machine whose clients are still signing in) would check nothing."""
    await asyncio.sleep(seconds)
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        await asyncio.sleep(0.1)


async def kill_and_restart(
    server: subprocess.Popen[bytes],
    start: Callable[[], subprocess.Popen[bytes]],
    ready: Callable[[], Awaitable[None]],
    check: Callable[[], T],
    deadline: Deadline,
) -> tuple[subprocess.Popen[bytes], tuple[float, float], T]:
    """SIGKILL the server, check the store at once (`check`), start it again, wait until it
    answers and move the clients' `deadline` on by the downtime: the new server, (when it was
    killed, how long it was down), what the check found."""
    server.send_signal(signal.SIGKILL)
    server.wait()
    killed = time.monotonic()
    found = check()
    server = start()
    await ready()
    downtime = time.monotonic() - killed
    deadline.at += downtime
    return server, (killed, downtime), found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Latencies:
    """First-try latency and send time per kind of request, and the retries of the others."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    sent_at: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    retried: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    async def timed(
        self, kind: str, send: Callable[[], Awaitable[T]], transient: tuple[type[BaseException], ...]
    ) -> T:
        """Send until the server answers; a `transient` error (the server was killed) is retried
        unchanged, which is safe for the idempotent requests the benchmarks send."""
        first = True
        while True:
            started = time.perf_counter()
            try:
                answer = await send()
            except transient:
                first = False
                self.retried[kind] += 1
                await asyncio.sleep(0.2)
                continue
            if first:
                self.latencies[kind].append(time.perf_counter() - started)
                self.sent_at[kind].append(time.monotonic())
            return answer

    def percentile(self, kind: str, q: float, window: tuple[float, float] | None = None) -> float:
        """Latency percentile in ms; with `window`, of the requests sent outside it only."""
        values = np.array(self.latencies.get(kind, []))
        if window is not None and len(values):
            sent = np.array(self.sent_at[kind])
            values = values[(sent < window[0]) | (sent > window[1])]
        return float(np.percentile(values, q)) * 1000 if len(values) else float("nan")

    def table(self, kinds: tuple[str, ...], window: tuple[float, float]) -> list[str]:
        """The latency table of BENCHMARKS.md, one row per kind."""
        lines = [
            "| request | answered first try | p50 ms | p95 ms | p99 ms | p99 ms outside the restart window "
            "| retries while the server was down |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for kind in kinds:
            p = [self.percentile(kind, q) for q in (50, 95, 99)]
            lines.append(
                f"| {kind} | {len(self.latencies.get(kind, []))} | {p[0]:.1f} | {p[1]:.1f} | {p[2]:.1f} | "
                f"{self.percentile(kind, 99, window):.1f} | {self.retried.get(kind, 0)} |"
            )
        return lines


def load_line(load: tuple[float, float]) -> str:
    return (
        f"Machine load average (1 min) {load[0]:.1f} at the start, {load[1]:.1f} at the end, "
        f"on {os.cpu_count()} cores shared with other work."
    )


def record(marker: str, command: str, text: str, note: str) -> None:
    """Put this run's section (`marker`, the command, the results, the target and the machine)
    into BENCHMARKS.md in place of the last one."""
    from results import replace_section

    host = (
        f"{platform.machine()}, {os.cpu_count()} CPU cores (shared with other work), "
        f"Python {platform.python_version()}; the load generator runs on the same machine"
    )
    ran = f"Run {datetime.now(UTC).date()}: `{command}`."
    replace_section(marker, f"{marker}\n\n{ran}\n\n{text}\n\n{note} {host}.\n")
