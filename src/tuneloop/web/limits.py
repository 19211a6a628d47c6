"""Request bodies over a stated size are refused before anything reads them.

`BodyLimit` is the outermost middleware: a request whose Content-Length is over the limit (or not a
number) gets 413 before routing, the session lookup, the CSRF check or any parsing; a body sent
without a length (chunked) is counted as it streams in. The moment it passes the limit the app is
told the client went away (so no parser holds, or spools to disk, more than `limit` bytes of it),
whatever it answers to that is dropped, and the client gets the 413.
"""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tuneloop.web.security import HEADERS

MAX_BODY = 1024 * 1024  # 1 MiB: the longest form (guidelines, 200,000 characters) fits


class BodyLimit:
    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await self._refuse(scope, receive, send, 413 if length.isdigit() else 400)
            return
        seen, over, started = 0, False, False

        async def counted() -> Message:
            nonlocal seen, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                over = True
                return {"type": "http.disconnect"}
            return message

        async def answer(message: Message) -> None:
            nonlocal started
            if over:
                return  # the app's answer to a body cut short; the 413 goes out instead
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, answer)
        except Exception:
            if not over:
                raise
        if over and not started:
            await self._refuse(scope, receive, send, 413)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, status: int) -> None:
        message = (
            f"request body over the limit of {self.limit} bytes (`tuneloop serve --max-body`)"
            if status == 413
            else "Content-Length is not a number"
        )
        await JSONResponse({"error": message}, status_code=status, headers=HEADERS)(scope, receive, send)
