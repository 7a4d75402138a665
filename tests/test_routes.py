"""Every route declares what it is (handlers/routes.py), and the cache, headers and views obey it."""

import re

import pytest
import webtest
from flask import Blueprint, request

from handlers.cache import MISSING_MAX_ENTRIES
from handlers.routes import BOARD, SITE, Reads, UndeclaredArgument, declaration_of, declare, given, reads
from tests.fixtures.datastore import make_app


def cache_state(response):
    """"hit" or "miss", as Server-Timing says (None when the cache was not asked)."""
    match = re.search(r'cache;desc="(\w+)"', response.headers.get("Server-Timing", ""))
    return match.group(1) if match else None


@pytest.fixture
def fresh(emulator):
    """An app nobody has asked anything yet, so a test may still add routes to it."""
    return make_app(installed=False)


def test_every_rule_of_a_public_surface_declares_its_tags_and_its_arguments(fresh):
    public = 0
    for rule in fresh.url_map.iter_rules():
        surface, declared = declaration_of(fresh, rule.endpoint)
        if not surface.public or surface.files:
            assert declared is None, rule.rule  # private routes are never cached, whatever their view says
            continue
        public += 1
        assert isinstance(declared, Reads), f"{rule.rule} is public but does not declare what it reads"
        tags = declared.tags_for({name: "1" for name in rule.arguments})
        assert len(tags) >= 2 and all(isinstance(tag, str) and tag for tag in tags), rule.rule
        assert all(callable(normalise) for normalise in declared.args.values()), rule.rule
    assert public >= 40


def test_a_toy_public_route_that_reads_an_undeclared_argument_fails(fresh):
    toy = declare(Blueprint("toy", __name__, url_prefix="/toy"), SITE)

    @toy.get("/sloppy")
    @reads(BOARD, {"a": given})
    def sloppy():
        """Reads `b`, which it did not declare."""
        return request.args.get("b") or "none"

    @toy.get("/tidy")
    @reads(BOARD, {"a": given})
    def tidy():
        """Reads only `a`, normalised."""
        return f"[{request.args.get('a')}]"

    fresh.register_blueprint(toy)
    client = webtest.TestApp(fresh)
    with pytest.raises(UndeclaredArgument):
        client.get("/toy/sloppy?a=1&b=2")
    assert client.get("/toy/tidy?a=%20x%20&b=2").text == "[x]"


def test_a_route_with_no_declaration_is_private_and_never_cached(fresh):
    @fresh.get("/undeclared")
    def undeclared():
        """A route somebody forgot to declare."""
        return "hello"

    loose = declare(Blueprint("loose", __name__, url_prefix="/loose"), SITE)

    @loose.get("/")
    def no_reads():
        """A view on a public surface that does not say what it reads."""
        return "hi"

    fresh.register_blueprint(loose)
    client = webtest.TestApp(fresh)
    for path in ("/undeclared", "/loose/"):
        for _ in range(2):
            response = client.get(path)
            assert response.headers["Cache-Control"] == "private, no-store", path
            assert cache_state(response) is None, path
    assert len(fresh.wsgi_app) == 0


def test_a_zero_padded_incident_page_goes_stale_with_its_incident(client, admin, service):
    incident = admin.post("/incidents", {"title": "Slow", "services": "web-api", "message": "Looking."},
                          status=201).json["id"]
    padded = f"/incidents/00{incident}"
    assert "Looking." in client.get(padded).text
    assert cache_state(client.get(padded)) == "hit"
    admin.post(f"/incidents/{incident}/updates", {"message": "Found it.", "state": "identified"}, status=201)
    again = client.get(padded)
    assert cache_state(again) == "miss" and "Found it." in again.text


@pytest.mark.parametrize("query", ["start=r1", "callback=x", "status=", "services=a", "filter=core&_=1"])
def test_arguments_a_page_does_not_declare_are_hits_on_its_one_copy(client, service, query):
    first = client.get("/")
    again = client.get(f"/?{query}")
    assert cache_state(again) == "hit" and again.body == first.body


def test_declared_arguments_are_normalised_into_one_copy(client, service):
    first = client.get("/service-lists?status=up&filter=core")
    again = client.get("/service-lists?filter=core&filter=%20core&status=up&status=")
    assert cache_state(again) == "hit" and again.body == first.body


def test_unique_404_paths_do_not_grow_the_tag_table(client, service):
    cache = client.app.wsgi_app
    client.get("/services/web-api")
    before = dict(cache.versions)
    # Twice the missing-answers pool and one: it fills and evicts (each request a full render of a
    # 404 with a Datastore read, so more would only cost time); one new tag would break the equality.
    for n in range(2 * MISSING_MAX_ENTRIES + 1):
        client.get(f"/services/no-such-{n}", status=404)
    client.get("/badges/no-such.svg", status=404)
    assert cache.versions == before


def test_an_unknown_path_under_an_api_root_is_that_api_s_json_404(client):
    response = client.get("/api/v1/incidents/1/nope", status=404)
    assert response.content_type == "application/json"
    assert client.get("/admin/api/v0/services", status=404).json["message"].startswith("Unknown API version 'v0'")
    assert client.get("/no/such/page", status=404).content_type == "text/html"
