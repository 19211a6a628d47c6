"""Records decided field by field, and agreement per field: a majority per field (no value counts
as an answer), a field without one leaves the record to adjudication, Dawid-Skene per field weighs
a careful annotator above a careless one; alpha per field is nominal on comparison keys."""

from __future__ import annotations

import math
from typing import Any

import orjson

from tuneloop.annotate.alpha import krippendorff_alpha
from tuneloop.annotate.field_agreement import field_alpha, field_matrix, pooled_matrix
from tuneloop.annotate.field_consensus import field_consensus
from tuneloop.spec.fields import FieldSpec

FIELDS = [
    FieldSpec(name="company", type="string"),
    FieldSpec(name="amount", type="number"),
    FieldSpec(name="cards", type="list", items="string"),
]


def _votes(*answers: dict[str, Any]) -> list[tuple[str, Any, int]]:
    return [(f"ann{i}", orjson.dumps(a).decode(), 1) for i, a in enumerate(answers)]


def test_each_field_takes_its_majority_and_a_field_without_one_waits_for_adjudication() -> None:
    votes = {
        1: _votes({"company": "Barclays"}, {"company": "barclays"}),  # case aside: the same answer
        2: _votes({"company": "HSBC", "amount": 5}, {"company": "HSBC", "amount": 5}, {"company": "HSBC"}),
        3: _votes({"amount": 5}, {"amount": 6}),
        4: _votes({"cards": ["visa", "amex"]}, {"cards": ["Amex", "visa"]}, {"cards": ["visa"]}),
    }
    decided = field_consensus(FIELDS, votes)
    assert decided[1] == ('{"company":"Barclays"}', "unanimous")  # the first spelling
    assert decided[2] == ('{"company":"HSBC","amount":5}', "majority")
    assert decided[3] == (None, "tie: awaiting adjudication (amount)")
    assert decided[4] == ('{"cards":["visa","amex"]}', "majority")


def test_dawid_skene_per_field_follows_the_annotator_who_is_right_elsewhere() -> None:
    """ann0 and ann1 agree on nine items; ann2 always differs. On a tenth item with only ann1 and
    ann2, majority ties and Dawid-Skene sides with ann1."""
    votes = {i: _votes({"amount": i}, {"amount": i}, {"amount": i + 100}) for i in range(9)}
    votes[9] = [("ann1", '{"amount":9}', 1), ("ann2", '{"amount":7}', 1)]
    assert field_consensus(FIELDS, votes)[9] == (None, "tie: awaiting adjudication (amount)")
    weighed = field_consensus(FIELDS, votes, dawid=True)
    assert weighed[9] == ('{"amount":9}', "dawid_skene")
    assert weighed[0] == ('{"amount":0}', "dawid_skene")


def test_alpha_per_field_is_nominal_on_keys_and_the_pool_counts_every_field_of_every_item() -> None:
    ratings = [
        (1, "a", {"company": "Barclays", "amount": 5}),
        (1, "b", {"company": "barclays"}),
        (2, "a", {"company": "HSBC"}),
        (2, "b", {"company": "HSBC"}),
        (3, "a", {"amount": 7}),
        (3, "b", {"amount": 7}),
    ]
    company = field_matrix(ratings, FIELDS[0])
    assert company.labels == ('"barclays"', '"hsbc"', "(none)")
    assert math.isclose(krippendorff_alpha(company), 1.0)
    amount, given = field_alpha(ratings, FIELDS[1], n_boot=50, seed=0)
    assert given == 3 and amount is not None
    assert math.isclose(amount.estimate, krippendorff_alpha(field_matrix(ratings, FIELDS[1])))
    assert amount.estimate < 1.0
    assert field_alpha(ratings, FIELDS[2], n_boot=50, seed=0) == (None, 0)  # never filled: undefined
    pooled = pooled_matrix(ratings, FIELDS)
    assert len(pooled.units) == 9
    by_hand = [  # (item, field) units: company, amount, cards of items 1, 2, 3; "-" for no value
        ["barclays", "5", "-", "hsbc", "-", "-", "-", "7", "-"],
        ["barclays", "-", "-", "hsbc", "-", "-", "-", "7", "-"],
    ]
    assert math.isclose(krippendorff_alpha(pooled), krippendorff_alpha(by_hand))


def test_simulated_records_keep_a_required_field_and_pass_the_store() -> None:
    """Errors of a simulated person never drop or move a required field: the store would refuse."""
    from types import SimpleNamespace

    from tuneloop.annotate.simulate_fields import RecordConfuser
    from tuneloop.annotate.store.field_answers import check_field_answer

    fields = [
        FieldSpec(name="date", span=True, required=True),
        FieldSpec(name="date_to", span=True),
        FieldSpec(name="company", span=True),
    ]
    confuser = RecordConfuser(SimpleNamespace(field_schema=fields), seed=0)  # type: ignore[arg-type]
    text = "pay Acme Bank next monday please"
    truth = '{"date":"next monday","company":"Acme Bank"}'
    answers = [confuser.answer(truth, 0.0, text) for _ in range(200)]
    assert all(a["date"] in ("next monday", "monday", "next") for a in answers)
    assert any("date_to" in a for a in answers) and any("company" not in a for a in answers)  # it errs
    for answer in answers:
        check_field_answer(fields, answer, text)


def test_records_equal_field_by_field_are_one_answer_to_whole_record_figures() -> None:
    """Kappa, pairs and the agreement with the decision compare whole records: a list in another
    order, or a string in another case, is the same answer there as in the consensus."""
    from types import SimpleNamespace

    from tuneloop.annotate.summary import same_record

    same = same_record(SimpleNamespace(field_schema=FIELDS))  # type: ignore[arg-type]
    first = '{"company":"Barclays","cards":["visa","amex"]}'
    assert same(first) == first
    assert same('{"company":"barclays","cards":["amex","visa"]}') == first
    assert same('{"company":"barclays"}') == '{"company":"barclays"}'
