"""The Content-Security-Policy in real Chromium: every page works under it, and markup typed
into the board stays text, on our pages and in the widget and JSONP on another site's page."""

import datetime
import http.server
import threading

import feedparser
import pytest

from handlers.security import NOT_A_PAGE_POLICY, PRIVATE_PAGE_POLICY, PUBLIC_PAGE_POLICY
from models.fields import slug_for
from tests.fixtures.browser import LiveServer, settle

pytestmark = pytest.mark.browser

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)"
NAME = f"Search {IMG}"
MESSAGE = f"{SCRIPT} see {JS_URL} {IMG}"
LIST_NAME = f"Partners {SCRIPT}"
STATUS_NAME = f"Degraded {IMG}"
SERVICE, LIST, STATUS = slug_for(NAME), slug_for(LIST_NAME), slug_for(STATUS_NAME)


def today():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


@pytest.fixture(scope="module")
def hostile(board_app):
    """The demo board plus a list, a status, a service and an event whose every text is markup."""
    from handlers.context import ndb_context
    from models import Event, Service, ServiceList, Status

    board_app.config.update(OIDC_CLIENT_ID="test.apps.googleusercontent.com", OIDC_CLIENT_SECRET="x")
    server = LiveServer(board_app)
    server.cli("seed-demo")
    with server.app.app_context(), ndb_context(server.app):
        ServiceList.create(LIST_NAME, IMG)
        Status.create(STATUS_NAME, f"Slow {SCRIPT}", "clock", "WARNING")
        Event.post(Service.create(NAME, f"{SCRIPT} {JS_URL}", LIST), MESSAGE, STATUS)
    yield server
    server.stop()


class OtherSite:
    """Another origin (127.0.0.1 on its own port) serving the pages a test gives it, with their CSP."""

    def __init__(self):
        self.pages = {}
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                content_type, body, policy = site.pages.get(self.path, ("text/plain", "not found", None))
                self.send_response(200 if self.path in site.pages else 404)
                self.send_header("Content-Type", content_type)
                if policy:
                    self.send_header("Content-Security-Policy", policy)
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def page(self, path, body, policy, content_type="text/html"):
        """Serve `body` at `path` under `policy`; answers its URL."""
        self.pages[path] = (content_type, body, policy)
        return self.url + path


@pytest.fixture(scope="module")
def other_site():
    site = OtherSite()
    yield site
    site.server.shutdown()


@pytest.fixture
def dialogs(page):
    """Every alert() that opens on `page` (none should)."""
    opened = []
    page.on("dialog", lambda dialog: (opened.append(dialog.message), dialog.dismiss()))
    return opened


def csp_errors(page):
    return [text for text in page.console_errors if "Content Security Policy" in text or "Refused" in text]


PUBLIC_PAGES = [
    "/",
    f"/services/{SERVICE}",
    f"/services/{SERVICE}/{today():%Y/%m/%d}",
    f"/services/{SERVICE}/{today():%Y}",
    "/service-lists",
    f"/service-lists/{LIST}",
    "/summary",
    "/documentation",
]
ADMIN_PAGES = [
    "/admin/",
    f"/admin/services/{SERVICE}",
    f"/admin/services/{SERVICE}/edit",
    f"/admin/services/{SERVICE}/delete",
    "/admin/services/new",
    "/admin/statuses/",
    f"/admin/statuses/{STATUS}/edit",
    "/admin/lists/",
    f"/admin/lists/{LIST}/edit",
    "/admin/audit",
    "/admin/credentials",
    "/admin/admins",
]


# --- the public pages ----------------------------------------------------------------


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_run_under_the_csp_and_show_markup_as_text(page, hostile, dialogs, path):
    response = page.goto(hostile.url + path)
    assert response.status == 200
    assert response.headers["content-security-policy"] == PUBLIC_PAGE_POLICY
    settle(page)
    assert page.console_errors == []
    assert page.failed_requests == []
    assert dialogs == []
    # What was typed as markup is on the page as text, and made no element.
    if path != "/documentation":
        assert page.get_by_text(IMG, exact=False).count() >= 1
        assert page.locator("img[src='x']").count() == 0
        assert page.locator("main script").count() == 0


