"""The uncertainty queue's order: smallest margin first, ties by id, and no batch that repeats one
cluster of near-identical texts."""

from __future__ import annotations

from tuneloop.assist.queue import uncertainty_order


def test_smallest_margin_first_and_ties_by_id() -> None:
    texts = ["lost my card", "exchange rate today", "card never arrived", "top up failed"]
    ids, margins = [7, 3, 5, 9], [0.4, 0.1, 0.4, 0.05]
    assert uncertainty_order(ids, margins, texts) == [9, 3, 5, 7]


def test_a_batch_does_not_repeat_one_cluster() -> None:
    cluster = [f"my card payment was declined at the shop {n}" for n in range(6)]
    others = ["exchange rate for euros", "how do I top up", "change my pin", "close my account"]
    texts = cluster + others
    ids = list(range(1, 11))
    margins = [0.01 * n for n in range(6)] + [0.5, 0.6, 0.7, 0.8]  # the cluster is least sure
    order = uncertainty_order(ids, margins, texts, batch=5)
    assert order[0] == 1 and sorted(order) == ids  # every item ranked once
    first_batch = order[:5]
    assert sum(i <= 6 for i in first_batch) == 1 and first_batch[1:] == [7, 8, 9, 10]
    assert order[5:] == [2, 3, 4, 5, 6]  # the rest of the cluster, one a batch, in margin order
    without = uncertainty_order(ids, margins, texts, batch=5, max_cosine=1.0)
    assert without == ids  # no diversity term: margin order alone


def test_texts_without_words_fall_back_to_margins() -> None:
    assert uncertainty_order([1, 2], [0.3, 0.2], ["1", "2"]) == [2, 1]
    assert uncertainty_order([], [], []) == []
