"""`tuneloop users ...`: the people of a project's annotation store, their roles and passwords,
and `disable` to revoke a person.

The CLI acts as the `cli:<os user>` admin account, so the audit log says who added or changed whom.
A password is never an argument: it is asked for (hidden, twice) or read from one line of stdin.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from tuneloop.cli.support import JsonOpt, emit, guarded, out

users_app = typer.Typer(no_args_is_help=True, help="People of the annotation store and their roles.")

PasswordStdinOpt = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from one line of stdin (scripts).")
]


@users_app.command("add")
@guarded
def users_add(
    name: Annotated[str, typer.Argument(help="A unique user name.")],
    project: Annotated[Path, typer.Option(help="Project directory holding tuneloop.yaml.")] = Path("."),
    role: Annotated[str, typer.Option(help="annotator, reviewer or admin.")] = "annotator",
    skill: Annotated[list[str] | None, typer.Option(help="A domain skill (repeatable), for routing.")] = None,
    password_stdin: PasswordStdinOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Add a person to the project's annotation store, with the password they sign in to the web
    app with (asked for, hidden, twice; or one line on stdin with --password-stdin)."""
    from tuneloop.annotate.project import operator, project_store
    from tuneloop.annotate.store import add_user
    from tuneloop.annotate.store.accounts import set_password
    from tuneloop.spec import load_spec

    password = _read_password(password_stdin)
    store = project_store(load_spec(project))
    with store.begin() as session:
        by = operator(session)
        user = add_user(session, name, role, skills=skill or [], by=by)
        set_password(session, user, password, by=by)
        payload = {"name": user.name, "role": user.role, "skills": user.skills}
    emit(payload) if json_out else out.print(f"added {payload['name']} ({payload['role']})", highlight=False)


@users_app.command("password")
@guarded
def users_password(
    name: Annotated[str, typer.Argument(help="The user whose password to set.")],
    project: Annotated[Path, typer.Option(help="Project directory holding tuneloop.yaml.")] = Path("."),
    password_stdin: PasswordStdinOpt = False,
) -> None:
    """Set a new web-app password for a user (asked for, hidden, twice; or read from stdin); the
    user's web sessions end, so whoever signed in with the old password is signed out."""
    from tuneloop.annotate.project import find_user, operator, project_store
    from tuneloop.annotate.store.accounts import set_password
    from tuneloop.spec import load_spec

    password = _read_password(password_stdin)
    with project_store(load_spec(project)).begin() as session:
        set_password(session, find_user(session, name), password, by=operator(session))
    out.print(f"password of {name} set", highlight=False, markup=False)


@users_app.command("disable")
@guarded
def users_disable(
    name: Annotated[str, typer.Argument(help="The user to disable.")],
    project: Annotated[Path, typer.Option(help="Project directory holding tuneloop.yaml.")] = Path("."),
) -> None:
    """Disable a user: their web sessions end at once and they can no longer sign in; every answer
    they gave stays in the store, with their name."""
    from tuneloop.annotate.project import find_user, operator, project_store
    from tuneloop.annotate.store.accounts import disable_user
    from tuneloop.spec import load_spec

    with project_store(load_spec(project)).begin() as session:
        disable_user(session, find_user(session, name), by=operator(session))
    out.print(f"{name} disabled: signed out everywhere, sign-in refused", highlight=False, markup=False)


def _read_password(from_stdin: bool) -> str:
    """One line of stdin (for scripts), or a hidden prompt asked twice; never an argument, which
    would sit in the shell history and the process list."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True))
