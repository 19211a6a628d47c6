"""The FastAPI application of one project: `create_app(PROJECT_DIR)`.

`BodyLimit` (outermost) refuses oversized bodies before anything else runs; then middleware gives
every request a session token (from its signed cookie, or a fresh anonymous one) and every
response the security headers; `require_csrf` guards every POST; the error handlers turn the
store's refusals into the matching status (404, 403, 409, 429) with the message escaped, and a
request that does not validate into 422 naming the fields, never echoing what was sent (and into
"sign in first" when nobody is signed in, so anonymous visitors learn no field names).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import Response

from tuneloop.annotate.project import project_store
from tuneloop.annotate.store.accounts import session_user
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
from tuneloop.web.limits import MAX_BODY, BodyLimit
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
MESSAGE_MAX = 300  # characters of one field's complaint shown back


def create_app(project: Path, *, secure_cookies: bool = False, max_body: int = MAX_BODY) -> FastAPI:
    """The app; `secure_cookies` marks the session cookie Secure whatever the scheme looks like
    (behind a TLS proxy that sends no X-Forwarded-Proto), `max_body` is the body limit in bytes."""
    spec = load_spec(project)
    secret = load_or_create_secret(Path(project))
    context = WebContext(Path(project), spec, project_store(spec), secret, secure_cookies)
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
            set_session_cookie(
                response, request, context.secret, request.state.session_token, context.secure_cookies
            )
        add_headers(response)
        return response

    app.add_middleware(BodyLimit, limit=max_body)  # added last: runs first
    _handle_errors(app, context)
    return app


def _handle_errors(app: FastAPI, context: WebContext) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        return _login_first(request, str(exc))

    @app.exception_handler(TuneloopError)
    async def refused(request: Request, exc: TuneloopError) -> Response:
        status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)
        return _error(request, status, str(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return _error(request, exc.status_code, str(exc.detail))

    @app.exception_handler(IntegrityError)
    async def conflict(request: Request, exc: IntegrityError) -> Response:
        return _error(request, 409, "another request changed this at the same moment; reload and try again")

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path != "/login" and not await run_in_threadpool(_signed_in, context, request):
            return _login_first(request, "sign in first")
        return _error(request, 422, "; ".join(_complaint(error) for error in exc.errors()))


def _signed_in(context: WebContext, request: Request) -> bool:
    with context.store.read() as session:
        return session_user(session, request.state.session_token) is not None


def _complaint(error: dict[str, Any]) -> str:
    """One field's complaint, e.g. `item_id: Input should be less than or equal to 2147483647`."""
    where = ".".join(str(part) for part in error.get("loc", ())[1:]) or "body"
    return f"{where}: {str(error.get('msg', 'invalid'))[:MESSAGE_MAX]}"


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _login_first(request: Request, message: str) -> Response:
    if _is_api(request):
        return JSONResponse({"error": message}, status_code=401)
    return RedirectResponse("/login", status_code=303)


def _error(request: Request, status: int, message: str) -> Response:
    if _is_api(request):
        return JSONResponse({"error": message}, status_code=status)
    return render(request, "error.html", None, status_code=status, status=status, message=message)
