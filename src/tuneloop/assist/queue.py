"""The uncertainty queue: serve first the items where a person's label is worth most.

The value of a label is highest where the model is least sure: the smallest margin between its two
likeliest labels (`suggestions.margin`; for label sets, the label closest to the 0.5 threshold),
ties broken by item id so the order is reproducible. Margin alone would serve ten near-copies of
one confusing message in a row, so the order is built greedily in batches of `BATCH`: walking the
items by margin, an item joins the batch only if its TF-IDF cosine to every item already in the
batch is at most `MAX_COSINE`; the ones it skips wait for the next batch, in margin order. Items
without a suggestion (nothing scored them) come after every ranked item, by id.

`small-text` has the same margin strategy (`BreakingTies`), but it works through its own dataset
and classifier wrappers around a trained model; over stored probabilities it is these few lines.
"""

from __future__ import annotations

from collections.abc import Sequence

from sklearn.feature_extraction.text import TfidfVectorizer

BATCH = 10  # items a person takes in a sitting, which should not repeat one cluster
MAX_COSINE = 0.5


def uncertainty_order(
    ids: Sequence[int],
    margins: Sequence[float],
    texts: Sequence[str],
    batch: int = BATCH,
    max_cosine: float = MAX_COSINE,
) -> list[int]:
    """The item ids in serving order: smallest margin first (ties by id), no two items of a batch
    closer than `max_cosine`; when every remaining item is too close to the batch, the batch
    closes early, so every item is ranked."""
    if not ids:
        return []
    try:
        vectors = TfidfVectorizer(sublinear_tf=True).fit_transform(list(texts))  # rows L2-normalised
    except ValueError:  # no word in any text (digits, emoji): margin order alone
        vectors = None
    remaining = sorted(range(len(ids)), key=lambda i: (margins[i], ids[i]))
    ordered: list[int] = []
    while remaining:
        chosen: list[int] = []
        waiting: list[int] = []
        for position, i in enumerate(remaining):
            if len(chosen) == batch:
                waiting.extend(remaining[position:])
                break
            if chosen and vectors is not None and (vectors[chosen] @ vectors[i].T).max() > max_cosine:
                waiting.append(i)
            else:
                chosen.append(i)
        ordered.extend(chosen)
        remaining = waiting
    return [ids[i] for i in ordered]
