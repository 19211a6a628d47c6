"""Signing in: argon2 hashes, no default users, session rotation, cookie flags, rate limits, 0600 key."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.unit.web.conftest import PASSWORD, WebProject, csrf_of, login, plant_cookie
from tuneloop.annotate.store.models import User
from tuneloop.errors import TuneloopError
from tuneloop.web.secret import SECRET_DIR, SECRET_FILE, load_or_create_secret
from tuneloop.web.security import COOKIE


def test_passwords_are_stored_as_argon2_hashes_only(web_project: WebProject) -> None:
    with web_project.store.begin() as session:
        hashes = [u.password_hash for u in session.scalars(select(User).where(User.name == "ann"))]
    assert hashes[0] is not None and hashes[0].startswith("$argon2id$") and PASSWORD not in hashes[0]


def test_there_are_no_default_users_and_no_signup(client: TestClient) -> None:
    for name, password in (("admin", "admin"), ("admin", "password"), ("argilla", "12345678")):
        assert login(client, name, password).status_code == 401
    assert client.get("/signup").status_code == 404 and client.get("/register").status_code == 404


def test_the_cli_account_without_a_password_cannot_sign_in(client: TestClient) -> None:
    import getpass

    assert login(client, f"cli:{getpass.getuser()}", "").status_code in (401, 422)


def test_login_rotates_the_session_and_logout_ends_it(client: TestClient) -> None:
    client.get("/login")
    before = client.cookies[COOKIE]
    response = login(client, "ann")
    assert response.status_code == 303 and response.headers["location"] == "/annotate"
    after = client.cookies[COOKIE]
    assert after != before
    assert client.get("/annotate").status_code == 200
    stolen = client.cookies[COOKIE]
    logout = client.post("/logout", data={"csrf_token": csrf_of(client, "/annotate")})
    assert logout.status_code == 303
    plant_cookie(client, stolen)  # the old cookie, replayed after logout
    assert client.get("/annotate").status_code == 303


def test_a_session_cookie_set_before_login_is_not_the_one_after(web_project: WebProject) -> None:
    """Fixation: an attacker plants a cookie, the victim signs in, the planted cookie stays anonymous."""
    attacker = web_project.client()
    attacker.get("/login")
    planted = attacker.cookies[COOKIE]
    victim = web_project.client()
    plant_cookie(victim, planted)
    assert login(victim, "ann").status_code == 303
    assert victim.cookies[COOKIE] != planted
    assert attacker.get("/annotate").status_code == 303  # still sent to /login


def test_a_forged_or_unsigned_cookie_is_ignored(client: TestClient) -> None:
    login(client, "ann")
    token = client.cookies[COOKIE].rpartition(".")[0]
    plant_cookie(client, f"{token}.{'0' * 64}")
    assert client.get("/annotate").status_code == 303


def test_the_session_cookie_is_httponly_lax_and_secure_over_https(web_project: WebProject) -> None:
    plain = web_project.client().get("/login").headers["set-cookie"].lower()
    assert "httponly" in plain and "samesite=lax" in plain and "secure" not in plain
    tls = web_project.client(base_url="https://testserver").get("/login").headers["set-cookie"].lower()
    assert "httponly" in tls and "samesite=lax" in tls and "secure" in tls


def test_failed_logins_are_limited_per_user_name(client: TestClient) -> None:
    for _ in range(5):
        assert login(client, "ann", "wrong password").status_code == 401
    refused = login(client, "ann")  # the right password no longer helps for a while
    assert refused.status_code == 429 and "too many failed logins" in refused.text
    assert login(client, "bob").status_code == 303  # other names are not locked out


def test_failed_logins_are_limited_per_client_address(client: TestClient) -> None:
    for attempt in range(20):
        assert login(client, f"nobody{attempt}", "guess").status_code == 401
    assert login(client, "bob").status_code == 429


def test_the_secret_key_is_made_once_with_mode_0600_and_git_ignored(tmp_path: Path) -> None:
    key = load_or_create_secret(tmp_path)
    path = tmp_path / SECRET_DIR / SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(key) >= 32
    assert load_or_create_secret(tmp_path) == key
    assert (tmp_path / SECRET_DIR / ".gitignore").read_text().splitlines()[-1] == "*"
    path.chmod(0o644)
    with pytest.raises(TuneloopError, match="readable by others"):
        load_or_create_secret(tmp_path)


def test_each_project_gets_its_own_key(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert load_or_create_secret(tmp_path / "a") != load_or_create_secret(tmp_path / "b")
