"""The front page of a large board: 50 services in 5 lists and 1,200 events."""

import datetime

import pytest
import webtest
from google.cloud import ndb

from tests.fixtures.datastore import make_app
from models import Event, Installation, Service, ServiceList, install

# A large board seeded for the module: in make test-slow.
pytestmark = pytest.mark.slow

LISTS = 5
SERVICES = 50
HISTORY = datetime.timedelta(days=6)  # one day more than the front page shows
EVENTS_PER_SERVICE = 24  # 1,200 events: one every six hours
TROUBLED = {"service-07": "down", "service-23": "warning"}


def utcnow():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


@pytest.fixture(scope="module")
def big_board(emulator):
    """Seeded once for the module: history in bulk, then each service's newest event through Event.post.

    The history is written in batches, as an import would, then each service's day rollups
    are rebuilt from it (what `flask rebuild-history` does); Event.post keeps them from then on.
    """
    from handlers.context import ndb_context

    app = make_app()
    now = utcnow()
    with app.app_context(), ndb_context(app):
        install()
        Installation.choose_front_page("grid")  # the bars of a big board: tests/test_glance.py
        for n in range(LISTS):
            ServiceList.create(f"List {n}", f"Group {n}.")
        services = [
            Service.create(f"Service {n:02d}", f"Service number {n}.", f"list-{n % LISTS}") for n in range(SERVICES)
        ]
        step = HISTORY / EVENTS_PER_SERVICE
        history = [
            Event(
                parent=service.key,
                timestamp=now - HISTORY + i * step,
                message=f"Update {i} of {service.name}.",
                status=ndb.Key("Status", "warning" if i % 4 == 3 else "up"),
            )
            for service in services
            for i in range(EVENTS_PER_SERVICE)
        ]
        for start in range(0, len(history), 500):
            ndb.put_multi(history[start:start + 500])
        for service in services:
            Event.rebuild(service.key)
        for service in services:
            status = TROUBLED.get(service.slug, "up")
            Event.post(service, f"{service.name} is {status} now.", status)
    return webtest.TestApp(app)


def test_big_front_page_shows_every_service_grouped_in_its_list(big_board):
    page = big_board.get("/")
    rows = page.html.select("tr.service-row")
    assert len(rows) == SERVICES
    assert [th.text.strip() for th in page.html.select(".group-row th")] == [f"List {n}" for n in range(LISTS)]
    assert all(len(row.select("td.day")) == 5 for row in rows)


def test_big_front_page_names_the_worst_status_and_the_troubled_services(big_board):
    banner = big_board.get("/").html.select_one(".banner")
    assert banner.h1.text == "Some services are down"
    assert [li.text for li in banner.select(".affected li")] == ["Service 07: Down", "Service 23: Warning"]


def test_big_front_page_history_shows_the_warnings_of_each_day(big_board):
    row = big_board.get("/").html.select_one('tr[data-service="service-42"]')
    # Four updates a day, every fourth a warning: every whole day had one.
    assert all("Warning" in cell.img["alt"] for cell in row.select("td.day")[1:])
    assert row.select_one(".status").text.strip() == "Up"

