"""Fixtures: one Datastore emulator per test session, a fresh namespace per test."""

import os
import pathlib
import uuid

import pytest
import webtest

from tools.emulator import Emulator, EmulatorMissing

ROOT = pathlib.Path(__file__).resolve().parent.parent
ADMIN_EMAIL = "admin@example.com"


@pytest.fixture(scope="session")
def emulator():
    """The real Cloud Datastore emulator, enforcing index.yaml."""
    try:
        running = Emulator(ROOT / "index.yaml")
    except EmulatorMissing as error:
        pytest.exit(str(error), returncode=3)
    os.environ.update(running.environment(project="stashboard-test"))
    yield running
    running.stop()


@pytest.fixture
def app(emulator):
    """The app on its own empty namespace: no test sees another's data."""
    return _make_app()


@pytest.fixture
def client(app):
    """A WebTest client that answers errors instead of raising on them."""
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": "status.example.com"})


@pytest.fixture
def ndb_context(app):
    """An NDB context on the test's namespace, for arranging and inspecting data directly."""
    from handlers.context import ndb_context as context

    with context(app):
        yield


@pytest.fixture
def token(app):
    """An admin API token, issued the way `create-api-token` issues it."""
    from handlers.context import ndb_context as context
    from models import ApiToken

    with context(app):
        return ApiToken.issue(ADMIN_EMAIL, "tests")[1]


class Admin:
    """The admin API as a monitoring script would call it, with a bearer token."""

    ROOT = "/admin/api/v1"

    def __init__(self, client, token):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def post(self, path, params=None, status=None, **kwargs):
        """POST form fields under /admin/api/v1."""
        return self.client.post(
            self.ROOT + path, params or {}, headers=self.headers, status=status or "*", **kwargs
        )

    def post_json(self, path, body, status=None):
        """POST a JSON object under /admin/api/v1."""
        return self.client.post_json(self.ROOT + path, body, headers=self.headers, status=status or "*")

    def delete(self, path, status=None):
        """DELETE under /admin/api/v1."""
        return self.client.delete(self.ROOT + path, headers=self.headers, status=status or "*")

    def get(self, path, status=None, **kwargs):
        """GET under /admin/api/v1."""
        return self.client.get(self.ROOT + path, status=status or "*", **kwargs)


@pytest.fixture
def admin(client, token):
    """An authenticated admin API client."""
    return Admin(client, token)


@pytest.fixture
def service(admin):
    """A service 'web-api' in a list 'core', with no events yet."""
    admin.post("/service-lists", {"name": "Core", "description": "Core services"}, status=201)
    return admin.post(
        "/services", {"name": "Web API", "description": "The API", "list": "core"}, status=201
    ).json


# --- the site in a real browser ----------------------------------------------

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class LiveServer:
    """The app served over HTTP on a free port, in a thread, on its own namespace."""

    def __init__(self, app):
        import threading

        from werkzeug.serving import make_server

        from tools.emulator import free_port

        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = make_server("127.0.0.1", self.port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def cli(self, *args):
        """Run a `flask --app main` command against this server's board."""
        result = self.app.test_cli_runner().invoke(args=list(args))
        assert result.exit_code == 0, result.output
        return result.output

    def stop(self):
        """Stop serving."""
        self.server.shutdown()


def _make_app(**overrides):
    from main import create_app

    settings = {
        "TESTING": True,
        "NDB_NAMESPACE": f"test-{uuid.uuid4().hex}",
        "ADMIN_EMAILS": [ADMIN_EMAIL],
        "SECRET_KEY": "test-secret",
    }
    settings.update(overrides)
    return create_app(settings)


@pytest.fixture(scope="module")
def live_server(emulator):
    """The app on a seeded demo board (`flask seed-demo`), served over HTTP for the browser."""
    server = LiveServer(_make_app())
    server.cli("seed-demo")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (Debian's) driven by Playwright.

    Without Chromium the browser tests are skipped loudly on a developer's machine,
    and fail under CI=true, where a missing browser is a broken set-up.
    """
    if not os.path.exists(CHROMIUM):
        message = (
            f"Chromium not found at {CHROMIUM}: browser tests need it "
            "(apt-get install chromium, or set CHROMIUM_PATH)."
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        print(f"\n*** SKIPPING BROWSER TESTS: {message} ***\n")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser page that records console errors and failed requests."""
    context = browser.new_context()
    page = context.new_page()
    page.console_errors = []
    page.failed_requests = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    page.on("requestfailed", lambda request: page.failed_requests.append(request.url))
    page.on(
        "response",
        lambda response: response.status >= 400 and page.failed_requests.append(
            f"{response.status} {response.url}"
        ),
    )
    yield page
    context.close()
