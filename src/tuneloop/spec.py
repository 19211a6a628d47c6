"""The project spec: `tuneloop.yaml` loaded into pydantic models.

One file says what the task is, which data to read, how to split it, which model to start from,
which phases to train and how to evaluate. Every later stage reads only this object, so a round
can be reproduced from the spec and the data alone.

Errors never surface as tracebacks: `load_spec` collects every problem and raises one `SpecError`
whose lines read like `phases[1].learning_rate: must be > 0 (tuneloop.yaml:23)`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from tuneloop.errors import SpecError
from tuneloop.evaluate.fairness.lexicons import BUILT_IN as FAMILIES
from tuneloop.evaluate.fairness.lexicons import unknown_families
from tuneloop.label_text import normalise

SPEC_FILE = "tuneloop.yaml"
FORMATS = ("csv", "jsonl", "parquet", "chat")
_EXTENSION_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".parquet": "parquet"}


class _Strict(BaseModel):
    """Unknown keys are errors: a typo in the spec must not be silently ignored."""

    model_config = ConfigDict(extra="forbid")


class Objective(_Strict):
    name: str = Field(min_length=1)
    description: str = ""
    task: Literal["classify", "generate"] = "classify"


class Label(_Strict):
    name: str = Field(min_length=1, pattern=r"^\S(.*\S)?$")
    description: str = ""


class Prompt(_Strict):
    """How an input text becomes the chat turn the model sees."""

    system: str | None = None


class FieldMap(_Strict):
    """Which column (or JSON key) holds the text, the label and the slice tags."""

    text: str = "text"
    label: str | None = "label"
    slices: list[str] = Field(default_factory=list)


class Source(_Strict):
    path: Path
    format: Literal["csv", "jsonl", "parquet", "chat"] | None = None
    fields: FieldMap = Field(default_factory=FieldMap)

    @field_validator("path")
    @classmethod
    def _exists(cls, path: Path, info: ValidationInfo) -> Path:
        root = (info.context or {}).get("root")
        if root is not None:
            resolved = path if path.is_absolute() else Path(root) / path
            if not resolved.is_file():
                raise ValueError(f"file not found: {resolved}")
            return resolved
        return path

    @model_validator(mode="after")
    def _infer_format(self) -> Source:
        if self.format is None:
            inferred = _EXTENSION_FORMATS.get(self.path.suffix.lower())
            if inferred is None:
                raise ValueError(
                    f"cannot infer the format of {self.path.name!r}; set format: one of {FORMATS}"
                )
            self.format = inferred  # type: ignore[assignment]
        return self


class DataSpec(_Strict):
    """`sources`: the task's examples. `unlabeled`: domain text without answers, for `causal_lm`
    phases, mixtures and the tokenizer (its `fields.text` is read; a label column is ignored).
    `general_rows` of the unlabeled text (at most a tenth of it) are held out of training as the
    general set, on which every phase measures forgetting."""

    sources: list[Source] = Field(min_length=1)
    unlabeled: list[Source] = Field(default_factory=list)
    general_rows: int = Field(default=200, ge=0)

    @field_validator("unlabeled")
    @classmethod
    def _tabular(cls, unlabeled: list[Source]) -> list[Source]:
        for i, source in enumerate(unlabeled):
            if source.format == "chat":
                raise ValueError(f"unlabeled[{i}]: use csv, jsonl or parquet with a text field, not chat")
        return [
            s.model_copy(update={"fields": s.fields.model_copy(update={"label": None})}) for s in unlabeled
        ]


class SplitFiles(_Strict):
    validation: Source
    test: Source


class Splits(_Strict):
    """Stratified fractions of the sources, or explicit files for validation and test."""

    validation: float = Field(default=0.1, gt=0, lt=0.5)
    test: float = Field(default=0.1, gt=0, lt=0.5)
    files: SplitFiles | None = None


class TinyModel(_Strict):
    """Sizes of the small Llama-style model built from scratch for machines without a GPU."""

    vocab_size: int = Field(default=4000, ge=300)
    hidden_size: int = Field(default=256, gt=0)
    layers: int = Field(default=4, gt=0)
    heads: int = Field(default=4, gt=0)
    intermediate_size: int | None = Field(default=None, gt=0)
    context_length: int = Field(default=256, ge=32)

    @model_validator(mode="after")
    def _heads_divide(self) -> TinyModel:
        if self.hidden_size % self.heads:
            raise ValueError(f"hidden_size ({self.hidden_size}) must be divisible by heads ({self.heads})")
        return self


class ModelSpec(_Strict):
    """Either `base:` (an HF directory or hub id) or `build: tiny`."""

    base: str | None = None
    build: Literal["tiny"] | None = None
    tiny: TinyModel = Field(default_factory=TinyModel)

    @model_validator(mode="after")
    def _one_of(self) -> ModelSpec:
        if (self.base is None) == (self.build is None):
            raise ValueError("set exactly one of base: (a model directory or hub id) or build: tiny")
        return self


MonitorMetric = Literal["accuracy", "macro_f1", "macro_recall", "invalid_rate", "loss"]
LOWER_IS_BETTER = ("invalid_rate", "loss")


def higher_is_better(metric: str) -> bool:
    """The one place that says which way a watched metric improves."""
    return metric not in LOWER_IS_BETTER


VAL_GATE_METRICS = ("accuracy", "macro_f1", "macro_recall", "macro_precision", "invalid_rate", "loss")
GENERAL_METRICS = ("loss", "token_accuracy")
_GATE = re.compile(
    r"^(val|general)\.(\w+)\s*(>=|<=|>|<)\s*(?:(previous)(?:\s*([+-])\s*([0-9.]+))?|([0-9.]+))$"
)
_GATE_HELP = (
    "write val.METRIC OP NUMBER (e.g. 'val.accuracy >= 0.6'; metrics: "
    + ", ".join(VAL_GATE_METRICS)
    + ") or general.METRIC OP [previous +|-] NUMBER (e.g. 'general.token_accuracy >= previous - 0.02'; "
    "metrics: " + ", ".join(GENERAL_METRICS) + ")"
)


class EarlyStopping(_Strict):
    """Stop a phase when `metric` on the validation subset has not improved for `patience` evaluations."""

    metric: MonitorMetric = "accuracy"
    patience: int = Field(default=3, gt=0)
    min_delta: float = Field(default=0.0, ge=0)


class Gate(_Strict):
    """A condition checked when a phase ends.

    `val.*` judges the phase's kept evaluation on the validation subset. `general.*` judges the
    held-out general set (see `data.general_rows`), either against a number or, with `previous`,
    against the model the phase started from: "no regression of more than 2 points on the general
    set" is `general.token_accuracy >= previous - 0.02`.
    """

    set: Literal["val", "general"] = "val"
    metric: str
    op: Literal[">=", "<=", ">", "<"]
    value: float
    relative: bool = False  # value is an offset from the previous model's measurement

    @model_validator(mode="after")
    def _known_metric(self) -> Gate:
        known = VAL_GATE_METRICS if self.set == "val" else GENERAL_METRICS
        if self.metric not in known:
            raise ValueError(f"{self.set}.{self.metric}: unknown metric; {_GATE_HELP}")
        if self.relative and self.set != "general":
            raise ValueError("`previous` compares general-set measurements only; use general.METRIC")
        return self

    def threshold(self, previous: dict[str, float] | None) -> float | None:
        """The number to compare with; None when a relative gate has nothing to compare with."""
        if not self.relative:
            return self.value
        if previous is None or previous.get(self.metric) is None:
            return None
        return previous[self.metric] + self.value

    def passes(self, actual: float, threshold: float) -> bool:
        return {
            ">=": actual >= threshold,
            "<=": actual <= threshold,
            ">": actual > threshold,
            "<": actual < threshold,
        }[self.op]

    def __str__(self) -> str:
        if not self.relative:
            return f"{self.set}.{self.metric} {self.op} {self.value:g}"
        sign = "-" if self.value < 0 else "+"
        return f"{self.set}.{self.metric} {self.op} previous {sign} {abs(self.value):g}"


class LoraSpec(_Strict):
    """Train low-rank adapters (peft) instead of every weight.

    `merge: true` (the default) folds the adapter into full weights when the phase ends, so the
    next phase, `evaluate` and serving load a plain model. `merge: false` saves only the adapter,
    on top of the model the phase started from: phases chain as adapters (small to store and to
    swap), and every loader in tuneloop applies the chain in order."""

    r: int = Field(default=16, gt=0)
    alpha: int = Field(default=32, gt=0)
    dropout: float = Field(default=0.05, ge=0, lt=1)
    target_modules: list[str] | Literal["all-linear"] = "all-linear"
    modules_to_save: list[str] = Field(default_factory=list)
    merge: bool = True


MixSource = Literal["task", "inputs", "unlabeled"]


class Phase(_Strict):
    """One training phase; phases run in order, each from the previous phase's weights.

    `mix` draws the phase's rows from several sources with weights (`task`, `inputs`, `unlabeled`), e.g.
    `{task: 0.8, unlabeled: 0.2}` to keep some general text in a task phase against forgetting
    (see `train/mixture.py`). Without
    it, `causal_lm` reads the task's inputs and the unlabeled text, `sft` the task's examples.

    With `eval_every`, the phase is evaluated on a fixed subset of the validation split (`eval_rows`)
    every so many steps: validation loss, and for `sft` the task metrics from generated answers.
    The best evaluation (by `early_stopping.metric`, or accuracy) is the model the phase keeps.
    """

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    kind: Literal["causal_lm", "sft"]
    epochs: float = Field(default=1.0, gt=0)
    max_steps: int | None = Field(default=None, gt=0)
    learning_rate: float = Field(default=1e-3, gt=0)
    batch_size: int = Field(default=32, gt=0)
    gradient_accumulation: int = Field(default=1, gt=0)
    warmup_ratio: float = Field(default=0.05, ge=0, lt=1)
    weight_decay: float = Field(default=0.0, ge=0)
    scheduler: Literal["linear", "cosine", "constant"] = "cosine"
    max_length: int = Field(default=256, ge=8)
    max_rows: int | None = Field(default=None, gt=0)
    logging_steps: int = Field(default=10, gt=0)
    lora: LoraSpec | None = None
    save_every: int | None = Field(default=None, gt=0)
    eval_every: int | None = Field(default=None, gt=0)
    eval_rows: int = Field(default=256, gt=0)
    early_stopping: EarlyStopping | None = None
    gate: list[Gate] = Field(default_factory=list)
    mix: dict[MixSource, Annotated[float, Field(gt=0)]] | None = Field(default=None, min_length=1)

    @field_validator("gate", mode="before")
    @classmethod
    def _parse_gates(cls, value: Any) -> Any:
        if not isinstance(value, list):
            value = [value]
        parsed = []
        for i, item in enumerate(value):
            if isinstance(item, str):
                match = _GATE.match(item.strip())
                if match is None:
                    raise ValueError(f"gate[{i}] {item!r}: {_GATE_HELP}")
                gate_set, metric, op, previous, sign, offset, number = match.groups()
                relative = previous is not None
                value = (-1 if sign == "-" else 1) * float(offset or 0) if relative else float(number)
                item = {"set": gate_set, "metric": metric, "op": op, "value": value, "relative": relative}
            parsed.append(item)
        return parsed

    @field_validator("mix")
    @classmethod
    def _mixed_sources_exist(
        cls, mix: dict[str, float] | None, info: ValidationInfo
    ) -> dict[str, float] | None:
        if mix and "unlabeled" in mix and (info.context or {}).get("has_unlabeled") is False:
            raise ValueError("draws from unlabeled, but data.unlabeled lists no source")
        return mix

    @model_validator(mode="after")
    def _monitoring_fits_the_kind(self) -> Phase:
        val_gates = [g for g in self.gate if g.set == "val"]
        watched = [g.metric for g in val_gates] + (
            [self.early_stopping.metric] if self.early_stopping else []
        )
        if (self.early_stopping or val_gates) and self.eval_every is None:
            raise ValueError(
                "early_stopping and val.* gates need eval_every (how often to evaluate, in steps)"
            )
        if self.save_every is not None and self.eval_every is not None:
            raise ValueError("with eval_every, a checkpoint is saved at every evaluation: drop save_every")
        if self.kind == "causal_lm" and any(m != "loss" for m in watched):
            raise ValueError("a causal_lm phase produces no answers to score: watch val.loss only")
        return self

    @property
    def selection_metric(self) -> str:
        """What "best" means when a phase keeps its best evaluation."""
        if self.early_stopping is not None:
            return self.early_stopping.metric
        return "accuracy" if self.kind == "sft" else "loss"


class SliceSpec(_Strict):
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


Metric = Literal["accuracy", "macro_f1", "macro_recall", "macro_precision"]
_DEFAULT_METRICS: list[Metric] = ["accuracy", "macro_f1", "macro_recall"]


class EvaluationGate(_Strict):
    """A check `tuneloop evaluate --gate` (and `tuneloop run`) applies to the gated split.

    `min`: the metric over the whole split must reach it. `max_drop`: compared with `against` on
    the same rows, neither the whole split nor any slice large enough to judge may fall by more
    than `max_drop` (0.03 = 3 points) with a Holm-adjusted p-value below `p`.
    """

    metric: Metric = "accuracy"
    min: float | None = Field(default=None, ge=0, le=1)
    max_drop: float | None = Field(default=None, ge=0, le=1)
    against: Literal["base", "previous_phase", "previous_round"] = "previous_round"
    p: float = Field(default=0.05, gt=0, lt=1)

    @model_validator(mode="after")
    def _one_kind(self) -> EvaluationGate:
        if (self.min is None) == (self.max_drop is None):
            raise ValueError("set exactly one of min: or max_drop:")
        return self


class FairnessSpec(_Strict):
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


class OversampleSpec(_Strict):
    """How many times more likely than an ordinary output each kind is to be drawn for review."""

    errors: float = Field(default=3.0, ge=1)
    low_confidence: float = Field(default=2.0, ge=1)
    flips: float = Field(default=3.0, ge=1)


class OutputReviewSpec(_Strict):
    """Model outputs sampled into the annotation store for people to rate (1-5), judge correct or
    not, and correct; stratified by slice, over-sampling errors, low confidence and flips."""

    sample: int = Field(default=50, gt=0)
    split: Literal["validation", "test"] = "test"
    reviewers_per_item: int = Field(default=2, ge=2)
    low_confidence_below: float = Field(default=0.5, gt=0, le=1)
    oversample: OversampleSpec = Field(default_factory=OversampleSpec)


class Evaluation(_Strict):
    metrics: list[Metric] = Field(default_factory=lambda: list(_DEFAULT_METRICS))
    slices: list[SliceSpec] = Field(default_factory=list)
    # loglik: each label's log-likelihood after one shared prompt pass (probabilities included);
    # generate: greedy generation, each output mapped to a label by `parsing` (both rules reported).
    scoring: Literal["loglik", "generate"] = "loglik"
    parsing: Literal["strict", "lenient"] = "lenient"
    min_slice_size: int = Field(default=30, gt=0)  # smaller slices are shown, marked too small to judge
    bootstrap: int = Field(default=1000, ge=100)  # resamples behind every confidence interval
    gate_split: Literal["validation", "test"] = "test"
    gates: list[EvaluationGate] = Field(default_factory=list)
    fairness: FairnessSpec = Field(default_factory=FairnessSpec)
    review: OutputReviewSpec | None = None
    max_new_tokens: int = Field(default=16, gt=0)
    batch_size: int = Field(default=64, gt=0)


class AgreementGate(_Strict):
    """Krippendorff's alpha (nominal) the annotations must reach before they may be exported for
    training: overall, per label (one against the rest) and per label group (the group against the
    rest). 0.667 is Krippendorff's lowest "tentative conclusions" level; None turns a check off."""

    alpha: float | None = Field(default=0.667, ge=-1, le=1)
    label_alpha: float | None = Field(default=None, ge=-1, le=1)
    group_alpha: float | None = Field(default=None, ge=-1, le=1)


