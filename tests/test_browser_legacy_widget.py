"""The original Stashboard widget (statusalert.js, vendored unchanged in tests/legacy_widget/),
embedded on another site in headless Chromium and pointed at this board, still works: it reads
/api/v1/services by JSONP and shows the traffic light and the worst service's message."""

import http.server
import json
import pathlib
import threading
import urllib.parse
import urllib.request

import pytest

from tests.fixtures.browser import LiveServer, settle

pytestmark = pytest.mark.browser

WIDGET = pathlib.Path(__file__).resolve().parent / "legacy_widget" / "statusalert.js"
# How customers embedded it: the script, then their board's address.
EMBEDDING_PAGE = """<!doctype html>
<html><head><title>A customer's site</title>
<script src="/js/statusalert.js"></script>
<script>stashboard.host = "{board}";</script>
</head><body><h1>Welcome</h1></body></html>"""


@pytest.fixture(scope="module")
def board(board_app):
    """A seeded demo board (its worst service: Email, warning) and an admin token to change it."""
    server = LiveServer(board_app)
    server.cli("seed-demo")
    server.token = server.cli("create-api-token", "admin@example.com").strip().splitlines()[-1]
    yield server
    server.stop()


def post_event(board, service, status, message):
    """Post an event through the admin API, as monitoring would."""
    request = urllib.request.Request(
        f"{board.url}/admin/api/v1/services/{service}/events",
        data=f"status={status}&message={urllib.parse.quote(message)}".encode(),
        headers={"Authorization": f"Bearer {board.token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status in (200, 201)


class CustomerSite:
    """Another site, on another origin (localhost, where the board is 127.0.0.1), embedding the widget.

    A real server: Chromium lets only a page on the loopback address load from the loopback board.
    """

    def __init__(self, board_url):
        page = EMBEDDING_PAGE.format(board=board_url).encode()
        widget = WIDGET.read_bytes()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body, kind = {"/": (page, "text/html"), "/js/statusalert.js": (widget, "text/javascript")}.get(
                    self.path, (b"", "text/plain"))
                self.send_response(200 if body else 204)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://localhost:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def customer_site(board):
    """The customer's site, embedding the widget pointed at the board."""
    site = CustomerSite(board.url)
    yield site
    site.stop()


def embed(page, site, board):
    """Open the customer's page and wait until the widget has shown the board's state."""
    page.goto(f"{site.url}/")
    page.wait_for_selector("#stashboardStatus img", state="attached")
    settle(page)
    assert page.evaluate("location.origin") == site.url != board.url
    return page


def light(page):
    """The traffic light the widget shows: (its URL, whether the image loaded)."""
    return tuple(page.eval_on_selector(
        "#stashboardStatus img", "img => [img.src, img.complete && img.naturalWidth > 0]"
    ))


def test_a_warning_shows_the_yellow_light_and_the_worst_services_message(page, board, customer_site):
    embed(page, customer_site, board)
    assert light(page) == (f"{board.url}/images/widget/yellow.png", True)
    message = page.inner_text("#stashboardMessage")
    assert message.startswith("Email:")
    assert "Email delivery to some providers is delayed." in message
    icon = page.eval_on_selector("#stashboardMessage img", "img => img.naturalWidth > 0")
    assert icon is True
    assert page.console_errors == [] and page.failed_requests == []


def test_a_service_down_shows_the_red_light_and_that_services_message(page, board, customer_site):
    post_event(board, "sms", "down", "Text messages are not being delivered.")
    embed(page, customer_site, board)
    assert light(page) == (f"{board.url}/images/widget/red.png", True)
    message = page.inner_text("#stashboardMessage")
    assert message.startswith("SMS:") and "Text messages are not being delivered." in message
    assert page.console_errors == [] and page.failed_requests == []


def test_all_up_shows_the_green_light_and_no_message(page, board, customer_site):
    for service in json.load(urllib.request.urlopen(f"{board.url}/api/v1/services", timeout=30))["services"]:
        post_event(board, service["id"], "up", "All good.")
    embed(page, customer_site, board)
    assert light(page) == (f"{board.url}/images/widget/green.png", True)
    assert page.query_selector("#stashboardMessage") is None
    assert page.console_errors == [] and page.failed_requests == []
