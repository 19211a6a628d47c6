from __future__ import annotations

import pytest

from tuneloop.data.checks import pii
from tuneloop.data.checks.settings import CheckSettings

from .helpers import rows


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("write to john.doe@example.co.uk today", "email"),
        ("call me on +44 20 7946 0958", "phone"),
        ("my number is (555) 123-4567", "phone"),
        ("card 4111 1111 1111 1111 was charged twice", "credit_card"),
        ("card 4111-1111-1111-1111", "credit_card"),
        ("send it to GB82 WEST 1234 5698 7654 32", "iban"),
        ("IBAN DE89370400440532013000", "iban"),
        ("the server at 192.168.1.10 is down", "ip_address"),
        ("from 2001:db8::1 again", "ip_address"),
        ("SSN 123-45-6789", "national_id"),
        ("NI number AB 12 34 56 C", "national_id"),
    ],
)
def test_finds_each_kind_of_personal_data(text: str, kind: str) -> None:
    assert [k for k, _, _ in pii.find_pii(text)] == [kind]


@pytest.mark.parametrize(
    "text",
    [
        "card 4111 1111 1111 1112 fails the Luhn check",
        "IBAN GB82WEST12345698765433 has a wrong checksum",
        "version 1.2.3 of the app",
        "I paid 1,000,000 pounds on 2023-05-12",
        "paid £100.50 on 12/05/2023 at 12:30:00",
        "order 1234567 arrived",
        "I have 3 cards and 999.999.999.999 points",
        "Why is there a €1 charge on my statement?",
    ],
)
def test_numbers_that_are_not_personal_data_are_left_alone(text: str) -> None:
    assert pii.find_pii(text) == []


def test_luhn_and_iban_validators() -> None:
    assert pii.luhn_ok("79927398713") and not pii.luhn_ok("79927398710")
    assert pii.iban_ok("GB82WEST12345698765432") and not pii.iban_ok("GB82WEST12345698765431")


def test_redact_uses_typed_placeholders_and_counts_them() -> None:
    text, counts = pii.redact("mail a@b.com or c@d.org, card 4111111111111111")
    assert text == "mail [EMAIL] or [EMAIL], card [CREDIT_CARD]"
    assert counts == {"email": 2, "credit_card": 1}


def test_scan_flags_the_row_with_a_score_per_kind() -> None:
    result = pii.scan(rows("nothing here", "reach me at a@b.com or x@y.org"), CheckSettings())
    assert result.flagged == {"pii_email": [1]}
    assert result.scores["pii_email"] == {1: 2.0}
    (finding,) = result.findings
    assert (finding.file, finding.line, finding.severity) == ("d.jsonl", 2, "warning")
    assert finding.row_id is not None and "[EMAIL]" in (finding.fix or "")
