"""Secrets: named in app.yaml, read once at start from Secret Manager on App Engine, from the
environment locally. Nothing here calls Google: a fake secret source stands in for Secret Manager."""

import logging
import pathlib
import uuid

import pytest
import webtest
import yaml
from google.api_core.exceptions import NotFound, PermissionDenied

import secret_settings
from main import create_app

ROOT = pathlib.Path(__file__).resolve().parent.parent
NAMED = "SECRET_KEY=stashboard-secret-key OIDC_CLIENT_SECRET=stashboard-oidc-client-secret"


class FakeSecrets:
    """Secret Manager as the app sees it: `read(name)`, answering from a dict and noting each read."""

    def __init__(self, **values):
        self.values = values
        self.reads = []

    def read(self, name):
        self.reads.append(name)
        value = self.values.get(name)
        if isinstance(value, Exception):
            raise value
        if value is None:
            raise NotFound(f"Secret [{name}] not found or has no versions.")
        return value


@pytest.fixture
def on_app_engine(monkeypatch, emulator):
    """The environment of an App Engine start whose app.yaml names two secrets."""
    monkeypatch.setenv("GAE_ENV", "standard")
    monkeypatch.setenv("SECRET_MANAGER_SECRETS", NAMED)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("OIDC_CLIENT_SECRET", raising=False)


def _app(source):
    return create_app({"TESTING": True, "NDB_NAMESPACE": f"test-{uuid.uuid4().hex}"}, secret_source=source)


def test_on_app_engine_the_named_secrets_are_read_once_at_start(on_app_engine):
    source = FakeSecrets(**{"stashboard-secret-key": "s" * 64 + "\n", "stashboard-oidc-client-secret": "GOCSPX-x"})
    app = _app(source)
    assert app.config["SECRET_KEY"] == "s" * 64  # the newline `echo | gcloud secrets create` adds is not part of it
    assert app.secret_key == "s" * 64
    assert app.config["OIDC_CLIENT_SECRET"] == "GOCSPX-x"
    assert app.config["SECRET_KEY_MISSING"] is False
    client = webtest.TestApp(app, extra_environ={"HTTP_HOST": "status.example.com", "wsgi.url_scheme": "https"})
    for path in ("/", "/api/v1/services", "/admin/"):
        client.get(path)
    assert sorted(source.reads) == ["stashboard-oidc-client-secret", "stashboard-secret-key"]


def test_on_app_engine_without_the_secret_key_one_clear_line_and_no_random_key(on_app_engine, caplog):
    source = FakeSecrets(**{"stashboard-oidc-client-secret": "GOCSPX-x"})
    with caplog.at_level(logging.INFO):
        app = _app(source)
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1, [r.getMessage() for r in lines]
    message = lines[0].getMessage()
    assert message.startswith("SECRET_KEY is not set: admin sign-in is disabled")
    assert "stashboard-secret-key" in message and "NotFound" in message
    assert app.config["SECRET_KEY"] is None and app.secret_key is None
    client = webtest.TestApp(app, extra_environ={"HTTP_HOST": "status.example.com", "wsgi.url_scheme": "https"})
    refused = client.get("/admin/", status=503)
    assert "Set-Cookie" not in refused.headers
    assert "Set-Cookie" not in client.get("/auth/sign-in", status=503).headers


def test_an_optional_secret_never_created_is_not_an_error(on_app_engine, caplog):
    source = FakeSecrets(**{"stashboard-secret-key": "k" * 40})
    with caplog.at_level(logging.INFO):
        app = _app(source)
    assert app.config["OIDC_CLIENT_SECRET"] == ""
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("OIDC_CLIENT_SECRET is not set" in r.getMessage() for r in caplog.records)


def test_a_secret_the_app_may_not_read_is_logged_as_an_error(on_app_engine, caplog):
    source = FakeSecrets(**{"stashboard-secret-key": "k" * 40,
                            "stashboard-oidc-client-secret": PermissionDenied("Permission denied on secret")})
    with caplog.at_level(logging.INFO):
        _app(source)
    (line,) = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert line.levelno == logging.ERROR
    assert "OIDC_CLIENT_SECRET" in line.getMessage() and "PermissionDenied" in line.getMessage()


def test_a_setting_in_the_environment_wins_over_its_secret(on_app_engine, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    source = FakeSecrets(**{"stashboard-secret-key": "from-secret-manager", "stashboard-oidc-client-secret": "x"})
    assert _app(source).config["SECRET_KEY"] == "from-the-environment"
    assert source.reads == ["stashboard-oidc-client-secret"]


def test_locally_secrets_come_from_the_environment_and_google_is_never_called(monkeypatch):
    def no_google(self, name):
        raise AssertionError("Secret Manager was called")

    monkeypatch.setattr(secret_settings.SecretManagerSource, "read", no_google)
    env = {"SECRET_MANAGER_SECRETS": NAMED, "GAE_ENV": "localdev", "SECRET_KEY": "local"}
    resolved, problems = secret_settings.resolve(env)
    assert (resolved["SECRET_KEY"], problems) == ("local", {})
    assert "OIDC_CLIENT_SECRET" not in resolved


def test_the_secret_manager_source_asks_for_the_latest_version_in_the_apps_project():
    class FakeClient:
        def __init__(self):
            self.requests = []

        def access_secret_version(self, request, timeout):
            self.requests.append(request["name"])
            return type("Response", (), {"payload": type("Payload", (), {"data": b"value"})()})()

    source = secret_settings.SecretManagerSource("my-project")
    source._client = FakeClient()
    assert source.read("stashboard-secret-key") == "value"
    assert source.read("projects/other/secrets/shared-key") == "value"
    assert source.read("projects/other/secrets/shared-key/versions/3") == "value"
    assert source._client.requests == [
        "projects/my-project/secrets/stashboard-secret-key/versions/latest",
        "projects/other/secrets/shared-key/versions/latest",
        "projects/other/secrets/shared-key/versions/3",
    ]


def test_app_yaml_names_secrets_and_holds_none():
    env = yaml.safe_load((ROOT / "app.yaml").read_text())["env_variables"]
    named = secret_settings.named_secrets(env)
    assert named == {
        "SECRET_KEY": "stashboard-secret-key",
        "OIDC_CLIENT_SECRET": "stashboard-oidc-client-secret",
        "TOKEN_SECRETS_KEY": "stashboard-token-secrets-key",
    }
    for setting, value in env.items():
        if any(word in setting for word in ("SECRET", "KEY", "TOKEN", "PASSWORD")):
            assert setting == "SECRET_MANAGER_SECRETS", f"{setting} holds a value in app.yaml"


def test_a_malformed_pair_is_ignored_and_said(caplog):
    assert secret_settings.named_secrets({"SECRET_MANAGER_SECRETS": "SECRET_KEY=a, nonsense,lower=b"}) == {
        "SECRET_KEY": "a"
    }
    assert "nonsense" in caplog.text
