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


# --- admins signing in ---------------------------------------------------------
# Google is faked at its network boundary only: the app's one transport to Google
# (GOOGLE_TRANSPORT) is handed an in-process stand-in serving test keys. The real
# google-auth verification runs on every token; no test ever reaches Google.

OIDC_CLIENT_ID = "test-client.apps.googleusercontent.com"
APP_URL = "https://status.example.com"
IAP_AUDIENCE = "/projects/123/apps/stashboard-test"


def _rsa_certificate(key, name="test"):
    """A self-signed x509 certificate for `key`, PEM text (Google's v1 certs format)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


class FakeResponse:
    """What a google.auth.transport.Request returns."""

    def __init__(self, status, payload, headers=None):
        import json

        self.status = status
        self.headers = headers or {}
        self.data = json.dumps(payload).encode()


class FakeGoogle:
    """Google's certificate and token endpoints, answered with keys made for the test."""

    def __init__(self):
        from cryptography.hazmat.primitives.asymmetric import ec, rsa

        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "test-key"
        self.certs = {self.kid: _rsa_certificate(self.key)}
        # IAP signs with ES256 and publishes bare public keys.
        self.iap_key = ec.generate_private_key(ec.SECP256R1())
        self.iap_kid = "iap-test-key"
        self.codes = {}
        self.requests = []

    @staticmethod
    def _pem(key):
        from cryptography.hazmat.primitives import serialization

        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def id_token(self, email, nonce=None, audience=OIDC_CLIENT_ID, expires_in=3600, key=None, **claims):
        """An ID token as Google's token endpoint issues it, signed by the test key (or `key`)."""
        import time

        from google.auth import crypt, jwt

        now = int(time.time())
        payload = {
            "iss": "https://accounts.google.com",
            "aud": audience,
            "sub": f"sub-{email}",
            "email": email,
            "email_verified": True,
            "iat": now - 5 if expires_in > 0 else now + expires_in - 600,
            "exp": now + expires_in,
        }
        if nonce is not None:
            payload["nonce"] = nonce
        payload.update(claims)
        signer = crypt.RSASigner.from_string(self._pem(key or self.key), key_id=self.kid)
        return jwt.encode(signer, payload).decode()

    def iap_assertion(self, email, audience=IAP_AUDIENCE, key=None):
        """An X-Goog-IAP-JWT-Assertion for `email`, signed like IAP's (ES256)."""
        import time

        from google.auth import crypt, jwt

        now = int(time.time())
        payload = {"iss": "https://cloud.google.com/iap", "aud": audience, "sub": f"accounts.google.com:{email}",
                   "email": email, "iat": now - 5, "exp": now + 600}
        signer = crypt.ES256Signer.from_string(self._pem(key or self.iap_key), key_id=self.iap_kid)
        return jwt.encode(signer, payload).decode()

    def __call__(self, url, method="GET", body=None, headers=None, timeout=None, **kwargs):
        """Answer as Google would; any other URL is a test bug, never a network call."""
        import urllib.parse

        from cryptography.hazmat.primitives import serialization

        from handlers import google_tokens

        self.requests.append((method, url))
        if method == "GET" and url == google_tokens.GOOGLE_CERTS_URL:
            return FakeResponse(200, self.certs)
        if method == "GET" and url == google_tokens.IAP_CERTS_URL:
            public = self.iap_key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            return FakeResponse(200, {self.iap_kid: public.decode()})
        if method == "POST" and url == google_tokens.TOKEN_URL:
            form = dict(urllib.parse.parse_qsl(body))
            token = self.codes.pop(form.get("code"), None)
            if form.get("client_secret") != "test-secret-value" or token is None:
                return FakeResponse(400, {"error": "invalid_grant"})
            return FakeResponse(200, {"access_token": "unused", "id_token": token, "token_type": "Bearer"})
        raise AssertionError(f"a test tried to reach {method} {url}")


@pytest.fixture
def google():
    """The stand-in for Google's endpoints, with a fresh test key."""
    return FakeGoogle()


@pytest.fixture
def google_app(emulator, google):
    """The app with Google sign-in, IAP and ID-token auth configured against `google`."""
    return _make_app(
        OIDC_CLIENT_ID=OIDC_CLIENT_ID,
        OIDC_CLIENT_SECRET="test-secret-value",
        APP_URL=APP_URL,
        IAP_AUDIENCE=IAP_AUDIENCE,
        GOOGLE_TRANSPORT=google,
    )


@pytest.fixture
def google_client(google_app):
    """A WebTest client of `google_app`."""
    return webtest.TestApp(google_app, extra_environ={"HTTP_HOST": "status.example.com"})


def sign_in_locally(client, email=ADMIN_EMAIL, admin=False):
    """Sign in through the local development sign-in page, as `make run` users do."""
    form = client.get("/auth/local").forms["local-sign-in"]
    form["email"] = email
    form["admin"] = admin
    return form.submit(status=302)


@pytest.fixture
def signed_in(client):
    """`client` signed in as the configured admin through the local sign-in page."""
    sign_in_locally(client)
    return client
