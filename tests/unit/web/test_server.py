"""The real server (uvicorn on a loopback port, as `tuneloop serve` configures it): proxy headers
are ignored unless the operator names the proxy, so a client cannot reset its login limit."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn

from tests.unit.web.conftest import CSRF, WebProject
from tuneloop.annotate.store.accounts import MAX_FAILURES_PER_CLIENT
from tuneloop.web.server import server_config


@contextmanager
def running(project: WebProject, **options: str) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(server_config(project.path, "127.0.0.1", port, **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()


def _guesses(base: str) -> list[int]:
    """Wrong passwords for ever new names, each claiming another X-Forwarded-For address."""
    with httpx.Client(base_url=base) as browser:
        token = CSRF.search(browser.get("/login").text).group(1)  # type: ignore[union-attr]
        return [
            browser.post(
                "/login",
                data={"name": f"nobody{n}", "password": "a wrong guess", "csrf_token": token},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
            ).status_code
            for n in range(MAX_FAILURES_PER_CLIENT + 1)
        ]


def test_x_forwarded_for_is_ignored_unless_the_proxy_is_named(web_project: WebProject) -> None:
    with running(web_project) as base:
        assert _guesses(base)[-1] == 429  # every guess counted against the real address
    with running(web_project, forwarded_allow_ips="127.0.0.1") as base:
        assert _guesses(base)[-1] == 401  # a named proxy's header is the client's address
