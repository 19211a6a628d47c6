from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM

from tests.conftest import TINY_SIZES, banking_rows
from tuneloop.errors import TuneloopError
from tuneloop.models import load_model_and_tokenizer
from tuneloop.spec import TinyModel, load_spec
from tuneloop.train.base_model import BUILD_INFO, build_tiny_model, ensure_base_model, train_tokenizer

LABELS = ["card_arrival", "card_linking", "reverted_card_payment?"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    texts = [r["text"] for r in banking_rows(400, labels=10)]
    path = build_tiny_model(
        TinyModel(**TINY_SIZES), texts, tmp_path_factory.mktemp("m") / "base", LABELS, seed=0
    )
    return path, texts


def test_reloads_through_auto_classes_with_identical_tokenization(built: tuple[Path, list[str]]) -> None:
    path, texts = built
    tokenizer, model = AutoTokenizer.from_pretrained(path), AutoModelForCausalLM.from_pretrained(path)
    assert isinstance(model, LlamaForCausalLM)
    assert model.config.hidden_size == TINY_SIZES["hidden_size"]
    _, same = load_model_and_tokenizer(str(path))
    fresh = train_tokenizer(texts, TINY_SIZES["vocab_size"], LABELS)
    assert all(fresh(t)["input_ids"] == tokenizer(t)["input_ids"] == same(t)["input_ids"] for t in texts)
    assert tokenizer.decode(tokenizer(texts[0])["input_ids"]) == texts[0]


def test_labels_are_single_tokens(built: tuple[Path, list[str]]) -> None:
    tokenizer = AutoTokenizer.from_pretrained(built[0])
    assert all(len(tokenizer(label, add_special_tokens=False)["input_ids"]) == 1 for label in LABELS)


def test_chat_template_trains_the_answer_and_its_end_token_only(built: tuple[Path, list[str]]) -> None:
    tokenizer = AutoTokenizer.from_pretrained(built[0])
    messages = [
        {"role": "system", "content": "Classify."},
        {"role": "user", "content": "Where is my card?"},
        {"role": "assistant", "content": "card_arrival"},
    ]
    out = tokenizer.apply_chat_template(messages, return_dict=True, return_assistant_tokens_mask=True)
    trained = [t for t, m in zip(out["input_ids"], out["assistant_masks"], strict=True) if m]
    assert tokenizer.convert_ids_to_tokens(trained) == ["card_arrival", "<|end|>"]
    prompt = tokenizer.apply_chat_template(messages[:2], tokenize=False, add_generation_prompt=True)
    full = tokenizer.apply_chat_template(messages, tokenize=False)
    assert full.startswith(prompt)  # inference prompts are byte-identical to training prefixes


def test_same_seed_same_initial_weights(tmp_path: Path, built: tuple[Path, list[str]]) -> None:
    path, texts = built
    again = build_tiny_model(TinyModel(**TINY_SIZES), texts, tmp_path / "again", LABELS, seed=0)
    a, b = (AutoModelForCausalLM.from_pretrained(p).state_dict() for p in (path, again))
    assert all((a[k] == b[k]).all() for k in a)


def test_unloadable_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TuneloopError, match="cannot load model"):
        load_model_and_tokenizer(str(tmp_path / "nothing-here"))


def test_the_tiny_model_is_rebuilt_only_when_what_it_depends_on_changes(
    make_project: Callable[..., Path],
) -> None:
    project = make_project(rows=60, labels=3)
    spec = load_spec(project)
    path, built = ensure_base_model(spec)
    assert built and (Path(path) / BUILD_INFO).is_file()
    assert ensure_base_model(spec) == (path, False)
    fewer = spec.model_copy(update={"labels": spec.labels[:2]})
    other, built = ensure_base_model(fewer)
    assert built and other != path and (Path(path) / BUILD_INFO).is_file()  # the first build is kept
    assert ensure_base_model(fewer, force=True) == (other, True)
