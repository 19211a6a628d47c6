"""`tuneloop assist suggest`: every open item of the project's schema gets a calibrated suggestion.

The suggester is the one handed in (a trained model's scores, from the CLI, which may load
models), else the TF-IDF baseline on the gold labels so far (`suggest_baseline.py`). It is
calibrated on its held-out rows (`suggestions.suggest`), and the store's suggestions are replaced
as one set (`annotate/store/suggestions.py: replace_suggestions`): the items scored now get the new
model's, and no open item keeps an older one. The open items are ranked for the uncertainty queue
(`assist/queue.py`) from the same suggestions.
"""

from __future__ import annotations

from typing import Any

from tuneloop.annotate.project import operator, project_store, task_schema
from tuneloop.annotate.store.queue import set_queue_order
from tuneloop.annotate.store.suggestions import NewSuggestion, open_items, replace_suggestions
from tuneloop.assist.queue import uncertainty_order
from tuneloop.assist.suggest_baseline import tfidf_source
from tuneloop.assist.suggestions import ProbabilitySource, Suggested, margin, suggest
from tuneloop.errors import TuneloopError
from tuneloop.spec import ProjectSpec

SHOWN = 10  # suggestions listed in the command's answer


def suggest_open_items(spec: ProjectSpec, source: ProbabilitySource | None = None) -> dict[str, Any]:
    """Score the open items, calibrate, and store one suggestion per item; the summary says which
    suggester, what it learned from and the calibration error before and after."""
    if spec.objective.task not in ("classify", "multilabel"):
        raise TuneloopError(
            f"assist suggest: a {spec.objective.task!r} task takes no suggestions; "
            "only classify and multilabel do"
        )
    source = source or tfidf_source(spec)
    if source.multilabel != (spec.objective.task == "multilabel"):
        raise TuneloopError(
            f"assist suggest: {source.model_version} answers "
            f"{'label sets' if source.multilabel else 'one label'}, the project a {spec.objective.task} task"
        )
    store = project_store(spec)
    try:
        with store.begin() as session:  # the schema and the operator are made on first use
            schema = task_schema(session, spec, operator(session))
            items = [(item.id, item.text) for item in open_items(session, schema)]
        suggested, calibration = suggest(source, [text for _, text in items], spec.label_bounds)
        with store.begin() as session:
            by = operator(session)
            schema = task_schema(session, spec, by)
            counts = replace_suggestions(
                session,
                schema,
                [_stored(item_id, s) for (item_id, _), s in zip(items, suggested, strict=True)],
                source.agent,
                source.model_version,
                by=by,
            )
            ranked = set_queue_order(session, schema, _uncertainty(items, suggested, source.multilabel), by)
    finally:
        store.close()
    return {
        "agent": source.agent,
        "model_version": source.model_version,
        "trained_on": source.trained_on,
        "calibration": calibration.to_dict(),
        **counts,
        "queue": spec.assist.queue,
        "ranked": ranked,
        "suggestions": [
            {"item": item_id, "text": text[:200], "label": _list(s.label), "probability": s.probability}
            for (item_id, text), s in list(zip(items, suggested, strict=True))[:SHOWN]
        ],
    }


def _list(label: str | tuple[str, ...]) -> Any:
    return list(label) if isinstance(label, tuple) else label


def _stored(item_id: int, s: Suggested) -> NewSuggestion:
    return NewSuggestion(item_id, _list(s.label), s.probability, s.probabilities)


def _uncertainty(items: list[tuple[int, str]], suggested: list[Suggested], multilabel: bool) -> list[int]:
    """The open items in uncertainty-queue order (assist/queue.py), whatever `assist.queue` is now,
    so switching the spec to it needs no new run."""
    margins = [margin(s.probabilities, multilabel) for s in suggested]
    return uncertainty_order([i for i, _ in items], margins, [t for _, t in items])
