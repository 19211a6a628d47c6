"""`tuneloop serve PROJECT_DIR`: the annotators' web app for one project (see docs/web.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tuneloop.cli.support import ProjectArg, err, guarded


@guarded
def serve(
    project: ProjectArg = Path("."),
    host: Annotated[
        str, typer.Option(help="Address to listen on (127.0.0.1: this machine only).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8765,
    forwarded_allow_ips: Annotated[
        str,
        typer.Option(
            help="Proxies trusted for X-Forwarded-Proto/For, comma-separated (a TLS proxy in front: "
            "its address). Default: none, the headers are ignored."
        ),
    ] = "",
    secure_cookies: Annotated[
        bool,
        typer.Option("--secure-cookies", help="Always mark the session cookie Secure (behind a TLS proxy)."),
    ] = False,
    max_body: Annotated[
        int | None, typer.Option(help="Largest request body accepted, in bytes (default: 1 MiB).", min=1024)
    ] = None,
) -> None:
    """Serve the annotation web app: annotate, review, adjudicate and the admin dashboard.

    Users sign in with the passwords set by `tuneloop users add`; there are no default accounts.
    """
    from tuneloop.web.limits import MAX_BODY
    from tuneloop.web.server import serve as run_server
    from tuneloop.web.server import server_config

    config = server_config(
        project, host, port, forwarded_allow_ips, secure_cookies=secure_cookies, max_body=max_body or MAX_BODY
    )
    err.print(f"serving {project} on http://{host}:{port}/ (Ctrl-C stops)", highlight=False)
    run_server(config)
