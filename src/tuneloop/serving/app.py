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
    batcher: Batcher[Query, Answer] = Batcher(lambda queries: answer_batch(served, queries))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await batcher.stop()

    app = FastAPI(title="tuneloop served model", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.store, app.state.require_keys = store, require_keys

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def bad_body(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        param = ".".join(str(p) for p in first["loc"] if p != "body") or None
        return JSONResponse(
            ApiError(400, f"{param or 'body'}: {first['msg']}", param=param).body(), status_code=400
        )

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "model": target.id, **target.identity()}

    @app.get("/v1/models")
    def models(_: Key) -> dict[str, Any]:
        entry = {
            "id": target.id,
            "object": "model",
            "created": 0,
            "owned_by": "tuneloop",
            "tuneloop": target.identity(),
        }
        return {"object": "list", "data": [entry]}

    async def complete(endpoint: str, body: ChatRequest | CompletionRequest, key_id: int | None) -> Response:
        started = time.perf_counter()
        if body.model != target.id:
            raise ApiError(
                404,
                f"model {body.model!r} is not served here; this server serves {target.id!r}",
                param="model",
                code="model_not_found",
            )
        answer, batch = await batcher.submit(body.to_query())
        extension = target.identity() | {"batch": batch} | (answer.labels or {})
        response = completion_body(
            endpoint, response_id(endpoint), int(time.time()), target.id, answer, extension
        )
        await asyncio.to_thread(
            log_request,
            store,
            target.project.serving.redact_pii,
            body.model_dump(),
            response,
            response_id=response["id"],
            endpoint=endpoint,
            model=target.id,
            run=target.run,
            round=target.round,
            model_dir=str(target.model_dir),
            key_id=key_id,
            latency_ms=(time.perf_counter() - started) * 1000,
        )
        if body.stream:
            return StreamingResponse(stream_events(response), media_type="text/event-stream")
        return JSONResponse(response)

    @app.post("/v1/chat/completions")
    async def chat(body: ChatRequest, key_id: Key) -> Response:
        return await complete("chat", body, key_id)

    @app.post("/v1/completions")
    async def completions(body: CompletionRequest, key_id: Key) -> Response:
        return await complete("completions", body, key_id)

    @app.post("/v1/feedback")
    def feedback(
        body: Feedback, key_id: Key, idempotency_key: Annotated[str | None, Header()] = None
    ) -> JSONResponse:
        if idempotency_key and body.idempotency_key and idempotency_key != body.idempotency_key:
            raise ApiError(
                400,
                "the Idempotency-Key header and the idempotency_key field differ",
                param="idempotency_key",
            )
        given = body.model_copy(update={"idempotency_key": body.idempotency_key or idempotency_key})
        try:
            row, created = record_feedback(store, given, key_id, target.project.serving.redact_pii)
        except NotFound as exc:
            raise ApiError(404, str(exc), param="response_id", code="response_not_found") from None
        except Conflict as exc:
            raise ApiError(409, str(exc), param="idempotency_key", code="idempotency_conflict") from None
        payload = {
            "id": f"feedback-{row.id}",
            "object": "feedback",
            "response_id": body.response_id,
            "created": created,
        }
        return JSONResponse(payload, status_code=201 if created else 200)

    return app


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
