"""Sample a run's model outputs for people to review, into the annotation store.

The sample (spec `evaluation.review`) is stratified by slice: every combination of the spec's
slice groups gets its share of `sample` in proportion to its size (largest remainders, and at
least one item while the sample allows), so a small scenario is not left out. Within a stratum,
outputs are drawn without replacement with weights that over-sample what most needs a person:
a wrong answer (`oversample.errors`), a low-confidence one (`Prediction.confidence` below
`low_confidence_below`, when the scoring gives probabilities) and a counterfactual flip (its id in
the fairness check's flips); the factors multiply. Every drawn output is an `output_review` item
tied to the model, run and phase; what was drawn and why is kept in `RUN/review/sample.jsonl`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from tuneloop.annotate.project import operator, project_store, publish_spec_guidelines
from tuneloop.annotate.store import add_label_schema, import_model_outputs
from tuneloop.annotate.store.engine import Store
from tuneloop.annotate.store.items import ModelOutput
from tuneloop.annotate.store.models import OUTPUT_REVIEW, LabelSchema
from tuneloop.errors import TuneloopError
from tuneloop.evaluate.fairness.assessment import read_fairness
from tuneloop.evaluate.predict import Prediction
from tuneloop.evaluate.runner import read_predictions
from tuneloop.evaluate.slices import slice_value
from tuneloop.feedback.review_files import write_jsonl
from tuneloop.run_dir import PREDICTIONS_FILE, REVIEW_SAMPLE_FILE, eval_dir, read_record, review_dir
from tuneloop.spec import OutputReviewSpec, ProjectSpec, SliceSpec
from tuneloop.spec.recorded import run_spec

REVIEW_SCHEMA = "output review"
ORDINARY = "ordinary"


@dataclass(frozen=True)
class Drawn:
    """One output drawn for review: the prediction, why it was drawn and the stratum it came from."""

    id: str
    text: str
    gold: str | None
    predicted: str | None
    output: str
    confidence: float | None
    reasons: list[str]
    stratum: str
    model: str
    run: str
    phase: str

    @property
    def source_key(self) -> str:
        return f"model:{self.model}:{self.run}:{self.phase}:{self.id}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"source_key": self.source_key}


def reasons(prediction: Prediction, review: OutputReviewSpec, flipped: set[str]) -> list[str]:
    found = []
    if not prediction.correct:
        found.append("error")
    if prediction.confidence is not None and prediction.confidence < review.low_confidence_below:
        found.append("low_confidence")
    if prediction.id in flipped:
        found.append("flip")
    return found or [ORDINARY]


def weight(why: list[str], review: OutputReviewSpec) -> float:
    factors = {
        "error": review.oversample.errors,
        "low_confidence": review.oversample.low_confidence,
        "flip": review.oversample.flips,
    }
    return float(np.prod([factors.get(reason, 1.0) for reason in why]))


def stratum(prediction: Prediction, slices: list[SliceSpec]) -> str:
    return " · ".join(f"{s.name}={slice_value(prediction, s) or '-'}" for s in slices) or "all"


def allocate(sizes: dict[str, int], total: int) -> dict[str, int]:
    """Shares of `total` in proportion to the strata's sizes (largest remainders, never more than a
    stratum holds); then each empty-handed stratum gets one from the largest share while any share
    has more than one, so a small scenario is never left out of the review."""
    total, whole = min(total, sum(sizes.values())), sum(sizes.values())
    exact = {k: total * n / whole for k, n in sizes.items()} if whole else dict.fromkeys(sizes, 0.0)
    share = {k: int(x) for k, x in exact.items()}
    by_remainder = sorted(sizes, key=lambda k: (-(exact[k] - share[k]), k))
    for k in by_remainder[: total - sum(share.values())]:
        share[k] += 1
    for k in sorted((k for k in sizes if share[k] == 0 and sizes[k]), key=lambda k: (-sizes[k], k)):
        largest = max(share, key=lambda s: (share[s], s))
        if share[largest] <= 1:
            break
        share[largest] -= 1
        share[k] = 1
    return share


def draw_sample(
    predictions: list[Prediction],
    review: OutputReviewSpec,
    slices: list[SliceSpec],
    flipped: set[str],
    where: tuple[str, str, str],
    seed: int = 0,
) -> list[Drawn]:
    """`review.sample` outputs, stratified and weighted as the module says; `where` is the
    (model, run, phase) the outputs came from."""
    strata: dict[str, list[Prediction]] = defaultdict(list)
    for p in predictions:
        strata[stratum(p, slices)].append(p)
    shares = allocate({k: len(v) for k, v in strata.items()}, review.sample)
    rng = np.random.default_rng(seed)
    model, run, phase = where
    drawn = []
    for name in sorted(strata):
        members = strata[name]
        why = [reasons(p, review, flipped) for p in members]
        weights = np.array([weight(w, review) for w in why])
        picked = rng.choice(len(members), size=shares[name], replace=False, p=weights / weights.sum())
        for i in sorted(picked):
            p = members[i]
            drawn.append(
                Drawn(
                    p.id, p.text, p.gold, p.predicted, p.output, p.confidence, why[i], name, model, run, phase
                )
            )
    return drawn


def review_text(drawn: Drawn) -> str:
    """What a reviewer reads: the input and the model's answer (never the gold label)."""
    return f"{drawn.text}\n\n— model answer: {drawn.output or '(empty)'}"


