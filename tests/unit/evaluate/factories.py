"""Hand-made predictions for the evaluation tests: no model needed to test the statistics."""

from __future__ import annotations

from tuneloop.evaluate.predict import Prediction


def prediction(
    id: str,
    gold: str,
    predicted: str | None,
    text: str = "a b",
    probabilities: dict[str, float] | None = None,
    **slices: str,
) -> Prediction:
    return Prediction(id, text, gold, predicted or "???", predicted, slices, probabilities)


def scored(correct: list[bool], prefix: str = "r", labels: tuple[str, str] = ("a", "b")) -> list[Prediction]:
    """One prediction per flag, gold alternating over `labels`: right when the flag is set."""
    out = []
    for i, ok in enumerate(correct):
        gold, other = labels[i % 2], labels[(i + 1) % 2]
        out.append(prediction(f"{prefix}{i}", gold, gold if ok else other))
    return out
