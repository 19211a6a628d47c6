"""The FastAPI application of one project: `create_app(PROJECT_DIR)`.

Middleware gives every request a session token (from its signed cookie, or a fresh anonymous one)
and every response the security headers; `require_csrf` guards every POST; the error handlers turn
the store's refusals into the matching status (404, 403, 409, 429) with the message escaped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.responses import Response

from tuneloop.annotate.project import project_store
from tuneloop.annotate.store.errors import (
    InvalidLabel,
    LoginRefused,
    NotAllowed,
    NotFound,
    TooManyAttempts,
    WrongState,
)
from tuneloop.errors import CheckFailed, TuneloopError
from tuneloop.spec import load_spec
from tuneloop.web import routes_admin, routes_annotate, routes_api, routes_auth, routes_review
from tuneloop.web.context import LoginRequired, WebContext, render
from tuneloop.web.secret import load_or_create_secret
from tuneloop.web.security import COOKIE, add_headers, new_token, require_csrf, set_session_cookie, unsign

ROUTERS = (
    routes_auth.router,
    routes_annotate.router,
    routes_api.router,
    routes_review.router,
    routes_admin.router,
)
STATUS = {
    NotFound: 404,
    NotAllowed: 403,
    WrongState: 409,
    InvalidLabel: 422,
    LoginRefused: 401,
    TooManyAttempts: 429,
    CheckFailed: 409,
}


def create_app(project: Path) -> FastAPI:
    spec = load_spec(project)
    context = WebContext(Path(project), spec, project_store(spec), load_or_create_secret(Path(project)))
    app = FastAPI(
        title="tuneloop annotation",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(require_csrf)],
    )
    app.state.web = context
    app.mount("/static", StaticFiles(directory=Path(__file__).with_name("static")), name="static")
    for router in ROUTERS:
        app.include_router(router)

    @app.middleware("http")
    async def session_and_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        token = unsign(context.secret, request.cookies.get(COOKIE))
        request.state.session_token = token or new_token()
        response = await call_next(request)
        if request.state.session_token != token:  # new visitor, or rotated by login/logout
            set_session_cookie(response, request, context.secret, request.state.session_token)
        add_headers(response)
        return response

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        if _is_api(request):
            return JSONResponse({"error": str(exc)}, status_code=401)
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(TuneloopError)
    async def refused(request: Request, exc: TuneloopError) -> Response:
        status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)
        return _error(request, status, str(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return _error(request, exc.status_code, str(exc.detail))

    return app


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error(request: Request, status: int, message: str) -> Response:
    if _is_api(request):
        return JSONResponse({"error": message}, status_code=status)
    return render(request, "error.html", None, status_code=status, status=status, message=message)
