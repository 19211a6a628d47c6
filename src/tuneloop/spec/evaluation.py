"""What the spec says about evaluation: the metrics, the slices to report, how outputs are scored,
the gates on the evaluated split, the fairness checks and the review of sampled outputs."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from tuneloop.lexicons import BUILT_IN as FAMILIES
from tuneloop.lexicons import unknown_families
from tuneloop.spec.strict import Strict


class SliceSpec(Strict):
    """A slice to report: a tag from the data (`field`), the rows whose text holds one of
    `keywords` (whole words, any case) or matches `regex`, or buckets of input length in words."""

    name: str = Field(min_length=1)
    field: str | None = None
    keywords: list[Annotated[str, Field(min_length=1)]] | None = Field(default=None, min_length=1)
    regex: str | None = Field(default=None, min_length=1)
    length_words: list[Annotated[int, Field(gt=0)]] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_of(self) -> SliceSpec:
        given = [self.field, self.keywords, self.regex, self.length_words]
        if sum(v is not None for v in given) != 1:
            raise ValueError("set exactly one of field:, keywords:, regex: or length_words:")
        if self.length_words is not None and self.length_words != sorted(set(self.length_words)):
            raise ValueError("length_words must be strictly increasing bucket edges")
        if self.regex is not None:
            try:
                re.compile(self.regex)
            except re.error as exc:
                raise ValueError(f"regex {self.regex!r} does not compile: {exc}") from None
        return self


Metric = Literal[
    "accuracy",
    "macro_f1",
    "macro_recall",
    "macro_precision",
    "micro_f1",
    "micro_precision",
    "micro_recall",
    "exact_set",
    "hamming_loss",
    "bleu",
    "chrf",
    "rouge_l",
    "exact_match",
    "slot_error_rate",
    "output_words",
    "length_ratio",
    "field_micro_f1",
    "field_macro_f1",
    "exact_record",
    "field_micro_precision",
    "field_micro_recall",
]
#: The metrics each task kind is scored by (macro_f1 is both label kinds'); a metric of another
#: kind is refused in `evaluation.metrics` and in the gates, by name.
METRICS_OF_TASK: dict[str, tuple[str, ...]] = {
    "classify": ("accuracy", "macro_f1", "macro_recall", "macro_precision"),
    "multilabel": ("micro_f1", "macro_f1", "exact_set", "hamming_loss", "micro_precision", "micro_recall"),
    "generate": ("bleu", "chrf", "rouge_l", "exact_match", "slot_error_rate", "output_words", "length_ratio"),
    "extract": (
        "field_micro_f1",
        "field_macro_f1",
        "exact_record",
        "field_micro_precision",
        "field_micro_recall",
    ),
}
DEFAULT_METRICS: dict[str, list[Metric]] = {
    "classify": ["accuracy", "macro_f1", "macro_recall"],
    "multilabel": ["micro_f1", "macro_f1", "exact_set"],
    "generate": ["bleu", "chrf", "rouge_l", "exact_match"],
    "extract": ["field_micro_f1", "field_macro_f1", "exact_record"],
}
#: Lower is better, or neither (a length): a floor, a drop or a win over a baseline would read it
#: the wrong way round.
NOT_GATED = ("hamming_loss", "slot_error_rate", "output_words", "length_ratio")
#: Scored in points, 0-100, as sacrebleu and the E2E challenge report them (BLEU 65.9 is TGen's);
#: a gate's `min` and `max_drop` on them are points too. Every other metric is a share, 0-1.
POINTS = ("bleu", "chrf", "rouge_l")


#: New tokens a generate (or extract) task's answer may take unless `evaluation.max_new_tokens`
#: says otherwise (16 is a label's budget; an E2E description is about 25 words).
GENERATE_TOKENS = 128

#: The baselines fitted on the train split beside every model (`evaluate/baselines.py`): the
#: train split's most common label, and a TF-IDF logistic regression.
BASELINES = ("majority", "tfidf_logreg")


class EvaluationGate(Strict):
    """A check `tuneloop evaluate --gate` (and `tuneloop run`) applies to the gated split.

    `min`: the metric over the whole split must reach it. `max_drop`: compared with `against` on
    the same rows, neither the whole split nor any slice large enough to judge may fall by more
    than `max_drop` (0.03 = 3 points) with a Holm-adjusted p-value below `p`. `beats`: the metric
    over the whole split must be above that of the baseline named, with a paired p-value below `p`.
    """

    metric: Metric = "accuracy"
    min: float | None = Field(default=None, ge=0, le=100)
    max_drop: float | None = Field(default=None, ge=0, le=100)
    beats: str | None = None
    against: Literal["base", "previous_phase", "previous_round"] = "previous_round"
    p: float = Field(default=0.05, gt=0, lt=1)

    @field_validator("beats")
    @classmethod
    def _known_baseline(cls, beats: str | None) -> str | None:
        if beats is not None and beats not in BASELINES:
            raise ValueError(f"unknown baseline {beats!r}: the baselines are {', '.join(BASELINES)}")
        return beats

    @model_validator(mode="after")
    def _one_kind(self) -> EvaluationGate:
        if sum(bound is not None for bound in (self.min, self.max_drop, self.beats)) != 1:
            raise ValueError("set exactly one of min:, max_drop: or beats:")
        scale = 100 if self.metric in POINTS else 1
        for name in ("min", "max_drop"):
            value = getattr(self, name)
            if value is not None and value > scale:
                raise ValueError(
                    f"{name}: {value:g} is above {scale}: {self.metric} is "
                    + ("scored in points, 0-100" if scale == 100 else "a share, 0-1")
                )
        if self.beats is not None and self.metric in (
            *METRICS_OF_TASK["generate"],
            *METRICS_OF_TASK["extract"],
        ):
            raise ValueError(f"beats: the baselines answer with labels; {self.metric} has none to beat")
        return self


class FairnessSpec(Strict):
    """Counterfactual swaps of group terms in the test inputs, group metrics over sensitive slices,
    and the skew of group terms per label in the training data; with optional gates."""

    families: list[str] = Field(default_factory=lambda: ["gender", "names", "nationality", "location", "age"])
    custom: dict[str, list[tuple[str, str]]] = Field(default_factory=dict)  # own families: term pairs
    sensitive: list[str] = Field(default_factory=list)  # slice names whose groups are compared
    max_flip_rate: float | None = Field(default=None, ge=0, le=1)  # per swap family
    max_accuracy_difference: float | None = Field(default=None, ge=0, le=1)  # between groups

    @model_validator(mode="after")
    def _known_families(self) -> FairnessSpec:
        unknown = unknown_families(self.families, self.custom)
        if unknown:
            raise ValueError(
                f"unknown families {', '.join(map(repr, unknown))}: built-in ones are {', '.join(FAMILIES)}, "
                "and custom: adds your own"
            )
        return self


class OversampleSpec(Strict):
    """How many times more likely than an ordinary output each kind is to be drawn for review."""

    errors: float = Field(default=3.0, ge=1)
    low_confidence: float = Field(default=2.0, ge=1)
    flips: float = Field(default=3.0, ge=1)


class OutputReviewSpec(Strict):
    """Model outputs sampled into the annotation store for people to rate (1-5), judge correct or
    not, and correct; stratified by slice, over-sampling errors, low confidence and flips."""

    sample: int = Field(default=50, gt=0)
    split: Literal["validation", "test"] = "test"
    reviewers_per_item: int = Field(default=2, ge=2)
    low_confidence_below: float = Field(default=0.5, gt=0, le=1)
    oversample: OversampleSpec = Field(default_factory=OversampleSpec)


class Evaluation(Strict):
    metrics: list[Metric] = Field(default_factory=lambda: list(DEFAULT_METRICS["classify"]))
    slices: list[SliceSpec] = Field(default_factory=list)
    # loglik: each label's log-likelihood after one shared prompt pass (probabilities included);
    # generate: greedy generation, each output mapped to a label by `parsing` (both rules reported).
    scoring: Literal["loglik", "generate"] = "loglik"
    parsing: Literal["strict", "lenient"] = "lenient"
    # extract: each token kept inside the field schema's JSON Schema (evaluate/constrained.py), or free
    decoding: Literal["constrained", "free"] = "constrained"
    min_slice_size: int = Field(default=30, gt=0)  # smaller slices are shown, marked too small to judge
    bootstrap: int = Field(default=1000, ge=100)  # resamples behind every confidence interval
    gate_split: Literal["validation", "test"] = "test"
    gates: list[EvaluationGate] = Field(default_factory=list)
    fairness: FairnessSpec = Field(default_factory=FairnessSpec)
    review: OutputReviewSpec | None = None
    max_new_tokens: int = Field(default=16, gt=0)  # a generate task's default: GENERATE_TOKENS
    batch_size: int = Field(default=64, gt=0)

    @model_validator(mode="after")
    def _gates_read_higher_as_better(self) -> Evaluation:
        for i, gate in enumerate(self.gates):
            if gate.metric in NOT_GATED:
                raise ValueError(
                    f"gates[{i}].metric {gate.metric}: lower is better, so no gate reads it; "
                    "gate on micro_f1 or exact_set instead"
                )
        return self

    @classmethod
    def for_task(cls, task: str) -> Evaluation:
        """The defaults for a task kind (a multilabel task is scored by micro-F1 first)."""
        return cls().fit_task(task) if task in METRICS_OF_TASK else cls()

    def fit_task(self, task: str) -> Evaluation:
        """These settings checked against the task kind: its default metrics when none were
        written, and a clear error for a metric (or a gate's) of another kind."""
        if task not in METRICS_OF_TASK:
            return self
        update: dict[str, object] = {}
        if "metrics" not in self.model_fields_set:
            update["metrics"] = list(DEFAULT_METRICS[task])
        if task in ("generate", "extract") and "max_new_tokens" not in self.model_fields_set:
            update["max_new_tokens"] = GENERATE_TOKENS
        checked = self.model_copy(update=update) if update else self
        named = [("metrics", m) for m in checked.metrics] + [
            (f"gates[{i}].metric", g.metric) for i, g in enumerate(checked.gates)
        ]
        for where, metric in named:
            if metric not in METRICS_OF_TASK[task]:
                raise ValueError(
                    f"{where}: {metric} is not a metric of a {task} task; its metrics are "
                    f"{', '.join(METRICS_OF_TASK[task])}"
                )
        return checked
