"""`RUN/MODEL_CARD.md`: one plain page that travels with the model.

It is written from what the run left on disk (run.json, the dataset manifest, eval/SPLIT/*.json,
review/results.json), so `tuneloop report` can rewrite it at any time and it never disagrees with
the report. Known limitations are derived, not typed: a collapse alarm, slices too small to
judge, gates that failed, outputs that were not labels, fairness and review that were not done.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tuneloop.data.version import MANIFEST
from tuneloop.evaluate.compare import OVERALL, read_comparisons
from tuneloop.evaluate.fairness.assessment import read_fairness
from tuneloop.evaluate.run import read_evaluation
from tuneloop.report import label_sets
from tuneloop.report.evaluation import baseline_rows, judged
from tuneloop.report.extraction import extraction_card
from tuneloop.report.generation import generation_card
from tuneloop.run_dir import (
    MODEL_CARD_FILE,
    RunRecord,
    data_dir,
    eval_dir,
    read_json,
    read_record,
    read_review_results,
)
from tuneloop.spec import ProjectSpec
from tuneloop.spec.recorded import run_spec

SIGNIFICANT = 0.05


def write_model_card(run_dir: Path) -> Path:
    path = run_dir / MODEL_CARD_FILE
    path.write_text(model_card(run_dir), encoding="utf-8")
    return path


def model_card(run_dir: Path) -> str:
    record, spec = read_record(run_dir), run_spec(run_dir)
    evaluation = read_evaluation(run_dir)
    split = (
        spec.evaluation.gate_split
        if spec.evaluation.gate_split in evaluation
        else next(iter(evaluation), None)
    )
    comparisons = read_comparisons(eval_dir(run_dir, split)) if split else None
    fairness = read_fairness(eval_dir(run_dir, split)) if split else None
    review = read_review_results(run_dir)
    sections = [
        f"# Model card: {spec.objective.name} ({run_dir.name})",
        _overview(record, spec),
        _data(run_dir, record),
        _phases(record, spec),
        _evaluation(evaluation, spec),
        _baselines(evaluation.get(split) if split else None, comparisons, split, spec),
        _label_sets(evaluation.get(split) if split else None, split),
        generation_card(evaluation.get(split) if split else None, split),
        extraction_card(evaluation.get(split) if split else None, split),
        _slices(evaluation.get(split) if split else None, split),
        _comparisons(comparisons),
        _gates(record),
        _fairness(fairness),
        _review(review),
        _limitations(record, spec, evaluation.get(split) if split else None, split, fairness, review),
    ]
    return "\n\n".join(s for s in sections if s) + "\n"


def _overview(record: RunRecord, spec: ProjectSpec) -> str:
    built = record.base_model or "not built yet"
    base = spec.model.base or f"a tiny Llama-style model built from this project's text ({built})"
    return "\n".join(
        [
            f"{spec.objective.description}".strip() or spec.objective.name,
            "",
            f"- task: {spec.objective.task}, {len(spec.labels)} labels",
            f"- model: `{record.final_model or 'not trained'}`",
            f"- started from: {base}",
            f"- status: {record.status}",
            f"- seed: {spec.seed}",
        ]
    )


def _data(run_dir: Path, record: RunRecord) -> str:
    manifest = read_json(data_dir(run_dir) / MANIFEST)
    guidelines = record.guidelines
    lines = ["## Data"]
    if manifest:
        counts = manifest["counts"]
        lines.append(
            f"- dataset version `{manifest['hash']}`: read {counts['read']} rows, kept {counts['kept']}, "
            f"quarantined {counts['quarantined']}; splits "
            + ", ".join(f"{k} {v}" for k, v in counts["splits"].items() if v)
        )
    else:
        lines.append("- dataset version: not recorded")
    if guidelines:
        lines.append(f"- guidelines: `{guidelines['path']}` (sha256 {guidelines['sha256']})")
    else:
        lines.append("- guidelines: none")
    return "\n".join(lines)


def _phases(record: RunRecord, spec: ProjectSpec) -> str:
    done = {p["name"]: p for p in record.phases or []}
    rows = []
    for phase in spec.phases:
        ran = done.get(phase.name, {})
        settings = (
            f"{phase.epochs} epochs"
            + (f", <= {phase.max_steps} steps" if phase.max_steps else "")
            + f", lr {phase.learning_rate:g}, batch {phase.batch_size}"
            + _preference(ran.get("preference"))
        )
        gates = ", ".join(
            f"{g['gate']}: {'passed' if g['passed'] else 'FAILED'}" for g in ran.get("gates", [])
        )
        rows.append([phase.name, phase.kind, settings, str(ran.get("steps", "not run")), gates or "-"])
    return "## Phases\n\n" + _table(["phase", "kind", "settings", "steps", "gates"], rows)


def _preference(trained: dict[str, Any] | None) -> str:
    """What a kto or dpo phase trained on: its rows, and for KTO the sides and their weights."""
    if not trained:
        return ""
    if "desirable" not in trained:
        return f"; {trained['rows']} pairs, beta {trained['beta']:g}"
    return (
        f"; {trained['rows']} ratings ({trained['desirable']} up, {trained['undesirable']} down; weights "
        f"{trained['desirable_weight']:g}:{trained['undesirable_weight']:g}), beta {trained['beta']:g}"
    )


def _evaluation(evaluation: dict[str, dict[str, Any]], spec: ProjectSpec) -> str:
    if not evaluation:
        return "## Evaluation\n\nNot evaluated."
    metrics = spec.evaluation.metrics
    rows = [
        [
            split,
            str(m["n"]),
            *(_with_ci(m.get(k), m.get("ci", {}).get(k)) for k in metrics),
            _pct(m["invalid_rate"]),
        ]
        for split, m in evaluation.items()
    ]
    first = next((m for m in evaluation.values() if "bootstrap" in m), next(iter(evaluation.values())))
    rule = first.get("mapping_rule") or (first.get("scoring") or {}).get("rule", "")
    lines = [
        "## Evaluation",
        "",
        f"Bootstrap 95% intervals ({first.get('bootstrap', '?')} resamples). "
        f"{'Outputs mapped to labels by' if 'mapping_rule' in first else 'Scoring'}: {rule}.",
        "",
        _table(["split", "n", *metrics, "invalid"], rows),
    ]
    return "\n".join(lines)


def _baselines(
    metrics: dict[str, Any] | None, comparisons: dict[str, Any] | None, split: str | None, spec: ProjectSpec
) -> str:
    """The model beside the majority label, the TF-IDF regression and the base model, same rows."""
    if not metrics or "baselines" not in metrics:
        return ""
    names, metric = judged(metrics), spec.evaluation.metrics[0]
    rows = []
    for row in baseline_rows(metrics, comparisons, metric):
        scores, test = row["scores"], row["test"]
        versus = (
            f"{test['difference']:+.3f} [{test['ci'][0]:+.3f}, {test['ci'][1]:+.3f}], p={test['p']:.3g}"
            if test
            else "-"
        )
        values = [_with_ci(scores.get(k), (scores.get("ci") or {}).get(k)) for k in names]
        rows.append([f"{row['name']} ({row['note']})" if row["note"] else row["name"], *values, versus])
    return (
        f"## Baselines ({split})\n\nThe train split's majority label and a TF-IDF logistic regression "
        "fitted on the train split, scored on the same rows as this model; bootstrap 95% intervals. "
        f"Last column: this model minus each, on {metric}, with the paired test's p "
        "(accuracy: McNemar's exact test).\n\n"
        + _table(["model", *names, f"this model - it ({metric})"], rows)
    )


def _label_sets(metrics: dict[str, Any] | None, split: str | None) -> str:
    """The model card's section: threshold, the worst labels, invalid outputs."""
    section = label_sets.label_set_section(metrics)
    if section is None or metrics is None:
        return ""
    lines = [f"## Labels ({split})", ""]
    threshold = section["threshold"]
    if threshold:
        half = threshold["at_0.5"]
        lines += [
            f"Label sets decided at presence threshold {threshold['value']:.3f} "
            f"({'tuned on ' + threshold['tuned_on'] if threshold['tuned_on'] else 'the default'}); at 0.5: "
            f"micro-F1 {half['micro_f1']:.3f}, exact set {half['exact_set']:.3f}.",
            "",
        ]
    rows = [
        [
            row["label"],
            f"{row['precision']:.3f}",
            f"{row['recall']:.3f}",
            f"{row['f1']:.3f}",
            str(row["support"]),
            str(row["missed"]),
            str(row["extra"]),
        ]
        for row in section["labels"][: label_sets.SHOWN_LABELS]
    ]
    header = ["label (worst F1 first)", "precision", "recall", "F1", "support", "missed", "extra"]
    lines.append(_table(header, rows))
    invalid = section["invalid"]
    if invalid and invalid["count"]:
        reasons = ", ".join(f"{kind}: {n}" for kind, n in invalid["by_problem"].items())
        lines += [
            "",
            f"{invalid['count']} generated answers were no valid label set ({reasons}); the first:",
            "",
        ]
        lines += [
            f"- `{row['output']}`: {row['problem']}" for row in invalid["rows"][: label_sets.SHOWN_INVALID]
        ]
    return "\n".join(lines)


