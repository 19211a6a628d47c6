"""The spec's `quality:` policy, applied by `prepare`, and the gate training checks.

`prepare` runs the same checks as `tuneloop check` on the split examples, then:
- removes the later copies of each duplicate cluster (`drop_duplicates`) and training rows that
  leak into validation or test (`drop_leaked`) — into the quarantine file, each with its finding;
- writes texts cleaned (`normalise`: NFC, no control or zero-width characters, single spaces) and
  personal data redacted with typed placeholders (`pii: redact`);
- rebalances train: `cap` quarantines rows of a label beyond `cap_per_label`, `upsample` adds
  seeded copies of the rows of smaller labels up to `upsample_to` (default: the largest label),
  `class_weights` records inverse-frequency weights in the manifest.

The manifest also gets `quality` (`quality_summary`): the check summaries the report plots —
label counts per slice, duplicate cluster sizes, findings by code and severity.

Nothing is dropped silently: every removed row is a quarantined row with a reason, so
`read = kept + quarantined` still holds, and the manifest counts each action.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import orjson

from tuneloop.data.checks.pii import redact
from tuneloop.data.checks.settings import CheckSettings
from tuneloop.data.checks.suite import QualityReport, numbered_rows, run_checks, shards_from_parts
from tuneloop.data.example import Example
from tuneloop.data.findings import Finding, QuarantinedRow
from tuneloop.data.ingest import IngestResult
from tuneloop.data.normalise import clean_text
from tuneloop.data.preference import NOT_TRAINED
from tuneloop.data.version import DatasetVersion
from tuneloop.errors import CheckFailed
from tuneloop.spec import LABELLED_TASKS, ProjectSpec
from tuneloop.verdict import Verdict

DROPPED_BY = {
    "drop_duplicates": ("duplicate", "near_duplicate"),
    "drop_leaked": ("leakage", "near_leakage"),
}


@dataclass
class PolicyResult:
    parts: dict[str, list[Example]]
    quarantined: list[QuarantinedRow]
    findings: list[Finding]
    actions: dict[str, Any] = field(default_factory=dict)
    class_weights: dict[str, float] | None = None
    quality: dict[str, Any] = field(default_factory=dict)

    def manifest(self) -> dict[str, Any]:
        extra: dict[str, Any] = {"actions": self.actions, "quality": self.quality}
        if self.class_weights is not None:
            extra["class_weights"] = self.class_weights
        return extra


def apply_policy(spec: ProjectSpec, result: IngestResult, parts: dict[str, list[Example]]) -> PolicyResult:
    quality = spec.quality
    report: QualityReport = run_checks(
        lambda: shards_from_parts(parts, result.quarantined, result.notes),
        CheckSettings.from_spec(spec, parts),
    )
    rows = numbered_rows(parts)
    drop: dict[int, Finding] = {}
    for switch, codes in DROPPED_BY.items():
        if getattr(quality, switch):
            for finding, number in _flagged(report, codes):
                drop.setdefault(number, finding)
    quarantined = list(result.quarantined)
    actions: dict[str, Any] = {"quarantined_by_ingest": len(result.quarantined)}
    for number, finding in sorted(drop.items()):
        row = rows[number]
        for piece in row.example.reference_rows():  # an input with references: each of its rows
            quarantined.append(QuarantinedRow(_removed(finding), orjson.dumps(piece.to_row()).decode()))
        actions[finding.code] = actions.get(finding.code, 0) + 1
    removed_again = len(quarantined)  # removals repeat a check's finding: count it once
    kept: dict[str, list[Example]] = {name: [] for name in parts}
    redacted: Counter[str] = Counter()
    normalised = 0
    labelled = spec.objective.task in LABELLED_TASKS
    for row in rows:
        if row.number in drop:
            continue
        example, changed, kinds = _cleaned(row.example, quality.normalise, quality.pii == "redact", labelled)
        normalised += changed
        redacted.update(kinds)
        kept[row.split].append(example)
    for name, examples in parts.items():  # keep each part's order (the split's shuffle)
        order = {e.source: i for i, e in enumerate(examples)}
        kept[name].sort(key=lambda e: order.get(e.source, 0))
    actions["normalised"] = normalised
    if quality.pii == "redact":
        actions["redacted"] = dict(redacted)
    weights = None
    if quality.rebalance == "cap" and quality.cap_per_label is not None:
        kept["train"], capped = _cap(kept["train"], quality.cap_per_label)
        quarantined += capped
        actions["rebalance_cap"] = len(capped)
    elif quality.rebalance == "upsample":
        kept["train"], added = _upsample(kept["train"], quality.upsample_to, spec.seed)
        actions["rebalance_upsampled"] = added
    elif quality.rebalance == "class_weights":
        counts = Counter(e.label for e in kept["train"] if e.label is not None)
        total = sum(counts.values())
        weights = {label: round(total / (len(counts) * n), 4) for label, n in sorted(counts.items())}
    findings = [*report.findings, *(q.finding for q in quarantined[len(result.quarantined) :])]
    once = [*report.findings, *(q.finding for q in quarantined[removed_again:])]
    return PolicyResult(kept, quarantined, findings, actions, weights, quality_summary(report, once))


def quality_summary(report: QualityReport, findings: list[Finding]) -> dict[str, Any]:
    """What the report's data-quality plots need, taken from the checks' own summaries: counts only.

    `slice_label_counts` ({slice: {value: {label: rows}}}), a multilabel task's `label_sets`
    (data/checks/label_sets.py; None for any other task) and the cluster sizes
    ({"size": clusters}) describe the rows as checked, before the policy removed any;
    `findings_by_code` ({code: {severity: n}}) counts `findings`: the checks' own, and the rows the
    policy removed for a reason no check gave (`rebalance_cap`), so a row removed as a duplicate
    counts once under `duplicate`, where `findings_summary` also counts its removal."""
    balance = report.results["balance"].summary if "balance" in report.results else {}
    duplicates = report.results["duplicates"].summary if "duplicates" in report.results else {}
    by_code: dict[str, Counter[str]] = {}
    for finding in findings:
        by_code.setdefault(finding.code, Counter())[finding.severity] += 1
    ranked = sorted(by_code.items(), key=lambda item: (-item[1].total(), item[0]))
    return {
        "checked_rows": report.kept,
        "slice_label_counts": {
            name: entry["label_counts"]
            for name, entry in balance.get("slices", {}).items()
            if "label_counts" in entry
        },
        "duplicate_cluster_sizes": {
            "exact": duplicates.get("exact_cluster_sizes", {}),
            "near": duplicates.get("cluster_sizes", {}),
        },
        "findings_by_code": {code: dict(counts.most_common()) for code, counts in ranked},
        "label_sets": balance.get("multilabel"),
        "skipped_checks": report.skipped,
    }


def _flagged(report: QualityReport, codes: tuple[str, ...]) -> list[tuple[Finding, int]]:
    """(finding, row number) of every finding with one of `codes`, in the check's own order."""
    out = []
    for result in report.results.values():
        for code in codes:
            numbers = iter(result.flagged.get(code, []))
            out += [(f, next(numbers)) for f in result.findings if f.code == code]
    return out


