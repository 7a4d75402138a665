"""Google sign-in (OpenID Connect code flow), IAP and Google ID tokens, verified by google-auth.

Google's endpoints are the `google` fixture, serving keys made for the test; every
token below goes through the app's real verification path.
"""

import urllib.parse

import pytest
import webtest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fixtures.datastore import ADMIN_EMAIL
from tests.fixtures.fake_google import APP_URL, OIDC_CLIENT_ID
from tests.helpers import assert_json_error, board_state


def start_sign_in(client, next_url="/admin/"):
    """Press "Sign in with Google"; returns the state and nonce the app sent to Google."""
    page = client.get("/auth/sign-in", {"next": next_url})
    response = page.forms["google-sign-in"].submit(status=302)
    location = urllib.parse.urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == "https://accounts.google.com/o/oauth2/v2/auth"
    query = dict(urllib.parse.parse_qsl(location.query))
    assert query["client_id"] == OIDC_CLIENT_ID
    assert query["response_type"] == "code"
    assert query["redirect_uri"] == f"{APP_URL}/auth/google/callback"
    assert "openid" in query["scope"].split() and "email" in query["scope"].split()
    return query["state"], query["nonce"]


def finish_sign_in(client, google, token, state, status="*"):
    """Google redirects back with a code that the token endpoint trades for `token`."""
    google.codes["the-code"] = token
    return client.get("/auth/google/callback", {"code": "the-code", "state": state}, status=status)


def sign_in_with_google(client, google, email, **token_claims):
    state, nonce = start_sign_in(client)
    return finish_sign_in(client, google, google.id_token(email, nonce=nonce, **token_claims), state)


def test_configured_admin_signs_in_with_google(google_client, google):
    response = sign_in_with_google(google_client, google, ADMIN_EMAIL)
    assert response.status_int == 302
    assert response.headers["Location"].endswith("/admin/")
    home = google_client.get("/admin/")
    assert ADMIN_EMAIL in home.text
    assert "Update the board" in home.text
    # The code went to Google's token endpoint and the key came from Google's certs URL.
    assert ("POST", "https://oauth2.googleapis.com/token") in google.requests
    assert ("GET", "https://www.googleapis.com/oauth2/v1/certs") in google.requests


def test_account_on_stored_allowlist_signs_in(google_client, google, google_app):
    from handlers.context import ndb_context
    from models import Admin

    with ndb_context(google_app):
        Admin.allow("ops@example.org", added_by="test")
    sign_in_with_google(google_client, google, "Ops@Example.org")
    assert google_client.get("/admin/").status_int == 200


def test_workspace_domain_admits_accounts_google_vouches_for(emulator, google):
    from tests.fixtures.datastore import make_app

    app = make_app(
        OIDC_CLIENT_ID=OIDC_CLIENT_ID,
        OIDC_CLIENT_SECRET="test-secret-value",
        APP_URL=APP_URL,
        ADMIN_DOMAIN="corp.example",
        GOOGLE_TRANSPORT=google,
    )
    member = webtest.TestApp(app, extra_environ={"HTTP_HOST": "status.example.com"})
    sign_in_with_google(member, google, "dev@corp.example", hd="corp.example")
    assert member.get("/admin/").status_int == 200
    # An address at the domain without Google's `hd` claim is a consumer account: not an admin.
    outsider = webtest.TestApp(app, extra_environ={"HTTP_HOST": "status.example.com"})
    sign_in_with_google(outsider, google, "fake@corp.example")
    assert outsider.get("/admin/", status=403).status_int == 403


def test_signed_in_non_admin_sees_not_an_admin_page(google_client, google):
    sign_in_with_google(google_client, google, "stranger@example.net")
    page = google_client.get("/admin/", status=403)
    assert "not an admin" in page.text
    assert "stranger@example.net" in page.text
    assert "Update the board" not in page.text


