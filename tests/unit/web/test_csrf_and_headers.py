"""CSRF tokens on every POST, the security headers on every response, escaped error messages."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.unit.web.conftest import WebProject, api_next, csrf_of, signed_in
from tuneloop.web.app import ROUTERS


def _post_routes() -> list[str]:
    paths = [
        r.path for router in ROUTERS for r in router.routes if isinstance(r, APIRoute) and "POST" in r.methods
    ]
    return [p.replace("{annotation_id}", "1").replace("{item_id}", "1") for p in paths]


def test_every_post_route_is_found() -> None:
    assert set(_post_routes()) >= {
        "/login", "/logout", "/annotate/submit", "/annotate/skip", "/annotate/undo", "/api/submit",
        "/api/skip", "/api/undo", "/review/1", "/adjudicate/1", "/admin/guidelines", "/admin/export",
    }  # fmt: skip


@pytest.mark.parametrize("token", [None, "wrong", "0" * 64])
def test_every_post_without_the_right_csrf_token_is_refused(
    web_project: WebProject, token: str | None
) -> None:
    client = signed_in(web_project, "boss")
    for path in _post_routes():
        form = {"csrf_token": token} if token is not None else {}
        response = client.post(path, data=form | {"item_id": "1", "label": "x", "markdown": "# new"})
        assert response.status_code == 403, path
        assert "CSRF" in response.text
        headers = {"X-CSRF-Token": token} if token is not None else {}
        assert client.post(path, json={"item_id": 1}, headers=headers).status_code == 403, path


def test_a_token_from_another_session_is_refused(web_project: WebProject) -> None:
    alice, mallory = signed_in(web_project, "ann"), signed_in(web_project, "bob")
    item = api_next(alice)["item"]
    response = alice.post(
        "/api/skip",
        json={"item_id": item["id"], "reason": "x"},
        headers={"X-CSRF-Token": api_next(mallory)["csrf_token"]},
    )
    assert response.status_code == 403


def test_login_itself_needs_the_token(client: TestClient) -> None:
    client.get("/login")
    assert client.post("/login", data={"name": "ann", "password": "x" * 10}).status_code == 403


@pytest.mark.parametrize("path", ["/login", "/annotate", "/static/app.js", "/no-such-page", "/api/next"])
def test_security_headers_on_every_response(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"


def test_pages_have_no_inline_script(web_project: WebProject) -> None:
    client = signed_in(web_project, "boss")
    for path in ("/login", "/admin", "/review", "/adjudicate"):
        page = client.get(path).text
        assert page.count("<script") == 1 and '<script src="/static/app.js" defer></script>' in page
        assert " on" + "click=" not in page


def test_error_messages_are_escaped(web_project: WebProject) -> None:
    client = signed_in(web_project, "ann")
    page = client.get("/annotate").text
    token = csrf_of(client, "/annotate")
    item_id = page.split('name="item_id" value="')[1].split('"')[0]
    payload = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    response = client.post(
        "/annotate/submit",
        data={"csrf_token": token, "item_id": item_id, "label": payload, "request_id": "r" * 16},
    )
    assert response.status_code == 422
    assert "<script>alert" not in response.text and "<img src=x" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
