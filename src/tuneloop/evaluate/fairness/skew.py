"""Skew in the training data: does a group term predict a label?

A model trained on rows where "she" mostly comes with one intent learns that shortcut. For every
term of every swap family, count the training rows holding it per label and the pointwise mutual
information PMI(term, label) = log2(P(label | term) / P(label)). A pair is flagged when the term
makes the label at least `PMI_FLAG` bits (twice) more likely than it is overall, on at least
`MIN_COUNT` rows, so a single row cannot raise a flag.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from tuneloop.data.example import Example
from tuneloop.lexicons import Swapper

PMI_FLAG = 1.0  # bits: P(label | term) >= 2 x P(label)
MIN_COUNT = 5  # rows with both the term and the label


def term_skew(examples: list[Example], swappers: list[Swapper]) -> dict[str, Any]:
    labelled = [e for e in examples if e.label is not None]
    n = len(labelled)
    label_counts = Counter(e.label for e in labelled)
    families: dict[str, Any] = {}
    flags = []
    for swapper in swappers:
        together: Counter[tuple[str, str]] = Counter()
        with_term: Counter[str] = Counter()
        for e in labelled:
            for term in set(swapper.terms_in(e.text)):
                with_term[term] += 1
                together[term, str(e.label)] += 1
        terms = {}
        for term, rows in sorted(with_term.items()):
            labels = {
                label: {"count": count, "pmi": pmi(count, rows, label_counts[label], n)}
                for (t, label), count in sorted(together.items())
                if t == term
            }
            terms[term] = {"rows": rows, "labels": labels}
            flags += [
                {"family": swapper.family, "term": term, "label": label, "rows_with_term": rows} | stats
                for label, stats in labels.items()
                if stats["count"] >= MIN_COUNT and stats["pmi"] >= PMI_FLAG
            ]
        families[swapper.family] = terms
    return {
        "rows": n,
        "rule": f"PMI(term, label) >= {PMI_FLAG} bit(s) on at least {MIN_COUNT} rows",
        "families": families,
        "flags": sorted(flags, key=lambda f: -f["pmi"]),
    }


def pmi(together: int, term_rows: int, label_rows: int, n: int) -> float:
    """log2 of how much more likely the label is among rows with the term than among all rows."""
    return math.log2(together * n / (term_rows * label_rows))
