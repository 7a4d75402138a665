"""Other instances' writes are learnt at a fixed cost."""

import pytest
import webtest
from google.cloud import ndb

from handlers.context import ndb_context
from models import AuditEntry, Event, Service, utcnow
from tests.fixtures.datastore import make_app
from tests.test_cache import cache_state, rpcs, seed


def other_instance(app):
    """A second app on `app`'s namespace: another instance of the same board."""
    other = make_app(installed=False, CACHE_CHECK_SECONDS=3600)
    other.config["NDB_NAMESPACE"] = app.config["NDB_NAMESPACE"]
    other.extensions["stashboard.page_cache"].start()
    return other


def burst(app, writes):
    """What `writes` writes on `app`'s instance leave in the audit log, put at once (writing them
    one by one costs seconds), then one real write that changes the board."""
    with app.app_context(), ndb_context(app):
        now = utcnow()
        ndb.put_multi([
            AuditEntry(timestamp=now, actor_email="monitor@example.com", actor_via="token", action="update",
                       kind="Service", entity_id="service-001", before={"description": "x" * 200},
                       after={"description": "y" * 200}, tags=["board", "service:service-001"])
            for _ in range(writes)
        ])
        Event.post(Service.get_by_id("service-001"), "After the burst.", "down")


@pytest.fixture(scope="module")
def board(emulator):
    """One board whose instance looks for other instances' writes only when a test says so; the
    tests make its answers stale by the cache's own invalidation, as a committed write's signal does."""
    app = make_app(installed=False, CACHE_CHECK_SECONDS=3600)
    seed(app, services=2, lists=1, events_each=1)
    return app


def test_the_first_uncached_front_page_after_another_instances_burst_costs_at_most_four_rpcs(board):
    app = board  # left looking for others' writes every hour: the test says when
    client = webtest.TestApp(app, extra_environ={"HTTP_HOST": "status.example.com"})
    client.get("/robots.txt")  # an instance's first request pays for the NDB channel; not counted
    client.get("/")
    cache = app.wsgi_app
    cache.next_check = 0  # this instance looks for others' writes on its next request
    assert cache_state(client.get("/")) == "hit"
    burst(other_instance(app), 310)  # more than one batch of entries (the Datastore's hold 300)
    cache.next_check = 0
    front = client.get("/")
    assert "After the burst." in front.text
    assert cache_state(front) == "miss" and rpcs(front) <= 4, front.headers["Server-Timing"]
