"""Bootstrap intervals: the vectorised alpha resampling against the generic loop, seeds, width."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.unit.annotate.ratings import random_matrix
from tuneloop.annotate.alpha import krippendorff_alpha
from tuneloop.annotate.bootstrap import bootstrap, bootstrap_alpha
from tuneloop.annotate.kappa import cohen_kappa
from tuneloop.annotate.reliability import AgreementError


def test_bootstrap_alpha_interval() -> None:
    data = random_matrix(3, coders=3, units=300)
    first = bootstrap_alpha(data, "interval", n_boot=400, seed=1)
    assert first == bootstrap_alpha(data, "interval", n_boot=400, seed=1)  # seeded
    assert first.estimate == pytest.approx(krippendorff_alpha(data, "interval"))
    assert first.low < first.estimate < first.high and first.high - first.low < 0.2
    assert first.n_units == int(((~np.isnan(data)).sum(axis=0) >= 2).sum()) and first.n_boot == 400
    # The vectorised resampling gives the same kind of interval as the generic loop.
    generic = bootstrap(data, lambda m: krippendorff_alpha(m, "interval"), n_boot=400, seed=2)
    assert generic.estimate == pytest.approx(first.estimate)
    assert generic.low == pytest.approx(first.low, abs=0.03) and generic.high == pytest.approx(
        first.high, abs=0.03
    )
    more = bootstrap_alpha(np.tile(data, 4), "interval", n_boot=400, seed=1)
    assert more.high - more.low < (first.high - first.low) * 0.7  # 4x the units: about half the width


def test_bootstrap_of_kappa_and_undefined_resamples() -> None:
    data = random_matrix(4, coders=2, units=200)
    interval = bootstrap(data, cohen_kappa, n_boot=200, seed=0)
    assert interval.low < cohen_kappa(data) < interval.high
    flat = bootstrap_alpha([[1, 1, 1], [1, 1, 1]], n_boot=50)
    assert math.isnan(flat.estimate) and math.isnan(flat.low) and math.isnan(flat.high)


def test_the_bootstrap_needs_a_unit_rated_twice() -> None:
    with pytest.raises(AgreementError, match="the bootstrap needs units rated by at least 2 coders"):
        bootstrap([[1, None], [None, 2]], cohen_kappa)
