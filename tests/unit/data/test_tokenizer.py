"""`check` counts tokens with the tokenizer the run will use: the tiny build's, trained before the
model exists and reused by fingerprint, or the base model's own."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import orjson
from ruamel.yaml import YAML

from tests.conftest import build_project
from tuneloop.data.check_report import check_data
from tuneloop.data.checks.settings import CheckSettings, token_counter
from tuneloop.data.prepare import read_and_split
from tuneloop.data.tokenizer import TOKENIZER_FILE, project_tokenizer, tiny_build
from tuneloop.run_dir import TOKENIZERS_DIR
from tuneloop.spec import load_spec

# CJK characters the corpus barely shows: byte-level BPE spends about three tokens on each, the
# characters / 4 estimate a quarter of one.
ODD = "".join(chr(0x4E00 + i * 331) for i in range(60))


def _with_phases(project: Path, **settings: object) -> Path:
    yaml = YAML()
    spec = yaml.load((project / "tuneloop.yaml").read_text())
    for phase in spec["phases"]:
        phase.update(settings)
    with (project / "tuneloop.yaml").open("w") as fh:
        yaml.dump(spec, fh)
    return project


def test_check_counts_with_the_tiny_tokenizer_before_any_build(make_project: Callable[..., Path]) -> None:
    project = _with_phases(make_project(rows=60, labels=3), max_length=128)
    with (project / "data" / "train.csv").open("a") as fh:
        fh.write(f"my card {ODD},card_arrival\n")
    spec = load_spec(project)
    report = check_data(spec)
    too_long = [f["line"] for f in report["findings"] if f["code"] == "too_long"]
    assert too_long == [62], report["findings"]  # the characters / 4 estimate said about 40 tokens
    _, parts = read_and_split(spec)
    fingerprint = tiny_build(spec, parts)[2]
    assert project_tokenizer(spec, parts) == str(
        spec.output_path / TOKENIZERS_DIR / fingerprint / TOKENIZER_FILE
    )  # trained alone, kept apart from the base models
    assert not (spec.output_path / "base-model").exists()
    estimated = replace(CheckSettings.from_spec(spec, parts), tokenizer=None)
    assert estimated.max_tokens == 128 and token_counter(None)([f"my card {ODD}"])[0] < 30


def test_the_tokenizer_check_trains_is_the_one_the_build_saves(make_project: Callable[..., Path]) -> None:
    from tuneloop.train.base_model import ensure_base_model

    spec = load_spec(make_project(rows=60, labels=3))
    alone = Path(project_tokenizer(spec) or "")
    texts = [f"where is my card {ODD}", "card_arrival", "I lost my card_linking code"]
    counts = token_counter(str(alone))(texts).tolist()
    saved = _without_post_processor(alone)
    alone.unlink()  # the build must make the same file itself, not find this one
    path, built = ensure_base_model(spec)
    assert built and Path(path).name == alone.parent.name  # the same fingerprint
    build = Path(path) / TOKENIZER_FILE
    assert token_counter(str(build))(texts).tolist() == counts
    assert _without_post_processor(build) == saved  # transformers adds an empty one (no BOS)
    assert project_tokenizer(spec) == str(build)  # and check reuses the build's


def test_a_base_model_directory_brings_its_tokenizer_relative_to_the_project(
    make_project: Callable[..., Path], tmp_path: Path
) -> None:
    project = make_project(rows=60, labels=3, model={"base": "models/mine"})
    built = Path(project_tokenizer(load_spec(build_project(tmp_path / "tiny", rows=60, labels=3))) or "")
    (project / "models" / "mine").mkdir(parents=True)
    shutil.copy(built, project / "models" / "mine" / TOKENIZER_FILE)
    settings = CheckSettings.from_spec(load_spec(project))  # from another working directory too
    assert settings.tokenizer == str(project / "models" / "mine" / TOKENIZER_FILE)
    (project / "models" / "mine" / TOKENIZER_FILE).unlink()
    assert CheckSettings.from_spec(load_spec(project)).tokenizer is None  # no tokenizer.json: the estimate


def _without_post_processor(path: Path) -> dict[str, object]:
    return {k: v for k, v in orjson.loads(path.read_bytes()).items() if k != "post_processor"}
