"""SIMULATED users of a served round, for `make demo`: an application talks to `tuneloop serve-model`
through the official `openai` client, as a real one would, and its users rate some answers.

    .venv/bin/python scripts/simulated_users.py demo-project/runs/run-001 --traffic steady
    .venv/bin/python scripts/simulated_users.py demo-project/runs/run-001 --traffic shifted

The script starts the server on a free loopback port, waits for `/health`, sends `--requests`
messages of the run's held-out test split (rows the model never trained on), and stops the server.
`steady` traffic draws them at random, so it looks like training; `shifted` draws only messages
whose true label names a card (`card_arrival`, `lost_or_stolen_card`, ...): what a product
launch or an outage does to a support queue. Each user rates `--rated` of the answers: up when
the answer is the true label, down otherwise, and a `--corrections` share of the downs sends
the true label as a correction (a suggestion for people in the next round, never gold by itself).

Every request and rating lands in the project's store through the server, so `tuneloop monitor`
and `tuneloop round next` see them exactly as they would see a real application's traffic.
"""

from __future__ import annotations

import argparse
import random
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import openai

from tuneloop.data.example import Example
from tuneloop.data.version import DatasetVersion
from tuneloop.run_dir import data_dir

START_TIMEOUT_S = 180  # loading the model and the store; SmolLM2 from disk takes longest


def main() -> None:
    args = parse_args()
    rows = traffic(DatasetVersion.load(data_dir(args.run)).split("test"), args.traffic)
    rng = random.Random(f"{args.seed}:{args.traffic}")
    sample = rng.sample(rows, min(args.requests, len(rows)))
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "tuneloop", "serve-model", str(args.run), "--port", str(port)],
        stdout=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/v1"
        wait_until_healthy(url, server)
        client = openai.OpenAI(base_url=url, api_key=args.api_key, max_retries=2, timeout=120)
        tally = converse(client, sample, rng, args.rated, args.corrections)
    finally:
        server.terminate()
        server.wait(timeout=60)
    print(
        f"SIMULATED users, {args.traffic} traffic: {tally['requests']} requests, "
        f"{tally['right']} answered with the true label ({tally['right'] / max(tally['requests'], 1):.1%}); "
        f"feedback {tally['up']} up, {tally['down']} down, {tally['corrections']} with a correction"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="the run directory to serve (its final model)")
    parser.add_argument("--traffic", choices=("steady", "shifted"), default="steady")
    parser.add_argument("--requests", type=int, default=150)
    parser.add_argument("--rated", type=float, default=0.6, help="share of answers a user rates")
    parser.add_argument("--corrections", type=float, default=0.5, help="share of downs with a correction")
    parser.add_argument("--api-key", default="no-key", help="a `tuneloop keys add` key")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def traffic(test: list[Example], kind: str) -> list[tuple[str, str]]:
    """(message, true label) pairs of the held-out split; `shifted` keeps the card intents only."""
    pairs = [(e.text, str(e.label)) for e in test if e.label is not None]
    if kind == "shifted":
        pairs = [(text, label) for text, label in pairs if "card" in label]
    if not pairs:
        raise SystemExit(f"error: the run's test split has no labelled rows for {kind} traffic")
    return pairs


def converse(
    client: openai.OpenAI, sample: list[tuple[str, str]], rng: random.Random, rated: float, corrections: float
) -> Counter[str]:
    """Ask every message, then rate a share of the answers; returns what happened, counted."""
    model = client.models.list().data[0].id
    tally: Counter[str] = Counter()
    for text, label in sample:
        reply = client.chat.completions.create(model=model, messages=[{"role": "user", "content": text}])
        answer = (reply.choices[0].message.content or "").strip()
        tally["requests"] += 1
        tally["right"] += answer == label
        if rng.random() >= rated:
            continue
        body: dict[str, object] = {"response_id": reply.id, "rating": "up" if answer == label else "down"}
        if answer != label and rng.random() < corrections:
            body["correction"] = label
            tally["corrections"] += 1
        client.post("/feedback", cast_to=httpx.Response, body=body, options={"idempotency_key": reply.id})
        tally[str(body["rating"])] += 1
    return tally


def wait_until_healthy(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"error: tuneloop serve-model exited ({server.returncode}) before /health")
        try:
            if httpx.get(f"{url.removesuffix('/v1')}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"error: tuneloop serve-model was not healthy within {START_TIMEOUT_S} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


if __name__ == "__main__":
    main()
