"""The RSS and Atom feeds of the newest events."""

import datetime

import feedparser
import pytest

from models import Event, Service, install

XSS = "<script>alert(1)</script>"


@pytest.fixture
def events(ndb_context):
    """Two services with events at known times; the newest is the API's down event."""
    install()
    start = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(hours=5)
    api = Service.create("Web API", "The REST API.")
    site = Service.create("Website", "The site.")
    Event.post(api, "API up.", "up", at=start)
    Event.post(site, "Site up.", "up", at=start + datetime.timedelta(hours=1))
    Event.post(site, "Site slow.", "warning", at=start + datetime.timedelta(hours=2))
    return Event.post(api, "API down.", "down", at=start + datetime.timedelta(hours=3)).event


@pytest.mark.parametrize("path", ["/rss", "/atom"])
def test_feed_parses_without_bozo_with_the_newest_event_first(client, events, path):
    response = client.get(path)
    feed = feedparser.parse(response.body)
    assert feed.bozo == 0, feed.get("bozo_exception")
    titles = [entry.title for entry in feed.entries]
    assert titles == ["[Web API - Down] API down.", "[Website - Warning] Site slow.",
                      "[Website - Up] Site up.", "[Web API - Up] API up."]
    assert feed.entries[0].id == f"http://status.example.com/api/v1/services/web-api/events/{events.sid}"
    assert feed.entries[0].link == "http://status.example.com/services/web-api"


def test_rss_is_rss_2_and_atom_is_atom(client, events):
    assert feedparser.parse(client.get("/rss").body).version == "rss20"
    assert feedparser.parse(client.get("/atom").body).version == "atom10"
    assert client.get("/rss").content_type == "application/rss+xml"
    assert client.get("/atom").content_type == "application/atom+xml"


@pytest.mark.parametrize("path", ["/rss", "/atom"])
def test_feed_filter_keeps_only_the_named_services(client, events, path):
    feed = feedparser.parse(client.get(f"{path}?services=website").body)
    assert [entry.title for entry in feed.entries] == ["[Website - Warning] Site slow.", "[Website - Up] Site up."]
    both = feedparser.parse(client.get(f"{path}?services=website,web-api").body)
    assert len(both.entries) == 4


@pytest.mark.parametrize("path", ["/rss", "/atom"])
def test_feed_filter_naming_an_unknown_service_is_a_404_page(client, events, path):
    assert client.get(f"{path}?services=website,nope", status=404).content_type == "text/html"


@pytest.mark.parametrize("path", ["/rss", "/atom"])
def test_feed_carries_markup_in_messages_as_text(client, ndb_context, events, path):
    Event.post(Service.get_or_404("website"), XSS + "\x07", "down")
    response = client.get(path)
    assert b"<script>" not in response.body
    feed = feedparser.parse(response.body)
    assert feed.bozo == 0
    assert feed.entries[0].title == f"[Website - Down] {XSS}"


def test_feed_holds_at_most_twenty_events(client, ndb_context, events):
    service = Service.get_or_404("website")
    for n in range(25):
        Event.post(service, f"Update {n}.")
    feed = feedparser.parse(client.get("/rss").body)
    assert len(feed.entries) == 20
    assert feed.entries[0].title == "[Website - Warning] Update 24."


class _Markup(__import__("html.parser").parser.HTMLParser):
    """What a feed reader rendering a description as HTML would see: its elements and its text."""

    def __init__(self, markup):
        super().__init__(convert_charrefs=True)
        self.tags, self.text = [], ""
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text += data


@pytest.mark.parametrize("path", ["/rss", "/atom"])
def test_feed_descriptions_show_markup_as_written_and_inject_no_element(client, ndb_context, events, path):
    message = 'Fix for <b>x</b> & <img src=x onerror="alert(1)"> shipped'
    Event.post(Service.get_or_404("website"), message, "down")
    feed = feedparser.parse(client.get(path).body)
    entry = feed.entries[0]
    detail = entry.content[0] if path == "/atom" else entry.summary_detail
    shown = _Markup(detail.value) if detail.type == "text/html" else None
    assert shown is None or (shown.tags == [] and shown.text == message), detail
    assert detail.type == "text/html" or detail.value == message
