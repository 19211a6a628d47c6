"""The served model's HTTP app (FastAPI): OpenAI's endpoints, feedback, and the key check.

    GET  /health                 no key needed: the model, run and round
    GET  /v1/models              the one served model
    POST /v1/chat/completions    chat, streamed (server-sent events) or not
    POST /v1/completions         a prompt, answered as the user turn of a chat
    POST /v1/feedback            a rating of a logged response

With an unrevoked key in the store (or on a non-loopback host), every /v1 request must send
`Authorization: Bearer KEY`; a missing or unknown key gets a 401. Each answer is logged, and the
log committed, before the response (or the first event of a stream) is sent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse

from tuneloop.annotate.store.engine import Store
from tuneloop.annotate.store.errors import NotFound
from tuneloop.serving.answer import Answer, Query, answer_batch
from tuneloop.serving.batching import Batcher
from tuneloop.serving.feedback import Conflict, Feedback, record_feedback
from tuneloop.serving.keys import active_key, has_active_keys
from tuneloop.serving.log import log_request
from tuneloop.serving.openai_api import (
    ApiError,
    ChatRequest,
    CompletionRequest,
    completion_body,
    response_id,
    stream_events,
)
from tuneloop.serving.served import ServedModel


def create_app(served: ServedModel, store: Store, require_keys: bool = False) -> FastAPI:
    """The app for one loaded model and its project's store; `require_keys`: refuse requests
    without a valid key even when the store has none (a server on a non-loopback host)."""
    target = served.target
    service = Service(served, store, Batcher(lambda queries: answer_batch(served, queries)))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await service.batcher.stop()

    app = FastAPI(title="tuneloop served model", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.store, app.state.require_keys = store, require_keys
    app.add_exception_handler(ApiError, api_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, bad_body)  # type: ignore[arg-type]

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "model": target.id, **target.identity()}

    @app.get("/v1/models")
    def models(_: Key) -> dict[str, Any]:
        entry = {"id": target.id, "object": "model", "created": 0, "owned_by": "tuneloop"}
        return {"object": "list", "data": [entry | {"tuneloop": target.identity()}]}

    @app.post("/v1/chat/completions")
    async def chat(body: ChatRequest, key_id: Key) -> Response:
        return await service.complete("chat", body, key_id)

    @app.post("/v1/completions")
    async def completions(body: CompletionRequest, key_id: Key) -> Response:
        return await service.complete("completions", body, key_id)

    @app.post("/v1/feedback")
    def feedback(
        body: Feedback, key_id: Key, idempotency_key: Annotated[str | None, Header()] = None
    ) -> JSONResponse:
        return service.feedback(body, key_id, idempotency_key)

    return app


@dataclass(frozen=True)
class Service:
    """What the routes do, for one served model, its store and its request batcher."""

    served: ServedModel
    store: Store
    batcher: Batcher[Query, Answer]

    async def complete(
        self, endpoint: str, body: ChatRequest | CompletionRequest, key_id: int | None
    ) -> Response:
        """Answer (in a shared batch), log and commit, then respond, whole or streamed."""
        started, target = time.perf_counter(), self.served.target
        if body.model != target.id:
            message = f"model {body.model!r} is not served here; this server serves {target.id!r}"
            raise ApiError(404, message, param="model", code="model_not_found")
        answer, batch = await self.batcher.submit(body.to_query())
        extension = target.identity() | {"batch": batch} | (answer.labels or {})
        rid = response_id(endpoint)
        response = completion_body(endpoint, rid, int(time.time()), target.id, answer, extension)
        row = {
            "model": target.id,
            "run": target.run,
            "round": target.round,
            "model_dir": str(target.model_dir),
        }
        await asyncio.to_thread(
            log_request,
            self.store,
            target.project.serving.redact_pii,
            body.model_dump(),
            response,
            response_id=rid,
            endpoint=endpoint,
            key_id=key_id,
            latency_ms=(time.perf_counter() - started) * 1000,
            **row,
        )
        if body.stream:
            return StreamingResponse(stream_events(response), media_type="text/event-stream")
        return JSONResponse(response)

    def feedback(self, body: Feedback, key_id: int | None, header_key: str | None) -> JSONResponse:
        """Store a rating of a logged response: 201 when new, 200 when its idempotency key
        already brought the same feedback."""
        if header_key and body.idempotency_key and header_key != body.idempotency_key:
            message = "the Idempotency-Key header and the idempotency_key field differ"
            raise ApiError(400, message, param="idempotency_key")
        given = body.model_copy(update={"idempotency_key": body.idempotency_key or header_key})
        try:
            row, created = record_feedback(
                self.store, given, key_id, self.served.target.project.serving.redact_pii
            )
        except NotFound as exc:
            raise ApiError(404, str(exc), param="response_id", code="response_not_found") from None
        except Conflict as exc:
            raise ApiError(409, str(exc), param="idempotency_key", code="idempotency_conflict") from None
        payload = {"id": f"feedback-{row.id}", "object": "feedback", "response_id": body.response_id}
        return JSONResponse(payload | {"created": created}, status_code=201 if created else 200)


async def api_error(_: Request, exc: ApiError) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.status)


async def bad_body(_: Request, exc: RequestValidationError) -> JSONResponse:
    """FastAPI's 422 for a body that fails validation, as OpenAI's 400 naming the field."""
    first = exc.errors()[0]
    param = ".".join(str(p) for p in first["loc"] if p != "body") or None
    return JSONResponse(
        ApiError(400, f"{param or 'body'}: {first['msg']}", param=param).body(), status_code=400
    )


def client_key(request: Request, authorization: Annotated[str | None, Header()] = None) -> int | None:
    """The id of the request's key; None when no key is needed and none was sent."""
    store: Store = request.app.state.store
    bearer = authorization and authorization.lower().startswith("bearer ")
    token = authorization[7:].strip() if authorization and bearer else ""
    with store.read() as session:
        key = active_key(session, token) if token else None
        if key is not None:
            return key.id
        if request.app.state.require_keys or has_active_keys(session):
            raise ApiError(
                401, "a valid API key is needed: Authorization: Bearer KEY", code="invalid_api_key"
            )
    return None


Key = Annotated[int | None, Depends(client_key)]
