"""Extraction: fields out of text as one JSON record per input, checked against a field schema.

    schema.py        the JSON Schema of a field schema, canonical values and the canonical answer
    answer_check.py  an answer parsed and checked: schema problems, and values the text lacks
    nlupp.py         NLU++ slot records as extraction rows (spans checked against their text)
    rows.py          a data row's answer (JSON text, an object, NLU++ slots) into the canonical one

The spec's field schema and the prompt that shows it are `spec/fields.py`; the field metrics
are `evaluate/field_metrics.py`.
"""
