"""What the spec says about training: the model to start from, and the phases that train it, with
their LoRA settings, data mixture, early stopping and the gates checked when a phase ends."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from tuneloop.spec.strict import Strict


class TinyModel(Strict):
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


class ModelSpec(Strict):
    """Either `base:` (an HF directory or hub id) or `build: tiny`."""

    base: str | None = None
    build: Literal["tiny"] | None = None
    tiny: TinyModel = Field(default_factory=TinyModel)

    @model_validator(mode="after")
    def _one_of(self) -> ModelSpec:
        if (self.base is None) == (self.build is None):
            raise ValueError("set exactly one of base: (a model directory or hub id) or build: tiny")
        return self


MonitorMetric = Literal[
    "accuracy",
    "macro_f1",
    "macro_recall",
    "macro_precision",
    "micro_f1",
    "exact_set",
    "hamming_loss",
    "invalid_rate",
    "chrf",
    "bleu",
    "rouge_l",
    "exact_match",
    "field_micro_f1",
    "exact_record",
    "loss",
]
LOWER_IS_BETTER = ("invalid_rate", "hamming_loss", "loss")
#: What a monitored sft phase measures on its validation subset, by task (besides the loss); the
#: first is what "best" means unless `early_stopping.metric` says otherwise.
MONITORED_METRICS: dict[str, tuple[str, ...]] = {
    "classify": ("accuracy", "macro_f1", "macro_recall", "macro_precision", "invalid_rate"),
    "multilabel": ("micro_f1", "macro_f1", "exact_set", "hamming_loss", "invalid_rate"),
    # chrF first: on a small validation subset corpus BLEU is often 0 (no 4-gram matches) early on
    "generate": ("chrf", "bleu", "rouge_l", "exact_match", "invalid_rate"),
    "extract": ("field_micro_f1", "exact_record", "invalid_rate"),
}


def higher_is_better(metric: str) -> bool:
    """The one place that says which way a watched metric improves."""
    return metric not in LOWER_IS_BETTER


VAL_GATE_METRICS = (*dict.fromkeys(m for ms in MONITORED_METRICS.values() for m in ms), "loss")
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


class EarlyStopping(Strict):
    """Stop a phase when `metric` on the validation subset has not improved for `patience` evaluations."""

    metric: MonitorMetric | None = None  # None: the task's headline metric (MONITORED_METRICS)
    patience: int = Field(default=3, gt=0)
    min_delta: float = Field(default=0.0, ge=0)


class Gate(Strict):
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


class LoraSpec(Strict):
    """Train low-rank adapters (peft) instead of every weight.

    `merge: true` (the default) folds the adapter into full weights when the phase ends, so the
    next phase, `evaluate` and serving load a plain model. `merge: false` saves only the adapter,
    on top of the model the phase started from: phases chain as adapters (small to store and to
    swap), and every loader in tuneloop applies the chain in order.

    `layers: N` puts adapters on the top N transformer layers only: backward stops below them, so
    a step costs about a forward pass plus the top layers' backward (on a CPU, the cheapest lever
    after the prompt's length)."""

    r: int = Field(default=16, gt=0)
    alpha: int = Field(default=32, gt=0)
    dropout: float = Field(default=0.05, ge=0, lt=1)
    target_modules: list[str] | Literal["all-linear"] = "all-linear"
    modules_to_save: list[str] = Field(default_factory=list)
    layers: int | None = Field(default=None, gt=0)
    merge: bool = True


MixSource = Literal["task", "inputs", "unlabeled"]
PreferenceSource = Literal["feedback", "data"]
PREFERENCE_KINDS = ("kto", "dpo")
_FEEDBACK: list[PreferenceSource] = ["feedback"]


class PreferenceSpec(Strict):
    """How a `kto` or `dpo` phase learns from preferences.

    `sources` names where its rows come from: `feedback` (the project's store: a thumbs up or a 4-5
    rating is a desirable KTO answer, a thumbs down or 1-2 an undesirable one, a correction a DPO
    pair with the correction chosen and the served answer rejected, the served request's messages
    the prompt) and `data` (the preference rows of the data sources). `beta` is TRL's: higher keeps
    the model closer to the one the phase starts from. A KTO phase weighs desirable and undesirable
    answers so their weighted counts stay within TRL's advised 1:1 to 4:3 (`train/preference_rows.py:
    kto_weights`) unless both weights are given."""

    sources: list[PreferenceSource] = Field(default_factory=lambda: _FEEDBACK.copy(), min_length=1)
    beta: float = Field(default=0.1, gt=0)
    desirable_weight: float | None = Field(default=None, gt=0)
    undesirable_weight: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _both_weights_or_none(self) -> PreferenceSpec:
        if (self.desirable_weight is None) != (self.undesirable_weight is None):
            raise ValueError(
                "give both desirable_weight and undesirable_weight, or neither (then they are set from "
                "the counts of desirable and undesirable answers)"
            )
        return self


