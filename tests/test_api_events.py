"""Events: posting, history with date filters, the current event, deletes."""

import datetime
import email.utils
import re

import pytest

from models import Event, Service
from tests.helpers import assert_json_error, board_state


def post(admin, fields, status=201):
    return admin.post("/services/web-api/events", fields, status=status).json


def test_post_answers_the_event_object(admin, service):
    event = post(admin, {"message": "Investigating errors", "status": "down"})
    assert set(event) == {"sid", "message", "timestamp", "url", "status", "informational"}
    assert event["message"] == "Investigating errors"
    assert event["status"]["id"] == "down"
    assert event["status"]["level"] == "ERROR"
    assert event["informational"] is False
    assert re.fullmatch(r"[A-Za-z0-9_-]+", event["sid"])
    assert event["url"] == f"http://status.example.com/admin/api/v1/services/web-api/events/{event['sid']}"


def test_timestamp_is_rfc1123_gmt_in_whole_seconds(admin, service):
    event = post(admin, {"message": "x", "status": "up"})
    assert re.fullmatch(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT", event["timestamp"])
    moment = email.utils.parsedate_to_datetime(event["timestamp"])
    assert abs(moment - datetime.datetime.now(datetime.UTC)) < datetime.timedelta(minutes=1)


def test_without_status_an_event_keeps_the_current_status(admin, service):
    assert post(admin, {"message": "first"})["status"]["id"] == "up"  # the default
    post(admin, {"message": "broken", "status": "down"})
    assert post(admin, {"message": "still looking"})["status"]["id"] == "down"


def test_events_posted_within_one_second_keep_their_order(admin, client, service):
    sids = [post(admin, {"message": str(i), "status": "up"})["sid"] for i in range(5)]
    listed = [e["sid"] for e in client.get("/api/v1/services/web-api/events").json["events"]]
    assert listed == list(reversed(sids))


def test_informational_note_is_the_current_event_but_leaves_the_status(admin, client, service, ndb_context):
    post(admin, {"message": "Down", "status": "down"})
    note = post(admin, {"message": "Engineers on it", "informational": "true"})
    assert note["informational"] is True
    assert client.get("/api/v1/services/web-api/events/current").json["sid"] == note["sid"]
    assert client.get("/api/v1/services/web-api").json["current-event"]["sid"] == note["sid"]
    stored = Service.get_by_id("web-api")
    assert stored.current_status.id() == "down"


def test_an_informational_note_with_another_status_does_not_change_the_current_status(
    admin, service, ndb_context
):
    post(admin, {"message": "Down", "status": "down"})
    post(admin, {"message": "FYI", "status": "up", "informational": "true"})
    assert Service.get_by_id("web-api").current_status.id() == "down"


def test_current_event_of_a_service_without_events_is_a_404(client, service):
    assert_json_error(client.get("/api/v1/services/web-api/events/current", status="*"), 404)


def test_an_event_of_another_service_is_a_404(admin, client, service):
    admin.post("/services", {"name": "Other", "description": "d"}, status=201)
    event = admin.post("/services/other/events", {"message": "x", "status": "up"}, status=201).json
    assert_json_error(client.get(f"/api/v1/services/web-api/events/{event['sid']}", status="*"), 404)
    before = board_state(client)
    assert_json_error(admin.delete(f"/services/web-api/events/{event['sid']}"), 404)
    assert board_state(client) == before


def test_deleting_the_newest_event_restores_the_previous_status(admin, client, service, ndb_context):
    post(admin, {"message": "Broken", "status": "down"})
    fixed = post(admin, {"message": "Fixed", "status": "up"})
    deleted = admin.delete(f"/services/web-api/events/{fixed['sid']}", status=200).json
    assert deleted["sid"] == fixed["sid"]
    body = client.get("/api/v1/services/web-api").json
    assert body["current-event"]["message"] == "Broken"
    assert Service.get_by_id("web-api").current_status.id() == "down"
    assert_json_error(client.get(f"/api/v1/services/web-api/events/{fixed['sid']}", status="*"), 404)


def test_deleting_the_last_event_leaves_no_current_event(admin, client, service):
    only = post(admin, {"message": "Broken", "status": "down"})
    admin.delete(f"/services/web-api/events/{only['sid']}", status=200)
    assert client.get("/api/v1/services/web-api").json["current-event"] is None


@pytest.fixture
def history(admin, service, ndb_context):
    """Events at known times: 9 and 10 June 2010 (UTC), and 11 June 00:30 UTC."""
    web_api = Service.get_by_id("web-api")
    times = [
        datetime.datetime(2010, 6, 9, 12, 0),
        datetime.datetime(2010, 6, 10, 0, 0),
        datetime.datetime(2010, 6, 10, 23, 59, 59),
        datetime.datetime(2010, 6, 11, 0, 30),
    ]
    for moment in times:
        Event.post(web_api, moment.isoformat(), "up", at=moment)
    return times


def messages(client, query):
    return [e["message"] for e in client.get(f"/api/v1/services/web-api/events?{query}").json["events"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["2010-06-11T00:30:00", "2010-06-10T23:59:59", "2010-06-10T00:00:00", "2010-06-09T12:00:00"]),
        ("start=2010-06-10", ["2010-06-11T00:30:00", "2010-06-10T23:59:59", "2010-06-10T00:00:00"]),
        ("end=2010-06-10", ["2010-06-10T23:59:59", "2010-06-10T00:00:00", "2010-06-09T12:00:00"]),
        ("start=2010-06-10&end=2010-06-10", ["2010-06-10T23:59:59", "2010-06-10T00:00:00"]),
        ("start=Thu, 10 Jun 2010 00:00:00 GMT&end=Thu, 10 Jun 2010 23:59:59 GMT",
         ["2010-06-10T23:59:59", "2010-06-10T00:00:00"]),
        ("start=Thu, 10 Jun 2010 02:00:00 +0200&end=10 Jun 2010 12:00 +0000", ["2010-06-10T00:00:00"]),
        ("start=2010-06-10T20:30:00-04:00", ["2010-06-11T00:30:00"]),
        ("end=2010-06-09T12:00:00Z", ["2010-06-09T12:00:00"]),
        ("start=2010-06-12", []),
        ("start=2010-06-11&end=2010-06-09", []),
    ],
)
def test_start_and_end_filter_inclusively_in_utc(client, history, query, expected):
    assert messages(client, query.replace("+", "%2B")) == expected


@pytest.mark.parametrize("bad", ["yesterday-ish", "2010-13-45", "99999999999999999999", "not a date at all"])
@pytest.mark.parametrize("field", ["start", "end"])
def test_an_unreadable_date_is_a_400(client, history, field, bad):
    assert_json_error(client.get(f"/api/v1/services/web-api/events?{field}={bad}", status="*"), 400)


def test_events_of_an_unknown_service_are_a_404(client):
    assert_json_error(client.get("/api/v1/services/nope/events?start=2010-01-01", status="*"), 404)


@pytest.mark.parametrize("fields, most", [({"message": "x", "status": "down"}, 11), ({"message": "x"}, 11)])
def test_posting_an_event_reads_no_status_twice(admin, service, fields, most):
    # The reply's status and default come from the posting transaction (it was 12 RPCs when
    # the view read every status again after posting).
    response = admin.post("/services/web-api/events", fields, status=201)
    assert int(re.search(r'rpc=(\d+)', response.headers["Server-Timing"]).group(1)) <= most
