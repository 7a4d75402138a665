"""The original Stashboard's API test matrix: resource × method × root × kind of input."""

import pytest

from tests.fixtures.admin_api import Admin, add_service, issue_token
from tests.fixtures.datastore import make_app, make_client
from tests.helpers import assert_json_error, board_state

ROOTS = ("/api/v1", "/admin/api/v1")


def build_board(admin):
    """A list, a service with one Down event, and a custom status no event uses."""
    add_service(admin)
    admin.post("/statuses", {"name": "Maintenance", "description": "Planned work", "image": "wrench"}, status=201)
    event = admin.post("/services/web-api/events", {"message": "Broken", "status": "down"}, status=201).json
    return {"sid": event["sid"]}


# One board for the module: every test here reads it, or is refused and proves with
# board_state that nothing changed; the one test whose writes succeed has a `fresh` board.
pytestmark = pytest.mark.one_board


@pytest.fixture(scope="module")
def board(module_app, module_token):
    """The module's board (build_board), built once."""
    app, token = module_app, module_token
    return build_board(Admin(make_client(app), token))


@pytest.fixture
def fresh(emulator):
    """A board of its own, for a test whose writes succeed: (client, admin, board)."""
    app = make_app()
    client = make_client(app)
    admin = Admin(client, issue_token(app))
    return client, admin, build_board(admin)


READS = [
    "/services",
    "/services/web-api",
    "/services/web-api/events",
    "/services/web-api/events/current",
    "/services/web-api/events/{sid}",
    "/statuses",
    "/statuses/maintenance",
    "/service-lists",
    "/service-lists/core",
    "/levels",
    "/status-images",
]


@pytest.mark.parametrize("root", ROOTS)
@pytest.mark.parametrize("path", READS)
def test_every_read_answers_json_on_both_roots(client, board, root, path):
    response = client.get(root + path.format(**board))
    assert response.status_int == 200
    assert response.content_type == "application/json"
    assert isinstance(response.json, dict)


@pytest.mark.parametrize("root", ROOTS)
@pytest.mark.parametrize("path", READS)
def test_head_answers_like_get_without_a_body(client, board, root, path):
    response = client.head(root + path.format(**board))
    assert response.status_int == 200
    assert response.body == b""


@pytest.mark.parametrize("version", ["v0", "v2", "V1"])
@pytest.mark.parametrize("root", ["/api", "/admin/api"])
@pytest.mark.parametrize("path", READS)
def test_a_wrong_version_is_a_json_404(client, root, version, path):
    assert_json_error(client.get(f"{root}/{version}{path.format(sid=1)}", status="*"), 404)


UNKNOWN_READS = [
    "/services/nope",
    "/services/nope/events",
    "/services/nope/events/current",
    "/services/nope/events/{sid}",
    "/services/web-api/events/1",
    "/services/web-api/events/not-a-sid",
    "/services/web-api/events/-5",
    "/services/web-api/events/99999999999999999999999",
    "/statuses/nope",
    "/service-lists/nope",
    "/nothing-here",
]


@pytest.mark.parametrize("root", ROOTS)
@pytest.mark.parametrize("path", UNKNOWN_READS)
def test_an_unknown_id_is_a_json_404(client, board, root, path):
    assert_json_error(client.get(root + path.format(**board), status="*"), 404)


# (method, path, valid fields) for every write the admin root offers.
WRITES = [
    ("POST", "/services", {"name": "Billing", "description": "Invoices"}),
    ("POST", "/services/web-api", {"description": "New words"}),
    ("DELETE", "/services/web-api", None),
    ("POST", "/services/web-api/events", {"message": "Fixed", "status": "up"}),
    ("DELETE", "/services/web-api/events/{sid}", None),
    ("POST", "/statuses", {"name": "Slow", "description": "Slow", "image": "clock"}),
    ("POST", "/statuses/maintenance", {"level": "WARNING"}),
    ("DELETE", "/statuses/maintenance", None),
    ("POST", "/service-lists", {"name": "Edge", "description": "CDN"}),
    ("POST", "/service-lists/core", {"name": "Core platform"}),
    ("DELETE", "/service-lists/core", None),
]
WRITE_IDS = [f"{method} {path}" for method, path, _ in WRITES]


def send(client, method, url, fields=None, headers=None):
    if method == "POST":
        return client.post(url, fields or {}, headers=headers or {}, status="*")
    return client.delete(url, headers=headers or {}, status="*")


@pytest.mark.parametrize(("method", "path", "fields"), WRITES, ids=WRITE_IDS)
def test_every_write_on_the_public_root_is_a_json_405(client, board, method, path, fields):
    before = board_state(client)
    response = send(client, method, "/api/v1" + path.format(**board), fields)
    assert_json_error(response, 405)
    assert "POST" not in response.headers["Allow"] and "GET" in response.headers["Allow"]
    assert board_state(client) == before


@pytest.mark.parametrize(("method", "path", "fields"), WRITES, ids=WRITE_IDS)
def test_every_write_on_the_admin_root_needs_a_credential(client, board, method, path, fields):
    before = board_state(client)
    response = send(client, method, "/admin/api/v1" + path.format(**board), fields)
    assert_json_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert board_state(client) == before