def import_sample(store: Store, spec: ProjectSpec, drawn: list[Drawn], reviewers: int) -> int:
    """Add the drawn outputs as `output_review` items (`reviewers` answers each); returns how many
    were new (an output already in the store is left as it is)."""
    with store.begin() as session:
        by = operator(session)
        publish_spec_guidelines(session, spec, by)  # a review, like a label, is made under guidelines
        schema = review_schema(session, by)
        outputs = [ModelOutput(d.id, review_text(d), d.model, d.run, d.phase, domain=None) for d in drawn]
        return len(import_model_outputs(session, outputs, schema, overlap=reviewers, by=by))


def review_schema(session: Session, by: Any) -> LabelSchema:
    schema = session.scalar(select(LabelSchema).where(LabelSchema.name == REVIEW_SCHEMA))
    return schema if schema is not None else add_label_schema(session, REVIEW_SCHEMA, OUTPUT_REVIEW, by=by)


def sample_for_review(run_dir: Path) -> dict[str, Any]:
    """Draw the run's review sample from its final model's predictions on `review.split`, import it
    into the project's annotation store and keep what was drawn in RUN/review/sample.jsonl."""
    spec, record = run_spec(run_dir), read_record(run_dir)
    review = spec.evaluation.review or OutputReviewSpec()
    split_dir = eval_dir(run_dir, review.split)
    if record.final_model is None or not (split_dir / PREDICTIONS_FILE).is_file():
        raise TuneloopError(
            f"{run_dir}: no predictions of the final model on {review.split}; "
            f"run `tuneloop evaluate --run {run_dir}` first"
        )
    predictions = read_predictions(split_dir / PREDICTIONS_FILE)
    fairness = read_fairness(split_dir)
    flipped = flipped_ids(fairness) if fairness is not None else set()
    phase = record.phases[-1]["name"] if record.phases else "final"
    where = (record.final_model, run_dir.name, phase)
    drawn = draw_sample(predictions, review, spec.evaluation.slices, flipped, where, spec.seed)
    store = project_store(spec)
    try:
        added = import_sample(store, spec, drawn, review.reviewers_per_item)
    finally:
        store.close()
    write_jsonl(review_dir(run_dir) / REVIEW_SAMPLE_FILE, [d.to_dict() for d in drawn])
    return {
        "run_dir": str(run_dir),
        "split": review.split,
        "drawn": len(drawn),
        "new_items": added,
        "reviewers_per_item": review.reviewers_per_item,
        "by_reason": dict(Counter(reason for d in drawn for reason in d.reasons)),
        "strata": dict(sorted(Counter(d.stratum for d in drawn).items())),
        "store": spec.store_url,
    }


def flipped_ids(fairness: dict[str, Any]) -> set[str]:
    """Ids of the rows whose prediction a counterfactual swap changed, in any swap family."""
    families = fairness.get("counterfactual", {}).get("families", {})
    return {str(flip["id"]) for family in families.values() for flip in family.get("flips", [])}