@pytest.mark.parametrize(
    "token_options, reason",
    [
        ({"key": rsa.generate_private_key(public_exponent=65537, key_size=2048)}, "signature"),
        ({"audience": "someone-else.apps.googleusercontent.com"}, "wrong audience"),
        ({"expires_in": -3600}, "expired"),
        ({"nonce": "not-the-nonce-we-sent"}, "nonce does not match"),
        ({"iss": "https://evil.example"}, "not Google"),
        ({"email_verified": False}, "not verified"),
    ],
    ids=["bad signature", "wrong audience", "expired", "wrong nonce", "wrong issuer", "unverified email"],
)
def test_invalid_id_token_signs_nobody_in(google_client, google, caplog, token_options, reason):
    state, nonce = start_sign_in(google_client)
    options = {"nonce": nonce, **token_options}
    response = finish_sign_in(google_client, google, google.id_token(ADMIN_EMAIL, **options), state)
    assert response.status_int == 400
    assert "not signed in" in response.text
    assert reason in caplog.text  # refused for this reason, not another
    assert google_client.get("/admin/", status=302).headers["Location"].startswith("/auth/sign-in")


def test_callback_with_wrong_state_is_refused_without_asking_google(google_client, google):
    _, nonce = start_sign_in(google_client)
    response = finish_sign_in(google_client, google, google.id_token(ADMIN_EMAIL, nonce=nonce), "forged-state")
    assert response.status_int == 400
    assert not [url for method, url in google.requests if method == "POST"]
    assert google_client.get("/admin/", status=302)


def test_callback_without_a_started_sign_in_is_refused(google_client, google):
    response = finish_sign_in(google_client, google, google.id_token(ADMIN_EMAIL), "any-state")
    assert response.status_int == 400


def test_state_cannot_be_replayed(google_client, google):
    state, nonce = start_sign_in(google_client)
    finish_sign_in(google_client, google, google.id_token("stranger@example.net", nonce=nonce), state)
    replay = finish_sign_in(google_client, google, google.id_token(ADMIN_EMAIL, nonce=nonce), state)
    assert replay.status_int == 400


def test_code_refused_by_google_signs_nobody_in(google_client):
    state, _ = start_sign_in(google_client)
    response = google_client.get("/auth/google/callback", {"code": "unknown", "state": state}, status=400)
    assert "not signed in" in response.text


def test_user_declining_at_google_gets_the_sign_in_page(google_client):
    state, _ = start_sign_in(google_client)
    response = google_client.get("/auth/google/callback", {"error": "access_denied", "state": state}, status=400)
    assert "access_denied" in response.text


def test_sign_in_returns_to_the_page_asked_for(google_client, google):
    state, nonce = start_sign_in(google_client, next_url="/admin/audit")
    response = finish_sign_in(google_client, google, google.id_token(ADMIN_EMAIL, nonce=nonce), state)
    assert response.headers["Location"].endswith("/admin/audit")


def test_sign_in_never_redirects_to_another_site(google_client, google):
    state, nonce = start_sign_in(google_client, next_url="//evil.example/")
    response = finish_sign_in(google_client, google, google.id_token(ADMIN_EMAIL, nonce=nonce), state)
    assert urllib.parse.urlsplit(response.headers["Location"]).path == "/admin/"
    assert "evil.example" not in response.headers["Location"]


def test_sign_out_ends_the_session(google_client, google):
    sign_in_with_google(google_client, google, ADMIN_EMAIL)
    home = google_client.get("/admin/")
    home.forms["sign-out"].submit(status=302)
    assert google_client.get("/admin/", status=302).headers["Location"].startswith("/auth/sign-in")


def test_google_sign_in_is_absent_when_not_configured(client):
    assert "Sign in with Google" not in client.get("/auth/sign-in").text
    assert client.get("/auth/google/callback", {"state": "x", "code": "y"}, status=404)


# --- Identity-Aware Proxy ---------------------------------------------------------


