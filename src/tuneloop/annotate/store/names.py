"""User names people can tell apart: one spelling per name, one length limit everywhere.

A name is NFKC-normalised (so full-width or ligature spellings are the name they look like), and
refused when it holds a control, format or bidi character (an RTL override can make `nimda` read
as `admin`, a newline forges lines in logs), mixes scripts (`admin1` with a Cyrillic first letter looks Latin)
or is longer than `NAME_MAX`, the limit the login form applies too, so every name that can be
created can also sign in.
"""

from __future__ import annotations

import unicodedata

from tuneloop.annotate.store.errors import StoreError

NAME_MAX = 100


def normal_name(name: str) -> str:
    """`name` as it is stored and looked up: NFKC, outer spaces removed."""
    return unicodedata.normalize("NFKC", name).strip()


def check_name(name: str) -> str:
    """The normal form of a new user's name, or `StoreError` saying what is wrong with it."""
    normal = normal_name(name)
    if not normal:
        raise StoreError("a user needs a non-empty name")
    if len(normal) > NAME_MAX:
        raise StoreError(f"a user name has at most {NAME_MAX} characters (this one has {len(normal)})")
    bad = next((ch for ch in normal if unicodedata.category(ch)[0] in "CZ" and ch != " "), None)
    if bad is not None:
        raise StoreError(
            f"a user name cannot hold {unicodedata.name(bad, 'a control character')} "
            f"(U+{ord(bad):04X}): control, format, bidi and line characters are refused"
        )
    scripts = sorted({_script(ch) for ch in normal if ch.isalpha()})
    if len(scripts) > 1:
        raise StoreError(
            f"a user name mixes scripts ({', '.join(scripts)}), so it could pass for another name; "
            "use one script"
        )
    return normal


_EAST_ASIAN = {"CJK", "HIRAGANA", "KATAKANA", "HANGUL"}  # written together in one name: one script here


def _script(letter: str) -> str:
    """The script of a letter, by the first word of its Unicode name (LATIN, CYRILLIC, GREEK, ...)."""
    first = unicodedata.name(letter, "UNKNOWN").split()[0]
    return "CJK" if first in _EAST_ASIAN else first
