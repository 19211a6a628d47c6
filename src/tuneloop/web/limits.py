"""Request bodies over a stated size are refused before anything reads them.

`BodyLimit` is the outermost middleware: a request whose Content-Length is over the limit (or not a
number) gets 413 before routing, the session lookup, the CSRF check or any parsing; a body sent
without a length (chunked) is counted as it streams in and refused the moment it passes the limit,
so no request can make the server hold, or spool to disk, more than `limit` bytes of it.
"""

from __future__ import annotations

from fastapi import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tuneloop.web.security import HEADERS

MAX_BODY = 1024 * 1024  # 1 MiB: the longest form (guidelines, 200,000 characters) fits


def too_large(limit: int) -> str:
    return f"request body over the limit of {limit} bytes (`tuneloop serve --max-body`)"


class BodyLimit:
    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            status, message = (
                (413, too_large(self.limit)) if length.isdigit() else (400, "bad Content-Length")
            )
            await JSONResponse({"error": message}, status_code=status, headers=HEADERS)(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:  # raised inside the app, which answers it as any HTTPException
                raise HTTPException(413, too_large(self.limit))
            return message

        await self.app(scope, counted, send)
