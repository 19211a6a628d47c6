"""Running the app: uvicorn on one project, with proxy headers trusted only from `forwarded_allow_ips`
(so `Secure` cookies follow the scheme a trusted TLS proxy reports, and nobody else can claim https)."""

from __future__ import annotations

from pathlib import Path

import uvicorn

from tuneloop.web.app import create_app


def serve(project: Path, host: str, port: int, forwarded_allow_ips: str = "127.0.0.1") -> None:
    uvicorn.run(
        create_app(project),
        host=host,
        port=port,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=5,
    )
