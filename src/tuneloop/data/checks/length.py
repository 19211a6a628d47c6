"""Length: rows the model will not read whole, and rows with too little in them to learn from.

Token counts come from the tokenizer the run will use (`CheckSettings.tokenizer`; else characters / 4) and are
compared with what training reads (`CheckSettings.max_tokens`): a longer row is cut, and the
finding says by how many tokens. A row whose input has almost no letters or digits, or is one
word repeated, or a placeholder such as "test" or "n/a", teaches nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import islice

from tuneloop.data.checks.base import CheckedRow, CheckResult
from tuneloop.data.checks.settings import CheckSettings, token_counter

TURN_OVERHEAD = 4  # role markers and separators a chat template adds per message
PLACEHOLDERS = frozenset(
    {"test", "testing", "asdf", "qwerty", "lorem ipsum", "todo", "tbd", "n a", "na", "null", "none", "nan",
     "xxx", "foo", "bar", "foo bar", "placeholder", "sample", "example", "blah", "dummy", "hello world"}
)  # fmt: skip
PLACEHOLDER_CHARS = 40
_ALNUM = re.compile(r"[^\W_]")
_WORDS = re.compile(r"[^\W_]+")
_LETTER = re.compile(r"[^\W\d_]")
_REPEATED = re.compile(r"\W*([^\W_]+)(?:\W+\1){2,}\W*$", re.IGNORECASE)  # "ha ha ha", "test test test"


def scan(rows: Sequence[CheckedRow], settings: CheckSettings) -> CheckResult:
    result = CheckResult("length")
    if not rows:
        return result
    count = token_counter(settings.tokenizer)
    texts = ["\n".join(m["content"] for m in row.example.messages) for row in rows]
    tokens = count(texts)
    limit = settings.max_tokens
    for row, n_tokens in zip(rows, tokens, strict=True):
        total = int(n_tokens) + TURN_OVERHEAD * len(row.example.messages)
        if total > limit:
            result.flag(
                row,
                "too_long",
                "warning",
                f"about {total:,} tokens, {total - limit:,} over the {limit:,} the model reads "
                f"({settings.max_tokens_from}); the end is cut off in training",
                fix="shorten or split the row, or raise the limit",
                score=total / limit,
            )
        _check_content(row, result, settings)
    result.summary["rows"] = len(rows)
    return result


def _check_content(row: CheckedRow, result: CheckResult, settings: CheckSettings) -> None:
    text = row.input_text
    alnum = sum(1 for _ in islice(_ALNUM.finditer(text), settings.quality.min_chars))  # stops early
    if alnum < settings.quality.min_chars:
        result.flag(
            row,
            "too_short",
            "warning",
            f"the input has {alnum} letter(s) or digit(s); too little to learn from",
            fix="write the full message, or remove the row",
            score=float(alnum),
        )
        return
    repeated = _REPEATED.match(text)
    if len(text) <= PLACEHOLDER_CHARS and " ".join(_WORDS.findall(text.casefold())) in PLACEHOLDERS:
        reason = f"the input is a placeholder ({text.strip()[:40]!r})"
    elif repeated:
        reason = f"the input is one word repeated ({repeated.group(1)!r})"
    elif _LETTER.search(text) is None:
        reason = "the input has no letters"
    else:
        return
    result.flag(row, "uninformative", "warning", reason, fix="replace it with a real example, or remove it")
