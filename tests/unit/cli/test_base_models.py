"""`tuneloop base-model import` and `fetch` on bad input: exit 2 with one clear line, nothing written."""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from tuneloop.cli import app

runner = CliRunner()


def test_a_file_that_is_not_gguf_is_refused_by_its_first_bytes(tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"PK\x03\x04 a zip, not a model")
    result = runner.invoke(app, ["base-model", "import", str(fake), str(tmp_path)])
    assert result.exit_code == 2
    assert f"{fake}: not a GGUF file (it starts with b'PK\\x03\\x04'" in result.stderr
    assert not (tmp_path / "models").exists()


def test_a_missing_file_names_the_path(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["base-model", "import", str(tmp_path / "absent.gguf"), str(tmp_path), "--json"]
    )
    assert result.exit_code == 2
    assert orjson.loads(result.stdout) == {
        "error": f"{tmp_path / 'absent.gguf'}: no such file",
        "exit_code": 2,
    }


def test_an_existing_model_is_not_replaced_without_force(tmp_path: Path) -> None:
    gguf = tmp_path / "My Model Q4.gguf"
    gguf.write_bytes(b"GGUF" + bytes(16))
    kept = tmp_path / "models" / "my-model-q4"
    kept.mkdir(parents=True)
    (kept / "config.json").write_text("{}")
    result = runner.invoke(app, ["base-model", "import", str(gguf), str(tmp_path)])
    assert result.exit_code == 2
    assert f"{kept} already exists; pass --force to replace it" in result.stderr
    assert (kept / "config.json").read_text() == "{}"


def test_fetch_knows_its_models_by_name(tmp_path: Path) -> None:
    result = runner.invoke(app, ["base-model", "fetch", "gpt-5", str(tmp_path)])
    assert result.exit_code == 2
    assert "no model named 'gpt-5' to fetch; known: smollm2-135m-instruct" in result.stderr


def test_a_project_that_does_not_exist_is_named(tmp_path: Path) -> None:
    result = runner.invoke(app, ["base-model", "fetch", "smollm2-135m-instruct", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert f"{tmp_path / 'nowhere'}: no such project directory" in result.stderr


def test_without_the_gguf_package_the_extra_to_install_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF" + bytes(16))
    monkeypatch.setitem(sys.modules, "gguf", None)  # an import of it raises ImportError
    result = runner.invoke(app, ["base-model", "import", str(gguf), str(tmp_path)])
    assert result.exit_code == 2
    assert "reading GGUF files needs the gguf package: pip install 'tuneloop[gguf]'" in result.stderr
    assert not (tmp_path / "models").exists()
