"""Notifications out: the outbox record commits with the change; the worker delivers it, signed, once."""

import hashlib
import hmac
import json
import os
import pathlib
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
import webtest

from config import LOCAL_DEVELOPMENT_VARIABLE
from tests.fixtures.datastore import ADMIN_EMAIL, make_app
from tests.fixtures.served import LocalServer, wait_for
from tools.emulator import free_port

ROOT = pathlib.Path(__file__).resolve().parent.parent


def board(app, *subscribers):
    """Install the board with a service 'web-api' and the given (name, url, format) subscribers;
    answers (admin token, {name: subscriber secret})."""
    from handlers.context import ndb_context
    from models import ApiToken, Service, install
    from models.subscribers import Subscriber

    with app.app_context(), ndb_context(app):
        install()
        Service.create("Web API", "The API.")
        secrets = {name: Subscriber.create(name, url, fmt).secret for name, url, fmt in subscribers}
        return ApiToken.issue_to_admin(ADMIN_EMAIL, "tests", added_by="tests")[1], secrets


def verify(secret, request):
    """Whether a received request carries a valid X-Stashboard-Signature for its body."""
    fields = dict(part.split("=", 1) for part in request["headers"]["X-Stashboard-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{fields['t']}.".encode() + request["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


@pytest.fixture
def subscriber():
    """A subscriber endpoint on 127.0.0.1 that fails twice, then succeeds."""
    server = LocalServer([500, 503, 200])
    yield server
    server.stop()


def test_a_subscriber_failing_twice_gets_the_change_exactly_once_signed_after_retries(emulator, subscriber):
    app = make_app(OUTBOX_BACKOFF_SECONDS=0.2)
    token, secrets = board(app, ("Ops hook", subscriber.url, "json"))
    client = webtest.TestApp(app)
    client.post("/admin/api/v1/services/web-api/events", {"status": "down", "message": "Checkout <502> & co"},
                headers={"Authorization": f"Bearer {token}"}, status=201)
    assert subscriber.requests == []  # the write has answered; nothing was sent while it waited

    def delivered():
        client.get("/_tasks/outbox/sweep")
        return [r for r in subscriber.requests if r["answered"] == 200]

    assert wait_for(delivered, 15, step=0.1)
    for _ in range(5):  # later sweeps send nothing more
        time.sleep(0.1)
        client.get("/_tasks/outbox/sweep")
    assert [r["answered"] for r in subscriber.requests] == [500, 503, 200]
    assert all(verify(secrets["Ops hook"], r) for r in subscriber.requests)
    assert len({r["headers"]["X-Stashboard-Delivery"] for r in subscriber.requests}) == 1
    body = json.loads(subscriber.requests[-1]["body"])
    assert (body["kind"], body["service"]["id"], body["status"]["id"]) == ("status", "web-api", "down")
    assert body["message"] == "Checkout <502> & co" and body["previous_status"] is None

    from handlers.context import ndb_context
    from models.outbox import Delivery

    with ndb_context(app):
        (delivery,) = Delivery.newest()
    assert (delivery.state, delivery.attempts, [e["status"] for e in delivery.log]) == ("delivered", 3, [500, 503, 200])


def test_a_slack_subscriber_gets_escaped_text_and_blocks(emulator):
    server = LocalServer([200])
    try:
        app = make_app()
        token, _ = board(app, ("Slack", server.url, "slack"))
        client = webtest.TestApp(app)
        client.post("/admin/api/v1/services/web-api/events", {"status": "down", "message": "<!channel> & <b>"},
                    headers={"Authorization": f"Bearer {token}"}, status=201)
        client.get("/_tasks/outbox/sweep")
        body = json.loads(server.requests[0]["body"])
        assert body["text"] == "Web API is Down: &lt;!channel&gt; &amp; &lt;b&gt;"
        assert body["blocks"][0]["text"] == {"type": "mrkdwn", "text": body["text"]}
    finally:
        server.stop()


def test_private_targets_are_refused_unless_allowed(emulator):
    from workers import outbound

    server = LocalServer([200])
    try:
        assert outbound.request("GET", server.url, allow_private=True).status == 200
        for url in (server.url, "http://169.254.169.254/computeMetadata/v1/", "http://[::1]/", "http://10.0.0.1/",
                    "file:///etc/passwd", "http://localhost/"):
            result = outbound.request("GET", url, allow_private=False)
            assert result.status is None and result.error.startswith("refused"), url
        app = make_app(ALLOW_PRIVATE_TARGETS=False, OUTBOX_MAX_ATTEMPTS=1)
        token, _ = board(app, ("Inside", server.url, "json"))
        client = webtest.TestApp(app)
        client.post("/admin/api/v1/services/web-api/events", {"status": "down", "message": "x"},
                    headers={"Authorization": f"Bearer {token}"}, status=201)
        assert client.get("/_tasks/outbox/sweep").json["failed"] == 1
        assert [r["method"] for r in server.requests] == ["GET"]  # only the allowed request above
    finally:
        server.stop()


def test_a_refused_write_enqueues_nothing(client, admin, service):
    from handlers.context import ndb_context
    from models.outbox import Notification

    admin.post("/services/web-api/events", {"status": "no-such-status", "message": "x"}, status=404)
    admin.post("/services/web-api/events", {"status": "down", "message": ""}, status=400)
    with ndb_context(client.app):
        assert Notification.query().fetch() == []
        with pytest.raises(RuntimeError):
            from models import outbox

            outbox.enqueue("status", {})


def gunicorn(namespace, port):
    """The app under gunicorn, as App Engine runs it, sending only from the sweep."""
    env = {**os.environ, "NDB_NAMESPACE": namespace, "SECRET_KEY": "test-secret", "OUTBOX_DISPATCH": "sweep",
           LOCAL_DEVELOPMENT_VARIABLE: "1"}  # its subscriber is on 127.0.0.1
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", "1", "main:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )

    def up():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/robots.txt", timeout=2):
                return True
        except OSError:
            return False

    assert wait_for(up, 60, step=0.2), "gunicorn did not start"
    return process


def test_stopping_the_app_between_the_write_and_the_delivery_loses_nothing(emulator):
    server = LocalServer([200])
    app = make_app()
    token, _ = board(app, ("Ops hook", server.url, "json"))
    port = free_port()
    first = gunicorn(app.config["NDB_NAMESPACE"], port)
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/admin/api/v1/services/web-api/events",
            data=b"status=down&message=Written+then+killed", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # master and worker: no shutdown, no goodbye
        first.wait(timeout=10)
    assert server.requests == []
    port = free_port()
    second = gunicorn(app.config["NDB_NAMESPACE"], port)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_tasks/outbox/sweep", timeout=30) as response:
            assert json.loads(response.read())["delivered"] == 1
        assert [json.loads(r["body"])["message"] for r in server.requests] == ["Written then killed"]
    finally:
        second.terminate()
        second.wait(timeout=10)
        server.stop()


def test_in_a_local_run_a_write_sets_the_delivery_going_without_waiting_for_it(emulator):
    import threading

    from handlers.context import ndb_context
    from models.outbox import Delivery

    gate = threading.Event()
    server = LocalServer([200], gate=gate)
    try:
        app = make_app(OUTBOX_DISPATCH="thread")
        token, _ = board(app, ("Slow hook", server.url, "json"))
        client = webtest.TestApp(app)
        client.post("/admin/api/v1/services/web-api/events", {"status": "down", "message": "x"},
                    headers={"Authorization": f"Bearer {token}"}, status=201)
        # The write has answered while the subscriber still holds the delivery's request open.
        assert wait_for(lambda: server.requests, 10) and not gate.is_set()
        gate.set()

        def state():
            with ndb_context(app):
                return [d.state for d in Delivery.newest()] == ["delivered"]

        assert wait_for(state, 10)
        assert len(server.requests) == 1
    finally:
        gate.set()
        server.stop()


def test_on_app_engine_a_committed_notification_is_pushed_to_cloud_tasks(emulator):
    from workers.notify import Dispatcher

    app = make_app(OUTBOX_QUEUE="projects/p/locations/europe-west1/queues/outbox")
    created = []

    class FakeTasks:
        def create_task(self, parent, task):
            created.append((parent, task))

    dispatcher = app.extensions["stashboard.dispatcher"]
    assert isinstance(dispatcher, Dispatcher) and dispatcher.mode() == "cloud-tasks"
    dispatcher.tasks_client = FakeTasks()
    token, _ = board(app)
    webtest.TestApp(app).post("/admin/api/v1/services/web-api/events", {"status": "down", "message": "x"},
                              headers={"Authorization": f"Bearer {token}"}, status=201)
    ((parent, task),) = created
    assert parent == "projects/p/locations/europe-west1/queues/outbox"
    uri = task["app_engine_http_request"]["relative_uri"]
    assert uri.startswith("/_tasks/outbox/")
    client = webtest.TestApp(app)
    app.config["GAE_ENV"] = "standard"
    client.post(uri, status=403)  # from outside App Engine's queue
    assert client.post(uri, headers={"X-AppEngine-QueueName": "outbox"}).json == {"deliveries": 0, "delivered": 0}


def test_subscribers_hear_of_incident_updates_and_maintenance_announcements(emulator):
    import datetime

    server = LocalServer([200])
    try:
        app = make_app()
        token, _ = board(app, ("Ops hook", server.url, "json"))
        client = webtest.TestApp(app)
        auth = {"Authorization": f"Bearer {token}"}
        opened = client.post("/admin/api/v1/incidents", {
            "title": "Checkout <errors>", "services": "web-api", "message": "Looking into it.",
            "statuses": "web-api=down"}, headers=auth, status=201).json
        client.post(f"/admin/api/v1/incidents/{opened['id']}/updates", {"message": "Fixed.", "state": "resolved"},
                    headers=auth, status=201)
        soon = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)
        client.post("/admin/api/v1/maintenances", {
            "title": "Database upgrade", "message": "Writes pause.", "services": "web-api",
            "starts": soon.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "ends": (soon + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}, headers=auth, status=201)

        def received():
            client.get("/_tasks/outbox/sweep")
            return len(server.requests) >= 4 and server.requests

        assert wait_for(received, 15, step=0.1)
        bodies = [json.loads(request["body"]) for request in server.requests]
        kinds = sorted(body["kind"] for body in bodies)
        assert kinds == ["incident", "incident", "maintenance", "status"]
        incident = [body for body in bodies if body["kind"] == "incident"]
        assert [body["update"]["state"] for body in incident] == ["investigating", "resolved"]
        assert incident[0]["incident"]["title"] == "Checkout <errors>"
        maintenance = next(body for body in bodies if body["kind"] == "maintenance")
        assert maintenance["maintenance"]["state"] == "scheduled"
        assert maintenance["summary"].startswith("Maintenance announced: Database upgrade")
    finally:
        server.stop()
