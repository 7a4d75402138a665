"""Keeping the board true from /admin: services, events, statuses and lists."""

import pytest

from tests.fixtures.datastore import ADMIN_EMAIL


def api(client, path):
    return client.get(f"/api/v1{path}").json


@pytest.fixture
def web_api(signed_in, admin):
    """A service 'web-api' in the list 'core', made through the API."""
    admin.post("/service-lists", {"name": "Core", "description": "Core services"}, status=201)
    admin.post("/service-lists", {"name": "Messaging", "description": "Email and SMS"}, status=201)
    admin.post("/services", {"name": "Web API", "description": "The API", "list": "core"}, status=201)
    return signed_in


def last_audit(app, kind):
    from handlers.context import ndb_context
    from models import AuditEntry

    with ndb_context(app):
        return AuditEntry.newest(kind=kind)[0][0]


def test_posting_down_on_a_service_takes_one_form_from_the_admin_home(app, web_api):
    form = web_api.get("/admin/").forms["incident-form"]
    form["service"], form["status"], form["message"] = "web-api", "down", "Investigating"
    page = form.submit(status=302).follow()
    assert "Posted on Web API." in page.text
    current = api(web_api, "/services/web-api")["current-event"]
    assert (current["status"]["id"], current["message"]) == ("down", "Investigating")
    entry = last_audit(app, "Event")
    assert (entry.actor_email, entry.actor_via, entry.action) == (ADMIN_EMAIL, "session", "create")


def test_incident_form_without_a_message_keeps_what_was_chosen(web_api):
    form = web_api.get("/admin/").forms["incident-form"]
    form["service"], form["status"] = "web-api", "down"
    page = form.submit(status=400)
    assert "This field is required." in page.text
    again = page.forms["incident-form"]
    assert (again["service"].value, again["status"].value) == ("web-api", "down")
    assert api(web_api, "/services/web-api")["current-event"] is None


def test_informational_note_keeps_the_status(web_api):
    page = web_api.get("/admin/services/web-api")
    form = page.forms["event-form"]
    form["status"], form["message"] = "down", "Investigating"
    form.submit(status=302)
    form = web_api.get("/admin/services/web-api").forms["event-form"]
    form["message"], form["informational"] = "Engineers are on it", True
    form.submit(status=302)
    current = api(web_api, "/services/web-api")["current-event"]
    assert current["informational"] is True
    assert current["status"]["id"] == "down"
    assert "Engineers are on it" in web_api.get("/admin/services/web-api").text


def test_deleting_a_wrong_event_asks_first_and_restores_the_status(web_api):
    for status, message in (("down", "Investigating"), ("up", "Oops, wrong service")):
        form = web_api.get("/admin/services/web-api").forms["event-form"]
        form["status"], form["message"] = status, message
        form.submit(status=302)
    newest = api(web_api, "/services/web-api/events")["events"][0]
    confirm = web_api.get(f"/admin/services/web-api/events/{newest['sid']}/delete")
    assert "Oops, wrong service" in confirm.text
    assert len(api(web_api, "/services/web-api/events")["events"]) == 2  # asking changed nothing
    confirm.forms["confirm-form"].submit(status=302)
    assert api(web_api, "/services/web-api")["current-event"]["status"]["id"] == "down"


def test_create_service_in_a_list(app, signed_in, admin):
    admin.post("/service-lists", {"name": "Core", "description": "Core services"}, status=201)
    form = signed_in.get("/admin/services/new").forms["edit-form"]
    form["name"], form["description"], form["list"] = "Payments", "Card payments", "core"
    page = form.submit(status=302).follow()
    assert "Created Payments." in page.text
    service = api(signed_in, "/services/payments")
    assert (service["name"], service["list"]["id"]) == ("Payments", "core")
    entry = last_audit(app, "Service")
    assert (entry.action, entry.after["name"], entry.actor_via) == ("create", "Payments", "session")


