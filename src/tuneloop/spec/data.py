"""What the spec says about the data: the sources and their fields, the splits, and the quality
policy (`quality:`) that `tuneloop check` and `prepare` apply to the rows read."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from tuneloop.spec.strict import Strict

# File layouts (csv, jsonl, json: an array of records or JSONL, parquet), then row shapes read from
# the layout the extension names (chat: OpenAI chat rows; alpaca; sharegpt). docs/formats.md.
FORMATS = ("csv", "jsonl", "json", "parquet", "chat", "alpaca", "sharegpt")
CONVERSATION_FORMATS = ("chat", "alpaca", "sharegpt")  # the answer is the label: no label field
_EXTENSION_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".json": "json", ".parquet": "parquet"}


class FieldMap(Strict):
    """Which column (or JSON key) holds the text, the label and the slice tags. A multilabel
    label cell is a list (a JSON list, also as text), or text split at `label_delimiter`."""

    text: str = "text"
    label: str | None = "label"
    label_delimiter: str | None = Field(default=None, min_length=1)
    slices: list[str] = Field(default_factory=list)


class Source(Strict):
    path: Path
    format: Literal["csv", "jsonl", "json", "parquet", "chat", "alpaca", "sharegpt"] | None = None
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


class DataSpec(Strict):
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
            if source.format in CONVERSATION_FORMATS:
                raise ValueError(
                    f"unlabeled[{i}]: use csv, jsonl, json or parquet with a text field, not {source.format}"
                )
        return [
            s.model_copy(update={"fields": s.fields.model_copy(update={"label": None})}) for s in unlabeled
        ]


class SplitFiles(Strict):
    """The test set's file, and the validation set's; without one, validation is the share
    `splits.validation` of the sources."""

    validation: Source | None = None
    test: Source


class Splits(Strict):
    """Stratified fractions of the sources, or explicit files for validation and test."""

    validation: float = Field(default=0.1, gt=0, lt=0.5)
    test: float = Field(default=0.1, gt=0, lt=0.5)
    files: SplitFiles | None = None


CHECK_NAMES = ("format", "length", "labels", "duplicates", "hygiene", "pii", "relevance", "balance")


class NearDuplicates(Strict):
    """MinHash LSH settings: rows whose input word `ngram`s overlap by at least `threshold`
    (Jaccard) are near duplicates. Short chat inputs need short n-grams: with 5-grams one changed
    word in a ten-word message already drops the overlap below 0.5."""

    threshold: float = Field(default=0.8, gt=0, le=1)
    ngram: int = Field(default=3, ge=1, le=16)
    permutations: int = Field(default=128, ge=16, le=1024)


class QualitySpec(Strict):
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
    min_label_rows: int = Field(default=10, ge=1)  # multilabel: fewer rows holding a label is rare
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
