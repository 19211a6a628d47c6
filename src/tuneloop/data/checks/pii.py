"""Personal data: e-mail addresses, phone numbers, payment cards, IBANs, IP addresses, national IDs.

Own regular expressions and validators, no model or network: a card number must pass the Luhn
check and an IBAN its mod-97 checksum, so order numbers and amounts are not flagged; a phone number
needs 10-15 digits (8 with a leading +) in a phone-like layout; an IP address must parse. National
IDs cover the US SSN and UK National Insurance number layouts. `redact` replaces each with a typed
placeholder (`[EMAIL]`, `[PHONE]`, ...), which `prepare` does when `quality.pii: redact`.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Callable, Sequence

from tuneloop.data.checks.base import CheckedRow, CheckResult
from tuneloop.data.checks.settings import CheckSettings

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}\b")
_IBAN = re.compile(r"\b[A-Z]{2}[0-9]{2}(?:[ ]?[A-Z0-9]){11,30}\b")
_CARD = re.compile(r"(?<![\d.,-])(?:\d[ -]?){12,18}\d(?![\d,-]|\.\d)")
_SSN = re.compile(r"\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b")
_NINO = re.compile(
    r"\b(?![BDFIQUV]|[A-Z][DFIOQUV]|BG|GB|NK|KN|TN|NT|ZZ)[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"
)
_IPV4 = re.compile(
    r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.]\d)"
)
_IPV6 = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,6}(?:[ .-]\d{2,6}){0,4}(?![\w-]|\.\d)"
)
_DATE = re.compile(r"^\d{4}[-./]\d{1,2}[-./]\d{1,2}$|^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$")
# Every detector needs one of these; most text has none, and one C-speed search rules it out.
_HINT = re.compile(r"@|\d[\d ().+-]{5,}\d|[0-9A-Fa-f]:[0-9A-Fa-f]*:|[A-Z]{2} ?\d{2}|\d\.\d")

PLACEHOLDERS = {
    "email": "[EMAIL]",
    "iban": "[IBAN]",
    "credit_card": "[CREDIT_CARD]",
    "national_id": "[NATIONAL_ID]",
    "ip_address": "[IP_ADDRESS]",
    "phone": "[PHONE]",
}
_NAMES = {
    "email": "an e-mail address",
    "iban": "an IBAN",
    "credit_card": "a payment card number",
    "national_id": "a national ID number",
    "ip_address": "an IP address",
    "phone": "a phone number",
}


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(candidate: str) -> bool:
    compact = candidate.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def _card(match: str) -> bool:
    digits = re.sub(r"\D", "", match)
    return 13 <= len(digits) <= 19 and len(set(digits)) > 1 and luhn_ok(digits)


def _ip(match: str) -> bool:
    try:
        ipaddress.ip_address(match)
    except ValueError:
        return False
    return match.count(".") == 3 or match.count(":") >= 2


def _phone(match: str) -> bool:
    digits = re.sub(r"\D", "", match)
    plus = match.startswith("+")
    laid_out = plus or "(" in match or len(re.findall(r"[ .-]", match)) >= 1 or len(digits) >= 10
    if _DATE.match(match) or len(set(digits)) == 1:
        return False
    return laid_out and (8 if plus else 10) <= len(digits) <= 15


# In this order: a match claims its characters, so a card number is not also a phone number.
DETECTORS: list[tuple[str, re.Pattern[str], Callable[[str], bool]]] = [
    ("email", _EMAIL, lambda m: True),
    ("iban", _IBAN, iban_ok),
    ("credit_card", _CARD, _card),
    ("national_id", _SSN, lambda m: True),
    ("national_id", _NINO, lambda m: True),
    ("ip_address", _IPV4, _ip),
    ("ip_address", _IPV6, _ip),
    ("phone", _PHONE, _phone),
]


def find_pii(text: str) -> list[tuple[str, int, int]]:
    """(kind, start, end) of each piece of personal data, without overlaps, in text order."""
    if _HINT.search(text) is None:
        return []
    taken: list[tuple[str, int, int]] = []
    for kind, pattern, valid in DETECTORS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < e and s < end for _, s, e in taken) or not valid(match.group(0)):
                continue
            taken.append((kind, start, end))
    return sorted(taken, key=lambda t: t[1])


def redact(text: str) -> tuple[str, Counter[str]]:
    """`text` with each piece of personal data replaced by its placeholder, and counts by kind."""
    found = find_pii(text)
    counts: Counter[str] = Counter(kind for kind, _, _ in found)
    for kind, start, end in reversed(found):
        text = text[:start] + PLACEHOLDERS[kind] + text[end:]
    return text, counts


def scan(rows: Sequence[CheckedRow], settings: CheckSettings) -> CheckResult:
    result = CheckResult("pii")
    for row in rows:
        kinds: Counter[str] = Counter()
        for message in row.example.messages:
            if message["role"] != "system" and _HINT.search(message["content"]):
                kinds.update(kind for kind, _, _ in find_pii(message["content"]))
        for kind, n in sorted(kinds.items()):
            result.flag(
                row,
                f"pii_{kind}",
                "warning",
                f"contains {_NAMES[kind]}" + (f" ({n} of them)" if n > 1 else ""),
                fix="set quality.pii: redact to replace it with " + PLACEHOLDERS[kind] + " in prepare",
                score=float(n),
            )
    return result
