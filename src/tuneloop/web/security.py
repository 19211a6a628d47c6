"""Cookies, CSRF tokens and response headers: the browser-facing half of the security model.

- The session cookie carries a random token plus its HMAC under the project's key; the store keeps
  only the token's hash (see `annotate/store/accounts.py`). Every visitor gets one, signed in or
  not, so the login form has a CSRF token too. It is HttpOnly, SameSite=Lax, and Secure when the
  request came over https (directly, or through a proxy named by `--forwarded-allow-ips`), or
  always with `--secure-cookies` (a TLS proxy that sends no X-Forwarded-Proto).
- The CSRF token is an HMAC of the session token: every POST must send it back (form field
  `csrf_token` or header `X-CSRF-Token`), checked by `require_csrf` on the whole app.
- Every response gets a Content-Security-Policy that allows scripts only from this origin's
  static files (no inline script, so injected markup cannot run), plus nosniff, frame denial and
  a strict referrer policy.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import HTTPException, Request
from starlette.responses import Response

COOKIE = "tuneloop_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def new_token() -> str:
    return secrets.token_urlsafe(32)


def _mac(secret: bytes, purpose: str, token: str) -> str:
    return hmac.new(secret, f"{purpose}:{token}".encode(), hashlib.sha256).hexdigest()


def sign(secret: bytes, token: str) -> str:
    return f"{token}.{_mac(secret, 'session', token)}"


def unsign(secret: bytes, value: str | None) -> str | None:
    """The token inside a cookie value, or None when it is missing or not signed with our key."""
    if not value or "." not in value:
        return None
    token, _, mac = value.rpartition(".")
    return token if hmac.compare_digest(mac, _mac(secret, "session", token)) else None


def csrf_token(secret: bytes, session_token: str) -> str:
    return _mac(secret, "csrf", session_token)


def set_session_cookie(
    response: Response, request: Request, secret: bytes, token: str, always_secure: bool = False
) -> None:
    response.set_cookie(
        COOKIE,
        sign(secret, token),
        httponly=True,
        samesite="lax",
        secure=always_secure or request.url.scheme == "https",
        path="/",
    )


def add_headers(response: Response) -> None:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)


async def require_csrf(request: Request) -> None:
    """On every POST: the CSRF token of this session, from the form or the header, or 403."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    expected = csrf_token(request.app.state.web.secret, request.state.session_token)
    if not sent or not hmac.compare_digest(sent, expected):
        raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")