def test_the_error_page_runs_under_the_csp(page, hostile, dialogs):
    response = page.goto(f"{hostile.url}/services/{SCRIPT}")
    assert response.status == 404
    assert response.headers["content-security-policy"] == PUBLIC_PAGE_POLICY
    settle(page)
    assert csp_errors(page) == [] and dialogs == []


def test_site_js_still_localises_times_and_may_fetch_the_board(browser, hostile):
    context = browser.new_context(timezone_id="Asia/Tokyo", locale="en-GB")
    page = context.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(f"{hostile.url}/services/{SERVICE}")
    first = page.locator(".events time").first
    assert "UTC" not in first.inner_text()
    assert "UTC" in first.get_attribute("title")
    # The front page's refresh fetches its own URL: connect-src 'self' allows that, and only that.
    assert page.evaluate("fetch(location.href).then(r => r.status)") == 200
    assert page.evaluate("fetch('http://127.0.0.2:9/').then(() => 'fetched', () => 'refused')") == "refused"
    assert errors and all("Content Security Policy" in error for error in errors)
    assert "connect-src" in errors[0]
    context.close()


def test_markup_slipped_past_the_server_still_would_not_run(page, hostile, dialogs):
    """The policy is the second line: even an injected handler, script or javascript: link is refused."""
    page.goto(hostile.url + "/")
    page.evaluate("""() => {
        document.body.insertAdjacentHTML('beforeend',
            '<img id="x1" src="/nope.png" onerror="alert(1)"><a id="x2" href="javascript:alert(2)">x</a>');
        const script = document.createElement('script');
        script.textContent = 'alert(3)';
        document.body.appendChild(script);
    }""")
    page.locator("#x2").click()
    # Wait until Chromium has refused all three (not a fixed time): after that nothing is left to run.
    for _ in range(100):
        refusals = " ".join(csp_errors(page))
        if all(word in refusals for word in ("inline event handler", "inline script")) and (
                "JavaScript URL" in refusals or "javascript:" in refusals):
            break
        page.wait_for_timeout(50)
    assert dialogs == []
    refusals = " ".join(csp_errors(page))
    assert "inline event handler" in refusals
    assert "inline script" in refusals
    assert "JavaScript URL" in refusals or "javascript:" in refusals


@pytest.mark.parametrize("path", ["/rss", "/atom", "/api/v1/services", "/api/v1/services?callback=show"])
def test_feeds_and_the_api_opened_in_the_browser_are_inert(page, hostile, dialogs, path):
    response = page.goto(hostile.url + path)
    assert response.headers["content-security-policy"] == NOT_A_PAGE_POLICY
    settle(page)
    assert dialogs == [] and csp_errors(page) == []
    if path in ("/rss", "/atom"):
        feed = feedparser.parse(response.body())
        assert feed.bozo == 0
        assert f"[{NAME} - Degraded {IMG}] {MESSAGE}" in [entry.title for entry in feed.entries]


# --- framing -----------------------------------------------------------------------


def test_other_sites_may_frame_the_public_pages_but_never_admin_or_sign_in(page, hostile, other_site):
    url = other_site.page(
        "/frames",
        f'<!doctype html><title>Help centre</title><iframe name="status" src="{hostile.url}/"></iframe>'
        f'<iframe name="signin" src="{hostile.url}/auth/sign-in"></iframe>',
        None,
    )
    page.goto(url)
    settle(page)
    status = page.frame(name="status")
    assert status.locator("h1").first.inner_text().strip() != ""
    blocked = csp_errors(page)
    assert len(blocked) == 1 and "frame-ancestors 'none'" in blocked[0]
    assert page.frame(name="signin").url.startswith("chrome-error://")  # Chromium's "refused to connect"


# --- the admin and sign-in pages ---------------------------------------------------------