def test_iap_assertion_identifies_the_admin(google_client, google):
    headers = {"X-Goog-IAP-JWT-Assertion": google.iap_assertion(ADMIN_EMAIL)}
    page = google_client.get("/admin/", headers=headers)
    assert ADMIN_EMAIL in page.text


@pytest.mark.parametrize(
    "assertion_options",
    [{"audience": "/projects/999/apps/other"}, {"key": "other"}],
    ids=["wrong audience", "bad signature"],
)
def test_unverified_iap_assertion_is_ignored(google_client, google, assertion_options):
    from cryptography.hazmat.primitives.asymmetric import ec

    if assertion_options.get("key") == "other":
        assertion_options = {"key": ec.generate_private_key(ec.SECP256R1())}
    headers = {"X-Goog-IAP-JWT-Assertion": google.iap_assertion(ADMIN_EMAIL, **assertion_options)}
    response = google_client.get("/admin/", headers=headers, status=302)
    assert response.headers["Location"].startswith("/auth/sign-in")


def test_iap_header_is_ignored_when_iap_is_not_configured(client, google):
    headers = {"X-Goog-IAP-JWT-Assertion": google.iap_assertion(ADMIN_EMAIL)}
    assert client.get("/admin/", headers=headers, status=302)


def test_iap_admin_writes_are_audited_as_iap(google_client, google, google_app):
    from handlers.context import ndb_context
    from models import AuditEntry

    headers = {"X-Goog-IAP-JWT-Assertion": google.iap_assertion(ADMIN_EMAIL)}
    form = google_client.get("/admin/lists/new", headers=headers).forms["edit-form"]
    form["name"], form["description"] = "Core", "Core services"
    form.submit(headers=headers, status=302)
    with ndb_context(google_app):
        entry = AuditEntry.newest(kind="ServiceList")[0][0]
    assert (entry.actor_email, entry.actor_via) == (ADMIN_EMAIL, "iap")


# --- Google ID tokens on the admin API ----------------------------------------------


def test_service_account_id_token_writes_through_the_admin_api(google_client, google, google_app):
    from handlers.context import ndb_context
    from models import Admin, AuditEntry

    robot = "monitor@project.iam.gserviceaccount.com"
    with ndb_context(google_app):
        Admin.allow(robot, added_by="test")
    headers = {"Authorization": f"Bearer {google.id_token(robot, audience=APP_URL)}"}
    response = google_client.post(
        "/admin/api/v1/service-lists", {"name": "Core", "description": "Core"}, headers=headers
    )
    assert response.status_int == 201
    with ndb_context(google_app):
        entry = AuditEntry.newest(kind="ServiceList")[0][0]
    assert (entry.actor_email, entry.actor_via) == (robot, "google-id-token")


def test_id_token_of_a_non_admin_is_forbidden(google_client, google):
    before = board_state(google_client)
    headers = {"Authorization": f"Bearer {google.id_token('someone@example.net', audience=APP_URL)}"}
    response = google_client.post(
        "/admin/api/v1/service-lists", {"name": "Core", "description": "Core"}, headers=headers, status="*"
    )
    assert_json_error(response, 403)
    assert board_state(google_client) == before


@pytest.mark.parametrize(
    "token_options",
    [{"audience": OIDC_CLIENT_ID}, {"expires_in": -3600}, {"key": "other"}],
    ids=["wrong audience", "expired", "bad signature"],
)
def test_invalid_id_token_on_the_admin_api_is_unauthorized(google_client, google, token_options):
    if token_options.get("key") == "other":
        token_options = {"key": rsa.generate_private_key(public_exponent=65537, key_size=2048)}
    options = {"audience": APP_URL, **token_options}
    headers = {"Authorization": f"Bearer {google.id_token(ADMIN_EMAIL, **options)}"}
    response = google_client.post(
        "/admin/api/v1/service-lists", {"name": "Core", "description": "Core"}, headers=headers, status="*"
    )
    assert_json_error(response, 401)
