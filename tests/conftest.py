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
    from main import create_app

    return create_app(
        {
            "TESTING": True,
            "NDB_NAMESPACE": f"test-{uuid.uuid4().hex}",
            "ADMIN_EMAILS": [ADMIN_EMAIL],
            "SECRET_KEY": "test-secret",
        }
    )


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
