"""What an extract task's evaluation shows: the field metrics with intervals, each field's right,
wrong, missing and hallucinated values, the invalid outputs by reason, the values the input does
not hold, what decoding without the schema constraint gives on a sample, and a few outputs
beside their gold records; for the report and the model card alike, read from the split's
metrics.json."""

from __future__ import annotations

from typing import Any

from tuneloop.evaluate.field_metrics import FIELD_METRICS, KINDS

NAMES = {
    "field_micro_f1": "field micro-F1",
    "field_macro_f1": "field macro-F1",
    "exact_record": "exact records (share)",
    "field_micro_precision": "field micro precision",
    "field_micro_recall": "field micro recall",
}
SAMPLES_SHOWN = 5
INVALID_SHOWN = 10


def extraction_section(metrics: dict[str, Any] | None) -> dict[str, Any] | None:
    """The report's context for an extract split; None for another task kind."""
    if not metrics or "per_field" not in metrics:
        return None
    ci = metrics.get("ci") or {}
    rows = [
        {"key": m, "name": NAMES[m], "value": metrics[m], "ci": ci.get(m)}
        for m in FIELD_METRICS
        if metrics.get(m) is not None
    ]
    fields = [{"name": name, **counts} for name, counts in metrics["per_field"].items()]
    invalid = metrics.get("invalid_outputs") or {"count": 0, "by_reason": {}, "rows": []}
    return {
        "rows": rows,
        "n": metrics["n"],
        "rule": (metrics.get("scoring") or {}).get("rule"),
        "invalid_rate": metrics.get("invalid_rate"),
        "fields": fields,
        "kinds": KINDS,
        "invalid": {**invalid, "rows": invalid["rows"][:INVALID_SHOWN]},
        "not_in_text": metrics.get("not_in_text", 0),
        "samples": (metrics.get("samples") or [])[:SAMPLES_SHOWN],
        "free": metrics.get("free_decoding"),
        "free_line": free_line(metrics.get("free_decoding")),
    }


def free_line(free: dict[str, Any] | None) -> str:
    """What decoding without the constraint gave on the sample, beside the constrained outputs."""
    if not free:
        return ""
    return (
        f"Decoded without the constraint, the first {free['n']} inputs give {free['free_invalid_rate']:.0%} "
        f"invalid outputs (constrained: {free['constrained_invalid_rate']:.0%}) and field micro-F1 "
        f"{free['free_field_micro_f1']:.3f} (constrained: {free['constrained_field_micro_f1']:.3f})."
    )


def extraction_card(metrics: dict[str, Any] | None, split: str | None) -> str:
    """The model card's section: the metrics with intervals and the per-field table."""
    section = extraction_section(metrics)
    if section is None:
        return ""
    lines = [f"## Extracted fields ({split})", "", f"{section['n']} inputs: {section['rule']}."]
    lines += ["", "| metric | value | 95% CI |", "| --- | --- | --- |"]
    for row in section["rows"]:
        interval = f"[{row['ci'][0]:.3f}, {row['ci'][1]:.3f}]" if row["ci"] else "-"
        lines.append(f"| {row['name']} | {row['value']:.3f} | {interval} |")
    invalid = section["invalid"]
    reasons = ", ".join(f"{k} {v}" for k, v in invalid["by_reason"].items()) or "none"
    lines += [
        "",
        f"Invalid outputs (no record of the schema): {invalid['count']} ({reasons}); values the input "
        f"does not hold: {section['not_in_text']}. {free_line(section['free'])}".rstrip(),
        "",
        "| field | support | precision | recall | F1 | wrong | missing | hallucinated |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {f['name']} | {f['support']} | {f['precision']:.3f} | {f['recall']:.3f} | {f['f1']:.3f} "
        f"| {f['wrong']} | {f['missing']} | {f['hallucinated']} |"
        for f in section["fields"]
    ]
    return "\n".join(lines)
