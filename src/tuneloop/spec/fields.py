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
