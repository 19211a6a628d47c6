"""`tuneloop keys add|list|revoke PROJECT`: the API keys of the served model's clients.

A key is printed once, when it is added; the store keeps only its SHA-256 (serving/keys.py says
why that is enough for a random key). With any unrevoked key, every /v1 request needs one.
"""

from __future__ import annotations

from typing import Annotated

import typer

from tuneloop.cli.support import JsonOpt, ProjectArg, emit, err, guarded, out

keys_app = typer.Typer(no_args_is_help=True, help="API keys of the served model's clients.")
NameArg = Annotated[str, typer.Argument(help="The key's name: who or what uses it.")]


@keys_app.command("add")
@guarded
def keys_add(project: ProjectArg, name: NameArg, json_out: JsonOpt = False) -> None:
    """Add an API key and print it, once: only its hash is stored, so it cannot be shown again."""
    from tuneloop.annotate.project import project_store
    from tuneloop.serving.keys import add_key
    from tuneloop.spec import load_spec

    with project_store(load_spec(project)).begin() as session:
        key, token = add_key(session, name)
        payload = {"name": key.name, "key": token}
    if json_out:
        emit(payload)
        return
    err.print(f"key {payload['name']!r} added; it is shown this once, keep it secret:", highlight=False)
    out.print(token, highlight=False, markup=False)


@keys_app.command("list")
@guarded
def keys_list(project: ProjectArg, json_out: JsonOpt = False) -> None:
    """List the API keys by name, with when each was made and revoked (never the keys themselves)."""
    from tuneloop.annotate.project import project_store
    from tuneloop.serving.keys import list_keys
    from tuneloop.spec import load_spec

    with project_store(load_spec(project)).read() as session:
        keys = [
            {
                "name": k.name,
                "created_at": k.created_at.isoformat(),
                "revoked_at": k.revoked_at and k.revoked_at.isoformat(),
            }
            for k in list_keys(session)
        ]
    if json_out:
        emit({"keys": keys})
        return
    for k in keys:
        state = f"revoked {k['revoked_at']}" if k["revoked_at"] else "active"
        out.print(f"{k['name']}\tcreated {k['created_at']}\t{state}", highlight=False, markup=False)
    if not keys:
        err.print("no keys: the server takes requests without one, on this machine only", highlight=False)


@keys_app.command("revoke")
@guarded
def keys_revoke(project: ProjectArg, name: NameArg) -> None:
    """Revoke an API key: the server refuses it from the next request on."""
    from tuneloop.annotate.project import project_store
    from tuneloop.serving.keys import revoke_key
    from tuneloop.spec import load_spec

    with project_store(load_spec(project)).begin() as session:
        revoke_key(session, name)
    out.print(f"key {name!r} revoked", highlight=False, markup=False)
