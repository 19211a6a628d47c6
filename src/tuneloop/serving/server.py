"""Starting the served model: the checks before anything is loaded or bound, then uvicorn.

The server refuses a non-loopback host while the project's store holds no unrevoked API key (a
model open to the network with no way to tell clients apart, or to shut one out), and there it
asks every request for a key, even after the last one is revoked. Expired log rows are purged
before the first request (`serving.retention_days`).
"""

from __future__ import annotations

import ipaddress

import uvicorn

from tuneloop.annotate.store import open_store
from tuneloop.errors import TuneloopError
from tuneloop.serving.app import create_app
from tuneloop.serving.keys import has_active_keys
from tuneloop.serving.log import purge
from tuneloop.serving.served import Target, load_served

LOCALHOST = "localhost"


def is_loopback(host: str) -> bool:
    if host == LOCALHOST:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def server_config(target: Target, host: str, port: int) -> uvicorn.Config:
    """The uvicorn config of the app serving `target`, after the key check and the purge."""
    store = open_store(target.project.store_url)
    with store.read() as session:
        keyed = has_active_keys(session)
    if not is_loopback(host) and not keyed:
        store.close()
        raise TuneloopError(
            f"refusing to serve on {host}, beyond this machine, with no API key: add one with "
            f"`tuneloop keys add {target.project.root} NAME` (or serve on 127.0.0.1)"
        )
    retention = target.project.serving.retention_days
    if retention is not None:
        purge(store, retention)
    app = create_app(load_served(target), store, require_keys=not is_loopback(host))
    return uvicorn.Config(
        app, host=host, port=port, access_log=False, log_level="warning", timeout_graceful_shutdown=5
    )


def serve(config: uvicorn.Config) -> None:
    uvicorn.Server(config).run()
