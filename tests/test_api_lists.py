"""Service lists: groups of services."""

from tests.helpers import assert_json_error, board_state


def test_create_answers_the_list_object(admin):
    created = admin.post("/service-lists", {"name": "Messaging", "description": "Email, SMS"}, status=201).json
    assert created == {
        "id": "messaging",
        "name": "Messaging",
        "description": "Email, SMS",
        "url": "http://status.example.com/admin/api/v1/service-lists/messaging",
    }


def test_lists_are_ordered_by_name(admin, client):
    for name in ("Zed", "Alpha", "Middle"):
        admin.post("/service-lists", {"name": name, "description": "d"}, status=201)
    assert [lst["id"] for lst in client.get("/api/v1/service-lists").json["lists"]] == ["alpha", "middle", "zed"]


def test_a_duplicate_list_is_a_409(admin, client, service):
    before = board_state(client)
    assert_json_error(admin.post("/service-lists", {"name": "CORE", "description": "again"}), 409)
    assert board_state(client) == before


def test_update_renames_but_keeps_the_id(admin, client, service):
    renamed = admin.post("/service-lists/core", {"name": "Core platform"}, status=200).json
    assert (renamed["id"], renamed["name"]) == ("core", "Core platform")
    assert client.get("/api/v1/services/web-api").json["list"]["name"] == "Core platform"


def test_deleting_a_list_keeps_its_services_with_no_list(admin, client, service):
    for i in range(30):  # more services than one legacy entity-group transaction allowed
        admin.post("/services", {"name": f"Service {i}", "description": "d", "list": "core"}, status=201)
    assert admin.delete("/service-lists/core", status=200).json["id"] == "core"
    services = client.get("/api/v1/services").json["services"]
    assert len(services) == 31
    assert all(s["list"] is None for s in services)
    assert_json_error(client.get("/api/v1/service-lists/core", status="*"), 404)