def test_admin_pages_run_under_the_csp_and_show_markup_as_text(page, hostile, dialogs):
    response = page.goto(f"{hostile.url}/auth/sign-in?next=javascript:alert(1)")
    assert response.headers["content-security-policy"] == PRIVATE_PAGE_POLICY
    assert response.headers["x-frame-options"] == "DENY"
    page.get_by_role("link", name="Local development sign-in").click()
    page.get_by_label("Email").fill("admin@example.com")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{hostile.url}/admin/")  # `next` was no local path, so the admin home
    for path in ADMIN_PAGES:
        response = page.goto(hostile.url + path)
        assert response.status == 200, path
        assert response.headers["content-security-policy"] == PRIVATE_PAGE_POLICY, path
        settle(page)
        assert page.locator("img[src='x']").count() == 0, path
        assert page.locator("main script").count() == 0, path
    page.goto(f"{hostile.url}/admin/services/{SERVICE}")
    assert page.get_by_text(MESSAGE).first.is_visible()
    assert page.get_by_role("heading", name=NAME).is_visible()
    # A form the admin submits works under form-action 'self' (a note on a service that is up,
    # so the other tests' banner and current event stay as they were).
    page.goto(f"{hostile.url}/admin/services/webhooks")
    form = page.locator("#event-form")
    form.get_by_label("Message", exact=True).fill(f"Update {SCRIPT}")
    form.get_by_role("button", name="Post event").click()
    page.get_by_text(f"Update {SCRIPT}").first.wait_for()
    assert page.console_errors == [] and page.failed_requests == []
    assert dialogs == []


def test_sign_in_with_google_may_leave_for_google_under_form_action(page, hostile):
    page.route("https://accounts.google.com/**", lambda route: route.fulfill(
        content_type="text/html", body="<!doctype html><title>Google</title><h1>Choose an account</h1>"))
    page.goto(f"{hostile.url}/auth/sign-in")
    page.get_by_role("button", name="Sign in with Google").click()
    page.get_by_role("heading", name="Choose an account").wait_for()
    assert page.url.startswith("https://accounts.google.com/o/oauth2/")
    assert csp_errors(page) == []


# --- the widget and JSONP on another site's page, under that site's own CSP -----------------


def strict_policy_allowing(board_url):
    """A careful site's CSP that lets in the board's widget and API, and nothing else."""
    return f"default-src 'none'; script-src 'self' {board_url}; connect-src {board_url}; style-src 'self'"


def test_the_widget_renders_its_banner_on_another_origin_under_its_csp(page, hostile, other_site, dialogs):
    url = other_site.page(
        "/status-widget",
        f'<!doctype html><title>Acme</title><p>Acme support</p>'
        f'<script src="{hostile.url}/static/js/widget.js" async></script>',
        strict_policy_allowing(hostile.url),
    )
    page.goto(url)
    banner = page.locator(".stashboard-banner")
    banner.wait_for()
    text = banner.inner_text()
    assert f"{NAME}: Degraded {IMG}" in text and MESSAGE in text
    assert banner.locator("img, script").count() == 0
    assert banner.locator("[dir=auto]").count() >= 3
    assert page.evaluate("getComputedStyle(document.querySelector('.stashboard-banner')).borderLeftWidth") == "6px"
    settle(page)
    assert page.console_errors == [] and page.failed_requests == []
    assert dialogs == []


def test_jsonp_on_another_origin_hands_over_markup_as_data(page, hostile, other_site, dialogs):
    other_site.page(
        "/show.js",
        "function show(body) { document.getElementById('out').textContent = body.message; }",
        None,
        "application/javascript",
    )
    url = other_site.page(
        "/jsonp",
        f'<!doctype html><title>Acme</title><p id="out"></p><script src="/show.js"></script>'
        f'<script src="{hostile.url}/api/v1/services/{SERVICE}/events/current?callback=show"></script>',
        strict_policy_allowing(hostile.url),
    )
    page.goto(url)
    settle(page)
    assert page.locator("#out").inner_text() == MESSAGE
    assert page.locator("img[src='x']").count() == 0
    assert page.console_errors == [] and dialogs == []
