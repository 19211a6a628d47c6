"""Serving a trained model: an OpenAI-compatible HTTP server (`tuneloop serve-model`) whose every
answer is logged in the project's store, its clients' API keys, feedback on served answers (and
imported from elsewhere), and the equivalent `vllm serve` command for GPUs (docs/serving.md).

It sits after feedback in the pipeline: it reads a run's model and task card the way evaluation
does, and writes what people and clients say about the answers to the annotation store.
"""
