"""Reads served from the page cache: free when cached, flat when not, true after every write."""

import datetime
import os
import pathlib
import re
import subprocess
import sys
import time
import urllib.request

import pytest
import webtest

from tests.fixtures.datastore import ADMIN_EMAIL, make_app, on_fresh_namespace
from models import ApiToken, Event, Installation, Service, ServiceList, install
from tools.emulator import free_port

ROOT = pathlib.Path(__file__).resolve().parent.parent
CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=60, stale-if-error=86400"


def rpcs(response):
    """The Datastore RPC count a response reports in Server-Timing."""
    return int(re.search(r'datastore;desc="rpc=(\d+)"', response.headers["Server-Timing"]).group(1))


def cache_state(response):
    """"hit" or "miss", as Server-Timing says (None when the cache was not asked)."""
    match = re.search(r'cache;desc="(\w+)"', response.headers["Server-Timing"])
    return match.group(1) if match else None


def seed(app, services, lists=3, events_each=3):
    """A board of `services` services in `lists` lists, each with a few events today."""
    from handlers.context import ndb_context

    with app.app_context(), ndb_context(app):
        install()
        for n in range(lists):
            ServiceList.create(f"List {n}", f"Group {n}.")
        start = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(hours=events_each)
        for n in range(services):
            service = Service.create(f"Service {n:03d}", f"Number {n}.", f"list-{n % lists}")
            for i in range(events_each):
                status = "down" if (n, i) == (1, events_each - 1) else "up"
                Event.post(service, f"Update {i} of {n}.", status, at=start + datetime.timedelta(hours=i))
        return ApiToken.issue(ADMIN_EMAIL, "tests")[1]


@pytest.fixture(scope="module")
def cached_app(emulator):
    """One app for the module's `cached` boards: building an app costs more than seeding a board."""
    return make_app(installed=False, CACHE_CHECK_SECONDS=3600)


@pytest.fixture
def cached(cached_app):
    """A seeded board of the test's own whose instance never looks for other instances' writes
    during the test; the module's app moves to a new namespace, its page cache emptied."""
    app = on_fresh_namespace(cached_app)
    token = seed(app, services=3)
    client = webtest.TestApp(app, extra_environ={"HTTP_HOST": "status.example.com"})
    client.token = token
    return client


def public_paths(client):
    """Every public page, feed and public API resource of the board (with an incident open)."""
    sid = client.get("/api/v1/services/service-000/events").json["events"][-1]["sid"]
    incident = client.post("/admin/api/v1/incidents", {"title": "Slow", "services": "service-000", "message": "Hm."},
                           headers={"Authorization": f"Bearer {client.token}"}, status=201).json["id"]
    return [
        "/history", f"/incidents/{incident}", "/maintenance.ics", "/api/v1/incidents", f"/api/v1/incidents/{incident}",
        "/api/v1/maintenances", "/api/v2/summary.json", "/api/v2/status.json", "/api/v2/components.json",
        "/api/v2/incidents.json", "/api/v2/incidents/unresolved.json", "/api/v2/scheduled-maintenances.json",
        "/api/v2/scheduled-maintenances/upcoming.json", "/api/v2/scheduled-maintenances/active.json",
        "/", "/summary", "/service-lists", "/service-lists/list-0", "/services/service-000",
        f"/services/service-000/{datetime.date.today():%Y}", "/rss", "/atom", "/rss?services=service-001",
        "/documentation", "/robots.txt", "/uptime", "/services/service-000/uptime",
        "/api/v1/services", "/api/v1/services/service-000", "/api/v1/services/service-000/events",
        "/api/v1/services/service-000/events/current", f"/api/v1/services/service-000/events/{sid}",
        "/api/v1/statuses", "/api/v1/statuses/up", "/api/v1/service-lists", "/api/v1/service-lists/list-0",
        "/api/v1/levels", "/api/v1/status-images", "/api/v1/services?callback=board.show",
        "/services/no-such-service", "/badges/service-000.svg", "/badges/board.svg", "/badges/no-such-service.svg",
    ]


def test_a_cached_read_of_every_public_page_feed_and_api_resource_makes_no_datastore_rpc(cached):
    for path in public_paths(cached):
        first = cached.get(path, status="*")
        again = cached.get(path, status="*")
        assert first.status_int in (200, 404), path
        assert (cache_state(again), rpcs(again)) == ("hit", 0), path
        assert again.body == first.body, path


