"""/api/v2 answers as Statuspage's do: every endpoint validates against the JSON Schemas written
from Statuspage's documentation and against the OpenAPI description /api/v2/openapi.json serves,
and a Statuspage reader written by someone else (the statuspage-prometheus-exporter package,
unchanged) reads the board right."""

import datetime
import json

import jsonschema
import pytest
import webtest
from openapi_core import Config, OpenAPI
from openapi_spec_validator import OpenAPIV31SpecValidator

from models import times
from tests import statuspage_schemas
from tests.fixtures.browser import LiveServer
from tests.fixtures.datastore import ADMIN_EMAIL, make_app
from tests.test_api_openapi import check


def seed(client, token):
    """Two lists, three services, an open incident, a resolved one and two maintenance windows."""
    auth = {"Authorization": f"Bearer {token}"}

    def post(path, body, status=201):
        return client.post(f"/admin/api/v1{path}", body, headers=auth, status=status).json

    post("/service-lists", {"name": "Core", "description": "The API and the site."})
    post("/services", {"name": "Web API", "description": "The REST API.", "list": "core"})
    post("/services", {"name": "Website", "description": "The site.", "list": "core"})
    post("/services", {"name": "Email", "description": "Outbound email."})
    old = post("/incidents", {"title": "Old trouble", "services": "website", "message": "Slow.",
                              "statuses": "website=warning"})
    post(f"/incidents/{old['id']}/updates", {"message": "Fine now.", "state": "resolved", "statuses": "website=up"})
    now = times.utcnow()
    for minutes in (-1, 60):
        post("/maintenances", {"title": f"Window {minutes}", "message": "Planned.", "services": "email",
                               "starts": (now + datetime.timedelta(minutes=minutes)).isoformat() + "Z",
                               "ends": (now + datetime.timedelta(minutes=minutes + 30)).isoformat() + "Z"})
    client.get("/_tasks/maintenance", headers={"X-Appengine-Cron": "true"})
    return post("/incidents", {"title": "Payments failing", "services": "web-api", "message": "Investigating.",
                               "statuses": "web-api=down", "impact": "critical"})


@pytest.fixture(scope="module")
def board(emulator):
    """A live board (served over HTTP too, for the third-party reader) with a seeded story."""
    from handlers.context import ndb_context
    from models import ApiToken, install

    app = make_app()
    with ndb_context(app):
        install()
        token = ApiToken.issue(ADMIN_EMAIL, "tests")[1]
    client = webtest.TestApp(app, extra_environ={"HTTP_HOST": "status.example.com"})
    incident = seed(client, token)
    server = LiveServer(app)
    yield client, server, incident
    server.stop()


def example(path):
    """A documented path with an example id for its placeholder."""
    return path.replace("{component_id}", "web-api")


@pytest.mark.parametrize("path", sorted(statuspage_schemas.ENDPOINTS))
def test_every_v2_endpoint_validates_against_statuspages_documented_format(board, path):
    client, _, _ = board
    response = client.get(example(path))
    assert response.content_type == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    jsonschema.validate(response.json, statuspage_schemas.ENDPOINTS[path])


def test_the_summary_maps_levels_groups_incidents_and_maintenance(board):
    client, _, incident = board
    summary = client.get("/api/v2/summary.json").json
    components = {c["id"]: c for c in summary["components"]}
    assert components["list:core"]["group"] is True and components["list:core"]["components"] == ["web-api", "website"]
    assert components["list:core"]["status"] == "partial_outage"
    assert (components["web-api"]["group_id"], components["web-api"]["status"]) == ("list:core", "partial_outage")
    assert (components["email"]["group_id"], components["email"]["status"]) == (None, "under_maintenance")
    assert summary["status"] == {"indicator": "critical", "description": "Major Service Outage"}
    assert [i["id"] for i in summary["incidents"]] == [incident["id"]]
    update = summary["incidents"][0]["incident_updates"][0]
    assert update["affected_components"] == [{"code": "web-api", "name": "Web API", "old_status": "operational",
                                              "new_status": "partial_outage"}]
    assert [m["status"] for m in summary["scheduled_maintenances"]] == ["scheduled", "in_progress"]
    assert len(client.get("/api/v2/incidents.json").json["incidents"]) == 2
    assert client.get("/api/v2/services", status=404).json["error"] is True


def test_a_third_party_statuspage_reader_reports_the_page_status_components_and_open_incident(
        board, tmp_path, monkeypatch):
    """statuspage-prometheus-exporter's own checker, pointed at our summary.json over HTTP."""
    _, server, incident = board
    url = f"{server.url}/api/v2/summary.json"
    config = tmp_path / "services.json"
    config.write_text(json.dumps({"stashboard": {"name": "Stashboard", "type": "status_page", "url": url}}))
    monkeypatch.setenv("SERVICES_JSON_PATH", str(config))
    monkeypatch.chdir(tmp_path)  # it keeps a cache of answers in ./cache
    from statuspage_prometheus_exporter import service_checker

    result = service_checker.check_status_page_service("stashboard", {"name": "Stashboard", "url": url})
    assert result["success"] is True, result
    assert (result["status"], result["raw_status"], result["status_text"]) == (0, "critical", "Critical Outage")
    assert [(i["id"], i["name"], i["impact"]) for i in result["incident_metadata"]] == [
        (incident["id"], "Payments failing", "critical")]
    assert f"/incidents/{incident['id']}" in result["incident_metadata"][0]["shortlink"]
    components = {c["name"]: c["status"] for c in result["component_metadata"]}
    assert components == {"Core": "partial_outage", "Web API": "partial_outage", "Website": "operational",
                          "Email": "under_maintenance"}
    assert [m["name"] for m in result["maintenance_metadata"]] == ["Window 60", "Window -1"]


def test_the_v2_description_is_valid_openapi_and_covers_every_v2_endpoint(board):
    client, _, _ = board
    response = client.get("/api/v2/openapi.json")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    document = response.json
    OpenAPIV31SpecValidator(document).validate()
    assert document["servers"] == [{"url": "http://status.example.com", "description": "This board"}]
    assert set(document["paths"]) == set(statuspage_schemas.ENDPOINTS)
    assert {"Page", "StatusIndicator", "Component", "ComponentGroup", "Incident", "IncidentUpdate",
            "AffectedComponent", "Maintenance", "MaintenanceUpdate"} <= set(document["components"]["schemas"])


@pytest.mark.parametrize("path", [*sorted(statuspage_schemas.ENDPOINTS), "/api/v2/summary.json?callback=sp"])
def test_every_v2_answer_conforms_to_the_v2_description(board, path):
    client, _, _ = board
    as_text = {"application/javascript": lambda body, **_: body.decode("utf-8")}
    spec = OpenAPI.from_dict(client.get("/api/v2/openapi.json").json,
                             config=Config(extra_media_type_deserializers=as_text))
    check(spec, client.get(example(path)))


def test_a_bad_jsonp_callback_on_v2_is_a_described_400(board):
    client, _, _ = board
    spec = OpenAPI.from_dict(client.get("/api/v2/openapi.json").json)
    check(spec, client.get("/api/v2/status.json?callback=alert(1)", status=400), request_is_valid=False)
