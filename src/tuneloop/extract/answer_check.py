"""Is an extraction answer a record of the schema, and does the text hold what it says?

`check_answer` reads a JSON answer (a data row's or a model's output) against the field schema
and, for extractive fields (`span: true`), the input text. Every problem is named, with its field:

- `not_json`: the answer does not parse as JSON (the parser's message and position);
- `not_object`: it parses, but to something other than an object;
- `unknown_field`: a key the schema does not have;
- `missing_required`: a required field is absent (or null);
- `wrong_type`: a value its field cannot take (why: `schema.canonical_value`'s message);
- `not_in_text`: an extractive value the input text does not hold (`occurs_in`: case, spacing
  and punctuation set aside; a number matches any number in the text of the same value).

The first five make the answer invalid: it breaks the JSON Schema (`schema.json_schema`), and
the `invalid_rate` counts it. `not_in_text` keeps the answer valid (the schema cannot know the
text) but is reported beside it: for data it is a finding, for a model a value it made up.
`Checked.record` holds the canonical values of the fields that were read, so a partly wrong
answer still shows what it got right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from tuneloop.data.normalise import dedup_text
from tuneloop.extract.schema import canonical_value
from tuneloop.spec.fields import FieldSpec

INVALID = ("not_json", "not_object", "unknown_field", "missing_required", "wrong_type")
NUMBERS = re.compile(r"(?<![\d.])\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\d.,])\d+(?:\.\d+)?")


@dataclass(frozen=True)
class Problem:
    """What is wrong with an answer: its kind (one of `INVALID` or `not_in_text`), the field
    (None for the whole answer) and a sentence a person can act on."""

    kind: str
    field: str | None
    detail: str


@dataclass(frozen=True)
class Checked:
    """An answer as read: the canonical values of its readable fields (None: no object at all)
    and its problems."""

    record: dict[str, Any] | None
    problems: tuple[Problem, ...] = field(default=())

    @property
    def valid(self) -> bool:
        return self.record is not None and not any(p.kind in INVALID for p in self.problems)


def check_answer(answer: str, fields: list[FieldSpec], text: str | None = None) -> Checked:
    """The answer parsed and checked; `text` (the input) is needed for extractive fields."""
    try:
        parsed = orjson.loads(answer.strip())
    except orjson.JSONDecodeError as e:
        return Checked(None, (Problem("not_json", None, f"not JSON: {e}"),))
    if not isinstance(parsed, dict):
        return Checked(
            None, (Problem("not_object", None, f"a JSON object expected, got {type(parsed).__name__}"),)
        )
    return check_record(parsed, fields, text)


def check_record(parsed: dict[str, Any], fields: list[FieldSpec], text: str | None = None) -> Checked:
    """A record (already parsed) checked against the schema and, for extractive fields, `text`."""
    known = {f.name for f in fields}
    problems = [
        Problem("unknown_field", key, f"{key!r} is not a field of the schema")
        for key in parsed
        if key not in known
    ]
    record: dict[str, Any] = {}
    for f in fields:
        value = parsed.get(f.name)
        if value is None:
            if f.required:
                problems.append(Problem("missing_required", f.name, f"{f.name} is required and absent"))
            continue
        try:
            record[f.name] = canonical_value(f, value)
        except ValueError as e:
            problems.append(Problem("wrong_type", f.name, f"{f.name}: {e}"))
            continue
        if f.span and text is not None:
            problems += [
                Problem("not_in_text", f.name, f"{f.name}: {item!r} does not occur in the text")
                for item in _items(record[f.name])
                if not occurs_in(item, text)
            ]
    return Checked(record, tuple(problems))


def occurs_in(value: Any, text: str) -> bool:
    """Whether the text holds the value: a string as part of the text (case, spacing and
    punctuation aside; part of a word counts, as annotators mark "5" in "5ish"), a number as a
    number of the text of the same value, an enum value as a string."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return any(float(n.replace(",", "")) == float(value) for n in NUMBERS.findall(text))
    words = dedup_text(str(value))
    return bool(words) and words in dedup_text(text)


def locate(value: Any, text: str) -> tuple[int, int] | None:
    """Where the text holds `value`, as character offsets: a number at the first number of the text
    of its value; a string as written (case and spacing aside: "£25 (approx.)" whole), a whole word
    before part of one ("art" in "Start art" is the second), else by its words with the punctuation
    between and around them aside. None when there is none (`occurs_in` may still hold, on a
    spelling NFKC folds)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        for match in NUMBERS.finditer(text):
            if float(match[0].replace(",", "")) == float(value):
                return match.start(), match.end()
        return None
    chunks, words = str(value).split(), re.findall(r"\w+", str(value))
    patterns = [r"\s+".join(re.escape(chunk) for chunk in chunks)] if chunks else []
    patterns += [r"\W+".join(re.escape(w) for w in words)] if words else []
    for pattern in [p for core in patterns for p in (rf"(?<!\w){core}(?!\w)", core)]:
        if found := re.search(pattern, text, flags=re.IGNORECASE):
            return found.start(), found.end()
    return None


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
