"""Rows for check tests, made the way ingest makes them, and a chat file with a known defect per line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from tuneloop.data.checks.base import CheckedRow
from tuneloop.data.example import Example, build_messages


def rows(*texts: str, label: str | None = "card_arrival", file: str = "d.jsonl") -> list[CheckedRow]:
    return [
        CheckedRow(i, Example(build_messages(text, label, None), label, f"{file}:{i + 1}"), file, i + 1)
        for i, text in enumerate(texts)
    ]


def chat(user: str, answer: str = "It is on its way.", **extra: Any) -> bytes:
    messages = [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]
    return orjson.dumps({"messages": messages, **extra})


MESSY = [
    (chat("Where is my card? I ordered it last week."), None),
    (b"{not json", "invalid_json"),
    (b"[1, 2]", "not_an_object"),
    (orjson.dumps({"messages": [{"role": "user", "content": "hi there"}]}), "no_assistant_message"),
    (chat("   "), "empty_text"),
    (orjson.dumps({"messages": [{"role": "robot", "content": "x"}, {"role": "assistant", "content": "y"}]}),
     "unknown_role"),
    (orjson.dumps({"messages": [{"content": "x"}, {"role": "assistant", "content": "y"}]}), "missing_field"),
    (orjson.dumps({"messages": "nope"}), "wrong_type"),
    (orjson.dumps({"prompt": "no messages here"}), "missing_field"),
    (chat("Can I change my PIN at a cash machine?", colour="red"), "unrecognised_key"),
    (chat("My email is jane.roe@example.org, please call back"), "pii_email"),
    (chat("Charge it to 4111 1111 1111 1111 please"), "pii_credit_card"),
    (chat("I&#39;m angry about the <b>fees</b>"), "markup"),
    (chat("The cafÃ© said my card doesnâ€™t work"), "mojibake"),
    (chat("a bell\x07 in the text of this message"), "control_chars"),
    (chat("?"), "too_short"),
    (chat(" ".join(f"word{i}" for i in range(5000))), "too_long"),
    (chat("where is my card? i ordered it LAST week!"), "duplicate"),
    (b'{"messages": [{"role": "user", "content": "bad \xff byte"}]}', "invalid_utf8"),
    (chat("How do I top up my account by bank transfer from abroad?"), None),
    (chat("How do I top up my account by bank transfer from abroad today?"), "near_duplicate"),
    (chat("test"), "uninformative"),
]  # fmt: skip


def messy_file(tmp_path: Path) -> Path:
    path = tmp_path / "messy.jsonl"
    path.write_bytes(b"\n".join(line for line, _ in MESSY) + b"\n")
    return path
