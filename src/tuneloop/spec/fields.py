"""The field schema of an extraction task: which fields an answer holds, of which type.

An extraction answer is one JSON object. Each field has a name (its key), a description (shown in
the prompt and on the annotation form), a type and two switches:

- `type`: `string`, `number`, `date` (ISO 8601, YYYY-MM-DD), `time` (24-hour HH:MM), `enum`
  (one of `values`), or `list` of one of those (`items`, with `values` for a list of enums);
- `required`: the answer must hold the field; an optional field absent from the text is left out
  of the answer (never written as null, so "not in the text" has one spelling);
- `span`: the field is extractive: its value (each item of a list) must occur in the input text
  as written there, so a value the text does not hold is a finding, not a quiet hallucination.

`extract/schema.py` derives the JSON Schema from it and writes canonical answers.

`schema_prompt` is what the model is told about the answer: the schema is part of every prompt
(training, evaluation, serving), so a model is trained on the instruction it is later served
with, and a base model compared against it reads the same. Each field is one short line, since
the prompt is read on every row: its name, type (with an enum's values), "required" when it is,
"from the text" when its value is copied as the text writes it (`span: true`), and its
description. The JSON Schema is what a validator enforces; the lines are what the model reads.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from tuneloop.spec.strict import Strict

ValueType = Literal["string", "number", "date", "time", "enum"]


class FieldSpec(Strict):
    """One field of an extraction answer."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    description: str = ""
    type: Literal["string", "number", "date", "time", "enum", "list"] = "string"
    items: ValueType | None = None  # the type of a list's items
    values: list[str] | None = None  # an enum's (or a list of enums') allowed values
    required: bool = False
    span: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> FieldSpec:
        if (self.type == "list") != (self.items is not None):
            raise ValueError(f"field {self.name}: items: is the type of a list's items, and a list needs it")
        enum = self.value_type == "enum"
        if enum and not self.values:
            raise ValueError(f"field {self.name}: an enum needs values: (the answers it may take)")
        if self.values is not None and not enum:
            raise ValueError(f"field {self.name}: values: applies to an enum (or a list of enums) only")
        if self.values is not None and len(set(self.values)) != len(self.values):
            raise ValueError(f"field {self.name}: values: lists a value twice")
        if self.span and self.value_type in ("date", "time"):
            raise ValueError(
                f"field {self.name}: a {self.value_type} is written in one format, not as the text has it; "
                "span: true needs type string, number or enum (or a list of them)"
            )
        return self

    @property
    def value_type(self) -> ValueType:
        """The type of the field's value, or of each item of a list."""
        return self.items if self.items is not None else self.type  # type: ignore[return-value]


def check_field_names(fields: list[FieldSpec]) -> list[FieldSpec]:
    """`fields` unchanged, or ValueError naming a field written twice."""
    seen: set[str] = set()
    for f in fields:
        if f.name in seen:
            raise ValueError(f"field {f.name} is listed twice")
        seen.add(f.name)
    return fields


INSTRUCTION = (
    "Answer with one JSON object and nothing else. Its keys are fields of this list, in this "
    "order; leave out a field the text does not give. Dates are YYYY-MM-DD, times HH:MM. Fields:"
)


def schema_prompt(fields: list[FieldSpec], system: str | None = None) -> str:
    """The system prompt of an extract task: the project's own (if any), the instruction, and
    one line per field."""
    lines = [system.strip()] if system and system.strip() else []
    lines += [INSTRUCTION, *(f"- {_field_line(f)}" for f in fields)]
    return "\n".join(lines)


def _field_line(field: FieldSpec) -> str:
    kind = field.value_type if field.type != "list" else f"list of {field.value_type}"
    if field.values:
        kind += f": {' | '.join(field.values)}"
    notes = [kind, *(["required"] if field.required else []), *(["from the text"] if field.span else [])]
    line = f"{field.name} ({', '.join(notes)})"
    return f"{line}: {field.description.strip()}" if field.description.strip() else line
