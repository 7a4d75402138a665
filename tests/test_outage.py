"""With the Datastore away, readers get the last good answer at once and writers a clean 503."""

import json
import os
import pathlib
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.fixtures.datastore import make_app
from tests.fixtures.faults import DatastoreProxy
from tools.emulator import free_port

# Timing-bound (a stopped emulator, deadlines): in make test-slow.
pytestmark = pytest.mark.slow

ROOT = pathlib.Path(__file__).resolve().parent.parent
SERVED = ["/", "/services/web-api", "/rss", "/api/v1/services", "/api/v1/services/web-api",
          "/api/v1/services?callback=board.show"]


class Answer:
    """A response read with urllib, errors included."""

    def __init__(self, status, headers, body, seconds):
        self.status, self.headers, self.body, self.seconds = status, headers, body, seconds
        self.text = body.decode("utf-8", "replace")


class Server:
    """The app under gunicorn (as App Engine runs it), reaching the Datastore through `proxy`."""

    def __init__(self, namespace, proxy):
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "DATASTORE_EMULATOR_HOST": proxy.host, "NDB_NAMESPACE": namespace,
               "SECRET_KEY": "test-secret", "DATASTORE_READ_DEADLINE": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", "1", "--threads", "4", "main:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while self.request("/robots.txt").status != 200:
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)

    def request(self, path, data=None, headers=None):
        """GET (or POST `data`) `path`; never raises for an HTTP error."""
        started = time.monotonic()
        request = urllib.request.Request(self.url + path, data=data, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return Answer(response.status, response.headers, response.read(), time.monotonic() - started)
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.headers, error.read(), time.monotonic() - started)
        except OSError:
            return Answer(None, {}, b"", time.monotonic() - started)

    def stop(self):
        """Stop gunicorn."""
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def outage(emulator):
    """A seeded board served by gunicorn through a proxy to the emulator that the test can cut."""
    from handlers.context import ndb_context
    from models import ApiToken, Event, Service, install

    app = make_app()
    with app.app_context(), ndb_context(app):
        install()
        Event.post(Service.create("Web API", "The API."), "All good.", "up")
        token = ApiToken.issue_to_admin("admin@example.com", "tests", added_by="tests")[1]
    proxy = DatastoreProxy(emulator.host)
    server = Server(app.config["NDB_NAMESPACE"], proxy)
    server.proxy, server.token = proxy, token
    yield server
    server.stop()
    proxy.close()


def post_event(server, message):
    """Post an event through the admin API with the test's token."""
    data = urllib.parse.urlencode({"message": message, "status": "down"}).encode()
    return server.request("/admin/api/v1/services/web-api/events", data,
                          {"Authorization": f"Bearer {server.token}"})


def wait_for(check, seconds):
    """Call `check` until it is true or `seconds` pass; answers its last result."""
    deadline = time.monotonic() + seconds
    while not (result := check()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return result


def test_with_the_datastore_down_reads_answer_the_last_good_render_at_once_and_writes_a_503(outage):
    live = {path: outage.request(path) for path in SERVED}
    assert all(answer.status == 200 for answer in live.values())
    outage.proxy.down()
    for path in SERVED:  # still current as far as the instance knows: plain cache hits
        answer = outage.request(path)
        assert (answer.status, "All good." in answer.text) == (200, True), path
        assert answer.seconds < 1.0, (path, answer.seconds)
    time.sleep(2.5)  # the instance's next look for other instances' writes finds the Datastore away
    for path in SERVED:
        answer = outage.request(path)
        assert answer.status == 200, path
        assert answer.seconds < 1.0, (path, answer.seconds)
        assert answer.headers["X-Stashboard-Stale"], path
        assert "All good." in answer.text, path
    page = outage.request("/")
    assert "live data is unavailable" in page.text and "stale-note" in page.text
    assert outage.request("/api/v1/services").body == live["/api/v1/services"].body

    never_read = outage.request("/summary")
    assert never_read.status == 503 and never_read.headers["Retry-After"]
    assert "text/html" in never_read.headers["Content-Type"] and "Traceback" not in never_read.text
    api = outage.request("/api/v1/statuses")
    assert api.status == 503 and json.loads(api.body)["code"] == 503 and api.headers["Retry-After"]

    write = post_event(outage, "Written during the outage.")
    assert write.status == 503 and write.headers["Retry-After"]
    assert json.loads(write.body)["error"] is True and write.seconds < 5

    outage.proxy.up()
    fresh = wait_for(lambda: (a := outage.request("/api/v1/services")).status == 200
                     and "X-Stashboard-Stale" not in a.headers and a, 10)
    assert fresh, "live data did not come back"
    assert "Written during the outage." not in outage.request("/services/web-api").text
    assert post_event(outage, "Written after the outage.").status == 201
    assert "Written after the outage." in outage.request("/").text


def test_with_the_datastore_too_slow_reads_fall_back_to_the_last_good_render(outage):
    assert outage.request("/api/v1/services/web-api").status == 200
    outage.proxy.slow(5)
    time.sleep(2.5)  # the next request looks for other instances' writes, and waits at most a second
    answers = [outage.request("/api/v1/services/web-api") for _ in range(4)]
    assert all(answer.status == 200 and answer.headers["X-Stashboard-Stale"] for answer in answers)
    assert all(answer.seconds < 2.0 for answer in answers), [answer.seconds for answer in answers]
    # Several RPCs out of time: the Datastore counts as away, and answers come at once.
    assert answers[-1].seconds < 0.5, [answer.seconds for answer in answers]
    outage.proxy.up()
