"""The web app under load and faults: simulated annotators over loopback, a SIGKILL mid-run.

    .venv/bin/python benchmarks/annotate_load.py [--seconds 60 --annotators 50 --items 100000]
        [--store-url URL] [--fresh-db] [--no-record]

Builds a BANKING77 project whose store holds `--items` generated items (overlap 2) and one account
per annotator, starts `tuneloop serve` as a subprocess, and lets `--annotators` simulated people
work through the JSON API for `--seconds`: sign in, fetch the next item, read it (a think time
drawn uniformly from `--think`, 0.3 to 2.0 s by default: people do not submit in a tight loop),
submit, and now and then (10%) undo the answer after a short pause. Half way through (once some
answer is acknowledged), the server is killed with SIGKILL and restarted, and the run goes on
for the time it was down; clients retry what failed with the same request id (submit
and undo are idempotent), as a browser resending a form would.

Checks, right after the kill and again at the end: every acknowledged submission is in the store
exactly once, every acknowledged undo is a retraction of it, no answer was withdrawn without an
undo being sent, nothing else superseded an answer, and no item has more than k answers. Latency
percentiles count only requests answered on their first try (requests that hit the dead server are
counted separately); p99 is also given without the restart window (the kill until 5 s after the
server is back), when every client retries at once against a cold process. Results go to
BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
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
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from load_common import (
    Deadline,
    Latencies,
    after_work,
    free_port,
    kill_and_restart,
    load_line,
    record,
    start_tuneloop,
    wait_ready,
)
from rich.progress import Progress
from ruamel.yaml import YAML
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from tuneloop.annotate.project import operator, project_store, publish_spec_guidelines, task_schema
from tuneloop.annotate.store import add_user, import_external_items
from tuneloop.annotate.store.accounts import set_password
from tuneloop.annotate.store.items import ExternalItem
from tuneloop.annotate.store.models import Annotation, Assignment, Item
from tuneloop.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "banking77"
PASSWORD = "load-test-password"
MARKER = "## Web app under load: simulated annotators, SIGKILL mid-run"
UNDO_RATE = 0.10
CHUNK = 5_000


@dataclass
class Ack:
    user: str
    request_id: str
    annotation_id: int
    item_id: int
    undo_sent: bool = False  # an undo may have reached the store before its answer was lost
    undone: bool = False


@dataclass
class Stats(Latencies):
    refused: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    acks: list[Ack] = field(default_factory=list)


@dataclass(frozen=True)
class Verification:
    acknowledged: int
    undone: int
    lost: int
    duplicated: int
    wrongly_superseded: int
    items_over_k: int

    @property
    def ok(self) -> bool:
        return self.lost == self.duplicated == self.wrongly_superseded == self.items_over_k == 0


@dataclass
class LoadResult:
    options: argparse.Namespace
    stats: Stats
    at_kill: Verification
    at_end: Verification
    downtime: float
    elapsed: float
    restart_window: tuple[float, float]  # from the kill to 5 s after the server is back
    load: tuple[float, float]  # the machine's 1-minute load average at the start and the end


# --- setting up ---------------------------------------------------------------------------------


def make_project(folder: Path, store_url: str | None, items: int, annotators: int) -> Path:
    """The BANKING77 example with the store at `store_url`, `items` items and the accounts."""
    project = folder / "project"
    shutil.copytree(EXAMPLE, project)
    yaml = YAML()
    spec_file = project / "tuneloop.yaml"
    data = yaml.load(spec_file.read_text())
    data["annotation"] = {"overlap": 2} | ({"store_url": store_url} if store_url else {})
    with spec_file.open("w") as fh:
        yaml.dump(data, fh)
    spec = load_spec(project)
    store = project_store(spec)
    rng = random.Random(0)
    words = ["card", "arrived", "late", "charge", "exchange", "rate", "top", "up", "transfer", "pending"]
    with Progress(transient=True) as bar, store.begin() as session:
        task = bar.add_task(f"{items:,} items, {annotators} accounts", total=items + annotators)
        by = operator(session)
        publish_spec_guidelines(session, spec, by)
        schema = task_schema(session, spec, by)
        for start in range(0, items, CHUNK):
            batch = [
                ExternalItem(f"load:{i}", " ".join(rng.choices(words, k=12)))
                for i in range(start, min(start + CHUNK, items))
            ]
            import_external_items(session, batch, schema, by=by, source="load benchmark")
            bar.advance(task, len(batch))
        for n in range(annotators):
            set_password(session, add_user(session, f"annotator{n:03d}", by=by), PASSWORD, by=by)
            bar.advance(task)
    store.close()
    return project


@contextmanager
def fresh_database(url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on the server of `url`, dropped afterwards."""
    server = make_url(url)
    name = f"tuneloop_load_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def start_server(project: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    return start_tuneloop(["serve", str(project), "--port", str(port)], log)


