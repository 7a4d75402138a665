"""Scheduled maintenance: announced ahead, flipped at its start and back at its end by the cron
endpoint (the test moves the board's clock), and a second run changes nothing more."""

import datetime

import icalendar
import pytest

from models import times
from tests.helpers import assert_json_error, board_state

CRON = {"X-Appengine-Cron": "true"}


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def window(admin, service, client):
    """'web-api' (warning) in a window from 2 to 32 minutes from now."""
    admin.post("/services/web-api/events", {"status": "warning", "message": "A bit slow."}, status=201)
    now = times.utcnow()
    return admin.post("/maintenances", {
        "title": "Database <upgrade>", "message": "Writes pause; reads go on.", "services": "web-api",
        "starts": iso(now + datetime.timedelta(minutes=2)), "ends": iso(now + datetime.timedelta(minutes=32)),
    }, status=201).json


def cron(client):
    return client.get("/_tasks/maintenance", headers=CRON).json["moved"]


def current(client):
    return client.get("/api/v1/services/web-api").json["current-event"]


def test_a_window_flips_its_services_at_its_start_and_back_at_its_end_once(window, client):
    assert window["state"] == "scheduled"
    front = client.get("/").html.select_one(f"#maintenance-{window['id']}")
    assert "Database <upgrade>" in front.text and "Scheduled" in front.text
    upcoming = client.get("/api/v2/scheduled-maintenances/upcoming.json").json["scheduled_maintenances"]
    assert [(m["name"], m["status"], m["impact"]) for m in upcoming] == [("Database <upgrade>", "scheduled",
                                                                        "maintenance")]
    assert cron(client) == [] and current(client)["status"]["id"] == "warning"  # not yet

    with times.shifted(datetime.timedelta(minutes=3)):
        assert cron(client) == [{"id": window["id"], "now": "started"}]
        before = board_state(client)
        assert cron(client) == []  # a second run changes nothing more
        assert board_state(client) == before
        assert current(client)["status"]["id"] == "maintenance"
        summary = client.get("/api/v2/summary.json").json
        assert {c["id"]: c["status"] for c in summary["components"]}["web-api"] == "under_maintenance"
        assert summary["status"] == {"indicator": "none", "description": "Service Under Maintenance"}
        assert [m["status"] for m in summary["scheduled_maintenances"]] == ["in_progress"]
        assert client.get("/api/v2/scheduled-maintenances/active.json").json["scheduled_maintenances"]

    with times.shifted(datetime.timedelta(minutes=33)):
        assert cron(client) == [{"id": window["id"], "now": "completed"}]
        before = board_state(client)
        assert cron(client) == []
        assert board_state(client) == before
        assert current(client)["status"]["id"] == "warning"  # what it had before
        assert client.get("/api/v2/summary.json").json["scheduled_maintenances"] == []
        assert client.get(f"/api/v1/maintenances/{window['id']}").json["state"] == "completed"
    events = client.get("/api/v1/services/web-api/events").json["events"]
    assert [e["status"]["id"] for e in events[:3]] == ["warning", "maintenance", "warning"]


def test_the_calendar_lists_upcoming_windows_with_their_text_escaped(window, client):
    response = client.get("/maintenance.ics")
    assert response.content_type == "text/calendar"
    calendar = icalendar.Calendar.from_ical(response.body)
    (event,) = calendar.walk("VEVENT")
    assert str(event["summary"]) == "Maintenance: Database <upgrade>"
    assert "Writes pause; reads go on." in str(event["description"])
    assert event["dtend"].dt - event["dtstart"].dt == datetime.timedelta(minutes=30)


def test_a_cancelled_window_flips_nothing_and_leaves_the_calendar(window, admin, client):
    assert admin.delete(f"/maintenances/{window['id']}", status=200).json["state"] == "cancelled"
    assert_json_error(admin.delete(f"/maintenances/{window['id']}"), 409)
    with times.shifted(datetime.timedelta(minutes=3)):
        assert cron(client) == []
    assert current(client)["status"]["id"] == "warning"
    assert b"VEVENT" not in client.get("/maintenance.ics").body


@pytest.mark.parametrize("change, message", [
    ({"ends": "2001-01-01T00:00:00Z"}, "'ends'"),
    ({"starts": "not a date"}, "'starts'"),
    ({"services": "nope"}, "Unknown service"),
    ({"title": ""}, "'title'"),
])
def test_a_refused_window_is_a_clear_400_and_changes_nothing(admin, service, client, change, message):
    now = times.utcnow()
    body = {"title": "T", "message": "M", "services": "web-api", "starts": iso(now),
            "ends": iso(now + datetime.timedelta(hours=1)), **change}
    before = board_state(client)
    response = admin.post("/maintenances", body)
    assert_json_error(response, 400)
    assert message in response.json["message"]
    assert board_state(client) == before


def test_the_cron_endpoint_is_in_cron_yaml():
    import pathlib

    text = (pathlib.Path(__file__).resolve().parent.parent / "cron.yaml").read_text()
    assert "url: /_tasks/maintenance" in text
