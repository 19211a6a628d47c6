"""MinHash signatures and an LSH index for near-duplicate detection, vectorised with numpy.

The same estimator as `datasketch.MinHashLSH` (Broder's MinHash, banded LSH with the bands and
rows datasketch would choose for the threshold), computed a batch of texts at a time instead of a
shingle at a time in Python:

1. Each text is normalised (`normalise.dedup_text`) and joined into one byte buffer; every word's
   hash is a polynomial hash over its bytes, read off one prefix sum (the modular inverse of the
   base makes a substring's hash `P^(end-1) * (S[end] - S[start])` mod 2^64), so no Python loop
   runs per word.
2. A shingle is `ngram` consecutive words of one text; its hash combines the word hashes with
   fixed odd multipliers. A text with fewer words is one shingle.
3. Each of the `permutations` hash functions is a multiply-add-shift map `(a*x + b) >> 32` on the
   32-bit shingle hash (a 2-independent family; one multiply, add and shift per element in uint64,
   where "mod a prime" would need 128-bit products), and `np.minimum.reduceat` takes the minimum
   per text.
4. Bands of `rows` signature values are hashed to one uint64 key each; rows sharing a key in any
   band are candidates. `check` then verifies each candidate pair on an 8-bit sketch of the
   signatures (b-bit MinHash) and joins the pairs at or above the threshold with a union-find.

Per row, `check` keeps `bands` uint64 keys and `permutations` bytes of sketch (72 + 128 bytes at
the defaults): with the row locators, the only structure that grows with the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from tuneloop.data.normalise import dedup_text

_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)
_BASE = np.uint64(0x100000001B3)  # odd, so it has an inverse mod 2^64
_BASE_INV = np.uint64(pow(int(_BASE), -1, 2**64))
_WORD_MIX = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD,
     0xC4CEB9FE1A85EC53, 0x94D049BB133111EB, 0xBF58476D1CE4E5B9],
    dtype=np.uint64,
)  # fmt: skip


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads the bits of a uint64 hash."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


class _Powers:
    """P^i and P^-i mod 2^64 for i up to the longest buffer seen, grown on demand."""

    def __init__(self) -> None:
        self.up = np.ones(1, dtype=np.uint64)
        self.down = np.ones(1, dtype=np.uint64)

    def ensure(self, n: int) -> None:
        if len(self.up) >= n:
            return
        size = max(n, 2 * len(self.up))
        with np.errstate(over="ignore"):
            self.up = np.cumprod(np.full(size, _BASE, dtype=np.uint64), dtype=np.uint64) * _BASE_INV
            self.down = np.cumprod(np.full(size, _BASE_INV, dtype=np.uint64), dtype=np.uint64) * _BASE


_POWERS = _Powers()


def shingle_hashes(texts: Sequence[str], ngram: int) -> tuple[np.ndarray, np.ndarray]:
    """32-bit hashes of every text's word n-grams, and the index of each text's first shingle.

    `texts` are normalised already (`dedup_text`: words separated by single spaces, no newline).
    Texts are laid out one after another; `starts[i] == starts[i+1]` when text i has no words.
    """
    joined = "\n".join(texts) + "\n"
    buf = np.frombuffer(joined.encode("utf-8", errors="surrogatepass"), dtype=np.uint8)
    n = len(buf)
    _POWERS.ensure(n + 1)
    is_sep = (buf == 32) | (buf == 10)
    with np.errstate(over="ignore"):
        weighted = (buf.astype(np.uint64) + np.uint64(1)) * _POWERS.down[:n]
        prefix = np.zeros(n + 1, dtype=np.uint64)
        np.cumsum(weighted, dtype=np.uint64, out=prefix[1:])
    edges = np.diff(np.concatenate(([True], is_sep, [True])).astype(np.int8))
    word_start = np.flatnonzero(edges == -1)
    word_end = np.flatnonzero(edges == 1)
    newline = np.flatnonzero(buf == 10)
    text_of_word = np.searchsorted(newline, word_start)
    with np.errstate(over="ignore"):
        words = _mix(_POWERS.up[word_end - 1] * (prefix[word_end] - prefix[word_start]))
    n_words = len(words)
    shingles = np.zeros(n_words, dtype=np.uint64)
    complete = np.ones(n_words, dtype=bool)
    with np.errstate(over="ignore"):
        for t in range(ngram):
            same = np.zeros(n_words, dtype=bool)
            same[: n_words - t] = text_of_word[t:] == text_of_word[: n_words - t]
            part = np.zeros(n_words, dtype=np.uint64)
            part[: n_words - t] = words[t:] * _WORD_MIX[t % len(_WORD_MIX)]
            shingles += np.where(same, part, np.uint64(0))
            complete &= same
    first_of_text = np.ones(n_words, dtype=bool)
    first_of_text[1:] = text_of_word[1:] != text_of_word[:-1]
    words_per_text = np.bincount(text_of_word, minlength=len(texts))
    short = words_per_text[text_of_word] < ngram
    keep = complete | (first_of_text & short)
    hashes = (_mix(shingles[keep]) >> np.uint64(32)).astype(np.uint64)
    per_text = np.bincount(text_of_word[keep], minlength=len(texts))
    starts = np.concatenate(([0], np.cumsum(per_text)[:-1])).astype(np.int64)
    return hashes, starts


@dataclass(frozen=True)
class MinHasher:
    """`permutations` seeded multiply-add-shift hash functions; the same seed gives the same
    signatures in every process (a Ray worker, a second run)."""

    permutations: int = 128
    ngram: int = 5
    seed: int = 1
    a: np.ndarray = field(init=False, repr=False)
    b: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        rng = np.random.default_rng(self.seed)
        a = rng.integers(1, 2**63, size=self.permutations, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        object.__setattr__(self, "a", a[:, None])
        object.__setattr__(
            self, "b", rng.integers(0, 2**63, size=self.permutations, dtype=np.uint64)[:, None]
        )

    def signatures(
        self, texts: Sequence[str], normalised: bool = False, batch_shingles: int = 4096
    ) -> np.ndarray:
        """(len(texts), permutations) uint32 signatures; a text without words gets all 0xFFFFFFFF.

        Shingles go through in slices of about `batch_shingles` (whole texts), computed in place
        in one buffer: small enough to stay in cache, which makes this several times faster."""
        hashes, starts = shingle_hashes(texts if normalised else [dedup_text(t) for t in texts], self.ngram)
        out = np.full((len(texts), self.permutations), 0xFFFFFFFF, dtype=np.uint32)
        counts = np.diff(np.concatenate((starts, [len(hashes)])))
        has = np.flatnonzero(counts > 0)
        before = np.cumsum(counts[has]) - counts[has]
        cuts = np.flatnonzero(np.diff(before // batch_shingles)) + 1
        buffer = np.empty((self.permutations, batch_shingles + int(counts.max(initial=0))), dtype=np.uint64)
        shift = np.uint64(32)
        for chosen in np.split(has, cuts):
            if not len(chosen):
                continue
            first = int(starts[chosen[0]])
            last = int(starts[chosen[-1]] + counts[chosen[-1]])
            values = buffer[:, : last - first]
            np.multiply(self.a, hashes[first:last], out=values)
            np.add(values, self.b, out=values)
            np.right_shift(values, shift, out=values)
            out[chosen] = np.minimum.reduceat(values, starts[chosen] - first, axis=1).T
        return out


@lru_cache(maxsize=16)
def optimal_bands(threshold: float, permutations: int) -> tuple[int, int]:
    """The (bands, rows) datasketch's MinHashLSH picks: least false-positive plus false-negative
    probability mass (weights 0.5 each), so both libraries run the same banding."""
    grid = np.linspace(0.0, 1.0, 2001)
    best, best_error = (1, permutations), float("inf")
    for bands in range(1, permutations + 1):
        for rows in range(1, permutations // bands + 1):
            curve = 1 - (1 - grid**rows) ** bands
            below, above = grid <= threshold, grid >= threshold
            false_pos = np.trapezoid(curve[below], grid[below])
            false_neg = np.trapezoid(1 - curve[above], grid[above])
            error = float(0.5 * false_pos + 0.5 * false_neg)
            if error < best_error:
                best, best_error = (bands, rows), error
    return best


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n, bands) uint64: one hash per band of `rows` signature values."""
    sig = signatures[:, : bands * rows].astype(np.uint64).reshape(len(signatures), bands, rows)
    with np.errstate(over="ignore"):
        keys = np.zeros((len(signatures), bands), dtype=np.uint64)
        for r in range(rows):
            keys = _mix(keys ^ (sig[:, :, r] * _WORD_MIX[r % len(_WORD_MIX)] + np.uint64(r)))
    return keys