def _removed(finding: Finding) -> Finding:
    return replace(finding, message=f"removed by prepare: {finding.message}")


def _cleaned(
    example: Example, normalise: bool, redact_pii: bool, labelled: bool
) -> tuple[Example, bool, Counter[str]]:
    """The example with its text normalised and PII redacted; an answer that is labels stays."""
    kinds: Counter[str] = Counter()
    messages = []
    normalised = False
    for message in example.messages:
        content = message["content"]
        if message["role"] != "system" and not (labelled and message["role"] == "assistant"):
            if normalise:
                content = clean_text(content)
                normalised |= content != message["content"]
            if redact_pii:
                content, found = redact(content)
                kinds.update(found)
        messages.append({**message, "content": content})  # tool calls and weights stay as they were
    if messages == example.messages:
        return example, False, kinds
    return replace(example, messages=messages, id=""), normalised, kinds


def _cap(train: list[Example], cap: int) -> tuple[list[Example], list[QuarantinedRow]]:
    seen: Counter[str | None] = Counter()
    kept, capped = [], []
    for example in train:
        seen[example.label] += 1
        if seen[example.label] <= cap:
            kept.append(example)
            continue
        file, _, line = example.source.rpartition(":")
        finding = Finding(
            "rebalance_cap", "info", file, int(line) if line.isdigit() else None,
            f"removed by prepare: label {example.label!r} already has {cap} training rows "
            "(quality.rebalance: cap)",
            "raise quality.cap_per_label to keep it", example.id,
        )  # fmt: skip
        capped.append(QuarantinedRow(finding, orjson.dumps(example.to_row()).decode()))
    return kept, capped


def _upsample(train: list[Example], target: int | None, seed: int) -> tuple[list[Example], dict[str, int]]:
    """Copies of the rows of every label with fewer than `target` training rows (default: as many
    as the largest label), drawn seeded and whole rounds first, so a label's rows stay equally
    represented. The copies carry their source, so a finding about them still names the file line."""
    by_label: dict[str, list[Example]] = {}
    for example in train:
        if example.label is not None:
            by_label.setdefault(example.label, []).append(example)
    goal = target or max((len(rows) for rows in by_label.values()), default=0)
    rng = np.random.default_rng(seed)
    added: dict[str, int] = {}
    copies: list[Example] = []
    for label, rows in sorted(by_label.items()):
        missing = goal - len(rows)
        if missing <= 0:
            continue
        whole, rest = divmod(missing, len(rows))
        copies += rows * whole + [rows[i] for i in sorted(rng.choice(len(rows), rest, replace=False))]
        added[label] = missing
    mixed = train + copies
    return [mixed[i] for i in rng.permutation(len(mixed))], added


def data_gate(spec: ProjectSpec, dataset: DatasetVersion) -> Verdict:
    """Refuse to train on a dataset version with too many error rows, unless the spec overrides.

    Returns the verdict run.json records (`data_gate`): passed, or failed and let through by
    `quality.override`; raises `CheckFailed` (exit 1) otherwise. The data's preference rows are no
    errors when a kto or dpo phase trains them (they wait in the quarantine for it)."""
    counts, summary = dataset.manifest["counts"], dataset.manifest["findings_summary"]
    trained = summary["by_code"].get(NOT_TRAINED, 0) if spec.trains_source_preferences else 0
    errors = summary["by_severity"].get("error", 0) - trained
    rate = errors / max(counts["read"], 1)
    limit, override = spec.quality.max_error_rate, spec.quality.override
    verdict = Verdict(
        "data",
        f"error rate <= {limit:g} (quality.max_error_rate)",
        rate <= limit,
        actual=round(rate, 4),
        threshold=limit,
        count=errors,
        total=counts["read"],
    )
    if verdict.passed:
        return verdict
    if override:
        return replace(verdict, override=override)
    raise CheckFailed(
        f"data gate: {errors:,} of the {counts['read']:,} rows read have errors ({rate:.1%}), more than "
        f"quality.max_error_rate ({limit:.1%}); see {dataset.path / 'quarantine.jsonl'} or run "
        '`tuneloop check`, fix the rows, or set quality.override: "<reason>" in tuneloop.yaml to '
        "train anyway (the reason is recorded in run.json)"
    )