def test_an_uncached_front_page_makes_the_same_few_rpcs_at_any_board_size(emulator):
    counts = []
    for size in (3, 40):
        app = make_app(PAGE_CACHE=False, CACHE_CHECK_SECONDS=3600)  # no look at the audit log meanwhile
        seed(app, services=size, lists=4, events_each=1)  # rows are precomputed: their history costs no read
        client = webtest.TestApp(app)
        client.get("/robots.txt")  # an instance's first request pays for the NDB channel; not counted
        for path in ("/", "/api/v1/services", "/summary", "/service-lists", "/rss", "/api/v2/summary.json",
                     "/history", "/maintenance.ics", "/api/v1/incidents"):
            response = client.get(path)
            assert cache_state(response) == "miss"
            counts.append((size, path, rpcs(response)))
    by_path = {}
    for size, path, count in counts:
        assert count <= 4, (size, path, count)
        by_path.setdefault(path, set()).add(count)
    assert all(len(sizes) == 1 for sizes in by_path.values()), counts


def test_without_the_page_cache_the_board_shows_each_change_at_once(emulator):
    """The board index's decoded rows, written rows and API shapes are reused between reads
    only while nothing they show has changed: a new event, a renamed status or list."""
    app = make_app(PAGE_CACHE=False)
    token = seed(app, services=3)
    client = webtest.TestApp(app)
    auth = {"Authorization": f"Bearer {token}"}
    for _ in range(2):
        board = client.get("/")
    assert "Nobody home." not in board.text
    client.post("/admin/api/v1/services/service-001/events", {"status": "down", "message": "Nobody home."},
                headers=auth, status=201)
    row = client.get("/").html.select_one('tr[data-service="service-001"]')
    assert "Nobody home." in row.text and "Down" in row.text
    client.post("/admin/api/v1/statuses/down", {"name": "Broken"}, headers=auth, status=200)
    row = client.get("/").html.select_one('tr[data-service="service-001"]')
    assert "Broken" in row.text and "Down" not in row.text
    other = client.get("/").html.select_one('tr[data-service="service-000"]')
    assert "Nobody home." not in other.text
    client.post("/admin/api/v1/service-lists/list-1", {"name": "Renamed list"}, headers=auth, status=200)
    services = {service["id"]: service for service in client.get("/api/v1/services").json["services"]}
    assert services["service-001"]["current-event"]["status"]["name"] == "Broken"
    assert services["service-001"]["list"]["name"] == "Renamed list"
    assert services["service-000"]["list"]["name"] == "List 0"


def test_a_posted_event_shows_at_once_on_the_instance_that_took_it(cached):
    paths = ["/", "/services/service-002", "/api/v1/services", "/api/v1/services/service-002", "/rss"]
    for path in paths:
        cached.get(path)
    cached.post("/admin/api/v1/services/service-002/events", {"status": "down", "message": "Fresh outage."},
                headers={"Authorization": f"Bearer {cached.token}"}, status=201)
    for path in paths:
        response = cached.get(path)
        assert "Fresh outage." in response.text, path
        assert cache_state(response) == "miss", path


def test_a_write_leaves_other_services_pages_cached(cached):
    cached.get("/services/service-000")
    cached.post("/admin/api/v1/services/service-002/events", {"message": "Elsewhere."},
                headers={"Authorization": f"Bearer {cached.token}"}, status=201)
    assert cache_state(cached.get("/services/service-000")) == "hit"
    assert cache_state(cached.get("/")) == "miss"


def test_an_incident_update_drops_its_page_and_the_board_wide_answers_and_nothing_else(cached):
    auth = {"Authorization": f"Bearer {cached.token}"}
    one = cached.post("/admin/api/v1/incidents", {"title": "One", "services": "service-000", "message": "A."},
                      headers=auth, status=201).json["id"]
    two = cached.post("/admin/api/v1/incidents", {"title": "Two", "services": "service-001", "message": "B."},
                      headers=auth, status=201).json["id"]
    paths = ["/", f"/incidents/{one}", f"/incidents/{two}", "/api/v2/summary.json", "/history", "/rss",
             "/services/service-002"]
    for path in paths:
        cached.get(path)
    cached.post(f"/admin/api/v1/incidents/{one}/updates", {"message": "Found it.", "state": "identified"},
                headers=auth, status=201)
    for path in ("/", f"/incidents/{one}", "/api/v2/summary.json", "/history", "/rss"):
        response = cached.get(path)
        assert cache_state(response) == "miss" and "Identified" in response.text.title(), path
    for path in (f"/incidents/{two}", "/services/service-002"):
        assert cache_state(cached.get(path)) == "hit", path


