"""What a generate task's evaluation shows: every text metric with its interval, the checks on the
outputs, the per-attribute fidelity table with the slot error rate, and a few outputs beside their
references; for the report and the model card alike, read from the split's metrics.json.

The E2E challenge's baseline (TGen: BLEU 65.9, ROUGE-L 68.5) is shown beside BLEU and ROUGE-L as
an anchor, saying that it was measured on the challenge's own test set, not on these inputs.
"""

from __future__ import annotations

from typing import Any

from tuneloop.evaluate.text_metrics import TEXT_METRICS

SHOWN = (*TEXT_METRICS, "slot_error_rate")
NAMES = {
    "bleu": "BLEU (points)",
    "chrf": "chrF (points)",
    "rouge_l": "ROUGE-L F1 (points)",
    "exact_match": "exact match (share)",
    "output_words": "words per output",
    "reference_words": "words per reference",
    "length_ratio": "output / reference length",
    "slot_error_rate": "slot error rate (lower is better)",
}
#: TGen, the E2E challenge's baseline, on the challenge's test set (Dušek, Novikova, Rieser 2020).
ANCHOR = {"bleu": 65.9, "rouge_l": 68.5}
ANCHOR_NOTE = (
    "TGen, the E2E NLG challenge's baseline, scored BLEU 65.9 and ROUGE-L 68.5 on the challenge's "
    "test set; these numbers are on held-out inputs of the development set, a different test set "
    "(and the challenge computed ROUGE-L with β = 1.2), so they are an anchor, not a comparison"
)
SAMPLES_SHOWN = 5


def generation_section(metrics: dict[str, Any] | None, e2e: bool = False) -> dict[str, Any] | None:
    """The report's context for a generate split; None for another task kind. `e2e`: the inputs
    are E2E meaning representations, so the TGen anchor applies."""
    if not metrics or "references" not in metrics or "bleu" not in metrics:
        return None
    ci = metrics.get("ci") or {}
    anchor = ANCHOR if e2e else {}
    rows = [
        {"key": m, "name": NAMES[m], "value": metrics[m], "ci": ci.get(m), "anchor": anchor.get(m)}
        for m in SHOWN
        if metrics.get(m) is not None
    ]
    fidelity = metrics.get("fidelity")
    return {
        "rows": rows,
        "checks": metrics.get("checks") or {},
        "n": metrics["n"],
        "references": metrics["references"],
        "rule": (metrics.get("scoring") or {}).get("rule"),
        "fidelity": fidelity,
        "samples": (metrics.get("samples") or [])[:SAMPLES_SHOWN],
        "anchor_note": ANCHOR_NOTE if e2e else None,
    }


def is_e2e(metrics: dict[str, Any] | None) -> bool:
    """Whether the scored inputs were meaning representations with E2E's attributes."""
    attributes = ((metrics or {}).get("fidelity") or {}).get("attributes") or {}
    return {"name", "eatType"} <= set(attributes) or {"name", "food"} <= set(attributes)


def generation_card(metrics: dict[str, Any] | None, split: str | None) -> str:
    """The model card's section: the metrics with intervals, the fidelity table, samples."""
    section = generation_section(metrics, is_e2e(metrics))
    if section is None:
        return ""
    lines = [
        f"## Generated text ({split})",
        "",
        f"{section['n']} inputs, {section['references']['total']} references.",
    ]
    lines += ["", "| metric | value | 95% CI |", "| --- | --- | --- |"]
    for row in section["rows"]:
        interval = f"[{row['ci'][0]:.3f}, {row['ci'][1]:.3f}]" if row["ci"] else "-"
        lines.append(f"| {row['name']} | {row['value']:.3f} | {interval} |")
    if section["anchor_note"]:
        lines += ["", section["anchor_note"] + "."]
    checks = section["checks"]
    lines += [
        "",
        f"Outputs empty: {checks.get('empty', 0)}, cut off by the token budget: "
        f"{checks.get('truncated', 0)}, copying their input: {checks.get('copied_input', 0)}.",
    ]
    fidelity = section["fidelity"]
    if fidelity:
        lines += [
            "",
            f"Slot error rate {fidelity['slot_error_rate']:.3f} over {fidelity['slots']} attributes.",
            "",
        ]
        lines += [
            "| attribute | stated | omitted | contradicted | added |",
            "| --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {name} | {a['stated']} | {a['omitted']} | {a['contradicted']} | {a['added']} |"
            for name, a in fidelity["attributes"].items()
        ]
    for sample in section["samples"][:3]:
        lines += ["", f"- input: `{sample['input']}`", f"  - output: {sample['output'] or '(empty)'}"]
        lines += [f"  - reference: {ref}" for ref in sample["references"][:2]]
    return "\n".join(lines)