def band_keys_of(signatures: np.ndarray, threshold: float) -> np.ndarray:
    """Band keys with datasketch's banding for `threshold`; all-zero for rows without words."""
    bands, rows = optimal_bands(threshold, signatures.shape[1])
    keys = band_keys(signatures, bands, rows)
    keys[signatures.min(axis=1) == 0xFFFFFFFF] = 0
    return keys


class LSHIndex:
    """Band keys of every row added, and the clusters of rows that share any band."""

    def __init__(self, threshold: float, permutations: int) -> None:
        self.threshold = threshold
        self.bands, self.rows = optimal_bands(threshold, permutations)
        self._keys: list[np.ndarray] = []
        self._ids: list[np.ndarray] = []

    def add(self, ids: np.ndarray, signatures: np.ndarray) -> None:
        """`ids` are the caller's row numbers."""
        self.add_keys(ids, band_keys_of(signatures, self.threshold))

    def add_keys(self, ids: np.ndarray, keys: np.ndarray) -> None:
        self._keys.append(keys)
        self._ids.append(np.asarray(ids, dtype=np.int64))

    def clusters(self) -> list[np.ndarray]:
        """Rows connected by a shared band (candidates, unverified: what datasketch returns)."""
        if not self._ids:
            return []
        return clusters_of(np.concatenate(self._ids), np.concatenate(self._keys))


