"""Model files: loading any causal LM one way (`loading`), bringing a GGUF model in as a Hugging Face
directory (`gguf_import`, `catalogue`), and the chat template's default system prompt
(`chat_template`). Train and evaluate both sit above this package."""

from tuneloop.models.loading import (
    ADAPTER_CONFIG,
    load_for_inference,
    load_model_and_tokenizer,
    point_adapter_at,
)

__all__ = ["ADAPTER_CONFIG", "load_for_inference", "load_model_and_tokenizer", "point_adapter_at"]
