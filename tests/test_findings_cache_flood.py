"""Many made-up URLs, or made-up Host headers, cannot grow the page cache or push the board out."""

import time

import webtest

from tests.fixtures.datastore import make_app
from tests.test_cache import cache_state, seed

# Each request is a full render of a 404 with a Datastore read on the emulator (several ms;
# tracemalloc would triple that), so 40,000 would take minutes: the flood is 600 requests of
# ~4 KB paths, more than twice the missing-answers pool. Once that pool is full (request
# 256) every later one evicts one; the counters below show nothing else kept a thing per URL.
FLOOD = 600
PADDING = "x" * 4000


def test_a_flood_of_unique_missing_urls_keeps_the_cache_bounded_and_the_board_cached(emulator):
    app = make_app(CACHE_CHECK_SECONDS=3600)
    seed(app, services=2)
    client = webtest.TestApp(app, extra_environ={"HTTP_HOST": "status.example.com"})
    cache = app.wsgi_app
    client.get("/")
    assert cache_state(client.get("/")) == "hit"
    pages_before, versions_before = len(cache.pages), dict(cache.versions)

    started = time.monotonic()
    for n in range(FLOOD):
        prefix = "/api/v1/incidents/" if n % 2 else "/services/"
        client.get(f"{prefix}{n}{PADDING}", status=404)
    elapsed = time.monotonic() - started

    assert len(cache.missing) <= 256
    assert cache.missing.size <= 1024 * 1024
    assert sum(entry.cost for entry in cache.missing.entries.values()) == cache.missing.size
    assert all(entry.cost > len(key[2]) + len(entry.body) for key, entry in cache.missing.entries.items())
    assert len(cache.pages) == pages_before
    assert cache.versions == versions_before and len(cache.seen) <= 20
    assert len(app.extensions["stashboard.routes"].by_endpoint) < 50
    assert cache_state(client.get("/")) == "hit"
    print(f"{FLOOD} requests in {elapsed:.1f}s")


def test_the_cache_caps_the_number_of_pages(emulator):
    app = make_app(CACHE_CHECK_SECONDS=3600, CACHE_MAX_ENTRIES=3)
    seed(app, services=5)
    client = webtest.TestApp(app)
    for n in range(5):
        client.get(f"/services/service-{n:03d}")
    assert len(app.wsgi_app.pages) == 3


def test_with_app_url_made_up_hosts_share_one_copy_rendered_for_the_real_origin(emulator):
    app = make_app(CACHE_CHECK_SECONDS=3600, APP_URL="https://status.example.com")
    seed(app, services=1)
    client = webtest.TestApp(app)
    for n in range(20):
        page = client.get("/rss", headers={"Host": f"evil{n}.example"})
        assert "evil" not in page.text
        assert "https://status.example.com/" in page.text
    assert len(app.wsgi_app.pages) == 1
