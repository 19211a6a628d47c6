"""`tuneloop serve-model RUN_OR_MODEL_DIR`: the trained model behind an OpenAI-compatible API,
every answer logged in the project's store (docs/serving.md); `--print-vllm` prints the command
that serves it with vLLM instead."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tuneloop.cli.support import err, guarded, out


@guarded
def serve_model(
    path: Annotated[Path, typer.Argument(help="A run directory (its final model) or a model directory.")],
    host: Annotated[
        str, typer.Option(help="Address to listen on (127.0.0.1: this machine only).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    project: Annotated[
        Path | None, typer.Option(help="Project whose store keeps the log and keys (default: the run's).")
    ] = None,
    print_vllm: Annotated[
        bool, typer.Option("--print-vllm", help="Print the equivalent `vllm serve` command and exit.")
    ] = False,
) -> None:
    """Serve a trained model: /v1/chat/completions (streamed or not), /v1/completions, /v1/models,
    /v1/feedback and /health, OpenAI's wire format; classify and multilabel answers are decoded
    within the labels, with their probabilities in the `tuneloop` field of each response.

    On a host beyond this machine it needs an API key in the store (`tuneloop keys add`)."""
    from tuneloop.serving.served import resolve_target

    target = resolve_target(path, project)
    if print_vllm:
        from tuneloop.serving.vllm import vllm_command

        out.print(vllm_command(target, host, port), highlight=False, markup=False)
        return
    from tuneloop.serving.server import serve, server_config

    config = server_config(target, host, port)
    err.print(
        f"serving {target.id} ({target.model_dir}) on http://{host}:{port}/v1 (Ctrl-C stops)", highlight=False
    )
    serve(config)