def sketch_of(signatures: np.ndarray) -> np.ndarray:
    """The lowest 8 bits of each signature value (b-bit MinHash, Li and König): a quarter of the
    memory, still enough to estimate the Jaccard similarity of a candidate pair."""
    return (signatures & 0xFF).astype(np.uint8)


def estimated_jaccard(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Jaccard similarity from 8-bit sketches, row by row: P(match) = J + (1 - J) / 256."""
    agree = (a == b).mean(axis=1)
    return np.clip((agree - 1 / 256) / (1 - 1 / 256), 0.0, 1.0)


def candidate_pairs(keys: np.ndarray) -> np.ndarray:
    """(pairs, 2) positions of rows that share a band key, each pair once; rows with all-zero keys
    (no words) pair with none."""
    found = []
    for band in range(keys.shape[1] if len(keys) else 0):
        order = np.argsort(keys[:, band], kind="stable")
        sorted_keys = keys[order, band]
        same = np.flatnonzero((sorted_keys[1:] == sorted_keys[:-1]) & (sorted_keys[1:] != 0))
        found.append(np.stack((order[same], order[same + 1]), axis=1))
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.sort(np.concatenate(found), axis=1)
    return np.unique(pairs, axis=0) if len(pairs) else pairs


def clusters_of(
    ids: np.ndarray, keys: np.ndarray, sketches: np.ndarray | None = None, threshold: float = 0.0
) -> list[np.ndarray]:
    """Groups (of two or more ids, sorted) of rows connected by a shared band key and, with
    `sketches`, an estimated Jaccard similarity of at least `threshold` (LSH alone lets through
    some pairs well below the threshold; checking them is what keeps near-duplicate findings precise)."""
    pairs = candidate_pairs(keys)
    if sketches is not None and len(pairs):
        pairs = pairs[estimated_jaccard(sketches[pairs[:, 0]], sketches[pairs[:, 1]]) >= threshold]
    parent = np.arange(len(ids))
    for a, b in pairs.tolist():  # only candidate pairs reach Python
        _union(parent, a, b)
    groups: dict[int, list[int]] = {}
    for i in sorted(set(pairs.ravel().tolist())):
        groups.setdefault(_find(parent, i), []).append(i)
    return [np.sort(ids[members]) for members in groups.values()]


def _find(parent: np.ndarray, i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = int(parent[i])
    return i


def _union(parent: np.ndarray, i: int, j: int) -> None:
    ri, rj = _find(parent, i), _find(parent, j)
    if ri != rj:
        parent[max(ri, rj)] = min(ri, rj)