# --- the simulated annotators -------------------------------------------------------------------


class Annotator:
    """One person: a cookie jar, a CSRF token, and the loop of next → read → submit (→ undo)."""

    def __init__(self, n: int, base: str, stats: Stats, think: tuple[float, float], seed: int) -> None:
        self.name = f"annotator{n:03d}"
        self.client = httpx.AsyncClient(base_url=base, timeout=60.0)
        self.stats, self.think, self.rng = stats, think, random.Random(seed + n)
        self.csrf = ""

    async def call(self, kind: str, send: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
        """Send until the server answers; every request here is idempotent, so a retry is safe."""
        return await self.stats.timed(kind, send, (httpx.TransportError,))

    async def login(self) -> None:
        page = await self.call("login_form", lambda: self.client.get("/login"))
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        form = {"name": self.name, "password": PASSWORD, "csrf_token": token}
        response = await self.call("login", lambda: self.client.post("/login", data=form))
        if response.status_code != 303:
            raise RuntimeError(f"{self.name} could not sign in: {response.status_code} {response.text[:200]}")

    async def post(self, kind: str, path: str, body: dict[str, Any]) -> httpx.Response:
        headers = {"X-CSRF-Token": self.csrf}
        return await self.call(kind, lambda: self.client.post(path, json=body, headers=headers))

    async def work(self, deadline: Deadline, arrival: float) -> None:
        await asyncio.sleep(arrival)  # people sign in over the first seconds, not all in one
        await self.login()
        while not deadline.passed():
            step = await self.call("next", lambda: self.client.get("/api/next"))
            step.raise_for_status()
            data = step.json()
            self.csrf = data["csrf_token"]
            if data["item"] is None:
                return
            await asyncio.sleep(self.rng.uniform(*self.think))
            label = self.rng.choice(data["item"]["labels"][:5])
            body = {"item_id": data["item"]["id"], "label": label, "request_id": uuid.uuid4().hex}
            answer = await self.post("submit", "/api/submit", body)
            answer.raise_for_status()
            ack = Ack(self.name, body["request_id"], answer.json()["annotation_id"], body["item_id"])
            self.stats.acks.append(ack)
            if self.rng.random() < UNDO_RATE:
                await asyncio.sleep(self.rng.uniform(0.2, 0.6))
                ack.undo_sent = True
                undone = await self.post("undo", "/api/undo", {"annotation_id": ack.annotation_id})
                if undone.status_code == 200:
                    ack.undone = True
                elif undone.status_code == 409:  # the other annotator closed the item meanwhile
                    self.stats.refused["undo"] += 1
                else:
                    undone.raise_for_status()

    async def close(self) -> None:
        await self.client.aclose()


# --- checking the store -------------------------------------------------------------------------


def verify(project: Path, acks: list[Ack]) -> Verification:
    """Every acknowledged answer stored exactly once; withdrawn if its undo was acknowledged, and
    only if an undo was sent (one whose answer the kill swallowed may have committed)."""
    store = project_store(load_spec(project))
    by_request = {a.request_id: a for a in acks}
    found: dict[str, int] = defaultdict(int)
    rows: dict[str, tuple[int, bool, bool]] = {}
    ids = list(by_request)
    with store.begin() as session:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for row in session.scalars(select(Annotation).where(Annotation.request_id.in_(chunk))):
                found[row.request_id or ""] += 1
                successor = session.scalar(select(Annotation).where(Annotation.supersedes_id == row.id))
                rows[row.request_id or ""] = (
                    row.id,
                    successor is not None and successor.retracted,
                    successor is not None
                    and not successor.retracted
                    and successor.author_id != row.annotator_id,
                )
        answers_per_item = (
            select(func.count(Assignment.id))
            .where(Assignment.submitted_at.is_not(None))
            .group_by(Assignment.item_id)
            .having(func.count(Assignment.id) > select(func.max(Item.overlap)).scalar_subquery())
        )
        over_k = len(list(session.scalars(answers_per_item)))
    store.close()
    lost = sum(1 for r in ids if found.get(r, 0) == 0)
    duplicated = sum(1 for r in ids if found.get(r, 0) > 1)
    wrong = sum(
        1
        for r, (row_id, retracted, corrected) in rows.items()
        if row_id != by_request[r].annotation_id
        or (by_request[r].undone and not retracted)
        or (retracted and not by_request[r].undo_sent)
        or corrected
    )
    return Verification(len(acks), sum(a.undone for a in acks), lost, duplicated, wrong, over_k)


# --- the run --------------------------------------------------------------------------------------


async def drive(options: argparse.Namespace, project: Path, log: Path) -> LoadResult:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(project, port, log)
    await wait_ready(base, "/login")
    stats = Stats()
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    deadline = Deadline(started + options.seconds)
    people = [
        Annotator(n, base, stats, (options.think_min, options.think_max), options.seed)
        for n in range(options.annotators)
    ]
    spread, rng = min(10.0, options.seconds * 0.2), random.Random(options.seed)
    workers = [asyncio.create_task(p.work(deadline, rng.uniform(0, spread))) for p in people]
    await after_work(options.seconds * options.kill_at, lambda: len(stats.acks))
    server, (killed, downtime), at_kill = await kill_and_restart(
        server,
        lambda: start_server(project, port, log),
        lambda: wait_ready(base, "/login"),
        lambda: verify(project, list(stats.acks)),
        deadline,
    )
    try:
        await asyncio.gather(*workers)
    finally:
        for p in people:
            await p.close()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    elapsed = time.monotonic() - started
    window = (killed, killed + downtime + 5.0)
    load = (load_before, os.getloadavg()[0])
    return LoadResult(options, stats, at_kill, verify(project, stats.acks), downtime, elapsed, window, load)


def run(options: argparse.Namespace) -> LoadResult:
    with tempfile.TemporaryDirectory(prefix="tuneloop-load-") as scratch:
        folder = Path(scratch)
        log = folder / "server.log"
        if options.fresh_db and options.store_url:
            with fresh_database(options.store_url) as url:
                project = make_project(folder, url, options.items, options.annotators)
                return asyncio.run(drive(options, project, log))
        project = make_project(folder, options.store_url, options.items, options.annotators)
        try:
            return asyncio.run(drive(options, project, log))
        except Exception:
            if log.is_file():
                sys.stderr.write(log.read_text()[-4000:])
            raise


def summary(result: LoadResult) -> str:
    o = result.options
    engine = make_url(o.store_url).get_backend_name() if o.store_url else "sqlite"
    lines = [
        f"{o.annotators} annotators, {o.items:,} items, {o.seconds:.0f} s on {engine}; think time "
        f"{o.think_min}-{o.think_max} s before each submit, undo {UNDO_RATE:.0%} of answers after 0.2-0.6 s; "
        f"SIGKILL at {o.kill_at:.0%} of the run, back in {result.downtime:.1f} s.",
        "",
        *result.stats.table(("login", "next", "submit", "undo"), result.restart_window),
    ]
    answered = sum(len(v) for k, v in result.stats.latencies.items())
    end, kill = result.at_end, result.at_kill
    lines += [
        "",
        f"Throughput: {end.acknowledged / result.elapsed:.1f} acknowledged submissions/s, "
        f"{answered / result.elapsed:.1f} requests/s ({end.acknowledged} submissions, {end.undone} undone, "
        f"{result.stats.refused.get('undo', 0)} undos refused because the item had closed).",
        f"At the kill: {kill.acknowledged} acknowledged, lost {kill.lost}, duplicated {kill.duplicated}, "
        f"wrongly superseded {kill.wrongly_superseded}, items over k {kill.items_over_k}.",
        f"At the end: {end.acknowledged} acknowledged, lost {end.lost}, duplicated {end.duplicated}, "
        f"wrongly superseded {end.wrongly_superseded}, items over k {end.items_over_k}.",
        load_line(result.load),
    ]
    return "\n".join(lines)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--annotators", type=int, default=50)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--store-url", default=None, help="default: SQLite in the temporary project")
    parser.add_argument(
        "--fresh-db", action="store_true", help="make (and drop) a new database on --store-url"
    )
    parser.add_argument("--think-min", type=float, default=0.3)
    parser.add_argument("--think-max", type=float, default=2.0)
    parser.add_argument("--kill-at", type=float, default=0.5, help="fraction of the run at which to SIGKILL")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-record", action="store_true", help="do not write BENCHMARKS.md")
    return parser.parse_args(argv)


def command(argv: list[str] | None) -> str:
    """The command line of this run, with any password in a store URL hidden."""
    words = list(sys.argv[1:] if argv is None else argv)
    for i, word in enumerate(words):
        if "://" in word:
            words[i] = make_url(word).render_as_string(hide_password=True)
    return " ".join([".venv/bin/python benchmarks/annotate_load.py", *words])


def main(argv: list[str] | None = None) -> None:
    options = parse(argv)
    result = run(options)
    text_ = summary(result)
    print(text_)
    if not options.no_record:
        engine = make_url(options.store_url).get_backend_name() if options.store_url else "sqlite"
        note = "Target: p99 < 100 ms on both engines for next/submit/undo, zero lost."
        record(f"{MARKER} ({engine})", command(argv), text_, note)
    assert result.at_kill.ok and result.at_end.ok, "acknowledged annotations were lost or duplicated"


if __name__ == "__main__":
    main()
