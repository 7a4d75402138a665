"""`flask rebuild-history`: services whose events were written in bulk get their history back."""

import datetime

import pytest
from google.cloud import ndb

from models import Event, Installation, Service, install


def midnight():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)


def import_events(service, *events):
    """Write (days ago, hour, status, message) events the way a bulk import does: no rollups, no newest event."""
    ndb.put_multi([
        Event(parent=service.key, timestamp=midnight() - datetime.timedelta(days=days_ago, hours=-hour),
              message=message, status=ndb.Key("Status", status))
        for days_ago, hour, status, message in events
    ])


@pytest.fixture
def imported(ndb_context):
    """'imported': warning three days ago, down since yesterday, written in bulk; 'web-api': posted as usual."""
    install()
    Installation.choose_front_page("grid")
    Event.post(Service.create("Web API", "The REST API."), "All good.", "up")
    service = Service.create("Imported", "Written in bulk.")
    import_events(service, (3, 9, "warning", "Imported slowness."), (1, 10, "down", "Imported outage."))
    return service


def rebuild(app, *args):
    return app.test_cli_runner().invoke(args=["rebuild-history", *args])


def history(client, service_id):
    """The front page's history grid of one service: the alt text of each day, today first."""
    row = client.get("/").html.select_one(f'tr[data-service="{service_id}"]')
    return [cell.img["alt"].split(": ")[1] for cell in row.select("td.day")]


def test_rebuild_history_gives_bulk_written_services_their_status_and_history_once(app, client, imported):
    assert client.get("/api/v1/services/imported").json["current-event"] is None
    assert "Down" not in history(client, "imported")

    result = rebuild(app)
    assert result.exit_code == 0, result.output
    assert "1 of 2 services changed." in result.output

    current = client.get("/api/v1/services/imported").json["current-event"]
    assert (current["status"]["id"], current["message"]) == ("down", "Imported outage.")
    assert history(client, "imported") == ["Down", "Down", "Warning", "Warning", "No problems"]
    assert client.get("/").html.select_one('tr[data-service="imported"] .status').text.strip() == "Down"

    again = rebuild(app)
    assert again.exit_code == 0, again.output
    assert "0 of 2 services changed." in again.output
    assert history(client, "imported") == ["Down", "Down", "Warning", "Warning", "No problems"]


def test_rebuild_history_resumes_after_the_service_given(app, client, imported):
    import_events(Service.create("Zebra feed", "Also in bulk."), (2, 8, "down", "Zebras down."))

    result = rebuild(app, "--start-after", "web-api")
    assert result.exit_code == 0, result.output
    assert "1 of 1 services changed." in result.output
    assert client.get("/api/v1/services/imported").json["current-event"] is None  # before web-api: left alone
    assert client.get("/api/v1/services/zebra-feed").json["current-event"]["message"] == "Zebras down."


def test_an_interrupted_rebuild_says_where_to_resume(app, imported, monkeypatch):
    import_events(Service.create("Zebra feed", "Also in bulk."), (2, 8, "down", "Zebras down."))
    rebuilt = Event.rebuild

    def fail_on_zebras(service_key):
        if service_key.id() == "zebra-feed":
            raise KeyboardInterrupt
        return rebuilt(service_key)

    monkeypatch.setattr(Event, "rebuild", fail_on_zebras)
    result = rebuild(app)
    assert result.exit_code != 0
    assert "Stopped after web-api; resume with --start-after web-api" in result.output


@pytest.mark.parametrize("run", ["cli", "cron"])
def test_the_command_and_the_cron_job_both_remake_the_notices(app, client, imported, run):
    from models import Incident, Notices

    Incident.open("Slow imports", ["imported"], "Looking into it.")
    Notices.key_for().delete()  # lost, or written by a version before the notices
    assert client.get("/api/v1/incidents").json["incidents"]  # the entities stay the truth
    assert Notices.key_for().get() is None

    if run == "cli":
        result = rebuild(app)
        assert result.exit_code == 0, result.output
        assert "0 of 2 services changed." not in result.output  # 'imported' was rebuilt as well
    else:
        assert client.get("/_tasks/rebuild-history").json == {"services": 2, "changed": 1}

    notices = Notices.key_for().get()
    assert [entry["title"] for entry in notices.incidents] == ["Slow imports"]
