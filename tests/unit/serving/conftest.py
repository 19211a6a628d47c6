"""A served run for the serving tests: a small BANKING77 project, a tiny model built for its
labels as the run's final model (no training: the tests check the server, not the model), and a
real uvicorn server on a free loopback port, in a thread, with one API key in the store."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from tests.conftest import TINY_SIZES, banking_rows, build_project
from tests.unit.annotate.conftest import store, store_url
from tuneloop.annotate.store import Store, open_store
from tuneloop.run_dir import phase_dir, update_record
from tuneloop.serving.keys import add_key
from tuneloop.serving.served import resolve_target
from tuneloop.serving.server import server_config
from tuneloop.spec import TinyModel, load_spec
from tuneloop.task_card import TaskCard
from tuneloop.train.base_model import build_tiny_model

LABELS = 3


def make_run(project: Path) -> Path:
    """runs/run-001 of `project`, recorded as trained, its final model a tiny one with the card."""
    spec = load_spec(project)
    run_dir = project / "runs" / "run-001"
    model_dir = phase_dir(run_dir, 2, "task") / "model"
    texts = [r["text"] for r in banking_rows(60, LABELS)]
    build_tiny_model(TinyModel(**TINY_SIZES), texts, model_dir, spec.label_names)
    TaskCard.from_spec(spec).save(model_dir)
    update_record(
        run_dir,
        project=str(project),
        spec=spec.model_dump(mode="json"),
        status="trained",
        final_model=str(model_dir),
    )
    return run_dir


@dataclass
class Served:
    url: str
    key: str
    run_dir: Path
    project: Path
    model: str
    store: Store


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    project = build_project(tmp_path_factory.mktemp("serving") / "project", rows=60, labels=LABELS)
    run_dir = make_run(project)
    store = open_store(load_spec(project).store_url)
    with store.begin() as session:
        _, token = add_key(session, "tests")
    target = resolve_target(run_dir)
    port = free_port()
    server = uvicorn.Server(server_config(target, "127.0.0.1", port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    yield Served(f"http://127.0.0.1:{port}/v1", token, run_dir, project, target.id, store)
    server.should_exit = True
    thread.join(10)
    store.close()


__all__ = ["store", "store_url"]
