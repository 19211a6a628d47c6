"""Length checks: too long against the token limit (estimated or counted), too short, uninformative."""

from __future__ import annotations

from pathlib import Path

from tuneloop.data.checks import length
from tuneloop.data.checks.settings import CheckSettings
from tuneloop.spec import QualitySpec

from .helpers import rows


def test_too_long_says_by_how_much_against_the_limit() -> None:
    settings = CheckSettings(max_tokens=50, max_tokens_from="quality.max_tokens")
    result = length.scan(rows("short one", " ".join(f"w{i}" for i in range(100))), settings)
    assert result.flagged == {"too_long": [1]}
    (finding,) = result.findings
    assert "over the 50" in finding.message and "quality.max_tokens" in finding.message
    assert result.scores["too_long"][1] > 2


def test_too_short_and_uninformative_inputs() -> None:
    settings = CheckSettings(quality=QualitySpec(min_chars=2))
    result = length.scan(rows("?", "test", "ha ha ha ha", "1234 5678", "Lost password", "ok"), settings)
    assert result.flagged == {"too_short": [0], "uninformative": [1, 2, 3]}


def test_a_tokenizer_file_counts_real_tokens(tmp_path: Path) -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers

    tok = Tokenizer(models.WordLevel({"[UNK]": 0, "a": 1}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.save(str(tmp_path / "tokenizer.json"))
    settings = CheckSettings(max_tokens=16, tokenizer=str(tmp_path / "tokenizer.json"))
    # 12 words are 12 tokens plus one turn of overhead (4): 16 fits, 13 words do not; the
    # character estimate (25 characters / 4) would have said 7 tokens
    result = length.scan(rows("a " * 12, "a " * 13, label=None), settings)
    assert result.flagged["too_long"] == [1]
