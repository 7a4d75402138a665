"""The public site in real headless Chromium, on the seeded demo board (`flask seed-demo`); axe-core's
checks of the same pages are in tests/test_browser_axe.py, which runs beside this module."""

import datetime
import os
import pathlib

import feedparser
import pytest

from tests.fixtures.browser import LiveServer, settle
from tests.fixtures.datastore import make_app

pytestmark = pytest.mark.browser

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
XSS = "<script>alert(1)</script>"


def today():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def days_ago(n):
    return (today() - datetime.timedelta(days=n)).strftime("%Y/%m/%d")


# path, and a piece of text the page must show with or without JavaScript
PAGES = [
    ("/", "Some services have problems"),
    ("/services/payments", "Card payments are failing; we are investigating."),
    (f"/services/payments/{days_ago(3)}", "Payments are processing normally again."),
    ("/service-lists", "Webhooks"),
    ("/service-lists/messaging", "Email delivery to some providers is delayed."),
    ("/summary", "Messaging"),
    ("/documentation", "Status banner for your site"),
    ("/uptime", "Each day shows its worst status"),
    ("/services/payments/uptime", "Uptime of Payments"),
]


def open_page(page, live_server, path):
    """Go to `path` and fail on an error status."""
    response = page.goto(live_server.url + path)
    assert response.status == 200, path
    return response


@pytest.mark.parametrize("path,text", PAGES)
def test_page_loads_without_console_errors_or_failed_requests(page, live_server, path, text):
    open_page(page, live_server, path)
    settle(page)
    assert page.get_by_text(text).first.is_visible()
    assert page.console_errors == []
    assert page.failed_requests == []


def test_front_page_shows_each_services_current_status(page, live_server):
    open_page(page, live_server, "/")
    row = page.locator('tr[data-service="email"]')
    assert row.locator(".status").inner_text().strip() == "Warning"
    assert page.locator('tr[data-service="web-api"] .status').inner_text().strip() == "Up"
    sms = page.locator('tr[data-service="sms"]')
    assert "Note:" in sms.inner_text() and "Scheduled maintenance" in sms.inner_text()
    assert page.locator(".banner .affected").inner_text().strip() == "Email: Warning"
    # 90 bars, oldest first, drawn side by side: the fourth from the right is three days ago.
    days = drawn_days(page.locator('tr[data-service="payments"] .bar-strip'))
    assert len(days) == 90 and all(day["width"] >= 2 for day in days)
    assert all(abs(after["left"] - before["left"] - before["width"] - 2) < 0.5 for before, after in zip(days, days[1:]))
    assert "Down" in days[86]["label"] and days[86]["level"] == "b-error" and days[86]["link"]
    assert {day["level"] for day in days[87:]} == {""} and not any(day["link"] for day in days[87:])


def test_day_bars_work_by_keyboard_and_show_their_tooltip_on_a_phone(browser, live_server):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    open_page(page, live_server, "/")
    strip = page.locator('tr[data-service="payments"] .bar-strip')
    # A phone shows the last 30 days, filling the strip, each bar at least a few pixels wide.
    box = strip.bounding_box()
    days = drawn_days(strip)
    shown = [day for day in days if day["left"] >= box["x"] - 0.5 and day["left"] + day["width"] <= box["x"] + box["width"] + 0.5]
    assert shown == days[60:] and all(day["width"] >= 5 for day in shown)
    assert abs(shown[0]["left"] - box["x"]) < 1 and abs(shown[-1]["left"] + shown[-1]["width"] - box["x"] - box["width"]) < 1
    # One tab stop per strip, its newest day; the arrow keys move along it, day or run of days.
    assert strip.locator('[tabindex="0"]').count() == 1
    strip.locator(":scope > li").last.focus()
    for _ in range(5):
        page.keyboard.press("ArrowLeft")
        if (page.evaluate("document.activeElement.getAttribute('href')") or "").endswith(days_ago(3)):
            break
    assert page.evaluate("document.activeElement.getAttribute('href')").endswith(days_ago(3))
    tip = strip.locator("a:focus span")
    assert "Down for 1 h 30 min" in tip.inner_text() and tip.bounding_box()["width"] > 100
    # The run of days after it, focused, shows its dates as its tooltip.
    page.keyboard.press("ArrowRight")
    tip = strip.locator("li:focus > span")
    assert tip.inner_text().endswith("No problems") and " – " in tip.inner_text()
    assert tip.bounding_box()["width"] > 100 and tip.bounding_box()["x"] >= box["x"] - 1
    context.close()


def drawn_days(strip):
    """Each day of a strip as drawn, oldest first: its bar's left edge and width (an item
    spanning N days draws N bars, site.css), its text alternative, class and whether a link."""
    return strip.evaluate("""strip => [...strip.children].flatMap(li => {
        const n = parseInt(getComputedStyle(li).getPropertyValue("--n"), 10), box = li.getBoundingClientRect();
        const step = (box.width + 2) / n, level = (li.className.match(/b-\\w+/) || [""])[0];
        return Array.from({length: n}, (_, i) => ({left: box.left + i * step, width: step - 2, level: level,
            label: li.querySelector("span").textContent, link: !!li.querySelector("a")}));
    })""")


def test_summary_shows_each_lists_worst_status(page, live_server):
    open_page(page, live_server, "/summary")
    assert page.locator('tr[data-list="messaging"] .status').inner_text().strip() == "Warning"
    assert page.locator('tr[data-list="core"] .status').inner_text().strip() == "Up"


