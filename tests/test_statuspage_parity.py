"""What readers and tools moving over from Statuspage find here besides the board-wide /api/v2
answers (tests/test_statuspage_api.py): one component by id, the incident history feeds at
Statuspage's paths, components shown only when degraded or kept off the front page, the
`postmortem` state, the `maintenance` indicator as a board setting, and incidents.json's 50."""

import datetime

import feedparser
import jsonschema
import webtest

from models import Event, Incident, Installation, Service, ServiceList, install
from models.maintenance import maintenance_status
from models.notices import Notices
from models.readers import Reader, reader_id
from models.times import utcnow
from tests import statuspage_schemas
from tests.fixtures.sign_in import sign_in_locally


def board_of_two():
    """A list 'core' with 'web-api' (shown only when degraded) and 'website' (not showcased)."""
    install()
    ServiceList.create("Core", "Core services.")
    api = Service.create("Web API", "The API.", "core", only_show_if_degraded=True)
    site = Service.create("Website", "The site.", "core", showcase=False)
    return api, site


def front_page_services(client, path="/"):
    return {row["data-service"] for row in client.get(path).html.select("tr[data-service]")}


def test_one_component_is_answered_by_its_id_and_an_unknown_one_is_a_json_404(client, ndb_context):
    board_of_two()
    component = client.get("/api/v2/components/web-api.json").json
    jsonschema.validate(component, statuspage_schemas.ENDPOINTS["/api/v2/components/{component_id}.json"])
    assert (component["component"]["id"], component["component"]["group_id"]) == ("web-api", "list:core")
    group = client.get("/api/v2/components/list:core.json").json["component"]
    assert (group["group"], group["components"]) == (True, ["web-api", "website"])
    missing = client.get("/api/v2/components/nope.json", status=404)
    assert missing.headers["Access-Control-Allow-Origin"] == "*"
    jsonschema.validate(missing.json, statuspage_schemas.ERROR)
    assert "nope" in missing.json["message"]


def test_a_component_shown_only_when_degraded_stays_off_the_public_pages_while_operational(client, ndb_context):
    api, _ = board_of_two()
    assert "web-api" not in front_page_services(client)
    assert "web-api" not in front_page_services(client, "/service-lists")
    assert "web-api" not in front_page_services(client, "/service-lists/core")
    components = {c["id"]: c for c in client.get("/api/v2/components.json").json["components"]}
    assert components["web-api"]["only_show_if_degraded"] is True  # the API keeps it, as Statuspage's does
    Event.post(api, "Slow.", "warning")
    assert "web-api" in front_page_services(client)
    assert "web-api" in front_page_services(client, "/service-lists/core")


def test_a_component_not_showcased_is_off_the_front_page_and_summary_but_in_the_api(client, ndb_context):
    _, site = board_of_two()
    Event.post(site, "Down.", "down")
    assert "website" not in front_page_services(client)
    assert "Website" not in client.get("/summary").html.select_one("main").text.split("Core")[0]
    assert "website" in front_page_services(client, "/service-lists/core")
    components = {c["id"]: c for c in client.get("/api/v2/summary.json").json["components"]}
    assert (components["website"]["showcase"], components["website"]["status"]) == (False, "partial_outage")
    assert components["web-api"]["showcase"] is True


def test_the_admin_service_form_sets_where_the_public_pages_show_a_service(client, ndb_context):
    board_of_two()
    sign_in_locally(client)
    form = client.get("/admin/services/web-api/edit").forms["edit-form"]
    assert form["only_show_if_degraded"].checked and form["showcase"].checked
    form["only_show_if_degraded"], form["showcase"] = False, False
    form.submit(status=302)
    service = Service.get_by_id("web-api")
    assert (service.only_show_if_degraded, service.showcase) == (False, False)
    component = client.get("/api/v2/components/web-api.json").json["component"]
    assert (component["only_show_if_degraded"], component["showcase"]) == (False, False)


def test_a_resolved_incident_with_a_published_postmortem_is_in_the_postmortem_state(client, ndb_context):
    install()
    Service.create("Web API", "The API.")
    incident = Incident.open("Payments failing", "web-api", "Investigating.")
    incident = incident.post_update("Fixed.", state="resolved")
    assert client.get("/api/v2/incidents.json").json["incidents"][0]["status"] == "resolved"
    incident.edit(postmortem="A bad deploy; we added a check.")
    answer = client.get("/api/v2/incidents.json").json
    jsonschema.validate(answer, statuspage_schemas.ENDPOINTS["/api/v2/incidents.json"])
    assert answer["incidents"][0]["status"] == "postmortem"


def test_the_maintenance_indicator_is_a_board_setting(client, ndb_context):
    install()
    Event.post(Service.create("Web API", "The API."), "Upgrading.", maintenance_status().slug)
    status = client.get("/api/v2/status.json").json["status"]
    assert status == {"indicator": "none", "description": "Service Under Maintenance"}
    sign_in_locally(client)
    form = client.get("/admin/settings").forms["settings-form"]
    assert not form["maintenance_indicator"].checked
    form["maintenance_indicator"] = True
    form.submit(status=302)
    assert Installation.load().maintenance_indicator is True
    answer = client.get("/api/v2/status.json").json
    jsonschema.validate(answer, statuspage_schemas.ENDPOINTS["/api/v2/status.json"])
    assert answer["status"] == {"indicator": "maintenance", "description": "Service Under Maintenance"}


