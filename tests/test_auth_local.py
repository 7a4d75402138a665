"""Local development sign-in, the session cookie's policy, and sign-out."""

import pytest
import webtest

import config
from tests.fixtures.datastore import ADMIN_EMAIL, make_app
from tests.fixtures.sign_in import sign_in_locally


def test_local_sign_in_as_admin_opens_the_admin_ui(client):
    response = sign_in_locally(client, "dev@example.com", admin=True)
    assert response.headers["Location"].endswith("/admin/")
    assert "dev@example.com" in client.get("/admin/").text


def test_local_sign_in_without_admin_tick_is_not_an_admin(client):
    sign_in_locally(client, "dev@example.com", admin=False)
    page = client.get("/admin/", status=403)
    assert "not an admin" in page.text


def test_local_sign_in_of_a_configured_admin_needs_no_tick(client):
    sign_in_locally(client, ADMIN_EMAIL, admin=False)
    assert client.get("/admin/").status_int == 200


def test_local_sign_in_refuses_a_malformed_email_keeping_it(client):
    form = client.get("/auth/local").forms["local-sign-in"]
    form["email"] = "not an email"
    page = form.submit(status=400)
    assert "is not an email address" in page.text
    assert page.forms["local-sign-in"]["email"].value == "not an email"


def test_local_sign_in_does_not_exist_on_app_engine(emulator):
    app = make_app(GAE_ENV="standard", LOCAL_SIGN_IN=True)
    client = webtest.TestApp(app)
    assert client.get("/auth/local", status=404).status_int == 404
    assert client.post("/auth/local", {"email": ADMIN_EMAIL, "admin": "y"}, status=404)
    assert "Local development sign-in" not in client.get("/auth/sign-in").text


def test_configuration_refuses_local_sign_in_on_app_engine():
    settings = config.from_environment({"GAE_ENV": "standard", "DATASTORE_EMULATOR_HOST": "localhost:1"})
    assert settings["LOCAL_SIGN_IN"] is False


def test_session_cookie_is_secure_off_the_emulator():
    settings = config.from_environment({"GAE_ENV": "standard"})
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert settings["LOCAL_SIGN_IN"] is False


def test_session_cookie_is_httponly_and_samesite_lax(client):
    cookie = sign_in_locally(client).headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_sign_out_ends_the_session(signed_in):
    signed_in.get("/admin/").forms["sign-out"].submit(status=302)
    assert signed_in.get("/admin/", status=302).headers["Location"].startswith("/auth/sign-in")


def test_sign_in_page_sends_a_signed_in_admin_on(signed_in):
    response = signed_in.get("/auth/sign-in", {"next": "/admin/audit"}, status=302)
    assert response.headers["Location"].endswith("/admin/audit")


PUBLIC_PAGES = [
    "/",
    "/summary",
    "/service-lists",
    "/documentation",
    "/rss",
    "/atom",
    "/api/v1/services",
    "/api/v1/statuses",
    "/robots.txt",
    "/no-such-page",
]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_never_set_a_cookie(client, path):
    assert "Set-Cookie" not in client.get(path, status="*").headers
    sign_in_locally(client)  # even for a signed-in admin carrying a session cookie
    assert "Set-Cookie" not in client.get(path, status="*").headers