def test_times_are_shown_in_the_readers_time_zone(browser, live_server):
    context = browser.new_context(timezone_id="Asia/Tokyo", locale="en-GB")
    page = context.new_page()
    open_page(page, live_server, "/services/payments")
    first = page.locator(".events time").first
    assert "UTC" not in first.inner_text()
    assert "UTC" in first.get_attribute("title")
    context.close()


@pytest.fixture(scope="module")
def no_script_page(browser):
    """One page with JavaScript off for the module's no-script tests: each goes to its own
    path, and with no script running nothing is left behind from one test to the next."""
    context = browser.new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("path,text", PAGES)
def test_page_renders_its_content_with_javascript_off(no_script_page, live_server, path, text):
    page = no_script_page
    open_page(page, live_server, path)
    assert page.get_by_text(text).first.is_visible()
    if path == "/":
        assert page.locator("tr.service-row").count() == 6
        assert "UTC" in page.locator("tr.service-row time").first.inner_text()


def test_front_page_screenshots_at_desktop_and_phone_widths_light_and_dark(browser, live_server, capsys):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # One page for the four shots (a new page costs a renderer process): each sets its
    # viewport and colour scheme, then loads the front page afresh.
    context = browser.new_context()
    page = context.new_page()
    for width, height in ((1280, 800), (360, 740)):
        for scheme in ("light", "dark"):
            page.set_viewport_size({"width": width, "height": height})
            page.emulate_media(color_scheme=scheme)
            open_page(page, live_server, "/")
            # Nothing may stick out sideways on a phone: the page scrolls only vertically.
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            assert page.evaluate("[...document.querySelectorAll('.table-scroll')].every("
                                 "el => el.scrollWidth <= el.clientWidth)")
            page.screenshot(path=SCREENSHOTS / f"front-{width}-{scheme}.png", full_page=True)
            if (width, scheme) == (1280, "light") and os.environ.get("UPDATE_README_SCREENSHOT"):
                # The README's picture is refreshed on request only, so test runs leave git clean.
                page.screenshot(path=ROOT / "docs" / "screenshot.png")
    context.close()
    assert len(list(SCREENSHOTS.glob("front-*.png"))) >= 4
    with capsys.disabled():
        print(f"\nScreenshots of the front page: {SCREENSHOTS.relative_to(ROOT)}/")


def test_widget_shows_a_banner_for_services_that_are_not_normal(page, live_server):
    host = f"{live_server.url}/company-site"  # a page of "another site", served by the browser itself
    snippet = f'<script src="{live_server.url}/static/js/widget.js" async></script>'
    page.route(host, lambda route: route.fulfill(content_type="text/html", body=f"<!doctype html><title>Acme</title><p>Acme</p>{snippet}"))
    page.goto(host)
    banner = page.locator(".stashboard-banner")
    banner.wait_for()
    assert "Email: Warning" in banner.inner_text()
    assert "Payments" not in banner.inner_text()
    assert page.console_errors == [] and page.failed_requests == []


def test_widget_watching_one_up_service_shows_nothing(page, live_server):
    host = f"{live_server.url}/company-site"
    snippet = (f'<div id="here"></div><script src="{live_server.url}/static/js/widget.js" '
               'data-service="payments" data-target="here"></script>')
    page.route(host, lambda route: route.fulfill(content_type="text/html", body=f"<!doctype html><title>Acme</title>{snippet}"))
    with page.expect_response(lambda response: "/api/v1/services/payments" in response.url):
        page.goto(host)
    settle(page)
    assert page.locator(".stashboard-banner").count() == 0


# --- a board where an event message is a script ------------------------------


@pytest.fixture(scope="module")
def hostile_server(emulator):
    """The demo board, plus an event whose message is markup that would run if not escaped."""
    from handlers.context import ndb_context
    from models import Event, Service

    server = LiveServer(make_app())
    server.cli("seed-demo")
    with server.app.app_context(), ndb_context(server.app):
        Event.post(Service.get_or_404("webhooks"), XSS, "down")
    yield server
    server.stop()


@pytest.mark.parametrize(
    "path", ["/", "/services/webhooks", f"/services/webhooks/{today():%Y/%m/%d}", "/service-lists"]
)
def test_script_in_an_event_message_shows_as_text_and_never_runs(page, hostile_server, path):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(hostile_server.url + path)
    settle(page)
    assert page.get_by_text(XSS).first.is_visible()
    assert dialogs == []
    assert page.console_errors == []


@pytest.mark.parametrize("path", ["/rss", "/atom"])
def test_script_in_an_event_message_is_text_in_the_feeds(page, hostile_server, path):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    response = page.goto(hostile_server.url + path)
    feed = feedparser.parse(response.body())
    assert feed.bozo == 0
    assert feed.entries[0].title == f"[Webhooks - Down] {XSS}"
    assert dialogs == []


def test_script_in_an_event_message_is_text_in_the_widget(page, hostile_server):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    host = f"{hostile_server.url}/company-site"
    snippet = f'<script src="{hostile_server.url}/static/js/widget.js"></script>'
    page.route(host, lambda route: route.fulfill(content_type="text/html", body=f"<!doctype html><title>Acme</title>{snippet}"))
    page.goto(host)
    banner = page.locator(".stashboard-banner")
    banner.wait_for()
    assert XSS in banner.inner_text()
    assert banner.locator("script").count() == 0
    assert dialogs == []
