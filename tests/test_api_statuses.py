"""Statuses, the single default status, levels and status images."""

import pytest

from tests.helpers import assert_json_error, board_state

STATUS = {"name": "Maintenance", "description": "Planned work", "image": "wrench"}


def statuses(client):
    return {s["id"]: s for s in client.get("/api/v1/statuses").json["statuses"]}


def test_a_new_board_has_up_down_and_warning_with_up_the_default(client):
    board = statuses(client)
    assert set(board) == {"up", "down", "warning"}
    assert (board["up"]["name"], board["up"]["level"], board["up"]["default"]) == ("Up", "NORMAL", True)
    assert (board["down"]["name"], board["down"]["level"], board["down"]["default"]) == ("Down", "ERROR", False)
    assert (board["warning"]["level"], board["warning"]["default"]) == ("WARNING", False)


def test_status_object_has_an_absolute_image_url_that_serves_an_image(client):
    down = client.get("/api/v1/statuses/down").json
    assert down == {
        "id": "down",
        "name": "Down",
        "description": "The service is currently down.",
        "level": "ERROR",
        "image": "http://status.example.com/images/icons/fugue/cross-circle.png",
        "url": "http://status.example.com/api/v1/statuses/down",
        "default": False,
    }
    image = client.get("/images/icons/fugue/cross-circle.png")
    assert image.content_type == "image/png"
    assert image.body.startswith(b"\x89PNG")


def test_create_defaults_to_normal_and_not_default(admin, client):
    created = admin.post("/statuses", STATUS, status=201).json
    assert (created["id"], created["level"], created["default"]) == ("maintenance", "NORMAL", False)
    assert created["image"].endswith("/images/icons/fugue/wrench.png")


@pytest.mark.parametrize("level", ["NORMAL", "WARNING", "ERROR", "CRITICAL", "critical"])
def test_create_takes_every_level(admin, level):
    created = admin.post("/statuses", {**STATUS, "level": level}, status=201).json
    assert created["level"] == level.upper()


def test_making_a_status_default_clears_the_previous_default(admin, client):
    admin.post("/statuses", {**STATUS, "default": "true"}, status=201)
    board = statuses(client)
    assert [s for s in board if board[s]["default"]] == ["maintenance"]
    admin.post("/statuses/down", {"default": "true"}, status=200)
    board = statuses(client)
    assert [s for s in board if board[s]["default"]] == ["down"]


def test_the_default_status_is_what_a_service_without_events_shows(admin, client, service):
    admin.post("/statuses/warning", {"default": "true"}, status=200)
    event = admin.post("/services/web-api/events", {"message": "first"}, status=201).json
    assert event["status"]["id"] == "warning"


def test_a_duplicate_slug_is_a_409(admin, client):
    before = board_state(client)
    assert_json_error(admin.post("/statuses", {**STATUS, "name": "UP"}), 409)
    assert board_state(client) == before


def test_update_changes_the_fields_given(admin, client):
    admin.post("/statuses", STATUS, status=201)
    updated = admin.post(
        "/statuses/maintenance", {"name": "Planned", "level": "WARNING", "image": "clock"}, status=200
    ).json
    assert (updated["id"], updated["name"], updated["level"]) == ("maintenance", "Planned", "WARNING")
    assert updated["image"].endswith("/clock.png")
    assert updated["description"] == "Planned work"


def test_default_false_on_a_non_default_status_is_harmless(admin, client):
    assert admin.post("/statuses/down", {"default": "false"}, status=200).json["default"] is False
    assert statuses(client)["up"]["default"] is True


def test_delete_answers_the_deleted_status(admin, client):
    admin.post("/statuses", STATUS, status=201)
    assert admin.delete("/statuses/maintenance", status=200).json["id"] == "maintenance"
    assert "maintenance" not in statuses(client)


def test_deleting_a_status_in_use_is_a_409_naming_how_many_events_use_it(admin, client, service):
    for message in ("one", "two", "three"):
        admin.post("/services/web-api/events", {"message": message, "status": "down"}, status=201)
    before = board_state(client)
    response = admin.delete("/statuses/down")
    assert_json_error(response, 409)
    assert "3 events" in response.json["message"]
    assert board_state(client) == before


def test_deleting_the_default_status_is_a_409(admin, client):
    before = board_state(client)
    assert_json_error(admin.delete("/statuses/up"), 409)
    assert board_state(client) == before


def test_levels_lists_the_four_levels_in_order(client):
    assert client.get("/api/v1/levels").json == {"levels": ["NORMAL", "WARNING", "ERROR", "CRITICAL"]}


def test_status_images_include_the_original_set_and_each_serves(client):
    images = {i["name"]: i for i in client.get("/api/v1/status-images").json["images"]}
    for name in ("tick-circle", "cross-circle", "exclamation", "clock", "information", "wrench", "broom", "bug"):
        assert images[name]["icon_set"] == "fugue"
        assert images[name]["url"] == f"http://status.example.com/images/icons/fugue/{name}.png"
    for image in images.values():
        path = image["url"].removeprefix("http://status.example.com")
        assert client.get(path).body.startswith(b"\x89PNG"), image["name"]