def _slices(metrics: dict[str, Any] | None, split: str | None) -> str:
    if not metrics or not metrics.get("slices"):
        return ""
    names = list(metrics.get("ci") or {}) or ["accuracy"]  # runs evaluated before intervals: accuracy
    rows = [
        [
            name,
            value,
            str(m["n"]),
            *(_with_ci(m.get(k), (m.get("ci") or {}).get(k)) for k in names),
            "too small" if m.get("too_small") else "",
        ]
        for name, groups in metrics["slices"].items()
        for value, m in groups.items()
    ]
    minimum = metrics.get("min_slice_size")
    note = (
        f"Groups under {minimum} rows are marked too small to judge."
        if minimum
        else "Evaluated before intervals were kept: re-run `tuneloop evaluate --run` for them."
    )
    return f"## Slices ({split})\n\n{note}\n\n" + _table(["slice", "group", "n", *names, ""], rows)


def _comparisons(comparisons: dict[str, Any] | None) -> str:
    if not comparisons:
        return ""
    rows = [
        [
            target["name"],
            test["scope"],
            test["metric"],
            f"{test['other']:.3f} -> {test['current']:.3f}",
            f"{test['difference']:+.3f} [{test['ci'][0]:+.3f}, {test['ci'][1]:+.3f}]",
            f"{test['test']} p={test['p']:.3g}",
            f"{test['p_holm']:.3g}",
        ]
        for target in comparisons["targets"]
        for test in target["tests"]
        if test["scope"] == OVERALL or (test["p_holm"] < SIGNIFICANT and test["difference"] < 0)
    ]
    return (
        f"## Comparisons ({comparisons['split']}, n={comparisons['n']})\n\n"
        f"Paired on the same rows; p-values adjusted by {comparisons['adjustment']}. "
        f"Shown: the whole split, and any slice with a significant drop (Holm p < {SIGNIFICANT}); "
        "every slice test is in the report and in comparisons.json.\n\n"
        + _table(
            ["against", "scope", "metric", "other -> this", "difference [95% CI]", "test", "Holm p"], rows
        )
    )


