"""A template's default system prompt is found by rendering and cut out only when proven gone."""

from __future__ import annotations

import pytest
from tokenizers import Tokenizer, models
from transformers import PreTrainedTokenizerFast

from tuneloop.models.chat_template import default_system_prompt, without_default_system

SMOLLM2 = (  # SmolLM2-135M-Instruct's template, as its GGUF file carries it
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\\n' }}"  # noqa: E501
    "{% endif %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
QWEN = (  # the shape of Qwen2.5's: the default in an else branch
    "{%- if messages[0]['role'] == 'system' %}\n"
    "    {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}\n"
    "{%- else %}\n"
    "    {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}\n"  # noqa: E501
    "{%- endif %}\n"
    "{%- for message in messages %}{%- if message.role != 'system' %}"
    "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}{%- endif %}{%- endfor %}"  # noqa: E501
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)
PLAIN = "{% for m in messages %}{{ '<|' + m['role'] + '|>' + m['content'] + '\\n' }}{% endfor %}"
# the default is built from pieces: no single block writes it, so it cannot be cut out safely
SPLIT = (
    "{% if messages[0]['role'] != 'system' %}{{ '<|system|>' }}{{ 'Be nice' }}{{ '\\n' }}{% endif %}"
    "{% for m in messages %}{{ '<|' + m['role'] + '|>' + m['content'] + '\\n' }}{% endfor %}"
)


@pytest.fixture
def tokenizer() -> PreTrainedTokenizerFast:
    return PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer(models.WordLevel({"[UNK]": 0}, unk_token="[UNK]")), eos_token="[UNK]"
    )


def _render(tokenizer: PreTrainedTokenizerFast, messages: list[dict[str, str]]) -> str:
    return str(tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))


@pytest.mark.parametrize(
    ("template", "default"),
    [
        (SMOLLM2, "You are a helpful AI assistant named SmolLM, trained by Hugging Face"),
        (QWEN, "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."),
    ],
)
def test_the_default_is_found_and_removed(
    tokenizer: PreTrainedTokenizerFast, template: str, default: str
) -> None:
    tokenizer.chat_template = template
    with_system = [{"role": "system", "content": "Classify."}, {"role": "user", "content": "hi"}]
    before = _render(tokenizer, with_system)
    found = without_default_system(tokenizer)
    assert found is not None and found.text == default and found.removed
    tokenizer.chat_template = found.template
    assert (
        _render(tokenizer, [{"role": "user", "content": "hi"}])
        == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    )
    assert _render(tokenizer, with_system) == before  # the spec's system prompt renders as before


def test_a_template_without_a_default_is_left_alone(tokenizer: PreTrainedTokenizerFast) -> None:
    tokenizer.chat_template = PLAIN
    assert default_system_prompt(tokenizer) == ""
    assert without_default_system(tokenizer) is None


def test_a_default_that_cannot_be_cut_out_is_reported_and_kept(tokenizer: PreTrainedTokenizerFast) -> None:
    tokenizer.chat_template = SPLIT
    found = without_default_system(tokenizer)
    assert found is not None and found.text == "Be nice" and not found.removed
    assert found.template == SPLIT
