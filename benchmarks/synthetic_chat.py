"""Synthetic chat rows for the check benchmarks: Zipf-distributed words, planted copies.

Every `copy_every`-th row is a near copy of an earlier row (one to three words substituted,
inserted or dropped) and every `exact_every`-th an exact copy, so the duplicate checks have real
work; the rest are independent. Deterministic for a seed.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import orjson

VOCAB = 20_000


def texts(n: int, seed: int = 0, copy_every: int = 10, exact_every: int = 50) -> list[str]:
    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(VOCAB)])
    lengths = rng.integers(8, 40, size=n)
    ids = rng.zipf(1.3, size=int(lengths.sum())) % VOCAB
    out: list[str] = []
    start = 0
    for i, length in enumerate(lengths):
        words = list(vocab[ids[start : start + length]])
        start += length
        if i and i % exact_every == 0:
            out.append(out[int(rng.integers(0, i))])
            continue
        if i and i % copy_every == 0:
            words = out[int(rng.integers(max(0, i - 1000), i))].split()
            for _ in range(int(rng.integers(1, 4))):
                at = int(rng.integers(0, len(words)))
                kind = int(rng.integers(0, 3))
                if kind == 0:
                    words[at] = str(vocab[int(rng.integers(0, VOCAB))])
                elif kind == 1:
                    words.insert(at, str(vocab[int(rng.integers(0, VOCAB))]))
                elif len(words) > 4:
                    del words[at]
        out.append(" ".join(words))
    return out


def write_chat_jsonl(path: Path, n: int, seed: int = 0) -> Path:
    """`n` chat rows: the `texts` as user turns, free-text answers of 5-20 words (the same text
    gets the same answer, so exact copies are whole-row copies)."""
    with path.open("wb") as fh:
        for text in texts(n, seed):
            pick = zlib.crc32(text.encode())
            answer = " ".join(f"a{(pick * (k + 1)) % VOCAB}" for k in range(5 + pick % 15))
            row = {"messages": [{"role": "user", "content": text}, {"role": "assistant", "content": answer}]}
            fh.write(orjson.dumps(row) + b"\n")
    return path