def _gates(record: RunRecord) -> str:
    verdicts = record.evaluation_gates
    if verdicts is None:
        return ""
    if not verdicts:
        return "## Evaluation gates\n\nNone set in the spec."
    rows = [[v.gate, v.scope, "passed" if v.passed else "FAILED", v.detail] for v in verdicts]
    return "## Evaluation gates\n\n" + _table(["gate", "scope", "verdict", "measured"], rows)


def _fairness(fairness: dict[str, Any] | None) -> str:
    """Per swap family, whatever scalar results the fairness check recorded, and its flip count."""
    if not fairness:
        return "## Fairness\n\nNo fairness results for this run (no eval/SPLIT/fairness.json)."
    families = fairness.get("counterfactual", {}).get("families", {})
    keys = list(dict.fromkeys(k for f in families.values() for k, v in f.items() if _scalar(v)))
    rows = [
        [name, *(_plain(f.get(k)) for k in keys), str(len(f.get("flips", [])))]
        for name, f in families.items()
    ]
    lines = ["## Fairness", "", "Counterfactual swaps of group terms in the test inputs:", ""]
    lines.append(_table(["family", *keys, "flipped rows"], rows) if rows else "No family had a term to swap.")
    groups = fairness.get("groups")
    if groups:
        lines += ["", f"Group metrics recorded for: {', '.join(groups)} (see the report)."]
    return "\n".join(lines)


