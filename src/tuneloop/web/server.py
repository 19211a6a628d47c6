"""Running the app: uvicorn on one project.

Proxy headers (X-Forwarded-For, X-Forwarded-Proto) are trusted only from the addresses the operator
names with `forwarded_allow_ips`; by default from nobody, so a client cannot pick the address the
login limits count, nor claim https. The app is built before anything is printed or bound, so a
bad key file or spec stops `tuneloop serve` before it says it is serving.
"""

from __future__ import annotations

from pathlib import Path

import uvicorn

from tuneloop.web.app import create_app
from tuneloop.web.limits import MAX_BODY


def server_config(
    project: Path,
    host: str,
    port: int,
    forwarded_allow_ips: str = "",
    *,
    secure_cookies: bool = False,
    max_body: int = MAX_BODY,
) -> uvicorn.Config:
    app = create_app(project, secure_cookies=secure_cookies, max_body=max_body)
    trusted = forwarded_allow_ips.strip()
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or "",  # never None: uvicorn would read $FORWARDED_ALLOW_IPS
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=5,
    )


def serve(config: uvicorn.Config) -> None:
    uvicorn.Server(config).run()
