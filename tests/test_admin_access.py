"""Who gets into the admin UI, and CSRF protection on every cookie-authenticated write."""

import re

import pytest

from tests.fixtures.admin_api import Admin as AdminApi, issue_token
from tests.fixtures.datastore import ADMIN_EMAIL, make_app, make_client
from tests.fixtures.sign_in import sign_in_locally
from tests.helpers import assert_json_error, board_state


# One board for the module: its tests read it, or are refused and prove that nothing
# changed; the two whose writes succeed have a `fresh_app` each.
pytestmark = pytest.mark.one_board


@pytest.fixture
def fresh_app(emulator):
    """A board of its own, for a test whose write succeeds."""
    return make_app()


@pytest.fixture(scope="module")
def board(module_app, module_token):
    """A list, a service with one event, a token and a stored admin: something for every page."""
    app, token = module_app, module_token
    from handlers.context import ndb_context
    from models import Admin

    admin = AdminApi(make_client(app), token)
    admin.post("/service-lists", {"name": "Core", "description": "Core services"}, status=201)
    admin.post("/services", {"name": "Web API", "description": "The API", "list": "core"}, status=201)
    event = admin.post("/services/web-api/events", {"message": "All good", "status": "up"}, status=201).json
    with ndb_context(app):
        Admin.allow("ops@example.org", added_by="test")
    return {"sid": event["sid"], "token_id": token.split("_")[1]}


ADMIN_PAGES = [
    "/admin/",
    "/admin/services/new",
    "/admin/services/web-api",
    "/admin/services/web-api/edit",
    "/admin/services/web-api/delete",
    "/admin/services/web-api/events/{sid}/delete",
    "/admin/statuses/",
    "/admin/statuses/new",
    "/admin/statuses/down/edit",
    "/admin/statuses/down/delete",
    "/admin/lists/",
    "/admin/lists/new",
    "/admin/lists/core/edit",
    "/admin/lists/core/delete",
    "/admin/audit",
    "/admin/credentials",
    "/admin/credentials/{token_id}/revoke",
    "/admin/admins",
    "/admin/admins/ops@example.org/remove",
]


# Sign-in is checked before any lookup, so these need no stored entities.
NOTHING_STORED = {"sid": "1", "token_id": "abc123"}


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_every_admin_page_sends_an_anonymous_visitor_to_sign_in(client, page):
    path = page.format(**NOTHING_STORED)
    response = client.get(path, status=302)
    assert response.headers["Location"].startswith("/auth/sign-in?next=")
    assert "Set-Cookie" not in response.headers or "session=" not in response.headers["Set-Cookie"]


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_every_admin_page_tells_a_non_admin_so(client, page):
    sign_in_locally(client, "visitor@example.net")
    response = client.get(page.format(**NOTHING_STORED), status=403)
    assert "You are not an admin" in response.text


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_every_admin_page_opens_for_an_admin(client, board, page):
    sign_in_locally(client)
    response = client.get(page.format(**board))
    assert response.status_int == 200
    assert ADMIN_EMAIL in response.text


ADMIN_FORMS = [
    ("/admin/", {"service": "web-api", "status": "down", "message": "Investigating"}),
    ("/admin/services/new", {"name": "Email", "description": "Outbound email"}),
    ("/admin/services/web-api/edit", {"name": "Renamed", "description": "The API", "list": ""}),
    ("/admin/services/web-api/delete", {}),
    ("/admin/services/web-api/events", {"status": "down", "message": "Investigating"}),
    ("/admin/services/web-api/events/{sid}/delete", {}),
    ("/admin/statuses/new", {"name": "Slow", "description": "Slow", "level": "WARNING", "image": "clock"}),
    ("/admin/statuses/warning/edit", {"name": "Warn", "description": "W", "level": "WARNING", "image": "clock"}),
    ("/admin/statuses/warning/delete", {}),
    ("/admin/lists/new", {"name": "Messaging", "description": "Email and SMS"}),
    ("/admin/lists/core/edit", {"name": "Core!", "description": "Renamed"}),
    ("/admin/lists/core/delete", {}),
    ("/admin/credentials", {"name": "Nagios"}),
    ("/admin/credentials/{token_id}/revoke", {}),
    ("/admin/admins", {"email": "new@example.org"}),
    ("/admin/admins/ops@example.org/remove", {}),
    ("/auth/sign-out", {}),
]


def everything(app, client):
    """The whole stored state an admin form could change, audit log included."""
    from handlers.context import ndb_context
    from models import Admin, ApiToken, AuditEntry

    with ndb_context(app):
        stored = {
            "admins": [a.email for a in Admin.ordered()],
            "tokens": [(t.token_id, t.revoked) for t in ApiToken.newest()],
            "audit": len(AuditEntry.newest(limit=1000)[0]),
        }
    return {"board": board_state(client), **stored}


@pytest.mark.parametrize("csrf_token", [None, "forged-token"], ids=["missing", "forged"])
@pytest.mark.parametrize("action, fields", ADMIN_FORMS, ids=[a for a, _ in ADMIN_FORMS])
def test_every_admin_form_without_a_valid_csrf_token_is_rejected(app, client, board, action, fields, csrf_token):
    sign_in_locally(client)
    before = everything(app, client)
    params = dict(fields, **({"csrf_token": csrf_token} if csrf_token else {}))
    response = client.post(action.format(**board), params, status="*")
    assert response.status_int == 400
    assert "nothing was changed" in response.text
    assert everything(app, client) == before
    assert client.get("/admin/").status_int == 200  # still signed in, too


# --- the admin API on the browser session ------------------------------------------


def csrf_token_of(client):
    """The CSRF token the admin UI's pages carry (for same-origin API calls)."""
    page = client.get("/admin/")
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text).group(1)


LIST = {"name": "Messaging", "description": "Email and SMS"}


def test_session_write_to_the_admin_api_needs_the_csrf_token(client):
    sign_in_locally(client)
    before = board_state(client)
    assert_json_error(client.post("/admin/api/v1/service-lists", LIST, status="*"), 400)
    assert board_state(client) == before


def test_session_write_to_the_admin_api_with_csrf_header_is_audited(fresh_app):
    from handlers.context import ndb_context
    from models import AuditEntry

    app, client = fresh_app, make_client(fresh_app)
    sign_in_locally(client)
    headers = {"X-CSRFToken": csrf_token_of(client)}
    assert client.post("/admin/api/v1/service-lists", LIST, headers=headers).status_int == 201
    with ndb_context(app):
        entry = AuditEntry.newest(kind="ServiceList")[0][0]
    assert (entry.actor_email, entry.actor_via, entry.action) == (ADMIN_EMAIL, "session", "create")


def test_session_of_a_non_admin_is_forbidden_on_the_admin_api(client):
    sign_in_locally(client, "visitor@example.net")
    page = client.get("/admin/", status=403)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    response = client.post("/admin/api/v1/service-lists", dict(LIST, csrf_token=token), status="*")
    assert_json_error(response, 403)


def test_admin_api_write_without_any_credential_is_unauthorized(client):
    assert_json_error(client.post("/admin/api/v1/service-lists", LIST, status="*"), 401)


def test_bearer_token_clients_need_no_csrf_token(fresh_app):
    admin = AdminApi(make_client(fresh_app), issue_token(fresh_app))
    assert admin.post("/service-lists", LIST).status_int == 201
