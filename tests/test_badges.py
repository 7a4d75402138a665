"""Badges: shields-style SVGs with the right text, width and colour per level, rendered by Chromium."""

import io
import pathlib
import xml.etree.ElementTree as ElementTree

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
SVG = "{http://www.w3.org/2000/svg}"
# (service, status id, status name, its level's colour as RGB)
LEVELS = [("Web API", "up", "Up", (0x44, 0xcc, 0x11)), ("Email", "warning", "Warning", (0xdf, 0xb3, 0x17)),
          ("Search", "down", "Down", (0xe0, 0x5d, 0x44)),
          ("Billing", "major-outage", "Major outage", (0xb6, 0x02, 0x05))]


def seed(app):
    """A board with one service at each level (and a CRITICAL status to show it)."""
    from handlers.context import ndb_context
    from models import Event, Service, Status, install

    with app.app_context(), ndb_context(app):
        install()
        Status.create("Major outage", "Everything is down.", "fire", level="CRITICAL")
        for name, status, _, _ in LEVELS:
            Event.post(Service.create(name, f"{name}."), f"{name} is {status}.", status)
        Service.create("<Tricky & \"quoted\">", "Needs escaping.")


def test_text_widths_match_shields_badges():
    from handlers.site.badges import preferred_width

    # shields.io's "build | passing" badge is 37 + 51 px wide, "coverage" 61 px on the left.
    assert [preferred_width(text) + 10 for text in ("build", "passing", "coverage")] == [37, 51, 61]


@pytest.fixture(scope="module")
def seeded(board_app):
    """One seeded board for the module: its tests only read badges."""
    seed(board_app)
    return board_app


def test_badges_are_svg_with_escaped_text_and_cached_like_every_public_read(seeded):
    import webtest

    client = webtest.TestApp(seeded)
    badge = client.get("/badges/web-api.svg")
    assert badge.content_type == "image/svg+xml" and "public" in badge.headers["Cache-Control"]
    root = ElementTree.fromstring(badge.body)
    assert root.find(f"{SVG}title").text == "Web API: Up"
    tricky = client.get("/badges/tricky-quoted.svg")
    assert ElementTree.fromstring(tricky.body).find(f"{SVG}title").text == '<Tricky & "quoted">: Up'
    assert b"<Tricky" not in tricky.body
    assert ElementTree.fromstring(client.get("/badges/board.svg").body).find(f"{SVG}title").text == \
        "Stashboard: major outage"
    unknown = client.get("/badges/nope.svg", status=404)
    assert unknown.content_type == "image/svg+xml" and b"unknown service" in unknown.body
    assert "hit" in client.get("/badges/web-api.svg").headers["Server-Timing"]
    documentation = client.get("/documentation", extra_environ={"HTTP_HOST": "status.example.com"}).text
    assert "[![Web API status](http://status.example.com/badges/web-api.svg)]" in documentation
    assert '&lt;img src="http://status.example.com/badges/board.svg"' in documentation


@pytest.mark.browser
def test_badges_render_in_chromium_in_their_level_colour(browser, seeded):
    from PIL import Image

    from tests.fixtures.browser import LiveServer

    served = LiveServer(seeded)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(device_scale_factor=1)
    try:
        for name, status, status_name, colour in LEVELS:
            slug = name.lower().replace(" ", "-")
            page.goto(f"{served.url}/badges/{slug}.svg")
            box = page.locator("svg").bounding_box()
            assert box["height"] == 20
            shot = page.screenshot(clip=box)
            (SCREENSHOTS / f"badge-{slug}.png").write_bytes(shot)
            image = Image.open(io.BytesIO(shot)).convert("RGB")
            right = image.getpixel((int(box["width"]) - 2, 3))
            left = image.getpixel((1, 10))
            assert all(abs(a - b) <= 24 for a, b in zip(right, colour)), (status, right)
            assert all(abs(a - 0x55) <= 24 for a in left), (status, left)
            assert page.locator("title").text_content() == f"{name}: {status_name}"
            assert page.locator("text").all_text_contents() == [name, name, status_name, status_name]
    finally:
        page.close()
        served.stop()
