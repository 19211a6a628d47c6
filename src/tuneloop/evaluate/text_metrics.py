"""Metrics of a generate task: each output against all the references of its input.

- `bleu`: corpus BLEU with every reference of an input (sacrebleu's defaults: 13a tokens, exp
  smoothing, the closest reference length for the brevity penalty), in points 0-100;
- `chrf`: corpus chrF (sacrebleu's `CHRF()`: character 6-grams, beta 2; per output the reference
  that scores best), in points;
- `rouge_l`: ROUGE-L F1 (`rouge-score`, Porter stemmer) against the best reference of each output,
  averaged over outputs, in points;
- `exact_match`: the share of outputs equal to one of their references once case, spacing and
  punctuation are set aside (`normalise.dedup_text`);
- `output_words`, `reference_words`: mean words (whitespace-separated) of an output and of its
  input's references; `length_ratio`: all output words over all mean reference words (1 is the
  references' length; BLEU's brevity penalty bites below it);
- `slot_error_rate`: where every input is structured (`fidelity.py`), the omitted, contradicted
  and added attributes over all the inputs' attributes.

BLEU and chrF are corpus statistics, not means of per-output scores, so the bootstrap cannot
average per-row numbers. Each output keeps its sufficient statistics instead (sacrebleu's own:
BLEU's n-gram matches and totals with both lengths, chrF's hypothesis, reference and match counts
per order); a resample sums the rows it drew and recomputes the score from the sums, exactly as
sacrebleu computes the corpus score from all of them. The tests check the point estimate against
`sacrebleu.corpus_bleu` and `corpus_chrf`. Resampling, slices and the paired tests of
`compare.py` take these rows as any other `Scored` rows; `right` (exact match) feeds McNemar.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from sacrebleu.metrics import BLEU, CHRF

from tuneloop.data.normalise import dedup_text
from tuneloop.evaluate.fidelity import slot_errors
from tuneloop.evaluate.predict import Prediction

#: The metrics of a generate task in the order metrics.json and the report show them.
TEXT_METRICS = ("bleu", "chrf", "rouge_l", "exact_match", "output_words", "reference_words", "length_ratio")


@dataclass(frozen=True)
class TextScores:
    """Per output: BLEU and chrF sufficient statistics, best ROUGE-L F1, exact match, words; and,
    where the inputs are structured, slot errors and slots (`fidelity.py`)."""

    bleu: np.ndarray  # rows x (2 + 2 * 4): output length, reference length, matches, totals
    chrf: np.ndarray  # rows x (3 * 6): per order hypothesis, reference and matching n-grams
    rouge_l: np.ndarray
    exact: np.ndarray
    output_words: np.ndarray
    reference_words: np.ndarray
    slot_errors: np.ndarray | None = None
    slots: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.rouge_l)

    def subset(self, mask: np.ndarray) -> TextScores:
        pick = (lambda a: None) if self.slots is None else (lambda a: a[mask])
        return TextScores(
            self.bleu[mask], self.chrf[mask], self.rouge_l[mask], self.exact[mask],
            self.output_words[mask], self.reference_words[mask], pick(self.slot_errors), pick(self.slots),
        )  # fmt: skip

    @property
    def right(self) -> np.ndarray:
        return self.exact

    def values(self, rows: np.ndarray, metrics: Sequence[str]) -> dict[str, np.ndarray]:
        """Each metric over each row of the index matrix `rows` (resamples x sample size)."""
        formulas = {
            "bleu": lambda: _each(self.bleu[rows].sum(axis=1), _bleu_of),
            "chrf": lambda: _each(self.chrf[rows].sum(axis=1), _chrf_of),
            "rouge_l": lambda: 100 * self.rouge_l[rows].mean(axis=1),
            "exact_match": lambda: self.exact[rows].mean(axis=1),
            "output_words": lambda: self.output_words[rows].mean(axis=1),
            "reference_words": lambda: self.reference_words[rows].mean(axis=1),
            "length_ratio": lambda: _ratio(
                self.output_words[rows].sum(axis=1), self.reference_words[rows].sum(axis=1)
            ),
            "slot_error_rate": lambda: self._slot_error_rate(rows),
        }  # fmt: skip
        return {metric: formulas[metric]() for metric in metrics}

    def _slot_error_rate(self, rows: np.ndarray) -> np.ndarray:
        if self.slots is None or self.slot_errors is None:
            return np.full(rows.shape[0], np.nan)
        return _ratio(self.slot_errors[rows].sum(axis=1), self.slots[rows].sum(axis=1))


def text_scores(predictions: Sequence[Prediction]) -> TextScores:
    """The per-output statistics of `predictions`, each against its `references` (or its gold)."""
    rows = [_row(p.output, tuple(p.references or ((p.gold,) if p.gold else ()))) for p in predictions]
    width = (2 + 2 * _bleu().max_ngram_order, 3 * (_chrf().char_order + _chrf().word_order))
    slots = None
    if predictions and all(p.fidelity is not None for p in predictions):
        slots = np.array([slot_errors(p.fidelity or {}) for p in predictions], dtype=float).reshape(-1, 2)
    return TextScores(
        bleu=np.array([r[0] for r in rows], dtype=float).reshape(len(rows), width[0]),
        chrf=np.array([r[1] for r in rows], dtype=float).reshape(len(rows), width[1]),
        rouge_l=np.array([r[2] for r in rows], dtype=float),
        exact=np.array([r[3] for r in rows], dtype=bool),
        output_words=np.array([r[4] for r in rows], dtype=float),
        reference_words=np.array([r[5] for r in rows], dtype=float),
        slot_errors=None if slots is None else slots[:, 0],
        slots=None if slots is None else slots[:, 1],
    )


@lru_cache(maxsize=65_536)
def _row(hypothesis: str, references: tuple[str, ...]) -> tuple[Any, ...]:
    """One output's statistics, cached: the slices and every paired comparison score the same rows
    again. sacrebleu's `_extract_corpus_statistics` is how it reads a corpus before summing it
    (and what its own paired tests resample); the tests pin the sums against `corpus_score`."""
    refs = [[ref] for ref in references] or [[""]]
    normalised = {dedup_text(ref) for ref in references}
    return (
        _bleu()._extract_corpus_statistics([hypothesis], refs)[0],
        _chrf()._extract_corpus_statistics([hypothesis], refs)[0],
        max((_rouge().score(ref, hypothesis)["rougeL"].fmeasure for ref in references), default=0.0),
        dedup_text(hypothesis) in normalised,
        len(hypothesis.split()),
        float(np.mean([len(ref.split()) for ref in references])) if references else 0.0,
    )


def text_metrics(scores: TextScores, metrics: Sequence[str] = TEXT_METRICS) -> dict[str, float]:
    """The point estimates over all rows."""
    point = scores.values(np.arange(len(scores))[None, :], metrics)
    return {m: float(point[m][0]) for m in metrics}


def _each(summed: np.ndarray, score: Any) -> np.ndarray:
    return np.array([score(row) for row in summed])


def _bleu_of(stats: np.ndarray) -> float:
    order = _bleu().max_ngram_order
    return float(
        BLEU.compute_bleu(
            [int(x) for x in stats[2 : 2 + order]], [int(x) for x in stats[2 + order :]],
            int(stats[0]), int(stats[1]), smooth_method=_bleu().smooth_method,
        ).score
    )  # fmt: skip


def _chrf_of(stats: np.ndarray) -> float:
    return float(_chrf()._compute_f_score([int(x) for x in stats]))


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    return np.divide(numerator, denominator, out=np.zeros_like(numerator, dtype=float), where=denominator > 0)


@lru_cache(maxsize=1)
def _bleu() -> BLEU:
    return BLEU()


@lru_cache(maxsize=1)
def _chrf() -> CHRF:
    return CHRF()


@lru_cache(maxsize=1)
def _rouge() -> Any:
    from rouge_score.rouge_scorer import RougeScorer

    return RougeScorer(["rougeL"], tokenizer=_CachedTokens())


class _CachedTokens:
    """rouge-score's own tokenization (`rouge_score.tokenize`, with nltk's Porter stemmer as
    `use_stemmer=True` sets it up), each text and each word stemmed once: the stemmer is most of
    ROUGE's cost, and every reference is scored against many outputs."""

    def __init__(self) -> None:
        from nltk.stem import porter
        from rouge_score import tokenize

        stemmer = porter.PorterStemmer()
        stemmer.stem = lru_cache(maxsize=65_536)(stemmer.stem)
        self.tokenize = lru_cache(maxsize=65_536)(lambda text: tokenize.tokenize(text, stemmer))
