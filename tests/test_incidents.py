"""An incident from open to resolved, through the admin API and the admin UI: at every step the
v1 events, the Statuspage-compatible v2 JSON, the feeds and the front page agree."""

import feedparser
import pytest

from tests.helpers import assert_json_error, board_state


@pytest.fixture
def board(admin, service):
    """'web-api' in the list 'core' and 'email' in none, both up."""
    admin.post("/services", {"name": "Email", "description": "Outbound email."}, status=201)
    for service_id in ("web-api", "email"):
        admin.post(f"/services/{service_id}/events", {"status": "up", "message": "All good."}, status=201)
    return admin


def agree(client, incident_id, state, statuses, message, posted=()):
    """The v1 events, v2 JSON, feeds and front page all tell the incident's step the same way;
    the services in `posted` had their status set by this step, as their newest event."""
    for service_id, status in statuses.items():
        current = client.get(f"/api/v1/services/{service_id}/events/current").json
        assert current["status"]["id"] == status, service_id
        if service_id in posted:
            assert current["message"] == message, service_id
    summary = client.get("/api/v2/summary.json").json
    components = {c["id"]: c["status"] for c in summary["components"]}
    expected = {"up": "operational", "warning": "degraded_performance", "down": "partial_outage"}
    for service_id, status in statuses.items():
        assert components[service_id] == expected[status]
    unresolved = [i for i in summary["incidents"] if i["id"] == incident_id]
    assert bool(unresolved) == (state != "resolved")
    everything = {i["id"]: i for i in client.get("/api/v2/incidents.json").json["incidents"]}
    assert everything[incident_id]["status"] == state
    assert everything[incident_id]["incident_updates"][0]["body"] == message
    feed = feedparser.parse(client.get("/atom").body)
    assert any(message in entry.summary and f"[Incident - {state.title()}]" in entry.title for entry in feed.entries)
    front = client.get("/").html
    on_top = front.select_one(f"#incident-{incident_id}")
    if state == "resolved":
        assert on_top is None
    else:
        assert message in on_top.text and state.title() in on_top.text
    page = client.get(f"/incidents/{incident_id}")
    assert message in page.text and state.title() in page.text


def test_an_incident_through_the_admin_api_from_open_to_resolved(board, client):
    opened = board.post("/incidents", {"title": "Checkout <errors>", "services": "web-api,email",
                                       "message": "We are investigating errors.", "statuses": "web-api=down"},
                        status=201).json
    iid = opened["id"]
    assert (opened["state"], opened["impact"], opened["services"]) == ("investigating", "major", ["web-api", "email"])
    assert opened["updates"][0]["changes"][0] == {"service": "web-api", "old": "up", "new": "down",
                                                  "sid": opened["updates"][0]["changes"][0]["sid"]}
    agree(client, iid, "investigating", {"web-api": "down", "email": "up"}, "We are investigating errors.",
          posted=["web-api"])
    assert client.get("/api/v2/status.json").json["status"] == {"indicator": "major",
                                                                "description": "Partial System Outage"}
    board.post(f"/incidents/{iid}/updates", {"message": "Found a bad deploy.", "state": "identified",
                                             "statuses": "web-api=warning,email=warning"}, status=201)
    agree(client, iid, "identified", {"web-api": "warning", "email": "warning"}, "Found a bad deploy.",
          posted=["web-api", "email"])
    board.post(f"/incidents/{iid}/updates", {"message": "Rolled back; watching.", "state": "monitoring"}, status=201)
    resolved = board.post(f"/incidents/{iid}/updates", {"message": "All fixed.", "state": "resolved",
                                                        "statuses": "web-api=up,email=up"}, status=201).json
    assert resolved["resolved"] is not None
    agree(client, iid, "resolved", {"web-api": "up", "email": "up"}, "All fixed.", posted=["web-api", "email"])
    assert client.get("/api/v2/status.json").json["status"]["indicator"] == "none"
    v2 = client.get("/api/v2/incidents.json").json["incidents"][0]
    assert v2["monitoring_at"] and v2["resolved_at"] and len(v2["incident_updates"]) == 4
    assert [u["status"] for u in v2["incident_updates"]] == ["resolved", "monitoring", "identified", "investigating"]
    # The title is text everywhere: escaped in HTML, plain in JSON.
    assert "Checkout &lt;errors&gt;" in client.get(f"/incidents/{iid}").text
    assert "Checkout <errors>" in client.get("/history").html.text
    board.post(f"/incidents/{iid}", {"postmortem": "A config flag flipped."}, status=200)
    assert "A config flag flipped." in client.get(f"/incidents/{iid}").text


def test_an_incident_through_the_admin_ui_from_open_to_resolved(board, client, signed_in):
    form = client.get("/admin/incidents/new").forms["edit-form"]
    form["title"] = "Email delays"
    form["services"] = ["email"]
    form["message"] = "Mail is slow."
    form["status"] = "warning"
    page = form.submit(status=302).follow()
    iid = page.request.path.rstrip("/").split("/")[-1]
    agree(client, iid, "investigating", {"email": "warning"}, "Mail is slow.", posted=["email"])
    for state, status, message in (("identified", "", "A queue is stuck."), ("resolved", "up", "Delivered.")):
        form = client.get(f"/admin/incidents/{iid}").forms["update-form"]
        form["message"], form["state"], form["status_email"] = message, state, status
        form.submit(status=302)
    agree(client, iid, "resolved", {"email": "up"}, "Delivered.", posted=["email"])


@pytest.mark.parametrize("body, message", [
    ({"title": "", "services": "web-api", "message": "x"}, "'title'"),
    ({"title": "T", "services": "", "message": "x"}, "'services'"),
    ({"title": "T", "services": "nope", "message": "x"}, "Unknown service"),
    ({"title": "T", "services": "web-api", "message": "x", "statuses": "email=down"}, "not among"),
    ({"title": "T", "services": "web-api", "message": "x", "statuses": "web-api=nope"}, "Unknown status"),
    ({"title": "T", "services": "web-api", "message": "x", "state": "sleeping"}, "'state'"),
    ({"title": "T", "services": "web-api", "message": "x", "impact": "huge"}, "'impact'"),
])
def test_a_refused_incident_is_a_clear_400_and_changes_nothing(board, client, body, message):
    before = board_state(client)
    response = board.post("/incidents", body)
    assert_json_error(response, 400)
    assert message in response.json["message"]
    assert board_state(client) == before
    assert client.get("/api/v2/incidents.json").json["incidents"] == []


def test_unknown_incidents_are_404_on_the_api_and_the_site(board, client):
    assert_json_error(board.post("/incidents/123/updates", {"message": "x"}), 404)
    assert_json_error(client.get("/api/v1/incidents/abc", status="*"), 404)
    assert client.get("/incidents/99999", status=404).content_type == "text/html"
