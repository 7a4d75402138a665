"""Scheduled maintenance: announced ahead, flipped at its start and back at its end by the cron
endpoint (the test moves the board's clock), and a second run changes nothing more; told in
updates (verifying among their states) through the admin API and the admin form."""

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


def test_updates_and_verifying_through_the_api_on_the_page_feeds_and_statuspage(window, admin, client):
    wid = window["id"]
    told = admin.post(f"/maintenances/{wid}/updates", {"message": "Still on for today."}, status=201).json
    assert told["state"] == "scheduled" and told["updates"][0]["message"] == "Still on for today."
    assert_json_error(admin.post(f"/maintenances/{wid}/updates", {"message": "x", "state": "verifying"}), 409)
    with times.shifted(datetime.timedelta(minutes=3)):
        assert cron(client) == [{"id": wid, "now": "started"}]
        answer = admin.post_json(f"/maintenances/{wid}/updates", {"message": "Checking <replicas>.",
                                                                   "state": "verifying"}, status=201).json
        assert answer["state"] == "verifying"
        assert [u["state"] for u in answer["updates"]] == ["verifying", "scheduled"]
        page = client.get(f"/maintenance/{wid}")
        assert "Checking <replicas>." in page.html.select_one("#update-2").text and "Verifying" in page.text
        assert "Verifying" in client.get("/").html.select_one(f"#maintenance-{wid}").text
        active = client.get("/api/v2/scheduled-maintenances/active.json").json["scheduled_maintenances"]
        assert [(m["status"], m["incident_updates"][0]["body"]) for m in active] == [("verifying",
                                                                                      "Checking <replicas>.")]
        assert "[Maintenance - Verifying] Database &lt;upgrade&gt;" in client.get("/rss").text
    with times.shifted(datetime.timedelta(minutes=20)):
        assert cron(client) == []  # the clock leaves a verifying window alone until its end
    with times.shifted(datetime.timedelta(minutes=33)):
        assert cron(client) == [{"id": wid, "now": "completed"}]
        assert current(client)["status"]["id"] == "warning"
    response = admin.post(f"/maintenances/{wid}/updates", {"message": "One more."})
    assert_json_error(response, 409)
    assert "no more updates" in response.json["message"]
    assert_json_error(admin.post("/maintenances/123/updates", {"message": "x"}), 404)
    assert "text/html" in client.get("/maintenance/nope", status=404).content_type


REFUSED = [
    ("/updates", {"message": ""}, "'message'"),
    ("/updates", {"message": "x", "state": "sleeping"}, "'state'"),
    ("/updates", {"message": "x", "state": "cancelled"}, "'state'"),
    ("", {"remind_minutes": "-5"}, "'remind_minutes'"),
    ("", {"remind_minutes": "soon"}, "'remind_minutes'"),
    ("", {"remind_minutes": "10081"}, "'remind_minutes'"),
]


def test_a_refused_update_or_reminder_is_a_clear_400_and_changes_nothing(window, admin, client):
    before = (board_state(client), client.get("/api/v1/maintenances").json)
    for path, body, message in REFUSED:  # one board: each is refused, so none changes what the next sees
        target = f"/maintenances/{window['id']}{path}" if path else "/maintenances"
        if not path:
            body = {"title": "T", "message": "M", "services": "web-api", "starts": iso(times.utcnow()),
                    "ends": iso(times.utcnow() + datetime.timedelta(hours=1)), **body}
        response = admin.post(target, body)
        assert_json_error(response, 400)
        assert message in response.json["message"], (body, response.json)
    assert (board_state(client), client.get("/api/v1/maintenances").json) == before


def test_a_window_through_the_admin_ui_with_its_reminder_and_updates(service, client, signed_in):
    form = client.get("/admin/maintenance/new").forms["edit-form"]
    now = times.utcnow()
    form["title"], form["services"], form["message"] = "Router swap", ["web-api"], "A short blip."
    form["starts"] = iso(now + datetime.timedelta(hours=2))
    form["ends"] = iso(now + datetime.timedelta(hours=3))
    form["remind_minutes"] = "a week"
    assert "Not a valid integer" in form.submit(status=400).text
    form["remind_minutes"] = "90"
    page = form.submit(status=302).follow()
    wid = page.request.path.rstrip("/").split("/")[-1]
    assert client.get(f"/api/v1/maintenances/{wid}").json["remind_minutes"] == 90
    update = page.forms["update-form"]
    assert [value for value, *_ in update["state"].options] == ["scheduled", "in_progress"]
    update["message"], update["state"] = "Starting early.", "in_progress"
    update.submit(status=302)
    answer = client.get(f"/api/v1/maintenances/{wid}").json
    assert answer["state"] == "in_progress" and answer["updates"][0]["message"] == "Starting early."
    assert current(client)["status"]["id"] == "maintenance"
    update = client.get(f"/admin/maintenance/{wid}").forms["update-form"]
    update["message"] = ""
    assert "This field is required" in update.submit(status=400).text
    update["message"], update["state"] = "Done.", "completed"
    update.submit(status=302)
    assert client.get(f"/api/v1/maintenances/{wid}").json["state"] == "completed"
    assert "update-form" not in client.get(f"/admin/maintenance/{wid}").text
