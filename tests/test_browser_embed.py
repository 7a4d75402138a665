"""The Statuspage-compatible embed (/embed/script.js) on another site, in headless Chromium: the
site's page (another origin, served by a plain http.server) loads the script from the board and
the pop-up shows what /api/v2/summary.json says, read cross-origin."""

import http.server
import threading
import urllib.parse
import urllib.request

import pytest

from tests.fixtures.browser import LiveServer

pytestmark = pytest.mark.browser

# How sites embed Statuspage's: one script tag, the page's host the only difference.
EMBEDDING_PAGE = """<!doctype html>
<html><head><title>A customer's site</title></head>
<body><h1>Welcome</h1><script src="{board}/embed/script.js"></script></body></html>"""


@pytest.fixture(scope="module")
def board(board_app):
    """A seeded demo board and an admin token to change it."""
    server = LiveServer(board_app)
    server.cli("seed-demo")
    server.token = server.cli("create-api-token", "admin@example.com").strip().splitlines()[-1]
    yield server
    server.stop()


def admin_post(board, path, fields):
    """A form POST to the admin API, as monitoring would make it."""
    request = urllib.request.Request(f"{board.url}/admin/api/v1{path}", data=urllib.parse.urlencode(fields).encode(),
                                     headers={"Authorization": f"Bearer {board.token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status in (200, 201)


@pytest.fixture(scope="module")
def customer_site(board):
    """Another origin (localhost, where the board is 127.0.0.1) whose page embeds the script."""
    body = EMBEDDING_PAGE.format(board=board.url).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            answer = body if self.path == "/" else b""  # nothing else, the favicon included
            self.send_response(200 if answer else 204)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.url = f"http://localhost:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()


def test_the_embedded_script_shows_the_open_incident_from_another_origin(page, board, customer_site):
    admin_post(board, "/incidents", {"title": "Payments failing", "services": "email",
                                     "message": "We are <b>looking</b> into it.", "impact": "major"})
    page.goto(f"{customer_site.url}/")
    popup = page.wait_for_selector("#statuspage-embed")
    assert page.evaluate("location.origin") == customer_site.url != board.url
    assert page.inner_text("#statuspage-embed .statuspage-embed-title") == "Payments failing"
    assert "We are <b>looking</b> into it." in popup.inner_text()  # text, never markup
    assert page.query_selector("#statuspage-embed b") is None
    assert "/incidents/" in page.get_attribute("#statuspage-embed a", "href")
    page.click("#statuspage-embed button")
    assert page.query_selector("#statuspage-embed") is None
    assert page.console_errors == [] and page.failed_requests == []
