"""`tuneloop check` on a million chat rows, and near-duplicate detection against datasketch.

    .venv/bin/python benchmarks/check_throughput.py [--rows 1000000] [--peer-rows 200000]

1. Throughput: writes ROWS synthetic chat rows (`synthetic_chat.py`: Zipf words, a tenth of them
   near copies and a fiftieth exact copies of earlier rows) to a temporary JSONL file and runs
   `check_files` on it in a child process, which reports its wall time; the child's peak resident
   memory comes from `getrusage`. Every check runs, dedup included (relevance skips itself: the
   answers are free text).
2. Peer: near duplicates of the first PEER_ROWS inputs with tuneloop's vectorised MinHash + LSH and
   with `datasketch.MinHashLSH` (`MinHash.bulk`, its fastest path, then insert and query), both
   on the same shingles (word 3-grams of the normalised input), threshold 0.8 and 128 permutations;
   datasketch picks the bands, tuneloop uses the same (`optimal_bands`).
3. Quality: on a SAMPLE-row slice both run again, and their pairs are compared with the pairs whose
   exact Jaccard similarity is at least the threshold: precision and recall. tuneloop is shown twice:
   LSH candidates alone (what datasketch returns) and after its 8-bit sketch verification (what
   `check` reports).

Results go to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from itertools import combinations
from pathlib import Path

import datasketch
import numpy as np
import orjson
from results import replace_section
from synthetic_chat import texts, write_chat_jsonl

from tuneloop.data.minhash import (
    MinHasher,
    band_keys_of,
    candidate_pairs,
    estimated_jaccard,
    optimal_bands,
    sketch_of,
)
from tuneloop.data.normalise import dedup_text

MARKER = "## Data checks: throughput and near duplicates vs datasketch"
THRESHOLD, PERMUTATIONS, NGRAM = 0.8, 128, 3
SAMPLE = 4000
CHILD = """
import sys, time, orjson
from pathlib import Path
from tuneloop.data.check_report import check_files
began = time.perf_counter()
report = check_files([Path(sys.argv[1])])
seconds = time.perf_counter() - began
print(orjson.dumps({"seconds": seconds, "counts": report["counts"],
                    "by_code": report["findings_summary"]["by_code"]}).decode())
