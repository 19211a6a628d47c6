"""Text hygiene: markup, control characters and broken encodings, in any message of a row.

Each is something a model learns to reproduce: HTML tags and entities (`&amp;`) from scraped or
exported text, invisible control and zero-width characters, and mojibake, the trace of UTF-8 read
as Windows-1252 ("cafÃ©", "donâ€™t") or of bytes that could not be decoded at all (U+FFFD).
A mojibake candidate counts only if re-encoding it gives valid UTF-8, so "Ångström" is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tuneloop.data.checks.base import CheckedRow, CheckResult
from tuneloop.data.checks.settings import CheckSettings

_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s+[^<>]*?)?\s*/?>")
_ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,7}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u2060\ufeff]")
_MOJIBAKE = re.compile(
    r"[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    r"\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]{1,3}"
)
_SUSPECT = re.compile(r"[<&\x00-\x1f\x7f-\x9f\u00c2-\u00f4\u200b-\u200f\u2028\u2029\u2060\ufeff\ufffd]")


def scan(rows: Sequence[CheckedRow], settings: CheckSettings) -> CheckResult:
    result = CheckResult("hygiene")
    for row in rows:
        text = "\n".join(m["content"] for m in row.example.messages if m["role"] != "system")
        if _SUSPECT.search(text) is None:  # the common case: one C-speed scan, nothing to look at
            continue
        markup = _TAG.search(text) or _ENTITY.search(text)
        if markup:
            result.flag(
                row,
                "markup",
                "warning",
                f"markup in the text ({markup.group(0)[:30]!r}); the model will learn to write it",
                fix="strip tags and unescape entities (html.unescape)",
            )
        control = _CONTROL.search(text.replace("\u00ad", ""))
        if control:
            result.flag(
                row,
                "control_chars",
                "warning",
                f"invisible control character U+{ord(control.group(0)):04X} in the text",
                fix="remove it (`prepare` does with quality.normalise)",
            )
        broken = mojibake(text)
        if broken:
            result.flag(
                row,
                "mojibake",
                "warning",
                f"broken encoding: {broken!r} looks like UTF-8 read as another encoding",
                fix="re-read the source as UTF-8, or repair with ftfy",
            )
    return result


def mojibake(text: str) -> str | None:
    """The first piece of `text` that is UTF-8 decoded as cp1252/latin-1, or a U+FFFD; else None."""
    if "\ufffd" in text:
        return "\ufffd"
    for match in _MOJIBAKE.finditer(text):
        piece = match.group(0)
        for encoding in ("cp1252", "latin-1"):
            try:
                piece.encode(encoding).decode("utf-8")
            except UnicodeError:
                continue
            return piece
    return None
