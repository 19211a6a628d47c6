"""The task card: what a trained model answers, saved inside its directory.

`tuneloop evaluate MODEL_DIR --data FILE` needs no spec: the card tells it the task, the label set,
the system prompt the model was trained with, the field names and the format of the training data.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import orjson

from tuneloop.errors import TuneloopError
from tuneloop.spec import ProjectSpec
from tuneloop.spec.fields import FieldSpec

CARD_FILE = "tuneloop_task.json"


@dataclass(frozen=True)
class TaskCard:
    task: str
    labels: list[str]
    system: str | None
    text_field: str = "text"
    label_field: str | None = "label"
    max_new_tokens: int = 16
    scoring: str = "loglik"  # evaluation.scoring; cards saved before it existed score by log-likelihood
    parsing: str = "lenient"  # evaluation.parsing: the headline rule under generation
    data_format: str | None = None  # the first source's format; None on cards saved before it was kept
    min_labels: int = 0  # a multilabel answer's bounds; None: as many as there are labels
    max_labels: int | None = None
    threshold: float = 0.5  # a multilabel set's presence threshold; evaluation sets the tuned one
    threshold_source: str | None = None  # where `threshold` was tuned (None: the default 0.5)
    field_schema: list[dict[str, Any]] = field(default_factory=list)  # an extract task's fields
    decoding: str = "free"  # evaluation.decoding: an extract task's; cards saved before it decoded free

    @cached_property
    def fields(self) -> list[FieldSpec]:
        """An extract task's field schema, as the spec wrote it."""
        return [FieldSpec(**f) for f in self.field_schema]

    @classmethod
    def from_spec(cls, spec: ProjectSpec) -> TaskCard:
        fields = spec.data.sources[0].fields
        return cls(
            task=spec.objective.task,
            labels=spec.label_names,
            system=spec.system_prompt,
            text_field=fields.text,
            label_field=fields.label,
            max_new_tokens=spec.evaluation.max_new_tokens,
            scoring=spec.evaluation.scoring,
            parsing=spec.evaluation.parsing,
            data_format=spec.data.sources[0].format,
            min_labels=spec.label_bounds[0],
            max_labels=spec.label_bounds[1],
            field_schema=[f.model_dump() for f in spec.field_schema],
            decoding=spec.evaluation.decoding,
        )

    def save(self, model_dir: Path) -> None:
        (model_dir / CARD_FILE).write_bytes(orjson.dumps(asdict(self), option=orjson.OPT_INDENT_2))

    @classmethod
    def load(cls, model_dir: Path) -> TaskCard:
        path = model_dir / CARD_FILE
        if not path.is_file():
            raise TuneloopError(
                f"{model_dir}: no {CARD_FILE}; pass a model directory trained by tuneloop, or a run "
                "directory that finished training"
            )
        return cls(**orjson.loads(path.read_bytes()))
