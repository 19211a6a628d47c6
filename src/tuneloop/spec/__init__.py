"""The project spec: `tuneloop.yaml` loaded into pydantic models.

One file says what the task is, which data to read, how to split it, which model to start from,
which phases to train and how to evaluate. Every later stage reads only this object, so a round
can be reproduced from the spec and the data alone.

The models are split by stage: `data`, `training`, `evaluation` and `annotation`, with
`ProjectSpec` and the project-wide settings in `project`; `loading` reads the file and turns
every validation problem into a line of one `SpecError`.
"""

from tuneloop.spec.data import FORMATS, FieldMap, QualitySpec, Source
from tuneloop.spec.evaluation import (
    Evaluation,
    EvaluationGate,
    FairnessSpec,
    OutputReviewSpec,
    SliceSpec,
)
from tuneloop.spec.loading import SPEC_FILE, load_spec
from tuneloop.spec.project import LABELLED_TASKS, ProjectSpec
from tuneloop.spec.training import (
    PREFERENCE_KINDS,
    Gate,
    LoraSpec,
    Phase,
    PreferenceSpec,
    TinyModel,
    higher_is_better,
)

__all__ = [
    "FORMATS",
    "LABELLED_TASKS",
    "PREFERENCE_KINDS",
    "SPEC_FILE",
    "Evaluation",
    "EvaluationGate",
    "FairnessSpec",
    "FieldMap",
    "Gate",
    "LoraSpec",
    "OutputReviewSpec",
    "Phase",
    "PreferenceSpec",
    "ProjectSpec",
    "QualitySpec",
    "SliceSpec",
    "Source",
    "TinyModel",
    "higher_is_better",
    "load_spec",
]