"""


def shingles(text: str) -> set[str]:
    words = text.split()
    return {" ".join(words[i : i + NGRAM]) for i in range(max(len(words) - NGRAM + 1, 1))} if words else set()


def throughput(rows: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        path = write_chat_jsonl(Path(tmp) / "chat.jsonl", rows)
        size = path.stat().st_size
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(path)], check=True, capture_output=True, text=True
        )
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = orjson.loads(done.stdout.strip().splitlines()[-1])
    return {**result, "peak_mib": peak_kib / 1024, "file_mib": size / 2**20}


def tuneloop_pairs(normalised: list[str], verify: bool) -> tuple[set[tuple[int, int]], float]:
    began = time.perf_counter()
    signatures = MinHasher(PERMUTATIONS, NGRAM).signatures(normalised, normalised=True)
    pairs = candidate_pairs(band_keys_of(signatures, THRESHOLD))
    if verify:
        sketches = sketch_of(signatures)
        pairs = pairs[estimated_jaccard(sketches[pairs[:, 0]], sketches[pairs[:, 1]]) >= THRESHOLD]
    seconds = time.perf_counter() - began
    return {(int(a), int(b)) for a, b in pairs}, seconds


def datasketch_pairs(normalised: list[str]) -> tuple[set[tuple[int, int]], float]:
    began = time.perf_counter()
    sets = [[s.encode() for s in shingles(t)] or [b""] for t in normalised]
    minhashes = datasketch.MinHash.bulk(sets, num_perm=PERMUTATIONS)
    lsh = datasketch.MinHashLSH(threshold=THRESHOLD, num_perm=PERMUTATIONS)
    for i, m in enumerate(minhashes):
        if sets[i] != [b""]:
            lsh.insert(i, m)
    pairs = set()
    for i, m in enumerate(minhashes):
        if sets[i] != [b""]:
            pairs.update((min(i, j), max(i, j)) for j in lsh.query(m) if j != i)
    seconds = time.perf_counter() - began
    return pairs, seconds


def exact_pairs(normalised: list[str]) -> set[tuple[int, int]]:
    sets = [shingles(t) for t in normalised]
    return {
        (i, j)
        for i, j in combinations(range(len(sets)), 2)
        if sets[i] and sets[j] and len(sets[i] & sets[j]) / len(sets[i] | sets[j]) >= THRESHOLD
    }


def precision_recall(found: set[tuple[int, int]], truth: set[tuple[int, int]]) -> tuple[float, float]:
    hits = len(found & truth)
    return hits / max(len(found), 1), hits / max(len(truth), 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--peer-rows", type=int, default=200_000)
    args = parser.parse_args()

    check = throughput(args.rows)
    print(f"check: {check}", file=sys.stderr)

    peer_texts = [dedup_text(t) for t in texts(args.peer_rows, seed=7)]
    ours, ours_s = tuneloop_pairs(peer_texts, verify=True)
    theirs, theirs_s = datasketch_pairs(peer_texts)
    print(
        f"peer: tuneloop {ours_s:.1f}s {len(ours)} pairs, datasketch {theirs_s:.1f}s {len(theirs)}",
        file=sys.stderr,
    )

    sample = [dedup_text(t) for t in texts(SAMPLE, seed=11, copy_every=4)]
    truth = exact_pairs(sample)
    scored = {
        "tuneloop, LSH candidates": precision_recall(tuneloop_pairs(sample, verify=False)[0], truth),
        "tuneloop, verified (check)": precision_recall(tuneloop_pairs(sample, verify=True)[0], truth),
        "datasketch MinHashLSH": precision_recall(datasketch_pairs(sample)[0], truth),
    }
    bands, rows_per_band = optimal_bands(THRESHOLD, PERMUTATIONS)
    n = check["counts"]["read"]
    command = (
        f"`.venv/bin/python benchmarks/check_throughput.py --rows {args.rows} --peer-rows {args.peer_rows}`"
    )
    lines = [
        f"{MARKER} — {date.today().isoformat()}",
        "",
        f"{platform.machine()}, {os.cpu_count()} CPU cores (shared), Python {platform.python_version()}, "
        f"numpy {np.__version__}, datasketch {datasketch.__version__}. Command: {command}.",
        "",
        f"`tuneloop check` on {n:,} synthetic chat rows ({check['file_mib']:.0f} MiB of JSONL, a tenth near "
        "copies, a fiftieth exact copies), every check including near-duplicate detection; the file is "
        "parsed and scanned on every core:",
        "",
        "| rows | wall time | rows/s | peak memory (RSS) | target |",
        "| --- | --- | --- | --- | --- |",
        f"| {n:,} | {check['seconds']:.1f} s | {n / check['seconds']:,.0f} | {check['peak_mib']:,.0f} MiB "
        "| ≤ 60 s |",
        "",
        "Findings: " + ", ".join(f"{code} {k:,}" for code, k in check["by_code"].items()) + ".",
        "",
        f"Near duplicates of {args.peer_rows:,} inputs, word {NGRAM}-grams, threshold {THRESHOLD}, "
        f"{PERMUTATIONS} permutations, {bands} bands of {rows_per_band} rows (both):",
        "",
        "| implementation | wall time | pairs |",
        "| --- | --- | --- |",
        f"| tuneloop (numpy MinHash, LSH, sketch verification) | {ours_s:.1f} s | {len(ours):,} |",
        f"| datasketch `MinHash.bulk` + `MinHashLSH` insert and query | {theirs_s:.1f} s | {len(theirs):,} |",
        "",
        f"Ratio datasketch / tuneloop wall time: **{theirs_s / ours_s:.1f}x** (goal ≥ 3x).",
        "",
        f"Against exact Jaccard ≥ {THRESHOLD} on a {SAMPLE:,}-row sample with a quarter near copies "
        f"({len(truth):,} true pairs):",
        "",
        "| method | precision | recall |",
        "| --- | --- | --- |",
        *(f"| {name} | {p:.3f} | {r:.3f} |" for name, (p, r) in scored.items()),
    ]
    section = "\n".join(lines) + "\n"
    replace_section(MARKER, section)
    print(section)


if __name__ == "__main__":
    main()
