"""Random bytes and malformed rows never crash ingest or check, and every line is accounted for."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tuneloop.data.check_report import check_files
from tuneloop.data.ingest import ingest_source
from tuneloop.spec import Source
from tuneloop.task_card import TaskCard

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CARD = TaskCard("generate", [], None)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
messages = st.lists(
    st.fixed_dictionaries(
        {
            "role": st.sampled_from(["user", "assistant", "system", "robot", ""]),
            "content": st.text(max_size=40),
        },
        optional={"name": st.text(max_size=5), "extra": json_values},
    ),
    max_size=4,
)
chat_rows = st.one_of(
    st.builds(lambda m: {"messages": m}, messages),
    st.builds(lambda m, v: {"messages": m, "x": v}, messages, json_values),
    json_values,
).map(lambda v: json.dumps(v).encode())  # stdlib: big integers and lone surrogates too
lines = st.lists(
    st.one_of(chat_rows, st.binary(max_size=60).filter(lambda b: b"\n" not in b and b"\r" not in b)),
    min_size=1,
    max_size=25,
)


def _write(name: str, content: bytes) -> Path:
    path = Path(tempfile.mkdtemp()) / name
    path.write_bytes(content)
    return path


def _non_blank(content: bytes) -> int:
    return sum(1 for line in content.split(b"\n") if line.strip())


@FUZZ
@given(lines)
def test_malformed_chat_lines_are_each_kept_or_quarantined(rows: list[bytes]) -> None:
    content = b"\n".join(rows) + b"\n"
    path = _write("fuzz.jsonl", content)
    expected = _non_blank(content)
    if expected == 0:
        return
    result = ingest_source(Source(path=path, format="chat"), CARD, path.parent)
    assert result.read == expected == len(result.examples) + len(result.quarantined)
    report: dict[str, Any] = check_files([path])
    counts = report["counts"]
    assert counts["read"] == expected == counts["kept"] + counts["quarantined"]
    assert report["findings_summary"]["by_severity"].get("error", 0) == counts["quarantined"]
    assert all(f["line"] is None or 1 <= f["line"] <= content.count(b"\n") for f in report["findings"])


@FUZZ
@given(st.binary(min_size=1, max_size=400))
def test_random_bytes_as_csv_never_crash(content: bytes) -> None:
    path = _write("fuzz.csv", b"text,label\n" + content)
    try:
        report = check_files([path])
    except Exception as exc:  # only "no rows" is an acceptable refusal
        assert "no rows to read" in str(exc), exc
        return
    counts = report["counts"]
    assert counts["read"] == counts["kept"] + counts["quarantined"] >= 1
