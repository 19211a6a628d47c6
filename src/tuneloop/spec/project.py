"""`ProjectSpec`, the whole of `tuneloop.yaml`: the objective, the labels, the prompt and tracking,
the sections of every stage, and the checks that need more than one section."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from tuneloop.label_text import NO_LABELS, SEPARATOR, label_key
from tuneloop.spec.annotation import AnnotationSpec
from tuneloop.spec.assist import AssistSpec
from tuneloop.spec.data import CONVERSATION_FORMATS, DataSpec, QualitySpec, Splits
from tuneloop.spec.evaluation import Evaluation
from tuneloop.spec.fields import FieldSpec, check_field_names, schema_prompt
from tuneloop.spec.serving import ServingSpec
from tuneloop.spec.strict import Strict
from tuneloop.spec.training import MONITORED_METRICS, ModelSpec, Phase


class Objective(Strict):
    """The task. A multilabel answer holds `min_labels` to `max_labels` (default: every label)
    labels of the schema."""

    name: str = Field(min_length=1)
    description: str = ""
    task: Literal["classify", "multilabel", "generate", "extract"] = "classify"
    min_labels: int | None = Field(default=None, ge=0)
    max_labels: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _bounds_for_multilabel(self) -> Objective:
        given = [key for key in ("min_labels", "max_labels") if getattr(self, key) is not None]
        if given and self.task != "multilabel":
            raise ValueError(f"{given[0]} applies to task: multilabel only, not {self.task}")
        return self

    def bounds(self, labels: int) -> tuple[int, int]:
        """(min_labels, max_labels) with the defaults filled in, for a schema of `labels` labels."""
        return (self.min_labels or 0, labels if self.max_labels is None else self.max_labels)


LABELLED_TASKS = ("classify", "multilabel")  # tasks whose answers are labels of the schema


LABELS_HINT = (
    "list them under labels: (plain names, labels: [yes, no], or each with name: and description:), "
    "or start a project with the labels of a data file: tuneloop init DIR --labels-from FILE"
)


class Label(Strict):
    """A label the model may answer; `labels: [a, b]` writes labels by name alone."""

    name: str = Field(min_length=1, pattern=r"^\S(.*\S)?$")
    description: str = ""
    group: str | None = Field(default=None, min_length=1)  # e.g. an intent module's domain

    @model_validator(mode="before")
    @classmethod
    def _plain_name(cls, value: Any) -> Any:
        if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
            return {"name": str(value)}  # `labels: [1, 2, 3]`: ratings are names too
        if not isinstance(value, dict | Label):
            raise ValueError(f"write a label as a name, or with name: and description:; not {value!r}")
        return value


class Prompt(Strict):
    """How an input text becomes the chat turn the model sees."""

    system: str | None = None


class Tracking(Strict):
    """Where training metrics go besides `metrics.jsonl`: MLflow (a `sqlite:///FILE` store, relative
    to the project, or a server URL) and TensorBoard (event files in RUN_DIR/tensorboard/).
    Both need `pip install 'tuneloop[tracking]'`."""

    mlflow: str | None = None
    experiment: str | None = None  # default: objective.name
    tensorboard: bool = False


class ProjectSpec(Strict):
    version: Literal[1] = 1
    objective: Objective
    labels: list[Label] = Field(default_factory=list, validate_default=True)
    field_schema: list[FieldSpec] = Field(default_factory=list, validate_default=True)  # extract only
    guidelines: Path | None = None
    prompt: Prompt = Field(default_factory=Prompt)
    data: DataSpec
    splits: Splits = Field(default_factory=Splits)
    model: ModelSpec
    phases: list[Phase] = Field(min_length=1)
    evaluation: Evaluation = Field(default_factory=Evaluation, validate_default=True)
    annotation: AnnotationSpec = Field(default_factory=AnnotationSpec)
    assist: AssistSpec = Field(default_factory=AssistSpec)
    serving: ServingSpec = Field(default_factory=ServingSpec)
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
        if objective is not None and objective.task in LABELLED_TASKS and len(labels) < 2:
            needs = "needs its labels and none are listed" if not labels else "needs at least 2 labels"
            raise ValueError(f"a {objective.task} task {needs}: {LABELS_HINT}")
        names = [label.name for label in labels]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"label names must be unique; repeated: {', '.join(repeated)}")
        seen: dict[str, str] = {}
        for name in names:
            if not label_key(name):
                raise ValueError(f"label {name!r} has no letters or digits: no answer could match it")
            other = seen.setdefault(label_key(name), name)
            if other != name:
                raise ValueError(f"labels {other!r} and {name!r} differ only in case or punctuation")
        if objective is not None and objective.task == "multilabel":
            _label_sets_fit(objective, names)
        return labels

    @field_validator("field_schema")
    @classmethod
    def _fields_fit_the_task(cls, fields: list[FieldSpec], info: ValidationInfo) -> list[FieldSpec]:
        objective = info.data.get("objective")
        task = objective.task if objective is not None else None
        if task == "extract" and not fields:
            raise ValueError(
                "an extract task needs its field schema: list each field under field_schema: (name:, "
                "description:, type: string|number|date|time|enum|list, required:, span:)"
            )
        if fields and task is not None and task != "extract":
            raise ValueError(f"field_schema: is an extract task's answer, not a {task} task's")
        return check_field_names(fields)

    @field_validator("annotation")
    @classmethod
    def _groups_name_known_labels(cls, annotation: AnnotationSpec, info: ValidationInfo) -> AnnotationSpec:
        known = {label.name for label in info.data.get("labels", [])}
        for group, labels in annotation.label_groups.items():
            unknown = [label for label in labels if label not in known]
            if unknown:
                raise ValueError(f"label_groups.{group}: not labels of the spec: {', '.join(unknown)}")
        objective = info.data.get("objective")
        if annotation.dispute_masi is not None and objective is not None and objective.task != "multilabel":
            raise ValueError(
                f"dispute_masi compares label sets: it applies to task: multilabel, not {objective.task}"
            )
        return annotation

    @field_validator("data")
    @classmethod
    def _sources_fit_the_task(cls, data: DataSpec, info: ValidationInfo) -> DataSpec:
        objective = info.data.get("objective")
        task = objective.task if objective is not None else None
        for i, source in enumerate(data.sources):
            tabular = source.format not in CONVERSATION_FORMATS
            if task in LABELLED_TASKS and tabular and source.fields.label is None:
                raise ValueError(f"sources[{i}].fields.label must name the label column of a {task} task")
            if source.fields.label_delimiter is not None and task != "multilabel":
                raise ValueError(f"sources[{i}].fields.label_delimiter applies to task: multilabel only")
        return data

    @field_validator("quality")
    @classmethod
    def _rebalance_per_label(cls, quality: QualitySpec, info: ValidationInfo) -> QualitySpec:
        objective = info.data.get("objective")
        if objective is not None and objective.task == "multilabel" and quality.rebalance != "none":
            raise ValueError(
                f"rebalance: {quality.rebalance} counts one label per row; a multilabel task takes "
                "rebalance: none (its label balance is reported by tuneloop check)"
            )
        return quality

    @field_validator("evaluation")
    @classmethod
    def _metrics_fit_the_task(cls, evaluation: Evaluation, info: ValidationInfo) -> Evaluation:
        objective = info.data.get("objective")
        return evaluation if objective is None else evaluation.fit_task(objective.task)

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
    def _unique_phase_names(cls, phases: list[Phase], info: ValidationInfo) -> list[Phase]:
        names = [p.name for p in phases]
        if len(set(names)) != len(names):
            raise ValueError("phase names must be unique")
        objective = info.data.get("objective")
        watched = [p for p in phases if p.kind == "sft" and p.eval_every]
        if objective is None:
            return phases
        measured = MONITORED_METRICS.get(objective.task, ())
        for phase in watched:
            unmeasured = [m for m in phase.watched_metrics if m not in (*measured, "loss")]
            if unmeasured:
                raise ValueError(
                    f"phase {phase.name!r} watches {unmeasured[0]}, which a {objective.task} task's "
                    f"monitor does not measure; it measures {', '.join(measured)} and loss"
                )
        return phases

    @property
    def trains_source_preferences(self) -> bool:
        """A kto or dpo phase trains the preference rows of the data sources (`sources: [data]`)."""
        return any(p.preference is not None and "data" in p.preference.sources for p in self.phases)

    @property
    def system_prompt(self) -> str | None:
        """The system turn of every prompt: `prompt.system`, and for an extract task the field
        schema after it (`spec/fields.py: schema_prompt`)."""
        if self.objective.task == "extract":
            return schema_prompt(self.field_schema, self.prompt.system)
        return self.prompt.system

    @property
    def label_names(self) -> list[str]:
        return [label.name for label in self.labels]

    @property
    def label_bounds(self) -> tuple[int, int]:
        """How many labels a multilabel answer holds: (min_labels, max_labels), filled in."""
        return self.objective.bounds(len(self.labels))

    @property
    def store_url(self) -> str:
        """The annotation store's URL: `annotation.store_url`, or `annotations.db` in the project."""
        return self.annotation.store_url or f"sqlite:///{self.root.resolve() / 'annotations.db'}"

    @property
    def output_path(self) -> Path:
        return self.output_dir if self.output_dir.is_absolute() else self.root / self.output_dir


def _label_sets_fit(objective: Objective, names: list[str]) -> None:
    """A multilabel schema: bounds within the label count; names that keep the canonical answer
    (`label_text.canonical_answer`) readable: none holds its separator, none reads as the empty set."""
    low, high = objective.bounds(len(names))
    if not low <= high <= len(names):
        raise ValueError(
            f"objective.min_labels ({low}) and max_labels ({high}) must satisfy "
            f"0 <= min_labels <= max_labels <= the number of labels ({len(names)})"
        )
    for name in names:
        if SEPARATOR.strip() in name:
            raise ValueError(
                f"label {name!r} holds {SEPARATOR.strip()!r}, the separator of a multilabel answer "
                f"(labels joined by {SEPARATOR!r}); rename it"
            )
        if label_key(name) == NO_LABELS:
            raise ValueError(f"label {name!r} reads as {NO_LABELS!r}, the answer for no labels; rename it")
