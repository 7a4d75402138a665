"""Bounded answers: a busy service's event lists and archive come in pages of 200 (models.event.PAGE), newest first,
each linking to the next; a query names at most 100 services."""

import datetime
import re

import pytest

from tests.fixtures.admin_api import Admin, add_service
from tests.fixtures.datastore import make_client
from models.event import PAGE
from tests.helpers import assert_json_error

ROOTS = ("/api/v1", "/admin/api/v1")
BUSY = 480  # events of 2015, one every few hours: three pages
FIRST = datetime.datetime(2015, 1, 1, 6)
STEP = datetime.timedelta(hours=7)

pytestmark = pytest.mark.one_board


@pytest.fixture(scope="module")
def busy(module_app, module_token):
    """The module's board: the service web-api with BUSY events of 2015, stored in one batch
    (as years of history would be), and a quiet service with one event. Answers the sids, newest first."""
    from google.cloud import ndb

    from handlers.context import ndb_context
    from models import Event, Service, Status

    admin = Admin(make_client(module_app), module_token)
    add_service(admin)
    admin.post("/services", {"name": "Quiet", "description": "Little happens"}, status=201)
    admin.post("/services/quiet/events", {"message": "Fine", "status": "up"}, status=201)
    with ndb_context(module_app):
        parent = ndb.Key(Service, "web-api")
        statuses = [ndb.Key(Status, "up"), ndb.Key(Status, "down")]
        events = [Event(id=n + 1, parent=parent, timestamp=FIRST + n * STEP, message=f"event {n}", status=statuses[n % 2])
                  for n in range(BUSY)]
        for start in range(0, BUSY, 500):  # a Datastore commit takes at most 500 entities
            ndb.put_multi(events[start:start + 500], use_cache=False)
        Event.rebuild(parent)
    return [str(n + 1) for n in reversed(range(BUSY))]


def follow(client, url):
    """Every page of a list from `url` on: (the sids in order, the answers)."""
    sids, answers = [], []
    while url:
        answer = client.get(url.removeprefix("http://status.example.com"))
        answers.append(answer)
        sids += [event["sid"] for event in answer.json["events"]]
        url = answer.json.get("next")
    return sids, answers


@pytest.mark.parametrize("root", ROOTS)
def test_a_busy_list_comes_in_pages_newest_first_to_the_last(client, busy, root):
    sids, answers = follow(client, f"{root}/services/web-api/events")
    assert [len(answer.json["events"]) for answer in answers] == [PAGE, PAGE, BUSY - 2 * PAGE]
    assert sids == busy  # every event once, newest first, none lost across pages
    for answer in answers[:-1]:
        assert answer.json["next"].startswith(f"http://status.example.com{root}/services/web-api/events?cursor=")
        assert answer.headers["Link"] == f'<{answer.json["next"]}>; rel="next"'
    assert "next" not in answers[-1].json and "Link" not in answers[-1].headers


def test_a_short_list_has_no_next(client, busy):
    answer = client.get("/api/v1/services/quiet/events")
    assert list(answer.json) == ["events"] and len(answer.json["events"]) == 1
    assert "Link" not in answer.headers


def test_a_date_range_is_bounded_the_same_way_and_its_next_keeps_the_range(client, busy):
    # Events 40 to 319 (280 of them): the newest 200 of the range, then the 80 before.
    start, end = FIRST + 40 * STEP, FIRST + 319 * STEP
    url = f"/api/v1/services/web-api/events?start={start:%Y-%m-%dT%H:%M:%S}Z&end={end:%Y-%m-%dT%H:%M:%S}Z"
    first = client.get(url)
    assert len(first.json["events"]) == PAGE
    assert "start=2015-" in first.json["next"] and "end=2015-" in first.json["next"]
    sids, _ = follow(client, url)
    assert sids == busy[BUSY - 320:BUSY - 40]


def test_a_date_range_of_a_few_events_answers_as_before(client, busy):
    answer = client.get("/api/v1/services/web-api/events?start=2015-01-01&end=2015-01-02")
    assert list(answer.json) == ["events"]
    assert [event["message"] for event in answer.json["events"]] == ["event 5", "event 4", "event 3",
                                                                     "event 2", "event 1", "event 0"]


@pytest.mark.parametrize("root", ROOTS)
@pytest.mark.parametrize("cursor", ["not*a*cursor", "x" * 2000, "AAAA", "Zm9vYmFy"])
def test_a_tampered_cursor_is_a_400(client, busy, root, cursor):
    answer = client.get(f"{root}/services/web-api/events?cursor={cursor}", status=400)
    assert_json_error(answer, 400)
    assert "page link is not valid" in answer.json["message"]


@pytest.mark.parametrize("root", ROOTS)
def test_a_cut_or_altered_cursor_is_a_400(client, busy, root):
    cursor = client.get(f"{root}/services/web-api/events").json["next"].partition("cursor=")[2]
    altered = cursor[:10] + ("A" if cursor[10] != "A" else "B") + cursor[11:]
    for bad in (cursor[: len(cursor) // 2], altered):
        assert_json_error(client.get(f"{root}/services/web-api/events?cursor={bad}", status=400), 400)


def test_another_services_cursor_reads_only_that_service(client, busy):
    cursor = client.get("/api/v1/services/web-api/events").json["next"].partition("cursor=")[2]
    answer = client.get(f"/api/v1/services/quiet/events?cursor={cursor}")
    assert all("/services/quiet/" in event["url"] for event in answer.json["events"])


def test_the_year_archive_is_paged_with_an_older_events_link(client, busy):
    page, shown, sizes = client.get("/services/web-api/2015"), [], []
    while True:
        assert page.status_int == 200
        shown += [item.get_text(" ", strip=True) for item in page.html.select("ol.events .message")]
        sizes.append(len(page.html.select("ol.events .message")))
        older = page.html.select_one('nav[aria-label="Pages of events"] a[rel="next"]')
        if older is None:
            break
        assert older.get_text(strip=True).startswith("Older events")
        page = client.get(older["href"])
    assert sizes == [PAGE, PAGE, BUSY - 2 * PAGE]
    assert shown == [f"event {n}" for n in reversed(range(BUSY))]


def test_a_tampered_archive_cursor_is_a_friendly_400_page(client, busy):
    page = client.get("/services/web-api/2015?cursor=Zm9vYmFy", status=400)
    assert page.content_type == "text/html"
    assert "page link is not valid" in page.text


SERVICES = ",".join(f"s{n}" for n in range(101))


@pytest.mark.parametrize("path", ["/rss", "/atom"])
def test_a_page_naming_more_than_100_services_is_a_friendly_400(client, busy, path):
    page = client.get(f"{path}?services={SERVICES}", status=400)
    assert page.content_type == "text/html"
    assert re.search(r"At most 100 names", page.text)


def test_a_query_repeating_an_argument_more_than_100_times_is_a_400(client, busy):
    query = "&".join(f"filter=l{n}" for n in range(101))
    assert "At most 100 names" in client.get(f"/service-lists?{query}", status=400).text


def test_a_paged_answer_conforms_to_the_openapi_description(client, busy):
    from openapi_core import OpenAPI
    from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Response

    spec = OpenAPI.from_dict(client.get("/api/v1/openapi.json").json)
    answer = client.get("/api/v1/services/web-api/events")  # its `next` and Link header included
    request = EnvironBuilder(base_url="http://status.example.com", path=answer.request.path).get_request()
    response = Response(answer.body, answer.status_int, headers=list(answer.headerlist))
    spec.validate_response(WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response))