def test_incidents_json_lists_the_50_newest_incidents_open_or_not(client, ndb_context):
    install()
    start = utcnow() - datetime.timedelta(days=60)

    def incident(n, state):
        at = start + datetime.timedelta(hours=n)
        return Incident(id=n + 1, title=f"Incident {n}", state=state, services=[], names={}, started=at,
                        updated=at, resolved=at if state == "resolved" else None, updates=[])

    # Five old incidents left open, then fifty newer resolved ones: the notices keep all 55.
    incidents = [incident(n, "investigating") for n in range(5)] + [incident(n, "resolved") for n in range(5, 55)]
    Notices.rebuild(incidents, [])
    listed = client.get("/api/v2/incidents.json").json["incidents"]
    assert [i["name"] for i in listed] == [f"Incident {n}" for n in range(54, 4, -1)]
    assert len(client.get("/api/v2/incidents/unresolved.json").json["incidents"]) == 5


def test_the_incident_history_feeds_are_at_statuspages_paths(client, ndb_context):
    install()
    Service.create("Web API", "The API.")
    older = Incident.open("Slow <b>pages</b>", "web-api", "Looking.")
    older.post_update("Fixed.", state="resolved").edit(postmortem="Cache misses.")
    Incident.open("Payments failing", "web-api", "Investigating <i>now</i>.")
    for path, version in (("/history.atom", "atom10"), ("/history.rss", "rss20")):
        response = client.get(path)
        feed = feedparser.parse(response.body)
        assert (feed.bozo, feed.version) == (0, version), path
        assert [entry.title for entry in feed.entries] == ["Payments failing", "Slow <b>pages</b>"]
        assert feed.entries[1].link == f"http://status.example.com/incidents/{older.incident_id}"
        assert "Investigating &lt;i&gt;now&lt;/i&gt;." in feed.entries[0].description  # plain text: markup shows
        assert "Postmortem: Cache misses." in feed.entries[1].description


def test_a_subscriber_sign_up_starts_the_double_opt_in_in_statuspages_shape(client, ndb_context):
    board_of_two()
    Service.create("Email", "Outbound mail.")
    answer = client.post_json("/api/v2/subscribers.json",
                              {"subscriber": {"email": "Ann@Example.com", "component_ids": ["list:core"]}}, status=201)
    assert answer.headers["Access-Control-Allow-Origin"] == "*" and "Set-Cookie" not in answer.headers
    jsonschema.validate(answer.json, statuspage_schemas.SUBSCRIBER)
    assert (answer.json["email"], answer.json["components"]) == ("Ann@example.com", ["list:core"])
    reader = Reader.get_by_id(reader_id("ann@example.com"))
    assert (reader.state, reader.everything, reader.services, reader.confirm_due) == (
        "pending", False, ["web-api", "website"], True)
    # A form as Statuspage's page posts it; the whole page when no component is named.
    again = client.post("/api/v2/subscribers.json", {"subscriber[email]": "bob@example.com"}, status=201)
    assert again.json["components"] == [] and Reader.get_by_id(reader_id("bob@example.com")).everything
    # The answer tells nothing of other readers: the same shape whether the address was known.
    known = client.post_json("/api/v2/subscribers.json", {"email": "ann@example.com"}, status=201).json
    assert set(known) == set(answer.json) and known["id"] == answer.json["id"]


def test_a_bad_subscriber_sign_up_is_a_json_400_or_422_and_stores_nothing(app, ndb_context):
    board_of_two()
    client = webtest.TestApp(app, extra_environ={"HTTP_HOST": "status.example.com", "REMOTE_ADDR": "10.9.0.1"})
    for body, status in (({}, 400), ({"email": " "}, 400), ([1], 400), ({"email": "not an address"}, 422),
                         ({"email": "c@example.com", "component_ids": ["nope"]}, 422),
                         ({"email": "c@example.com", "component_ids": "list:nope"}, 422),
                         ({"email": "c@example.com", "component_ids": [{"id": 1}]}, 422),
                         ({"email": "c@example.com", "component_ids": ["x" * 2000]}, 422)):
        refused = client.post_json("/api/v2/subscribers.json", body, status=status)
        jsonschema.validate(refused.json, statuspage_schemas.ERROR)
    assert client.get("/api/v2/subscribers.json", status=405).json["code"] == 405
    assert Reader.query().count() == 0
    for n in range(2):  # with the three 422s above that named an address: the client's five an hour
        client.post_json("/api/v2/subscribers.json", {"email": f"d{n}@example.com"}, status=201)
    limited = client.post_json("/api/v2/subscribers.json", {"email": "e@example.com"}, status=429)
    assert int(limited.headers["Retry-After"]) <= 3600 and limited.json["code"] == 429


def test_the_embed_script_is_served_at_statuspages_path(client):
    script = client.get("/embed/script.js")
    assert script.content_type == "text/javascript" and b"/api/v2/summary.json" in script.body
    assert b"innerHTML" not in script.body  # the board's texts go in as text only
