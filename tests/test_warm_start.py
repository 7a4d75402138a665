"""Warm starts: readers never install the board, App Engine's warmup request and the first write do."""

import subprocess
import sys

import pytest
import webtest

from handlers.context import ndb_context
from models import AuditEntry, Installation, Service, Status
from tests.fixtures.datastore import ROOT, make_app
from tests.fixtures.sign_in import sign_in_locally

READER_PAGES = [
    "/",
    "/summary",
    "/service-lists",
    "/rss",
    "/atom",
    "/documentation",
    "/api/v1/services",
    "/api/v1/statuses",
    "/api/v1/service-lists",
    "/api/v1/status-images",
    "/api/v1/services?callback=stashboard.callback",
]


@pytest.fixture
def uninstalled(emulator):
    """The app on a board never installed: no warmup has run, nothing was ever written."""
    return make_app(installed=False)


def _client(app):
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": "status.example.com"})


def _stored(app):
    """What the installation writes: the Board singleton, statuses, audit entries."""
    with ndb_context(app):
        return Installation.key_for().get(), Status.query().count(), AuditEntry.query().count()


def test_readers_see_an_uninstalled_board_and_install_nothing(uninstalled):
    client = _client(uninstalled)
    for path in READER_PAGES:
        response = client.get(path)
        assert response.status_int == 200, (path, response.text[:500])
    assert client.get("/api/v1/statuses").json["statuses"] == []
    assert _stored(uninstalled) == (None, 0, 0)


def test_an_uninstalled_board_shows_all_well_with_no_services(uninstalled):
    page = _client(uninstalled).get("/")
    assert "All systems operational" in page.text


def test_warmup_installs_the_board_once(uninstalled):
    client = _client(uninstalled)
    first = client.get("/_ah/warmup")
    assert first.status_int == 200
    assert first.json["installed"] is True
    assert first.json["templates"] > 10
    assert first.headers["Cache-Control"] == "private, no-store"
    board, statuses, audit = _stored(uninstalled)
    assert board.default_status.id() == "up" and statuses == 3 and audit == 1
    # An instance's second warmup (or another instance's) changes nothing.
    assert client.get("/_ah/warmup").json["installed"] is False
    assert _stored(uninstalled)[1:] == (3, 1)


def test_the_installation_is_in_the_audit_log_as_the_system(uninstalled):
    _client(uninstalled).get("/_ah/warmup")
    with ndb_context(uninstalled):
        (entry,) = AuditEntry.query().fetch()
    assert (entry.kind, entry.action, entry.actor_email) == ("Board", "create", "system")
    assert entry.after == {"statuses": ["up", "down", "warning"]}


def test_a_reader_who_cached_the_uninstalled_board_sees_the_statuses_once_installed(uninstalled):
    client = _client(uninstalled)
    assert client.get("/api/v1/statuses").json["statuses"] == []
    client.get("/_ah/warmup")
    assert [s["id"] for s in client.get("/api/v1/statuses").json["statuses"]] == ["up", "warning", "down"]


def test_the_first_write_installs_the_board(uninstalled):
    client = _client(uninstalled)
    sign_in_locally(client, admin=True)  # a session: no write yet
    form = client.get("/admin/services/new").forms["edit-form"]
    form["name"] = "Web API"
    form["description"] = "The API."
    form.submit(status=302)
    board, statuses, _ = _stored(uninstalled)
    assert board is not None and statuses == 3
    assert client.get("/api/v1/services/web-api").json["current-event"] is None
    assert [s["id"] for s in client.get("/api/v1/statuses").json["statuses"]] == ["up", "warning", "down"]


def test_a_command_installs_the_board(uninstalled):
    result = uninstalled.test_cli_runner().invoke(args=["install"])
    assert result.exit_code == 0, result.output
    assert _stored(uninstalled)[1] == 3
    with ndb_context(uninstalled):
        assert Service.none_yet()


def test_importing_main_leaves_the_cloud_clients_for_when_they_are_used():
    """A cold start imports only what every request needs: the Secret Manager and Cloud Tasks
    clients are imported when first used (`make bench` prints how long `import main` takes)."""
    code = "import sys, main; print(','.join(sorted(m for m in sys.modules if m.startswith('google.cloud.'))))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    imported = set(result.stdout.strip().split(","))
    assert "google.cloud.ndb" in imported
    assert not {name for name in imported if name.startswith(("google.cloud.secretmanager", "google.cloud.tasks"))}
