"""/_tasks/* and private webhook and probe targets stay closed unless the local development server opens them.

A missing GAE_ENV proves nothing (a container, a VM, a misconfigured deployment): only
App Engine's own headers, or the setting `make run` and `make devserver` set, open them.
"""

import uuid

import pytest
import webtest

import config
from tests.fixtures.datastore import ADMIN_EMAIL
from tests.fixtures.served import LocalServer

CRON = {"X-Appengine-Cron": "true"}


def app_from_environment(monkeypatch, **env):
    """The app as built from the process environment alone (no test overrides of the guards), installed."""
    from handlers.context import ndb_context
    from main import create_app
    from models import install

    for name in ("GAE_ENV", "ALLOW_PRIVATE_TARGETS", config.LOCAL_DEVELOPMENT_VARIABLE):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    app = create_app({"TESTING": True, "NDB_NAMESPACE": f"test-{uuid.uuid4().hex}", "ADMIN_EMAILS": [ADMIN_EMAIL],
                      "SECRET_KEY": "test-secret"})
    with ndb_context(app):
        install()
    return app


def subscribe_and_post(app, url):
    """A service, a subscriber at `url` and a probe of `url`, then a status change to tell it of."""
    from handlers.context import ndb_context
    from models import Actor, Event, Service, acting_as
    from models.probes import Probe
    from models.subscribers import Subscriber

    with app.app_context(), ndb_context(app), acting_as(Actor(email=ADMIN_EMAIL, via="test")):
        service = Service.create("Web API", "The API.")
        Subscriber.create("Inside", url)
        Probe.configure("web-api", url, interval=1, threshold=1, recovery=1, timeout=2)
        Event.post(service, "Down.", "down")


@pytest.mark.parametrize("env", [{}, {"GAE_ENV": "standard", config.LOCAL_DEVELOPMENT_VARIABLE: "1"}],
                         ids=["no GAE_ENV", "on App Engine"])
def test_settings_keep_tasks_and_private_targets_closed_unless_the_local_server_opens_them(env):
    settings = config.from_environment(env)
    assert (settings["LOCAL_DEVELOPMENT"], settings["ALLOW_PRIVATE_TARGETS"]) == (False, False)
    assert config.local_development({**settings, "LOCAL_DEVELOPMENT": True}) is (env.get("GAE_ENV") != "standard")
    opened = config.from_environment({config.LOCAL_DEVELOPMENT_VARIABLE: "1"})
    assert (opened["LOCAL_DEVELOPMENT"], opened["ALLOW_PRIVATE_TARGETS"]) == (True, True)
    assert config.from_environment({"ALLOW_PRIVATE_TARGETS": "true"})["LOCAL_DEVELOPMENT"] is False


def test_without_gae_env_tasks_answer_only_app_engine_and_private_targets_are_refused(emulator, monkeypatch):
    server = LocalServer([200])
    try:
        app = app_from_environment(monkeypatch)
        subscribe_and_post(app, server.url)
        client = webtest.TestApp(app)
        for path in ("/_tasks/outbox/sweep", "/_tasks/probes", "/_tasks/maintenance", "/_tasks/rebuild-history"):
            answer = client.get(path, status=403)
            assert "App Engine" in answer.text, path
        client.post("/_tasks/outbox/some-id", status=403)
        client.post("/_tasks/migrate-1x?dry_run=1", status=403)
        # App Engine's own headers (stripped from outside requests) open them.
        client.post("/_tasks/outbox/no-such-notification", headers={"X-AppEngine-TaskName": "t1"}, status=404)
        swept = client.get("/_tasks/outbox/sweep", headers=CRON).json
        assert (swept["attempted"], swept["delivered"]) == (1, 0)
        assert client.get("/_tasks/probes", headers=CRON).json["checked"] == 1
        assert server.requests == []  # neither the webhook nor the probe reached 127.0.0.1
    finally:
        server.stop()


def test_the_local_development_setting_opens_tasks_and_private_targets(emulator, monkeypatch):
    server = LocalServer([200])
    try:
        app = app_from_environment(monkeypatch, **{config.LOCAL_DEVELOPMENT_VARIABLE: "1"})
        subscribe_and_post(app, server.url)
        client = webtest.TestApp(app)
        assert client.get("/_tasks/outbox/sweep").json["delivered"] == 1
        assert client.get("/_tasks/probes").json["checked"] == 1
        assert sorted(r["method"] for r in server.requests) == ["GET", "POST"]
    finally:
        server.stop()