class Phase(Strict):
    """One training phase; phases run in order, each from the previous phase's weights.

    `mix` draws the phase's rows from several sources with weights (`task`, `inputs`, `unlabeled`), e.g.
    `{task: 0.8, unlabeled: 0.2}` to keep some general text in a task phase against forgetting;
    the weights are shares of the trained tokens (`mix_by: tokens`, what the loss averages over)
    or of the rows (`mix_by: rows`); see `train/mixture.py`. Without
    it, `causal_lm` reads the task's inputs and the unlabeled text, `sft` the task's examples, and
    `kto` and `dpo` the preference rows that `preference` names (`PreferenceSpec`).

    With `eval_every`, the phase is evaluated on a fixed subset of the validation split (`eval_rows`)
    every so many steps: validation loss, and for `sft` the task metrics from generated answers.
    The best evaluation (by `early_stopping.metric`, or accuracy) is the model the phase keeps.

    `precision: auto` trains in bf16 autocast where the hardware computes bf16 natively (a GPU that
    supports it, a CPU with AVX512-BF16 or AMX) and in fp32 elsewhere: on a CPU without those
    instructions bf16 is emulated and many times slower. `bf16` and `fp32` force one.
    """

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    kind: Literal["causal_lm", "sft", "kto", "dpo"]
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
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    lora: LoraSpec | None = None
    save_every: int | None = Field(default=None, gt=0)
    eval_every: int | None = Field(default=None, gt=0)
    eval_rows: int = Field(default=256, gt=0)
    early_stopping: EarlyStopping | None = None
    gate: list[Gate] = Field(default_factory=list)
    mix: dict[MixSource, Annotated[float, Field(gt=0)]] | None = Field(default=None, min_length=1)
    mix_by: Literal["tokens", "rows"] = "tokens"
    preference: PreferenceSpec | None = None  # kto and dpo phases; defaults when they leave it out

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
        watched = self.watched_metrics
        if (self.early_stopping or val_gates) and self.eval_every is None:
            raise ValueError(
                "early_stopping and val.* gates need eval_every (how often to evaluate, in steps)"
            )
        if self.save_every is not None and self.eval_every is not None:
            raise ValueError("with eval_every, a checkpoint is saved at every evaluation: drop save_every")
        if self.kind == "causal_lm" and any(m != "loss" for m in watched):
            raise ValueError("a causal_lm phase produces no answers to score: watch val.loss only")
        return self._preference_fits_the_kind()

    def _preference_fits_the_kind(self) -> Phase:
        if self.kind not in PREFERENCE_KINDS:
            if self.preference is not None:
                raise ValueError(
                    f"phase {self.name!r}: preference: settings are for kto and dpo phases, not {self.kind}"
                )
            return self
        if self.eval_every is not None or self.mix is not None:
            raise ValueError(
                f"phase {self.name!r} ({self.kind}) trains on preference rows (preference.sources) and is "
                "judged by general.* gates: drop eval_every, early_stopping, val.* gates and mix"
            )
        if self.preference is None:
            self.preference = PreferenceSpec()
        return self

    @property
    def watched_metrics(self) -> list[str]:
        """The validation metrics the spec names for this phase: its val gates' and early stopping's."""
        named = self.early_stopping.metric if self.early_stopping else None
        return [g.metric for g in self.gate if g.set == "val"] + ([named] if named else [])

    def selection_metric(self, task: str) -> str:
        """What "best" means when a phase of a `task` keeps its best evaluation: the early-stopping
        metric, else the task's headline metric for an sft phase, else the loss."""
        if self.early_stopping is not None and self.early_stopping.metric is not None:
            return self.early_stopping.metric
        return MONITORED_METRICS[task][0] if self.kind == "sft" and task in MONITORED_METRICS else "loss"
