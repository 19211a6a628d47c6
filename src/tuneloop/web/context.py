"""What every route shares: the project, its store and key, the signed-in user, and rendering.

`signed_in` is the one way a route reaches the store: a single transaction, in which the session
token is resolved to a user and the user's role is checked, so authentication and the work it
allows commit (or roll back) together. Routes never pass ids around without going through a
service that checks them against this user.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import Form, Path, Request
from fastapi.templating import Jinja2Templates
from pydantic import Field
from sqlalchemy.orm import Session
from starlette.responses import Response

from tuneloop.annotate.store.accounts import session_user
from tuneloop.annotate.store.engine import Store
from tuneloop.annotate.store.models import FIELDS, MAX_ID, OUTPUT_REVIEW, User
from tuneloop.annotate.store.names import NAME_MAX
from tuneloop.annotate.store.users import CAN_ADJUDICATE, CAN_ANNOTATE, CAN_REVIEW, require_role
from tuneloop.errors import TuneloopError
from tuneloop.label_text import canonical_answer
from tuneloop.spec import ProjectSpec
from tuneloop.web.markdown import render_markdown
from tuneloop.web.security import csrf_token


def shown_answer(label: Any, kind: str) -> Any:
    """A stored answer as people read it: a label set (a list) as its canonical answer text, a
    fields record as `field: value` pairs (list items joined by " | "), a review of a model output
    as its rating and verdict. The item's schema kind says which a dict is, never the dict's keys:
    a record may well have a field named `rating`."""
    if isinstance(label, list):
        return canonical_answer(tuple(label))
    if isinstance(label, dict) and kind == FIELDS:
        pairs = [f"{k}: {' | '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in label.items()]
        return "; ".join(pairs) or "(no fields)"
    if isinstance(label, dict) and kind == OUTPUT_REVIEW:
        verdict = "correct" if label["correct"] else "wrong"
        corrected = f", corrected to: {label['corrected']}" if label.get("corrected") else ""
        return f"rated {label['rating']} of 5, {verdict}{corrected}"
    return label


templates = Jinja2Templates(directory=str(FilePath(__file__).with_name("templates")))
templates.env.filters["markdown"] = render_markdown
templates.env.filters["answer"] = shown_answer
templates.env.globals["NAME_MAX"] = NAME_MAX  # the login form takes the names the store accepts


NAV = (
    ("/annotate", "Annotate", CAN_ANNOTATE),
    ("/review", "Review", CAN_REVIEW),
    ("/adjudicate", "Adjudicate", CAN_ADJUDICATE),
    ("/review/issues", "Label issues", CAN_ADJUDICATE),
    ("/admin", "Dashboard", ("admin",)),
)


# Every id a request names is bounded, so a huge one is a 422 naming the field, never a 500.
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
FormId = Annotated[int, Form(ge=1, le=MAX_ID)]
BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]


class LoginRequired(TuneloopError):
    """No valid session: pages redirect to the login form, the API answers 401."""


@dataclass(frozen=True)
class WebContext:
    project: FilePath
    spec: ProjectSpec
    store: Store
    secret: bytes
    secure_cookies: bool = False


def web(request: Request) -> WebContext:
    context: WebContext = request.app.state.web
    return context


@contextmanager
def signed_in(
    request: Request, roles: tuple[str, ...], doing: str, *, snapshot: bool = False
) -> Iterator[tuple[Session, User]]:
    """One store transaction as the signed-in user, who must hold one of `roles`; with `snapshot`,
    a read-only one that never blocks the annotators' writes (`Store.read`)."""
    store = web(request).store
    with store.read() if snapshot else store.begin() as session:
        user = session_user(session, request.state.session_token)
        if user is None:
            raise LoginRequired("sign in first")
        require_role(user, roles, doing)
        yield session, user


def render(
    request: Request, template: str, user: User | None, status_code: int = 200, **values: Any
) -> Response:
    nav = [(href, title) for href, title, roles in NAV if user is not None and user.role in roles]
    values |= {
        "user": user,
        "nav": nav,
        "csrf": csrf_token(web(request).secret, request.state.session_token),
        "project_name": web(request).spec.objective.name,
    }
    return templates.TemplateResponse(request, template, values, status_code=status_code)
