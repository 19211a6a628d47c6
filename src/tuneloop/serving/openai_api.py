"""OpenAI's wire format for the served model: the request bodies it accepts, the responses and
stream chunks it sends, and its error shape, so the official `openai` client (or any client of
OpenAI's API) talks to tuneloop unchanged.

Beyond OpenAI's fields every response carries one top-level object, `tuneloop` (docs/serving.md):
the model directory, run, round and task, the size of the batch it was answered in, and for a
classify task the decoded `label` and every label's `probabilities` (multilabel: `labels`,
`label_scores` and `threshold`). A stream sends it in its last chunk, the one with the
`finish_reason`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

from tuneloop.serving.answer import Answer, Query

Stop = str | list[str] | None
MAX_STOPS = 4  # OpenAI's limit
_PIECES = re.compile(r"\s*\S+|\s+")  # stream pieces: each word with the space before it


class ApiError(Exception):
    """An error answered in OpenAI's shape: `{"error": {message, type, param, code}}`."""

    def __init__(
        self,
        status: int,
        message: str,
        kind: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.kind, self.param, self.code = status, kind, param, code

    def body(self) -> dict[str, Any]:
        return {"error": {"message": str(self), "type": self.kind, "param": self.param, "code": self.code}}


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "user", "assistant"]
    content: str


class Sampling(BaseModel):
    """What chat and completion requests share; other OpenAI fields are accepted and ignored."""

    model_config = ConfigDict(extra="ignore")
    model: str
    max_tokens: int | None = Field(default=None, ge=1)
    temperature: float = Field(default=0.0, ge=0, le=2)
    stop: Stop = None
    n: int = 1
    stream: bool = False

    def query(self, messages: list[dict[str, str]]) -> Query:
        if self.n != 1:
            raise ApiError(400, f"n={self.n}: this server returns one choice per request (n=1)", param="n")
        stops = [self.stop] if isinstance(self.stop, str) else list(self.stop or [])
        if len(stops) > MAX_STOPS:
            raise ApiError(400, f"stop: at most {MAX_STOPS} sequences", param="stop")
        return Query(messages, self.max_tokens, self.temperature, tuple(s for s in stops if s))


class ChatRequest(Sampling):
    messages: list[Message] = Field(min_length=1)

    def to_query(self) -> Query:
        if not any(m.role == "user" for m in self.messages):
            raise ApiError(400, "messages: the conversation needs a user message", param="messages")
        return self.query([m.model_dump() for m in self.messages])


class CompletionRequest(Sampling):
    prompt: str | list[str]

    def to_query(self) -> Query:
        prompts = [self.prompt] if isinstance(self.prompt, str) else self.prompt
        if len(prompts) != 1:
            raise ApiError(400, "prompt: send one prompt per request", param="prompt")
        return self.query([{"role": "user", "content": prompts[0]}])


def response_id(endpoint: str) -> str:
    return ("chatcmpl-" if endpoint == "chat" else "cmpl-") + secrets.token_hex(12)


def completion_body(
    endpoint: str, rid: str, created: int, model: str, answer: Answer, extension: dict[str, Any]
) -> dict[str, Any]:
    """The whole (non-streamed) response of either endpoint."""
    if endpoint == "chat":
        choice: dict[str, Any] = {"index": 0, "message": {"role": "assistant", "content": answer.text}}
        kind = "chat.completion"
    else:
        choice, kind = {"index": 0, "text": answer.text, "logprobs": None}, "text_completion"
    return {
        "id": rid,
        "object": kind,
        "created": created,
        "model": model,
        "choices": [choice | {"finish_reason": answer.finish_reason}],
        "usage": usage(answer),
        "tuneloop": extension,
    }


def usage(answer: Answer) -> dict[str, int]:
    total = answer.prompt_tokens + answer.completion_tokens
    return {
        "prompt_tokens": answer.prompt_tokens,
        "completion_tokens": answer.completion_tokens,
        "total_tokens": total,
    }


def stream_events(body: dict[str, Any]) -> Iterator[bytes]:
    """A finished response as server-sent events in OpenAI's chunk format: the role first (chat),
    the text word by word, then the finish reason with usage and the extension, then `[DONE]`."""
    chat = body["object"] == "chat.completion"
    choice = body["choices"][0]
    text = choice["message"]["content"] if chat else choice["text"]
    head = {k: body[k] for k in ("id", "created", "model")} | {
        "object": "chat.completion.chunk" if chat else "text_completion"
    }
    piece: Callable[[dict[str, Any]], dict[str, Any]] = (
        (lambda delta: {"index": 0, "delta": delta, "finish_reason": None})
        if chat
        else (
            lambda delta: {
                "index": 0,
                "text": delta.get("content", ""),
                "logprobs": None,
                "finish_reason": None,
            }
        )
    )
    deltas = ([{"role": "assistant", "content": ""}] if chat else []) + [
        {"content": p} for p in _PIECES.findall(text)
    ]
    for delta in deltas:
        yield _event(head | {"choices": [piece(delta)]})
    last = piece({}) | {"finish_reason": choice["finish_reason"]}
    yield _event(head | {"choices": [last], "usage": body["usage"], "tuneloop": body["tuneloop"]})
    yield b"data: [DONE]\n\n"


def _event(chunk: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(chunk) + b"\n\n"