class AnnotationSpec(_Strict):
    """Where annotations are stored and how many people label each item.

    `store_url` is a SQLAlchemy URL (`postgresql+psycopg://...` for a team); by default the
    embedded SQLite file `annotations.db` in the project directory (`ProjectSpec.store_url`).
    """

    store_url: str | None = Field(default=None, min_length=1)
    overlap: int = Field(default=2, ge=2)
    route_by_skill: bool = False
    suggestions: bool = False  # show the model's stored suggestion with each item (web app)
    consensus: Literal["majority", "dawid_skene"] = "majority"
    gate: AgreementGate = Field(default_factory=AgreementGate)
    label_groups: dict[str, list[str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _groups_are_not_empty(self) -> AnnotationSpec:
        for name, labels in self.label_groups.items():
            if len(labels) < 1:
                raise ValueError(f"label_groups.{name}: list at least one label")
        return self


class Tracking(_Strict):
    """Where training metrics go besides `metrics.jsonl`: MLflow (a `sqlite:///FILE` store, relative
    to the project, or a server URL) and TensorBoard (event files in RUN_DIR/tensorboard/).
    Both need `pip install 'tuneloop[tracking]'`."""

    mlflow: str | None = None
    experiment: str | None = None  # default: objective.name
    tensorboard: bool = False


class NearDuplicates(_Strict):
    """MinHash LSH settings: rows whose input word `ngram`s overlap by at least `threshold`
    (Jaccard) are near duplicates. Short chat inputs need short n-grams: with 5-grams one changed
    word in a ten-word message already drops the overlap below 0.5."""

    threshold: float = Field(default=0.8, gt=0, le=1)
    ngram: int = Field(default=3, ge=1, le=16)
    permutations: int = Field(default=128, ge=16, le=1024)


class QualitySpec(_Strict):
    """The data-quality suite (`tuneloop check`, docs/checks.md) and what `prepare` does about it.

    `max_tokens`: the longest row the model reads; by default the shortest `max_length` of the sft
    phases (what training truncates at). `pii`: `report` findings only, or `redact` them in
    `prepare` with typed placeholders such as `[EMAIL]`. `rebalance`: `cap` keeps at most
    `cap_per_label` rows of a label in train, `upsample` copies rows of smaller labels up to
    `upsample_to` (default: the largest label), `class_weights` records inverse-frequency weights in
    the manifest, `none` leaves train as it is. Training refuses a dataset version whose error
    findings exceed `max_error_rate` of the rows read, unless `override` gives the reason to go on
    (recorded in run.json)."""

    skip: list[str] = Field(default_factory=list)
    max_tokens: int | None = Field(default=None, gt=0)
    min_chars: int = Field(default=2, ge=0)
    near_duplicates: NearDuplicates = Field(default_factory=NearDuplicates)
    pii: Literal["report", "redact"] = "report"
    normalise: bool = True
    drop_duplicates: bool = True
    drop_leaked: bool = True
    rebalance: Literal["none", "cap", "upsample", "class_weights"] = "none"
    cap_per_label: int | None = Field(default=None, gt=0)
    upsample_to: int | None = Field(default=None, gt=0)
    rare_label_share: float = Field(default=0.2, ge=0, le=1)
    relevance_threshold: float = Field(default=0.05, ge=0, lt=1)
    max_error_rate: float = Field(default=0.05, ge=0, le=1)
    override: str | None = Field(default=None, min_length=1)

    @field_validator("skip")
    @classmethod
    def _known_checks(cls, skip: list[str]) -> list[str]:
        unknown = [name for name in skip if name not in CHECK_NAMES]
        if unknown:
            raise ValueError(f"unknown check {unknown[0]!r}; checks: {', '.join(CHECK_NAMES)}")
        return skip

    @model_validator(mode="after")
    def _cap_given(self) -> QualitySpec:
        if self.rebalance == "cap" and self.cap_per_label is None:
            raise ValueError("rebalance: cap needs cap_per_label (the most rows of one label kept in train)")
        return self


CHECK_NAMES = ("format", "length", "labels", "duplicates", "hygiene", "pii", "relevance", "balance")


class ProjectSpec(_Strict):
    version: Literal[1] = 1
    objective: Objective
    labels: list[Label] = Field(default_factory=list, validate_default=True)
    guidelines: Path | None = None
    prompt: Prompt = Field(default_factory=Prompt)
    data: DataSpec
    splits: Splits = Field(default_factory=Splits)
    model: ModelSpec
    phases: list[Phase] = Field(min_length=1)
    evaluation: Evaluation = Field(default_factory=Evaluation)
    annotation: AnnotationSpec = Field(default_factory=AnnotationSpec)
    tracking: Tracking = Field(default_factory=Tracking)
    quality: QualitySpec = Field(default_factory=QualitySpec)
    output_dir: Path = Path("runs")
    seed: int = 0
    root: Path = Field(
        default=Path("."), exclude=True, description="Directory of the spec file; set on load."
    )
    path: Path | None = Field(default=None, exclude=True, description="The spec file; set on load.")

    @field_validator("guidelines")
    @classmethod
    def _guidelines_exist(cls, path: Path | None, info: ValidationInfo) -> Path | None:
        root = (info.context or {}).get("root")
        if path is None or root is None:
            return path
        resolved = path if path.is_absolute() else Path(root) / path
        if not resolved.is_file():
            raise ValueError(f"file not found: {resolved}")
        return resolved

    @field_validator("labels")
    @classmethod
    def _labels_fit_the_task(cls, labels: list[Label], info: ValidationInfo) -> list[Label]:
        objective = info.data.get("objective")
        if objective is not None and objective.task == "classify" and len(labels) < 2:
            raise ValueError("a classify task needs at least 2 labels")
        names = [label.name for label in labels]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"label names must be unique; repeated: {', '.join(repeated)}")
        seen: dict[str, str] = {}
        for name in names:
            if not normalise(name):
                raise ValueError(f"label {name!r} has no letters or digits: no answer could match it")
            other = seen.setdefault(normalise(name), name)
            if other != name:
                raise ValueError(f"labels {other!r} and {name!r} differ only in case or punctuation")
        return labels

    @field_validator("annotation")
    @classmethod
    def _groups_name_known_labels(cls, annotation: AnnotationSpec, info: ValidationInfo) -> AnnotationSpec:
        known = {label.name for label in info.data.get("labels", [])}
        for group, labels in annotation.label_groups.items():
            unknown = [label for label in labels if label not in known]
            if unknown:
                raise ValueError(f"label_groups.{group}: not labels of the spec: {', '.join(unknown)}")
        return annotation

    @field_validator("data")
    @classmethod
    def _sources_fit_the_task(cls, data: DataSpec, info: ValidationInfo) -> DataSpec:
        objective = info.data.get("objective")
        if objective is not None and objective.task == "classify":
            for i, source in enumerate(data.sources):
                if source.format != "chat" and source.fields.label is None:
                    raise ValueError(
                        f"sources[{i}].fields.label must name the label column of a classify task"
                    )
        return data

    @field_validator("evaluation")
    @classmethod
    def _slices_exist_in_the_data(cls, evaluation: Evaluation, info: ValidationInfo) -> Evaluation:
        data = info.data.get("data")
        if data is None:
            return evaluation
        tagged = {name for source in data.sources for name in source.fields.slices}
        for i, slice_spec in enumerate(evaluation.slices):
            if slice_spec.field is not None and slice_spec.field not in tagged:
                known = ", ".join(sorted(tagged)) or "none"
                raise ValueError(
                    f"slices[{i}].field {slice_spec.field!r} is not a slice field of any source "
                    f"(data.sources[*].fields.slices: {known})"
                )
        return evaluation

    @field_validator("phases")
    @classmethod
    def _unique_phase_names(cls, phases: list[Phase]) -> list[Phase]:
        names = [p.name for p in phases]
        if len(set(names)) != len(names):
            raise ValueError("phase names must be unique")
        return phases

    @property
    def label_names(self) -> list[str]:
        return [label.name for label in self.labels]

    @property
    def store_url(self) -> str:
        """The annotation store's URL: `annotation.store_url`, or `annotations.db` in the project."""
        return self.annotation.store_url or f"sqlite:///{self.root.resolve() / 'annotations.db'}"

    @property
    def output_path(self) -> Path:
        return self.output_dir if self.output_dir.is_absolute() else self.root / self.output_dir


def load_spec(project: Path | str) -> ProjectSpec:
    """Load and validate `tuneloop.yaml` from a project directory (or the file itself)."""
    path = Path(project)
    if path.is_dir():
        path = path / SPEC_FILE
    if not path.is_file():
        raise SpecError(f"{path}: no such spec file (expected a project directory holding {SPEC_FILE})")
    yaml = YAML(typ="rt")
    try:
        tree = yaml.load(path.read_text(encoding="utf-8"))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{path.name}:{mark.line + 1}" if mark is not None else path.name
        raise SpecError(f"invalid YAML: {exc.problem} ({where})") from None
    except YAMLError as exc:  # reader errors (control characters) carry no mark
        raise SpecError(f"invalid YAML: {str(exc).splitlines()[0]} ({path.name})") from None
    except UnicodeDecodeError as exc:
        raise SpecError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if not isinstance(tree, dict):
        raise SpecError(f"{path.name}: the spec must be a mapping of keys such as objective:, data:, phases:")
    root = path.parent.resolve()
    try:
        plain = _plain(tree)
        has_unlabeled = isinstance(plain, dict) and bool((plain.get("data") or {}).get("unlabeled"))
        spec = ProjectSpec.model_validate(plain, context={"root": root, "has_unlabeled": has_unlabeled})
    except ValidationError as exc:
        raise SpecError("\n".join(_describe(exc.errors(), tree, path.name))) from None
    spec.root, spec.path = root, path.resolve()
    return spec


def _plain(node: Any) -> Any:
    """ruamel's commented containers → plain dicts and lists for pydantic."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _describe(errors: Iterable[Any], tree: Any, filename: str) -> list[str]:
    lines = []
    for err in errors:
        loc = [part for part in err["loc"] if not _is_union_tag(part)]
        where = _dotted(loc)
        line = _line_of(tree, loc)
        suffix = f" ({filename}:{line})" if line else f" ({filename})"
        lines.append(f"{where or '<top>'}: {_reason(err)}{suffix}")
    return lines


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and (part.startswith("literal[") or part in {"str", "int", "float", "none"})


def _dotted(loc: list[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line_of(tree: Any, loc: list[Any]) -> int | None:
    """1-based line of the deepest node of `loc` present in the YAML tree."""
    node, line = tree, None
    for part in loc:
        lc = getattr(node, "lc", None)
        try:
            if isinstance(node, dict) and part in node:
                line = lc.key(part)[0] + 1 if lc is not None else line
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                line = lc.item(part)[0] + 1 if lc is not None else line
            else:
                break
        except (KeyError, TypeError, AttributeError):
            break
        node = node[part]
    if not loc and getattr(tree, "lc", None) is not None:  # a whole-spec problem: point at its start
        line = tree.lc.line + 1
    return line


def _reason(err: Any) -> str:
    kind, ctx = err["type"], err.get("ctx", {})
    bounds = {
        "greater_than": "> {gt}",
        "greater_than_equal": ">= {ge}",
        "less_than": "< {lt}",
        "less_than_equal": "<= {le}",
    }
    if kind in bounds:
        return "must be " + bounds[kind].format(**{k: _number(v) for k, v in ctx.items()})
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known field (check the spelling)"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} item(s)"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    return str(err["msg"][:1].lower() + err["msg"][1:])


def _number(value: Any) -> Any:
    """0.0 → 0 so bounds read as people write them."""
    return int(value) if isinstance(value, float) and value.is_integer() else value
