"""What every API response shares: JSON, errors, JSONP, CORS, body limits."""

import json

import pytest

from tests.helpers import assert_json_error, board_state


@pytest.mark.parametrize("callback", ["cb", "jQuery123_456", "$", "my.ns.cb", "_x$"])
def test_jsonp_wraps_the_body_in_the_callback(client, callback):
    response = client.get(f"/api/v1/levels?callback={callback}")
    assert response.content_type == "application/javascript"
    assert response.text == f'{callback}({{"levels":["NORMAL","WARNING","ERROR","CRITICAL"]}});'


@pytest.mark.parametrize(
    "callback",
    ["<script>alert(1)</script>", "alert(1)", "1abc", "a-b", "a b", "", "x" * 200, "cb;alert(1)//"],
)
def test_a_jsonp_callback_that_is_not_a_plain_name_is_a_400(client, callback):
    response = client.get("/api/v1/services", {"callback": callback}, status="*")
    assert_json_error(response, 400)
    assert "<script>" not in response.text


def test_jsonp_escapes_markup_in_user_text(admin, client, service):
    admin.post("/services/web-api/events", {"message": "</script><script>alert(1)</script>"}, status=201)
    response = client.get("/api/v1/services/web-api/events?callback=show")
    assert "<" not in response.text and ">" not in response.text
    body = json.loads(response.text.removeprefix("show(").removesuffix(");"))
    assert body["events"][0]["message"] == "</script><script>alert(1)</script>"


def test_errors_are_wrapped_too_when_the_callback_is_valid(client):
    response = client.get("/api/v1/services/nope?callback=cb", status=404)
    assert response.content_type == "application/javascript"
    assert json.loads(response.text[3:-2])["code"] == 404


def test_public_reads_allow_any_origin(client, service):
    for path in ("/api/v1/services", "/api/v1/services/web-api", "/api/v1/statuses"):
        assert client.get(path).headers["Access-Control-Allow-Origin"] == "*"
    assert client.head("/api/v1/services").headers["Access-Control-Allow-Origin"] == "*"


def test_nothing_under_admin_is_cross_origin(client, admin, service):
    assert "Access-Control-Allow-Origin" not in client.get("/admin/api/v1/services").headers
    assert "Access-Control-Allow-Origin" not in admin.post("/services/web-api", {"description": "x"}).headers


def test_responses_are_not_sniffed(client):
    assert client.get("/api/v1/services").headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("size", [1024 * 1024 + 1, 10 * 1024 * 1024])
def test_a_body_over_one_mib_is_a_413_and_writes_nothing(client, admin, service, size):
    before = board_state(client)
    response = admin.post("/services", {"name": "Big", "description": "x" * size})
    assert_json_error(response, 413)
    assert board_state(client) == before


def test_a_large_body_without_credentials_is_refused_before_it_is_read(client):
    assert_json_error(client.post("/admin/api/v1/services", {"description": "x" * (2 * 1024 * 1024)}, status="*"), 413)


@pytest.mark.parametrize(
    "body",
    [b"[1, 2]", b'"text"', b"{not json", b'{"name": {"nested": 1}, "description": "d"}', b'{"name": ["a"], "description": "d"}'],
)
def test_a_json_body_that_is_not_an_object_of_fields_is_a_400(client, admin, body):
    before = board_state(client)
    response = client.post(
        "/admin/api/v1/services",
        body,
        headers={**admin.headers, "Content-Type": "application/json"},
        status="*",
    )
    assert_json_error(response, 400)
    assert board_state(client) == before


def test_json_booleans_are_accepted_for_flags(admin, service):
    event = admin.post_json("/services/web-api/events", {"message": "note", "informational": True}, status=201)
    assert event.json["informational"] is True


def test_unknown_paths_under_the_api_are_json_404s(client):
    for path in ("/api/v1/", "/api/v1/nope", "/admin/api/v1/nope/deeper", "/api", "/api/v2/services"):
        assert_json_error(client.get(path, status="*"), 404)


def test_an_unknown_path_on_the_site_is_an_html_page(client):
    response = client.get("/no-such-page", status=404)
    assert response.content_type == "text/html"


@pytest.mark.parametrize(
    ("path", "write"),
    [
        ("/services/" + "a" * 2000, "DELETE"),
        ("/services/" + "a" * 2000 + "/events", "POST"),
        ("/statuses/" + "b" * 3000, "DELETE"),
        ("/service-lists/" + "c" * 1600, "POST"),
        ("/services/caf%C3%A9", "POST"),
        ("/services/%00", "DELETE"),
        ("/services/%F0%9F%94%A5/events/current", None),
    ],
)
def test_ids_no_slug_could_be_are_404s_not_500s(client, admin, path, write):
    assert_json_error(client.get("/api/v1" + path, status="*"), 404)
    if write == "POST":
        assert_json_error(admin.post(path, {"message": "x", "name": "x"}), 404)
    elif write == "DELETE":
        assert_json_error(admin.delete(path), 404)


def test_an_oversized_list_id_on_a_service_is_a_400(admin):
    assert_json_error(admin.post("/services", {"name": "A", "description": "d", "list": "x" * 2000}), 400)
