"""Text normalisation: one definition of "the same text" for duplicates, and the cleaning `prepare` does.

`dedup_text` is what two rows must share to count as copies: Unicode compatibility form, case,
punctuation and spacing do not make a row new. `clean_text` is what `prepare` writes: it only
removes what no model should learn from (control characters, broken line ends, runs of spaces)
and leaves case and punctuation alone, because they carry meaning.
"""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w$%\u00a2-\u00a5\u20a0-\u20bf]+|_+")  # currency and % carry meaning
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
_SPACES = re.compile(r"[ \t]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def dedup_text(text: str) -> str:
    """Lower case, NFKC, words separated by single spaces, no punctuation (never a newline); currency
    signs and % stay, so "$1" and "€1" differ."""
    return _NON_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def clean_text(text: str) -> str:
    """NFC, control and zero-width characters removed, spaces collapsed, at most one blank line."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    text = _SPACES.sub(" ", text)
    return _BLANK_LINES.sub("\n\n", "\n".join(line.strip() for line in text.split("\n"))).strip()
