"""Several references per input: the rows of a generate task that share an input become one example.

Data-to-text and summarisation corpora give several human answers to one input (E2E NLG: 4,672
references for 547 meaning representations). Kept as separate rows they would be split apart at
random, so nearly every test input would also be a training input, and each held-out row would
be scored against one reference where the data holds eight. So rows are grouped first:

- Two rows share an input when their prompts match after the task template: the same roles, and
  each turn's text the same after `normalise.clean_text` (NFC, control characters gone, spaces
  collapsed). Case and punctuation still count: they can change what is asked.
- The group's canonical example is its first row (its source, slices and answer), with
  `references` holding every distinct answer in reading order. A row whose answer repeats one the
  group already has adds nothing: it is quarantined as a `repeated_reference` with its line, so the
  counts still add up (`Example.rows` counts the references an example stands for).
- The splits then deal whole examples, so all rows of one input land in one split.

Training sees each reference as an answer of its own (`Example.reference_rows`, drawn in
`train/mixture.py`): every human wording is a right answer, and training on all of them (as the
E2E systems did) teaches the variety instead of one annotator's habits; they can no longer leak,
since the whole group sits in train. Evaluation scores one output per input against all of its
references (multi-reference BLEU, the best ROUGE-L).
"""

from __future__ import annotations

from dataclasses import replace

import orjson

from tuneloop.data.example import Example
from tuneloop.data.findings import Finding, QuarantinedRow
from tuneloop.data.normalise import clean_text

REPEATED = "repeated_reference"


def input_key(example: Example) -> tuple[tuple[str, str], ...]:
    """What two rows must share to be one input: the prompt turns, their text normalised."""
    return tuple((m["role"], clean_text(m.get("content") or "")) for m in example.prompt_messages)


def group_references(examples: list[Example]) -> tuple[list[Example], list[QuarantinedRow]]:
    """The examples of a generate task grouped by input (first-seen order), and the rows that only
    repeated an answer their input already had. A row without an answer stays as it is."""
    groups: dict[tuple[tuple[str, str], ...], list[Example]] = {}
    loose: list[Example] = []
    for example in examples:
        if example.answer:
            groups.setdefault(input_key(example), []).append(example)
        else:
            loose.append(example)
    grouped: list[Example] = []
    repeated: list[QuarantinedRow] = []
    for rows in groups.values():
        references: list[str] = []
        for row in rows:
            if row.answer in references:
                repeated.append(_repeat(row))
            else:
                references.append(row.answer)
        first = rows[0]
        grouped.append(replace(first, references=tuple(references), id=""))
    return grouped + loose, repeated


def _repeat(row: Example) -> QuarantinedRow:
    file, _, line = row.source.rpartition(":")
    finding = Finding(
        REPEATED,
        "warning",
        file or row.source,
        int(line) if line.isdigit() else None,
        "this answer repeats one given to the same input earlier; kept once as a reference",
        fix="remove the repeated row",
        row_id=row.id,
    )
    return QuarantinedRow(finding, orjson.dumps(row.to_row()).decode())