def _review(review: dict[str, Any] | None) -> str:
    if not review:
        return "## Human review\n\nNo reviewed outputs yet."
    lines = [
        "## Human review",
        "",
        f"- {review['items_reviewed']} outputs reviewed by {len(review['reviewers'])} reviewers"
        + (" (SIMULATED reviewers: " + ", ".join(review["simulated"]) + ")" if review["simulated"] else ""),
        f"- human-judged accuracy {_pct(review['human_accuracy'])} vs automatic "
        f"{_pct(review['automatic_accuracy'])} on the same items (drawn over-sampling errors, so both "
        "are below the split's accuracy)",
        "- agreement of human and automatic correctness: Cohen's kappa "
        + _plain(review["kappa_human_automatic"]),
        "- agreement between reviewers on correctness: Krippendorff's alpha "
        + _plain(review["reviewer_agreement"]),
        f"- mean rating {_plain(review['mean_rating'])} of 5; {review['candidates']} corrected outputs kept "
        "as candidate training rows",
    ]
    return "\n".join(lines)


def _limitations(
    record: RunRecord,
    spec: ProjectSpec,
    metrics: dict[str, Any] | None,
    split: str | None,
    fairness: dict[str, Any] | None,
    review: dict[str, Any] | None,
) -> str:
    items = [
        f"COLLAPSE ALARM on {split}: {reason}"
        for reason in ((metrics or {}).get("collapse") or {}).get("reasons", [])
    ]
    for name, groups in (metrics or {}).get("slices", {}).items():
        small = [f"{value} (n={m['n']})" for value, m in groups.items() if m.get("too_small")]
        if small:
            items.append(f"slice {name}: too few rows to judge {', '.join(small)}")
    for v in record.evaluation_gates or []:
        if not v.passed:
            items.append(f"failing gate {v.gate} [{v.scope}]: {v.detail}")
    if metrics and metrics.get("invalid_rate"):
        items.append(
            f"{_pct(metrics['invalid_rate'])} of outputs on {split} were not a label"
            + (" set (listed under Labels)" if "per_label" in metrics else " (counted wrong)")
        )
    if metrics is None:
        items.append("the model was not evaluated")
    if fairness is None:
        items.append("no counterfactual fairness check was run")
    if review is None:
        items.append("no person has reviewed the model's outputs")
    if split is not None:
        items.append(f"measured on held-out rows of the same sources ({split}); other traffic may differ")
    return "## Known limitations\n\n" + "\n".join(f"- {item}" for item in items)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(header), line(["---"] * len(header)), *(line(r) for r in rows)])


def _with_ci(value: float | None, interval: list[float] | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f} [{interval[0]:.3f}, {interval[1]:.3f}]" if interval else f"{value:.3f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _plain(value: Any) -> str:
    return "-" if value is None else f"{value:.3g}" if isinstance(value, float) else str(value)


def _scalar(value: Any) -> bool:
    return isinstance(value, int | float | str) and not isinstance(value, bool)