def test_create_service_with_a_taken_name_shows_the_conflict_keeping_input(web_api):
    form = web_api.get("/admin/services/new").forms["edit-form"]
    form["name"], form["description"] = "Web API", "A second one"
    page = form.submit(status=400)
    assert "already exists" in page.text
    assert page.forms["edit-form"]["description"].value == "A second one"


def test_create_service_with_blank_fields_shows_each_error(signed_in):
    page = signed_in.get("/admin/services/new").forms["edit-form"].submit(status=400)
    assert page.text.count("This field is required.") == 2
    assert api(signed_in, "/services")["services"] == []


def test_moving_a_service_to_another_list(app, web_api):
    form = web_api.get("/admin/services/web-api/edit").forms["edit-form"]
    assert form["list"].value == "core"
    form["list"] = "messaging"
    form.submit(status=302)
    assert api(web_api, "/services/web-api")["list"]["id"] == "messaging"
    entry = last_audit(app, "Service")
    assert (entry.before["service_list"], entry.after["service_list"]) == ("core", "messaging")


def test_deleting_a_service_asks_first(web_api):
    confirm = web_api.get("/admin/services/web-api/delete")
    assert "Delete Web API?" in confirm.text
    assert api(web_api, "/services")["services"]
    page = confirm.forms["confirm-form"].submit(status=302).follow()
    assert "Deleted Web API." in page.text
    assert api(web_api, "/services")["services"] == []


def test_create_status_with_an_image_and_make_it_default(signed_in):
    page = signed_in.get("/admin/statuses/new")
    assert 'src="/images/icons/fugue/wrench.png"' in page.text
    form = page.forms["edit-form"]
    form["name"], form["description"] = "Maintenance", "Planned work"
    form["level"], form["image"], form["default"] = "WARNING", "wrench", True
    form.submit(status=302)
    status = api(signed_in, "/statuses/maintenance")
    assert (status["level"], status["default"]) == ("WARNING", True)
    assert status["image"].endswith("/wrench.png")
    assert api(signed_in, "/statuses/up")["default"] is False


def test_unticking_the_only_default_is_refused_on_the_form(signed_in):
    form = signed_in.get("/admin/statuses/up/edit").forms["edit-form"]
    assert form["default"].checked
    form["default"], form["name"] = False, "Up and running"
    page = form.submit(status=400)
    assert "make another status the default" in page.text
    assert page.forms["edit-form"]["name"].value == "Up and running"
    assert api(signed_in, "/statuses/up")["name"] == "Up"


def test_deleting_a_status_in_use_is_refused_with_a_message(web_api, admin):
    admin.post("/services/web-api/events", {"message": "Down", "status": "down"}, status=201)
    page = web_api.get("/admin/statuses/down/delete").forms["confirm-form"].submit(status=302).follow()
    assert "used by 1 event" in page.text
    assert api(web_api, "/statuses/down")["id"] == "down"


def test_deleting_an_unused_status(signed_in):
    signed_in.get("/admin/statuses/warning/delete").forms["confirm-form"].submit(status=302)
    assert {s["id"] for s in api(signed_in, "/statuses")["statuses"]} == {"up", "down"}


def test_lists_create_edit_delete(web_api):
    form = web_api.get("/admin/lists/new").forms["edit-form"]
    form["name"], form["description"] = "Partners", "Partner integrations"
    form.submit(status=302)
    form = web_api.get("/admin/lists/partners/edit").forms["edit-form"]
    form["description"] = "Integrations with partners"
    form.submit(status=302)
    assert api(web_api, "/service-lists/partners")["description"] == "Integrations with partners"
    web_api.get("/admin/lists/core/delete").forms["confirm-form"].submit(status=302)
    assert api(web_api, "/services/web-api")["list"] is None
    assert "Web API" in web_api.get("/admin/lists/").text


def test_unknown_entities_are_404_pages_not_errors(signed_in):
    for path in ("/admin/services/nope", "/admin/statuses/nope/edit", "/admin/lists/nope/edit",
                 "/admin/services/nope/events/1/delete", "/admin/credentials/abc/revoke"):
        assert signed_in.get(path, status=404).content_type == "text/html"
