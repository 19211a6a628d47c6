from __future__ import annotations

import numpy as np
import pytest

from tuneloop.data.minhash import (
    LSHIndex,
    MinHasher,
    clusters_of,
    estimated_jaccard,
    optimal_bands,
    shingle_hashes,
    sketch_of,
)
from tuneloop.data.normalise import dedup_text


def _jaccard(a: str, b: str, n: int) -> float:
    def grams(t: str) -> set[tuple[str, ...]]:
        w = dedup_text(t).split()
        return {tuple(w[i : i + n]) for i in range(max(len(w) - n + 1, 1))}

    x, y = grams(a), grams(b)
    return len(x & y) / len(x | y)


def test_shingles_are_word_ngrams_of_the_normalised_text() -> None:
    hashes, starts = shingle_hashes([dedup_text(t) for t in ["A b, c d!", "", "x y", "a B c D"]], 3)
    assert starts.tolist() == [0, 2, 2, 3]  # 2 trigrams, none, 1 short-text shingle, 2 trigrams
    assert hashes[:2].tolist() == hashes[3:5].tolist()  # case and punctuation do not count
    assert hashes.max() < 2**32


def test_signature_agreement_estimates_jaccard() -> None:
    rng = np.random.default_rng(0)
    vocab = [f"w{i}" for i in range(300)]
    hasher = MinHasher(permutations=256, ngram=2)
    errors = []
    for _ in range(30):
        base = list(rng.choice(vocab, 40))
        other = base.copy()
        for i in rng.choice(40, int(rng.integers(0, 20)), replace=False):
            other[i] = str(rng.choice(vocab))
        a, b = " ".join(base), " ".join(other)
        sig = hasher.signatures([a, b])
        errors.append(abs((sig[0] == sig[1]).mean() - _jaccard(a, b, 2)))
    assert np.mean(errors) < 0.03 and max(errors) < 0.12


def test_signatures_are_deterministic_and_empty_text_has_none() -> None:
    texts = ["where is my card", "", "!!!"]
    first, second = MinHasher(64, 3).signatures(texts), MinHasher(64, 3).signatures(texts)
    assert np.array_equal(first, second)
    assert (first[1:] == 0xFFFFFFFF).all() and (first[0] != 0xFFFFFFFF).all()


@pytest.mark.parametrize(("threshold", "perms"), [(0.8, 128), (0.7, 128), (0.5, 64), (0.9, 256)])
def test_banding_matches_datasketch(threshold: float, perms: int) -> None:
    from datasketch.lsh import _optimal_param

    assert optimal_bands(threshold, perms) == _optimal_param(threshold, perms, 0.5, 0.5)


def test_lsh_groups_near_copies_and_verification_drops_weak_candidates() -> None:
    texts = [
        "I want to reactivate my card, I thought I had lost it but found it again in my jacket.",
        "the weather is lovely today and we are going to the beach with the children",
        "I want to reactivate my card, I thought I had lost it but found it in my jacket.",
        "completely unrelated words about cooking pasta with garlic and olive oil tonight",
        "I want to reactivate my card I thought I had lost it but found it again in my jacket",
    ]
    hasher = MinHasher(128, 3)
    sig = hasher.signatures(texts)
    index = LSHIndex(0.7, 128)
    index.add(np.arange(len(texts)), sig)
    assert [c.tolist() for c in index.clusters()] == [[0, 2, 4]]
    sketches = sketch_of(sig)
    est = estimated_jaccard(sketches[[0, 0]], sketches[[4, 1]])
    assert est[0] > 0.95 and est[1] < 0.1
    keys = np.zeros((3, 2), dtype=np.uint64)
    keys[:, 0] = 7  # all three collide in band 0, but only rows 0 and 1 are similar
    sk = np.array([[1] * 64, [1] * 60 + [2] * 4, [3] * 64], dtype=np.uint8)
    assert [c.tolist() for c in clusters_of(np.array([10, 11, 12]), keys, sk, 0.8)] == [[10, 11]]
