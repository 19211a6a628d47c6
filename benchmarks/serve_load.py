"""The served model under load and faults: concurrent `openai` clients over loopback, a SIGKILL.

    .venv/bin/python benchmarks/serve_load.py [--seconds 60 --clients 50 --feedback 0.3]
        [--labels 77] [--kill-at 0.5] [--no-record]

Builds a BANKING77 project (`--labels` of its intents) with a tiny model built for its labels as
the final model of runs/run-001 (built, not trained: the load is the same), starts `tuneloop
serve-model` on it as a subprocess, and lets `--clients` simulated applications send BANKING77
messages of those intents through the official `openai` client (`AsyncOpenAI`, chat completions)
for `--seconds`, each rating a share (`--feedback`) of its answers through `POST /v1/feedback` with an
idempotency key (up or down, a fifth of them with a correction). At `--kill-at` of the run the
server is killed with SIGKILL (once some answer has arrived) and restarted, and the run goes on
for the time it was down; a client retries what failed: a completion as a new
request (an answer it never got is nobody's), a rating with the same key, as a retrying client
would.

Checks, right after the kill and again at the end: every response a client received is one
`served_requests` row (the log is committed before the answer leaves), and every acknowledged
rating is one `served_feedback` row. Latency percentiles count requests answered on their first
try; p99 is also given outside the restart window (the kill until 5 s after the server is back).
Results go to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import load_common as common
import openai
from ruamel.yaml import YAML
from sqlalchemy import select

from tuneloop.annotate.project import project_store
from tuneloop.annotate.store.models import ServedFeedback, ServedRequest
from tuneloop.run_dir import phase_dir, update_record
from tuneloop.spec import TinyModel, load_spec
from tuneloop.task_card import TaskCard
from tuneloop.train.base_model import build_tiny_model

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "banking77"
MARKER = "## Served model under load: openai clients, SIGKILL mid-run"
CORRECTION_RATE = 0.2
TRANSIENT = (openai.APIConnectionError, httpx.TransportError)  # the server is down: send again
TINY = {"vocab_size": 2000, "hidden_size": 64, "layers": 2, "heads": 2, "context_length": 128}


@dataclass
class Stats(common.Latencies):
    answers: list[str] = field(default_factory=list)  # response ids the clients received
    ratings: list[str] = field(default_factory=list)  # idempotency keys of acknowledged feedback


@dataclass(frozen=True)
class Verification:
    answers: int
    ratings: int
    lost_answers: int
    lost_ratings: int
    duplicated_ratings: int

    @property
    def ok(self) -> bool:
        return self.lost_answers == self.lost_ratings == self.duplicated_ratings == 0


# --- setting up ---------------------------------------------------------------------------------


def messages(labels: int) -> tuple[list[str], list[dict[str, str]]]:
    """The intents kept and every message of them, as BANKING77's file holds them."""
    with (EXAMPLE / "data" / "train.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    kept = list(dict.fromkeys(r["category"] for r in rows))[:labels]
    return kept, [r for r in rows if r["category"] in kept]


def make_run(folder: Path, labels: int) -> tuple[Path, list[str]]:
    """A project of `labels` intents whose runs/run-001 holds a tiny model built for them; the
    messages the clients send (the project's rows are the training data)."""
    project = folder / "project"
    shutil.copytree(EXAMPLE, project)
    kept, rows = messages(labels)
    yaml = YAML()
    spec_file = project / "tuneloop.yaml"
    data = yaml.load(spec_file.read_text())
    data["labels"] = [label for label in data["labels"] if label["name"] in kept]
    data.pop("annotation", None)  # its label groups name intents a smaller project lacks
    with spec_file.open("w") as fh:
        yaml.dump(data, fh)
    spec = load_spec(project)
    run_dir = spec.output_path / "run-001"
    model_dir = phase_dir(run_dir, 2, "task") / "model"
    build_tiny_model(TinyModel(**TINY), [r["text"] for r in rows], model_dir, spec.label_names)
    TaskCard.from_spec(spec).save(model_dir)
    record = {"project": str(project), "spec": spec.model_dump(mode="json"), "status": "trained"}
    update_record(run_dir, **record, final_model=str(model_dir))
    return run_dir, [r["text"] for r in rows]


def start_server(run_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    return common.start_tuneloop(["serve-model", str(run_dir), "--port", str(port)], log)


# --- the simulated applications -----------------------------------------------------------------


class Client:
    """One application: the `openai` client for answers, plain HTTP for feedback (the `openai`
    package has no call for tuneloop's `/v1/feedback`)."""

    def __init__(
        self, n: int, base: str, model: str, texts: list[str], stats: Stats, options: argparse.Namespace
    ) -> None:
        self.openai = openai.AsyncOpenAI(base_url=f"{base}/v1", api_key="none", max_retries=0, timeout=120.0)
        self.http = httpx.AsyncClient(base_url=base, timeout=120.0)
        self.model, self.texts, self.stats = model, texts, stats
        self.rate, self.rng = options.feedback, random.Random(options.seed + n)

    async def work(self, deadline: common.Deadline) -> None:
        while not deadline.passed():
            text = self.rng.choice(self.texts)
            reply = await self.stats.timed(
                "chat",
                lambda text=text: self.openai.chat.completions.create(
                    model=self.model, messages=[{"role": "user", "content": text}]
                ),
                TRANSIENT,
            )
            self.stats.answers.append(reply.id)
            if self.rng.random() < self.rate:
                await self.feedback(reply.id, reply.choices[0].message.content or "")

    async def feedback(self, response_id: str, answer: str) -> None:
        key = uuid.uuid4().hex
        body: dict[str, Any] = {
            "response_id": response_id,
            "rating": self.rng.choice(["up", "down"]),
            "idempotency_key": key,
        }
        if self.rng.random() < CORRECTION_RATE:
            body["correction"] = answer
        sent = await self.stats.timed(
            "feedback", lambda: self.http.post("/v1/feedback", json=body), TRANSIENT
        )
        sent.raise_for_status()
        self.stats.ratings.append(key)

    async def close(self) -> None:
        await self.openai.close()
        await self.http.aclose()


# --- checking the store -------------------------------------------------------------------------


def verify(project: Path, answers: list[str], ratings: list[str]) -> Verification:
    """Every received answer logged once, every acknowledged rating stored once."""
    store = project_store(load_spec(project))
    logged: set[str] = set()
    rated: dict[str, int] = defaultdict(int)
    with store.read() as session:
        for start in range(0, len(answers), 500):
            chunk = answers[start : start + 500]
            logged |= set(
                session.scalars(select(ServedRequest.response_id).where(ServedRequest.response_id.in_(chunk)))
            )
        for start in range(0, len(ratings), 500):
            chunk = ratings[start : start + 500]
            query = select(ServedFeedback.idempotency_key).where(ServedFeedback.idempotency_key.in_(chunk))
            for key in session.scalars(query):
                rated[key or ""] += 1
    store.close()
    return Verification(
        len(answers),
        len(ratings),
        sum(rid not in logged for rid in answers),
        sum(rated.get(key, 0) == 0 for key in ratings),
        sum(rated.get(key, 0) > 1 for key in ratings),
    )


# --- the run --------------------------------------------------------------------------------------


@dataclass
class LoadResult:
    options: argparse.Namespace
    stats: Stats
    at_kill: Verification
    at_end: Verification
    downtime: float
    elapsed: float
    restart_window: tuple[float, float]
    load: tuple[float, float]


async def drive(options: argparse.Namespace, run_dir: Path, texts: list[str], log: Path) -> LoadResult:
    port = common.free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(run_dir, port, log)
    await common.wait_ready(base, "/health", timeout=120.0)
    model = f"{load_spec(run_dir.parents[1]).objective.name}-{run_dir.name}"
    stats, load_before = Stats(), os.getloadavg()[0]
    started = time.monotonic()
    deadline = common.Deadline(started + options.seconds)
    clients = [Client(n, base, model, texts, stats, options) for n in range(options.clients)]
    workers = [asyncio.create_task(c.work(deadline)) for c in clients]
    await common.after_work(options.seconds * options.kill_at, lambda: len(stats.answers))
    project = run_dir.parents[1]
    server, (killed, downtime), at_kill = await common.kill_and_restart(
        server,
        lambda: start_server(run_dir, port, log),
        lambda: common.wait_ready(base, "/health", timeout=120.0),
        lambda: verify(project, list(stats.answers), list(stats.ratings)),
        deadline,
    )
    try:
        await asyncio.gather(*workers)
    finally:
        for c in clients:
            await c.close()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    elapsed = time.monotonic() - started
    at_end = verify(project, stats.answers, stats.ratings)
    window = (killed, killed + downtime + 5.0)
    return LoadResult(
        options, stats, at_kill, at_end, downtime, elapsed, window, (load_before, os.getloadavg()[0])
    )


def run(options: argparse.Namespace) -> LoadResult:
    with tempfile.TemporaryDirectory(prefix="tuneloop-serve-load-") as scratch:
        folder = Path(scratch)
        log = folder / "server.log"
        run_dir, texts = make_run(folder, options.labels)
        try:
            return asyncio.run(drive(options, run_dir, texts, log))
        except Exception:
            if log.is_file():
                sys.stderr.write(log.read_text()[-4000:])
            raise


def summary(result: LoadResult) -> str:
    o, end, kill = result.options, result.at_end, result.at_kill
    up = max(result.elapsed - result.downtime, 1e-9)
    lines = [
        f"{o.clients} `openai` clients, tiny model ({TINY['layers']} layers, hidden {TINY['hidden_size']}) "
        f"over {o.labels} labels (log-likelihood scoring), {o.seconds:.0f} s on SQLite; {o.feedback:.0%} of "
        f"answers rated; SIGKILL at {o.kill_at:.0%} of the run, back in {result.downtime:.1f} s.",
        "",
        *result.stats.table(("chat", "feedback"), result.restart_window),
    ]
    lines += [
        "",
        f"Throughput while the server was up: {end.answers / up:.1f} answers/s, {end.ratings / up:.1f} "
        f"ratings/s ({end.answers} answers, {end.ratings} ratings in {result.elapsed:.1f} s, "
        f"{result.downtime:.1f} s of it down).",
        tally("At the kill", kill),
        tally("At the end", end),
        common.load_line(result.load),
    ]
    return "\n".join(lines)


def tally(when: str, v: Verification) -> str:
    return (
        f"{when}: {v.answers} answers received, {v.lost_answers} not logged; {v.ratings} ratings "
        f"acknowledged, {v.lost_ratings} lost, {v.duplicated_ratings} duplicated."
    )


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--labels", type=int, default=77, help="BANKING77 intents the model answers among")
    parser.add_argument("--feedback", type=float, default=0.3, help="share of answers a client rates")
    parser.add_argument("--kill-at", type=float, default=0.5, help="fraction of the run at which to SIGKILL")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-record", action="store_true", help="do not write BENCHMARKS.md")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    options = parse(argv)
    result = run(options)
    text = summary(result)
    print(text)
    if not options.no_record:
        words = [".venv/bin/python benchmarks/serve_load.py", *(sys.argv[1:] if argv is None else argv)]
        note = "Target: 0 received answers missing from the log and 0 acknowledged ratings lost."
        common.record(MARKER, " ".join(words), text, note)
    assert result.at_kill.ok and result.at_end.ok, "answered requests or acknowledged ratings were lost"


if __name__ == "__main__":
    main()