@pytest.mark.parametrize(("method", "path", "fields"), WRITES, ids=WRITE_IDS)
def test_every_write_with_a_wrong_version_is_a_404(client, admin, board, method, path, fields):
    before = board_state(client)
    url = "/admin/api/v0" + path.format(**board)
    assert_json_error(send(client, method, url, fields, admin.headers), 404)
    assert board_state(client) == before


@pytest.mark.parametrize(("method", "path", "fields"), WRITES, ids=WRITE_IDS)
def test_every_write_succeeds_for_an_admin(fresh, method, path, fields):
    client, admin, board = fresh
    response = send(client, method, "/admin/api/v1" + path.format(**board), fields, admin.headers)
    assert response.status_int in (200, 201), response.body
    assert response.content_type == "application/json"
    assert "error" not in response.json


UNKNOWN_WRITES = [
    ("POST", "/services/nope", {"description": "x"}),
    ("DELETE", "/services/nope", None),
    ("POST", "/services/nope/events", {"message": "x"}),
    ("DELETE", "/services/nope/events/{sid}", None),
    ("DELETE", "/services/web-api/events/123", None),
    ("DELETE", "/services/web-api/events/bad-sid", None),
    ("POST", "/services/web-api/events", {"message": "x", "status": "nope"}),
    ("POST", "/statuses/nope", {"level": "ERROR"}),
    ("DELETE", "/statuses/nope", None),
    ("POST", "/service-lists/nope", {"name": "x"}),
    ("DELETE", "/service-lists/nope", None),
]


@pytest.mark.parametrize(
    ("method", "path", "fields"), UNKNOWN_WRITES, ids=[f"{m} {p} {f}" for m, p, f in UNKNOWN_WRITES]
)
def test_a_write_to_an_unknown_id_is_a_404_and_changes_nothing(client, admin, board, method, path, fields):
    before = board_state(client)
    assert_json_error(send(client, method, "/admin/api/v1" + path.format(**board), fields, admin.headers), 404)
    assert board_state(client) == before


# (path, fields) that leave out a required field or give a bad value: each a 400.
BAD_WRITES = [
    ("/services", {"description": "no name"}),
    ("/services", {"name": "No description"}),
    ("/services", {"name": "   ", "description": "blank name"}),
    ("/services", {"name": "!!!", "description": "nothing to make an id of"}),
    ("/services", {"name": "x" * 101, "description": "too long"}),
    ("/services", {"name": "Billing", "description": "x", "list": "nope"}),
    ("/services/web-api", {}),
    ("/services/web-api", {"name": ""}),
    ("/services/web-api", {"list": "nope"}),
    ("/services/web-api/events", {"status": "up"}),
    ("/services/web-api/events", {"message": ""}),
    ("/services/web-api/events", {"message": "x" * 5001}),
    ("/services/web-api/events", {"message": "x", "informational": "maybe"}),
    ("/statuses", {"description": "d", "image": "clock"}),
    ("/statuses", {"name": "Slow", "image": "clock"}),
    ("/statuses", {"name": "Slow", "description": "d"}),
    ("/statuses", {"name": "Slow", "description": "d", "image": "no-such-image"}),
    ("/statuses", {"name": "Slow", "description": "d", "image": "clock", "level": "SEVERE"}),
    ("/statuses", {"name": "Slow", "description": "d", "image": "clock", "default": "perhaps"}),
    ("/statuses/maintenance", {}),
    ("/statuses/maintenance", {"image": "no-such-image"}),
    ("/statuses/maintenance", {"level": "low"}),
    ("/statuses/maintenance", {"default": "2"}),
    ("/statuses/up", {"default": "false"}),
    ("/service-lists", {"description": "no name"}),
    ("/service-lists", {"name": "No description"}),
    ("/service-lists/core", {}),
    ("/service-lists/core", {"name": " "}),
]


@pytest.mark.parametrize(("path", "fields"), BAD_WRITES, ids=[f"{p} {f}"[:80] for p, f in BAD_WRITES])
def test_a_missing_field_or_bad_value_is_a_400_and_changes_nothing(client, admin, board, path, fields):
    before = board_state(client)
    assert_json_error(admin.post(path, fields), 400)
    assert board_state(client) == before


@pytest.mark.parametrize(("path", "fields"), BAD_WRITES, ids=[f"{p} {f}"[:80] for p, f in BAD_WRITES])
def test_the_same_bad_input_as_json_is_a_400_too(client, admin, board, path, fields):
    before = board_state(client)
    assert_json_error(admin.post_json(path, fields), 400)
    assert board_state(client) == before


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
@pytest.mark.parametrize("root", ROOTS)
def test_methods_outside_the_contract_are_json_405s(client, admin, board, root, method):
    before = board_state(client)
    response = client.request(
        f"{root}/services/web-api", method=method, body=b"name=x", headers=admin.headers, expect_errors=True
    )
    assert_json_error(response, 405)
    assert board_state(client) == before
