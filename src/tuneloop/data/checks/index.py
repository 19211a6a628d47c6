"""The compact per-row index the whole-data checks share: where each row is, and its hashes.

Whole-data checks (duplicates, conflicting labels, leakage, balance) must compare every row with
every other, so something has to grow with the file. It is this: fixed-width numpy columns per
row (about 250 bytes with the LSH band keys and sketch), appended a shard at a time. Text is never kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tuneloop.data.minhash import _MASK, _POWERS, _mix

SPLIT_CODES = {"train": 0, "validation": 1, "test": 2, "unlabeled": 3, "general": 4}
SPLIT_NAMES = {code: name for name, code in SPLIT_CODES.items()}


def text_hashes(texts: Sequence[str]) -> np.ndarray:
    """A uint64 hash of each text, computed for a whole batch at once (no Python loop per text)."""
    if not texts:
        return np.zeros(0, dtype=np.uint64)
    lengths = np.fromiter((len(t.encode("utf-8", "surrogatepass")) for t in texts), np.int64, len(texts))
    buf = np.frombuffer("".join(texts).encode("utf-8", "surrogatepass"), dtype=np.uint8)
    n = len(buf)
    _POWERS.ensure(n + 1)
    with np.errstate(over="ignore"):
        prefix = np.zeros(n + 1, dtype=np.uint64)
        np.cumsum((buf.astype(np.uint64) + np.uint64(1)) * _POWERS.down[:n], dtype=np.uint64, out=prefix[1:])
        ends = np.cumsum(lengths)
        starts = ends - lengths
        last = np.maximum(ends - 1, 0)
        raw = _POWERS.up[last] * (prefix[ends] - prefix[starts])
        return _mix(raw ^ (lengths.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) & _MASK))


@dataclass
class IndexPart:
    """The index columns of one shard (made where the shard is scanned, merged by the driver)."""

    number: np.ndarray  # int64 row numbers
    file: np.ndarray  # int32 index into RowIndex.files
    line: np.ndarray  # int64 line (0 when unknown)
    split: np.ndarray  # int8 SPLIT_CODES
    row_id: np.ndarray  # uint64 content id
    input_hash: np.ndarray  # uint64 of the normalised input
    answer_hash: np.ndarray  # uint64 of the normalised answer
    words: np.ndarray  # int32 words in the input
    bands: np.ndarray  # (n, bands) uint64 LSH keys; rows without words are all-zero
    sketch: np.ndarray  # (n, permutations) uint8 b-bit MinHash, to verify LSH candidates


class RowIndex:
    def __init__(self) -> None:
        self.files: list[str] = []
        self._file_ids: dict[str, int] = {}
        self._parts: list[IndexPart] = []
        self._joined: IndexPart | None = None

    def file_id(self, name: str) -> int:
        if name not in self._file_ids:
            self._file_ids[name] = len(self.files)
            self.files.append(name)
        return self._file_ids[name]

    def add(self, part: IndexPart, files: list[str]) -> None:
        """`part.file` indexes `files` (the shard's own list); remapped to this index's."""
        mapping = np.array([self.file_id(f) for f in files] or [0], dtype=np.int32)
        part.file = mapping[part.file] if len(part.file) else part.file
        self._parts.append(part)
        self._joined = None

    @property
    def all(self) -> IndexPart:
        if self._joined is None:
            parts = self._parts
            if not parts:
                empty = np.zeros(0, dtype=np.int64)
                self._joined = IndexPart(
                    *(empty,) * 8, np.zeros((0, 1), dtype=np.uint64), np.zeros((0, 1), dtype=np.uint8)
                )
            else:
                self._joined = IndexPart(
                    *(np.concatenate([getattr(p, name) for p in parts]) for name in IndexPart.__annotations__)
                )
                self._parts = [self._joined]
        return self._joined

    def __len__(self) -> int:
        return len(self.all.number)

    def where(self, i: int) -> tuple[str, int | None]:
        """File and line of the row at position `i` of `all`."""
        line = int(self.all.line[i])
        return self.files[int(self.all.file[i])], (line or None)
