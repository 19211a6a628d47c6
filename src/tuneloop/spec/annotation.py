"""What the spec says about annotation: where annotations are stored, how many people label each
item, how their answers are combined, and the agreement they must reach before export."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from tuneloop.spec.strict import Strict


class AgreementGate(Strict):
    """Krippendorff's alpha (nominal) the annotations must reach before they may be exported for
    training: overall, per label (one against the rest) and per label group (the group against the
    rest). 0.667 is Krippendorff's lowest "tentative conclusions" level; None turns a check off."""

    alpha: float | None = Field(default=0.667, ge=-1, le=1)
    label_alpha: float | None = Field(default=None, ge=-1, le=1)
    group_alpha: float | None = Field(default=None, ge=-1, le=1)


class AnnotationSpec(Strict):
    """Where annotations are stored and how many people label each item.

    `store_url` is a SQLAlchemy URL (`postgresql+psycopg://...` for a team); by default the
    embedded SQLite file `annotations.db` in the project directory (`ProjectSpec.store_url`).
    """

    store_url: str | None = Field(default=None, min_length=1)
    overlap: int = Field(default=2, ge=2)
    route_by_skill: bool = False
    suggestions: bool = False  # show the model's stored suggestion with each item (web app)
    # a round trains on the store's adjudicated and agreed labels in place of the sources' labels
    # (annotate/training_labels.py); false: the sources' labels alone, as if no one had annotated
    gold_feeds_training: bool = True
    consensus: Literal["majority", "dawid_skene"] = "majority"
    gate: AgreementGate = Field(default_factory=AgreementGate)
    label_groups: dict[str, list[str]] = Field(default_factory=dict)
    # multilabel only: answers that differ go to adjudication when two of them are further apart
    # than this MASI distance (or a label ties); closer ones are decided per label. None: any
    # difference goes to adjudication.
    dispute_masi: float | None = Field(default=None, ge=0, le=1)

    @model_validator(mode="after")
    def _groups_are_not_empty(self) -> AnnotationSpec:
        for name, labels in self.label_groups.items():
            if len(labels) < 1:
                raise ValueError(f"label_groups.{name}: list at least one label")
        return self
