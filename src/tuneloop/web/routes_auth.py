"""Signing in and out. There is no sign-up: accounts come from `tuneloop users add` only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tuneloop.annotate.store.accounts import authenticate, close_session, open_session, session_user
from tuneloop.annotate.store.errors import LoginRefused, TooManyAttempts
from tuneloop.annotate.store.names import NAME_MAX
from tuneloop.web.context import render, web
from tuneloop.web.security import new_token

router = APIRouter()

HOME = {"annotator": "/annotate", "reviewer": "/review", "admin": "/admin"}


@router.get("/")
def home(request: Request) -> Response:
    with web(request).store.begin() as session:
        user = session_user(session, request.state.session_token)
        target = HOME[user.role] if user is not None else "/login"
    return RedirectResponse(target, status_code=303)


@router.get("/login")
def login_form(request: Request) -> Response:
    return render(request, "login.html", None)


@router.post("/login")
def login(
    request: Request,
    name: Annotated[str, Form(max_length=NAME_MAX)],
    password: Annotated[str, Form(max_length=1000)],
) -> Response:
    store = web(request).store
    client = request.client.host if request.client is not None else "unknown"
    try:
        user = authenticate(store, name, password, client)
    except (LoginRefused, TooManyAttempts) as exc:
        status = 429 if isinstance(exc, TooManyAttempts) else 401
        return render(request, "login.html", None, status_code=status, error=str(exc), name=name)
    with store.begin() as session:
        close_session(session, request.state.session_token)
        token = open_session(session, user)
    request.state.session_token = token  # a new token on every login: no session fixation
    return RedirectResponse(HOME[user.role], status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    with web(request).store.begin() as session:
        close_session(session, request.state.session_token)
    request.state.session_token = new_token()
    return RedirectResponse("/login", status_code=303)
