"""Services: the contract's Service object and its create/read/update/delete rules."""

import pytest

from tests.helpers import assert_json_error, board_state


def test_create_answers_201_with_the_service_object(admin, service):
    assert service == {
        "id": "web-api",
        "name": "Web API",
        "description": "The API",
        "url": "http://status.example.com/admin/api/v1/services/web-api",
        "current-event": None,
        "list": {
            "id": "core",
            "name": "Core",
            "description": "Core services",
            "url": "http://status.example.com/admin/api/v1/service-lists/core",
        },
    }


def test_public_read_uses_public_urls(client, service):
    body = client.get("/api/v1/services/web-api").json
    assert body["url"] == "http://status.example.com/api/v1/services/web-api"
    assert body["list"]["url"] == "http://status.example.com/api/v1/service-lists/core"


def test_urls_follow_the_request_host_and_scheme(client, service):
    """A custom domain (CNAME) and App Engine's HTTPS front end show in every URL."""
    body = client.get(
        "/api/v1/services/web-api",
        headers={"Host": "status.acme.io", "X-Forwarded-Proto": "https"},
    ).json
    assert body["url"] == "https://status.acme.io/api/v1/services/web-api"


def test_services_are_listed_by_name(admin, client):
    for name in ("Zeta", "alpha", "Mid"):
        admin.post("/services", {"name": name, "description": "d"}, status=201)
    names = [s["name"] for s in client.get("/api/v1/services").json["services"]]
    assert names == sorted(names)
    assert set(names) == {"Zeta", "alpha", "Mid"}


def test_id_is_the_slug_of_the_name_and_survives_a_rename(admin, client):
    created = admin.post("/services", {"name": "Payments API v2", "description": "d"}, status=201).json
    assert created["id"] == "payments-api-v2"
    renamed = admin.post("/services/payments-api-v2", {"name": "Billing"}, status=200).json
    assert renamed["id"] == "payments-api-v2"
    assert renamed["name"] == "Billing"
    assert client.get("/api/v1/services/payments-api-v2").json["name"] == "Billing"


@pytest.mark.parametrize(
    ("name", "slug"),
    [("Café Crème", "cafe-creme"), ("Служба", "sluzhba"), ("東京 API", "dong-jing-api")],
)
def test_unicode_names_are_kept_and_get_ascii_ids(admin, client, name, slug):
    created = admin.post("/services", {"name": name, "description": "ünïcode"}, status=201).json
    assert created["id"] == slug
    assert client.get(f"/api/v1/services/{slug}").json["name"] == name


def test_a_name_that_slugs_to_an_existing_id_is_a_409(admin, client, service):
    before = board_state(client)
    assert_json_error(admin.post("/services", {"name": "web api", "description": "again"}), 409)
    assert board_state(client) == before


def test_update_changes_only_the_fields_given(admin, service):
    updated = admin.post("/services/web-api", {"description": "New words"}, status=200).json
    assert updated["name"] == "Web API"
    assert updated["description"] == "New words"
    assert updated["list"]["id"] == "core"


def test_update_moves_a_service_between_lists_and_empty_list_removes_it(admin, service):
    admin.post("/service-lists", {"name": "Edge", "description": "CDN"}, status=201)
    assert admin.post("/services/web-api", {"list": "edge"}, status=200).json["list"]["id"] == "edge"
    assert admin.post("/services/web-api", {"list": ""}, status=200).json["list"] is None


def test_create_accepts_a_json_body(admin, client):
    created = admin.post_json("/services", {"name": "Search", "description": "Finds"}, status=201).json
    assert created["id"] == "search"


def test_delete_answers_the_deleted_service_and_removes_its_events(admin, client, service):
    admin.post("/services/web-api/events", {"message": "Down", "status": "down"}, status=201)
    deleted = admin.delete("/services/web-api", status=200).json
    assert deleted["id"] == "web-api"
    assert deleted["current-event"]["message"] == "Down"
    assert_json_error(client.get("/api/v1/services/web-api", status="*"), 404)
    assert_json_error(client.get("/api/v1/services/web-api/events", status="*"), 404)
    # The id is free again and the new service starts with no history.
    admin.post("/services", {"name": "Web API", "description": "again"}, status=201)
    assert client.get("/api/v1/services/web-api/events").json == {"events": []}


def test_current_event_is_the_newest_event(admin, client, service):
    admin.post("/services/web-api/events", {"message": "Broken", "status": "down"}, status=201)
    newest = admin.post("/services/web-api/events", {"message": "Fixed", "status": "up"}, status=201).json
    current = client.get("/api/v1/services/web-api").json["current-event"]
    assert current["sid"] == newest["sid"]
    assert current["status"]["id"] == "up"