def test_cache_busting_arguments_share_one_cached_answer_and_callbacks_do_not(cached):
    first = cached.get("/api/v1/services?callback=stashboard.callback&random=0.1234")
    again = cached.get("/api/v1/services?random=0.9876&callback=stashboard.callback")
    assert (cache_state(again), rpcs(again)) == ("hit", 0)
    assert again.body == first.body and first.text.startswith("stashboard.callback(")
    other = cached.get("/api/v1/services?callback=other")
    assert other.text.startswith("other(")
    assert cache_state(cached.get("/?_=123")) == "miss" and cache_state(cached.get("/?utm_source=x")) == "hit"


def test_public_reads_carry_a_strong_etag_and_answer_if_none_match_with_an_empty_304(cached):
    for path in ("/", "/api/v1/services", "/rss", "/api/v1/services?callback=cb"):
        response = cached.get(path)
        etag = response.headers["ETag"]
        assert etag.startswith('"') and not etag.startswith("W/")
        assert response.headers["Cache-Control"] == CACHE_CONTROL
        assert "Set-Cookie" not in response.headers
        unchanged = cached.get(path, headers={"If-None-Match": etag}, status=304)
        assert unchanged.body == b"" and unchanged.headers["ETag"] == etag
        assert cached.get(path, headers={"If-None-Match": '"stale"'}).status_int == 200
    jsonp = cached.get("/api/v1/services?callback=cb").headers["ETag"]
    assert jsonp != cached.get("/api/v1/services").headers["ETag"]


def test_a_write_changes_the_etag(cached):
    etag = cached.get("/").headers["ETag"]
    cached.post("/admin/api/v1/services/service-000/events", {"message": "Changed."},
                headers={"Authorization": f"Bearer {cached.token}"}, status=201)
    assert cached.get("/", headers={"If-None-Match": etag}).status_int == 200


def test_admin_answers_are_private_and_every_answer_reports_its_datastore_cost(cached):
    sign_in = cached.get("/admin/", status=302)
    assert sign_in.headers["Cache-Control"] == "private, no-store"
    api = cached.get("/admin/api/v1/services")
    assert api.headers["Cache-Control"] == "private, no-store" and rpcs(api) >= 1
    static = cached.get("/static/css/site.css")
    assert rpcs(static) == 0 and "public" in static.headers["Cache-Control"]


def test_a_second_instance_shows_a_write_within_five_seconds(emulator):
    app = make_app()
    token = seed(app, services=2)
    port = free_port()
    env = {**os.environ, "NDB_NAMESPACE": app.config["NDB_NAMESPACE"], "SECRET_KEY": "test-secret",
           "CACHE_CHECK_SECONDS": "2"}
    other = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", "1", "--threads", "4", "main:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/api/v1/services/service-001"

    def read():
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode()

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert "Second instance news." not in read()
        assert "Second instance news." not in read()  # now a cached answer there
        client = webtest.TestApp(app)
        client.post("/admin/api/v1/services/service-001/events", {"message": "Second instance news."},
                    headers={"Authorization": f"Bearer {token}"}, status=201)
        written = time.monotonic()
        while "Second instance news." not in read():
            assert time.monotonic() - written < 5, "the other instance still serves the old answer after 5 s"
            time.sleep(0.1)
    finally:
        other.terminate()
        other.wait(timeout=10)


def test_the_cron_rebuild_repairs_bulk_written_history_once_and_only_app_engine_may_start_it(emulator):
    from google.cloud import ndb

    from handlers.context import ndb_context

    app = make_app()
    with app.app_context(), ndb_context(app):
        install()
        Installation.choose_front_page("grid")
        service = Service.create("Imported", "Written in bulk.")
        moment = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(days=3)
        ndb.put_multi([Event(parent=service.key, timestamp=moment, message="Imported outage.",
                             status=ndb.Key("Status", "down"))])
    client = webtest.TestApp(app)
    assert client.get("/api/v1/services/imported").json["current-event"] is None
    assert client.get("/_tasks/rebuild-history").json == {"services": 1, "changed": 1}
    assert client.get("/_tasks/rebuild-history").json == {"services": 1, "changed": 0}
    current = client.get("/api/v1/services/imported").json["current-event"]
    assert (current["message"], current["status"]["id"]) == ("Imported outage.", "down")
    assert all("Down" in cell.img["alt"] for cell in client.get("/").html.select("td.day")[:3])
    app.config["GAE_ENV"] = "standard"
    assert client.get("/_tasks/rebuild-history", status=403).status_int == 403
    assert client.get("/_tasks/rebuild-history", headers={"X-Appengine-Cron": "true"}).json["changed"] == 0
