"""Rating matrices the agreement tests share: Krippendorff's published example and seeded noise."""

from __future__ import annotations

import numpy as np

N: None = None
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the example with missing values.
PUBLISHED = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]
PUBLISHED_ALPHA = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}


def random_matrix(
    seed: int, coders: int = 4, units: int = 60, k: int = 5, missing: float = 0.2
) -> np.ndarray:
    """Correlated ratings (a true value per unit plus noise) with holes, so alpha is far from 0."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, k + 1, units)
    noisy = np.where(rng.random((coders, units)) < 0.7, truth, rng.integers(1, k + 1, (coders, units)))
    out = noisy.astype(float)
    out[rng.random(out.shape) < missing] = np.nan
    return out
