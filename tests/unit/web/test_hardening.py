"""What a hostile or careless client tried over HTTP and must not get: a lock-out of others, an
old session after a password change, memory for anonymous bodies, a 500, an echo of what it sent,
field names before signing in, a dispute erased by a review, a database others can read."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, text
from typer.testing import CliRunner

from tests.unit.web.conftest import (
    WebProject,
    api_next,
    api_post,
    api_submit,
    csrf_of,
    login,
    signed_in,
)
from tuneloop.annotate.store.accounts import MAX_FAILURES_PER_NAME, MAX_FAILURES_PER_PAIR, set_password
from tuneloop.annotate.store.models import Adjudication, Annotation, Item, LoginAttempt, utcnow
from tuneloop.annotate.store.repository import user_by_name
from tuneloop.annotate.store.review import is_disputed
from tuneloop.cli import app

HUGE = [2**31, 2**63, 2**64 + 1, 10**30]


def test_guessing_from_many_addresses_cannot_lock_the_admin_out_of_a_known_address(
    web_project: WebProject,
) -> None:
    assert login(web_project.client(address="10.0.0.7"), "boss").status_code == 303  # the admin's own
    with web_project.store.begin() as session:  # ... long enough ago
        session.scalars(select(LoginAttempt)).one().at = utcnow() - timedelta(days=1)
    for n in range(MAX_FAILURES_PER_NAME // MAX_FAILURES_PER_PAIR):
        attacker = web_project.client(address=f"10.0.1.{n}")
        for _ in range(MAX_FAILURES_PER_PAIR):
            assert login(attacker, "boss", "a wrong guess").status_code == 401
        assert login(attacker, "boss").status_code == 429  # that address waits
    assert login(web_project.client(address="10.0.0.9"), "boss").status_code == 429  # a new address
    assert login(web_project.client(address="10.0.0.7"), "boss").status_code == 303  # slowed, not stopped


def test_a_password_change_or_disabling_signs_the_user_out(web_project: WebProject) -> None:
    ann, bob = signed_in(web_project, "ann"), signed_in(web_project, "bob")
    assert ann.get("/annotate").status_code == 200 and bob.get("/annotate").status_code == 200
    with web_project.store.begin() as session:
        set_password(session, user_by_name(session, "ann"), "a brand new passphrase")
    assert ann.get("/annotate").status_code == 303  # to /login
    assert api_next(bob)["item"] is not None
    disabled = CliRunner().invoke(app, ["users", "disable", "bob", "--project", str(web_project.path)])
    assert disabled.exit_code == 0, disabled.output
    assert bob.get("/api/next").status_code == 401
    assert login(web_project.client(), "bob").status_code == 401


def test_secure_cookies_forces_the_secure_flag_over_plain_http(web_project: WebProject) -> None:
    cookie = web_project.client(secure_cookies=True).get("/login").headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie


def test_oversized_bodies_are_refused_before_the_csrf_check(web_project: WebProject) -> None:
    default = web_project.client()  # 1 MiB unless `--max-body` says otherwise
    over = default.post(
        "/api/submit", content=b"[" * (1024 * 1024 + 1), headers={"content-type": "application/json"}
    )
    assert over.status_code == 413  # before: 403 from the CSRF check, after reading it all
    anonymous = web_project.client(max_body=64 * 1024)
    big = b"x" * (64 * 1024 + 1)
    for path in ("/api/submit", "/login", "/annotate/submit"):
        declared = anonymous.post(path, content=big, headers={"content-type": "application/json"})
        assert declared.status_code == 413 and "limit of 65536 bytes" in declared.text

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams in
        yield b'--b\r\nContent-Disposition: form-data; name="f"; filename="a"\r\n\r\n'
        for _ in range(100):
            yield b"y" * 4096

    streamed = anonymous.post(
        "/annotate/submit", content=chunks(), headers={"content-type": "multipart/form-data; boundary=b"}
    )
    assert streamed.status_code == 413
    bad = anonymous.post("/login", content=b"{}", headers={"content-length": "12x"})
    assert bad.status_code == 400


def test_huge_ids_are_a_422_naming_the_field_on_every_route(web_project: WebProject) -> None:
    ann, rev = signed_in(web_project, "ann"), signed_in(web_project, "rev")
    token = api_next(ann)["csrf_token"]
    form = {"csrf_token": csrf_of(ann, "/annotate")}
    rev_form = {"csrf_token": csrf_of(rev, "/review")}
    for big in HUGE:
        answers = [
            ann.get(f"/items/{big}"),
            ann.get(f"/api/items/{big}"),
            api_submit(ann, big, "req-0000001", token),
            api_post(ann, "/api/skip", {"item_id": big, "reason": "x"}, token),
            api_post(ann, "/api/undo", {"annotation_id": big}, token),
            ann.post(
                "/annotate/submit", data=form | {"item_id": str(big), "request_id": "r" * 10, "label": "x"}
            ),
            ann.post("/annotate/skip", data=form | {"item_id": str(big), "reason": "x"}),
            ann.post("/annotate/undo", data=form | {"annotation_id": str(big)}),
            rev.post(f"/review/{big}", data=rev_form | {"verdict": "accept"}),
            rev.post(f"/adjudicate/{big}", data=rev_form | {"label": "card_arrival"}),
        ]
        assert [a.status_code for a in answers] == [422] * len(answers), [a.text[:200] for a in answers]
        assert "item_id" in answers[2].json()["error"] and str(big) not in answers[2].json()["error"]


def test_nan_and_a_huge_label_get_a_short_4xx_answer(web_project: WebProject) -> None:
    ann = signed_in(web_project, "ann")
    found = api_next(ann)
    token, item = found["csrf_token"], found["item"]["id"]
    for body in (
        '{"item_id": NaN, "label": "card_arrival", "request_id": "req-0000001"}',
        f'{{"item_id": {item}, "label": NaN, "request_id": "req-0000002"}}',
        f'{{"item_id": {item}, "label": [Infinity], "request_id": "req-0000003"}}',
    ):
        sent = ann.post(
            "/api/submit", content=body, headers={"X-CSRF-Token": token, "content-type": "application/json"}
        )
        assert 400 <= sent.status_code < 500, sent.text
    long_label = "z" * 900_000
    refused = api_submit(ann, item, "req-0000004", token, label=long_label)
    assert refused.status_code == 422 and len(refused.text) < 1000, len(refused.text)
    page = ann.post(
        "/annotate/submit",
        data={"csrf_token": csrf_of(ann, "/annotate"), "item_id": str(item), "request_id": "r" * 10}
        | {"label": long_label},
    )
    assert page.status_code == 422 and long_label[:1000] not in page.text


def test_anonymous_posts_learn_no_field_names(web_project: WebProject) -> None:
    anonymous = web_project.client()
    token = csrf_of(anonymous)  # the login form's token: a valid one for an anonymous session
    api = anonymous.post("/api/submit", json={}, headers={"X-CSRF-Token": token})
    assert api.status_code == 401 and "item_id" not in api.text
    page = anonymous.post("/annotate/submit", data={"csrf_token": token})
    assert page.status_code == 303 and page.headers["location"] == "/login"
    assert anonymous.post("/review/1", data={"csrf_token": token}).status_code == 303


def _disputed_item(project: WebProject) -> int:
    """Item 1 closed by ann (card_arrival) and bob (card_linking)."""
    for name, label in (("ann", "card_arrival"), ("bob", "card_linking")):
        client = signed_in(project, name)
        found = api_next(client)
        assert (
            api_submit(client, found["item"]["id"], f"{name}-0000001", found["csrf_token"], label).status_code
            == 200
        )
    return found["item"]["id"]


def test_a_review_cannot_erase_a_dispute(web_project: WebProject) -> None:
    item = _disputed_item(web_project)
    with web_project.store.begin() as session:
        answers = {a.annotator.name: a.id for a in session.scalars(select(Annotation))}
    rev = signed_in(web_project, "rev")
    form = {"csrf_token": csrf_of(rev, "/review"), "verdict": "correct", "label": "card_arrival"}
    erased = rev.post(f"/review/{answers['bob']}", data=form | {"reason": "make them agree"})
    assert erased.status_code == 409 and "disputed" in erased.text
    accepted = rev.post(
        f"/review/{answers['ann']}", data={"csrf_token": form["csrf_token"], "verdict": "accept"}
    )
    assert accepted.status_code == 409
    with web_project.store.begin() as session:
        assert is_disputed(session, session.get(Item, item))  # type: ignore[arg-type]
    adjudicated = rev.post(
        f"/adjudicate/{item}", data={"csrf_token": form["csrf_token"], "label": "card_arrival"}
    )
    assert adjudicated.status_code == 303
    after = rev.post(
        f"/review/{answers['ann']}", data={"csrf_token": form["csrf_token"], "verdict": "accept"}
    )
    assert after.status_code == 409 and "adjudicated" in after.text
    with web_project.store.begin() as session:
        assert len(session.scalars(select(Adjudication)).all()) == 1


def test_accepting_the_same_answer_twice_is_a_409(web_project: WebProject) -> None:
    for name in ("ann", "bob"):
        client = signed_in(web_project, name)
        found = api_next(client)
        api_submit(client, found["item"]["id"], f"{name}-0000001", found["csrf_token"])
    with web_project.store.begin() as session:
        first = session.scalars(select(Annotation.id).order_by(Annotation.id)).first()
    rev = signed_in(web_project, "rev")
    form = {"csrf_token": csrf_of(rev, "/review"), "verdict": "accept"}
    assert rev.post(f"/review/{first}", data=form).status_code == 303
    again = rev.post(f"/review/{first}", data=form)
    assert again.status_code == 409 and "reviewed already" in again.text


def test_the_store_and_its_wal_are_private_to_the_owner(web_project: WebProject) -> None:
    client = signed_in(web_project, "ann")
    api_next(client)
    for name in ("annotations.db", "annotations.db-wal", ".tuneloop/web-secret"):
        mode = stat.S_IMODE((web_project.path / name).stat().st_mode)
        assert mode == 0o600, (name, oct(mode))
    for name in ("annotations.db", "annotations.db-wal"):  # as an older version left them
        (web_project.path / name).chmod(0o644)
    web_project.client().get("/login")  # opening the store takes the others' access away
    for name in ("annotations.db", "annotations.db-wal"):
        assert stat.S_IMODE((web_project.path / name).stat().st_mode) == 0o600, name


def test_a_long_name_is_refused_by_the_form_with_the_limit_the_store_applies(client: TestClient) -> None:
    refused = login(client, "x" * 250)
    assert refused.status_code == 422 and "at most 100 characters" in refused.text
    assert 'maxlength="100"' in client.get("/login").text


def test_the_dashboard_renders_while_an_annotators_write_holds_the_store(web_project: WebProject) -> None:
    boss = signed_in(web_project, "boss")
    with web_project.store.begin() as writing:
        writing.execute(text("UPDATE users SET skills = skills WHERE id < 0"))  # SQLite's write lock, held
        board = boss.get("/admin")  # before: waited for the lock, 30 s, then a 500
        assert board.status_code == 200 and "Dashboard" in board.text
