"""Security headers on every kind of answer, and a deployment without a SECRET_KEY."""

import logging
import pathlib

import pytest
import webtest

import config
from tests.fixtures.admin_api import Admin, add_service, issue_token
from tests.fixtures.datastore import ADMIN_EMAIL, make_app, make_client
from tests.fixtures.sign_in import sign_in_locally

PUBLIC_PAGE = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors *"
)
PRIVATE_PAGE = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self' https://accounts.google.com; frame-ancestors 'none'"
)
NOT_A_PAGE = "default-src 'none'; frame-ancestors 'none'"
HSTS = "max-age=31536000; includeSubDomains"
ROOT = pathlib.Path(__file__).resolve().parent.parent


def directives(policy):
    """A Content-Security-Policy as {directive: [sources]}."""
    parsed = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


def add_board(admin):
    """A service with an event, so every public answer has something in it."""
    add_service(admin)
    admin.post("/services/web-api/events", {"message": "All good", "status": "up"}, status=201)


@pytest.fixture
def board(admin):
    """add_board on the test's own board."""
    add_board(admin)


@pytest.fixture(scope="module")
def shared_board(module_app):
    """add_board once, for the matrices below, which only read (each path once) or are refused."""
    add_board(Admin(make_client(module_app), issue_token(module_app)))
    return module_app


@pytest.fixture
def shared_client(shared_board):
    """A client of the shared board."""
    return make_client(shared_board)


# (what, method, path, status, policy): one of each kind of answer the app makes.
ANSWERS = [
    ("public page", "GET", "/", 200, PUBLIC_PAGE),
    ("service page", "GET", "/services/web-api", 200, PUBLIC_PAGE),
    ("documentation", "GET", "/documentation", 200, PUBLIC_PAGE),
    ("404 page", "GET", "/no-such-page", 404, PUBLIC_PAGE),
    ("400 page", "GET", "/service-lists?filter=nope", 400, PUBLIC_PAGE),
    ("public API JSON", "GET", "/api/v1/services", 200, NOT_A_PAGE),
    ("JSONP", "GET", "/api/v1/services?callback=show", 200, NOT_A_PAGE),
    ("API error", "GET", "/api/v1/services/nope", 404, NOT_A_PAGE),
    ("RSS feed", "GET", "/rss", 200, NOT_A_PAGE),
    ("Atom feed", "GET", "/atom", 200, NOT_A_PAGE),
    ("static script", "GET", "/static/js/site.js", 200, NOT_A_PAGE),
    ("static style", "GET", "/static/css/site.css", 200, NOT_A_PAGE),
    ("status icon", "GET", "/images/icons/fugue/tick-circle.png", 200, NOT_A_PAGE),
    ("favicon", "GET", "/favicon.ico", 200, NOT_A_PAGE),
    ("robots.txt", "GET", "/robots.txt", 200, NOT_A_PAGE),
    ("sign-in page", "GET", "/auth/sign-in", 200, PRIVATE_PAGE),
    ("local sign-in page", "GET", "/auth/local", 200, PRIVATE_PAGE),
    ("admin redirect to sign-in", "GET", "/admin/", 302, PRIVATE_PAGE),
    ("admin API read", "GET", "/admin/api/v1/services", 200, NOT_A_PAGE),
    ("admin API refusal", "POST", "/admin/api/v1/services", 401, NOT_A_PAGE),
]


@pytest.mark.parametrize(("what", "method", "path", "status", "policy"), ANSWERS, ids=[a[0] for a in ANSWERS])
def test_every_kind_of_answer_carries_the_security_headers(shared_client, what, method, path, status, policy):
    response = shared_client.request(path, method=method, status=status)
    assert response.headers["Content-Security-Policy"] == policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    private = path.startswith(("/admin", "/auth"))
    assert response.headers["Referrer-Policy"] == ("same-origin" if private else "strict-origin-when-cross-origin")
    assert response.headers.get("X-Frame-Options") == ("DENY" if private else None)
    assert "Strict-Transport-Security" not in response.headers  # http here: never HSTS off App Engine


@pytest.mark.parametrize("path", ["/admin/", "/admin/services/web-api", "/admin/statuses/", "/admin/audit",
                                  "/admin/credentials", "/admin/services/new", "/admin/no-such-page"])
def test_admin_pages_carry_the_headers_and_may_not_be_framed(shared_client, path):
    sign_in_locally(shared_client)
    response = shared_client.get(path, status="*")
    assert response.status_int in (200, 404)
    assert response.content_type == "text/html"
    assert response.headers["Content-Security-Policy"] == PRIVATE_PAGE
    assert response.headers["X-Frame-Options"] == "DENY"
    assert directives(response.headers["Content-Security-Policy"])["frame-ancestors"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_admin_api_write_of_a_script_carries_the_headers(admin, service):
    response = admin.post("/services/web-api/events", {"message": "Investigating", "status": "down"}, status=201)
    assert response.headers["Content-Security-Policy"] == NOT_A_PAGE
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_cached_public_page_is_replayed_with_its_headers(client, board):
    first = client.get("/")
    again = client.get("/")
    assert 'cache;desc="hit"' in again.headers["Server-Timing"]
    for name in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"):
        assert again.headers[name] == first.headers[name]


def test_no_policy_allows_inline_script_or_style_or_eval():
    for policy in (PUBLIC_PAGE, PRIVATE_PAGE, NOT_A_PAGE):
        assert "unsafe" not in policy
        parsed = directives(policy)
        if "script-src" in parsed:
            assert parsed["script-src"] == ["'self'"]
            assert parsed["object-src"] == ["'none'"]


def test_public_pages_may_be_framed_by_other_sites_admin_and_sign_in_never(client, board):
    public = client.get("/")
    assert "X-Frame-Options" not in public.headers
    assert directives(public.headers["Content-Security-Policy"])["frame-ancestors"] == ["*"]
    for path in ("/auth/sign-in", "/admin/"):
        response = client.get(path, status="*")
        assert response.headers["X-Frame-Options"] == "DENY"
        assert directives(response.headers["Content-Security-Policy"])["frame-ancestors"] == ["'none'"]


def test_the_public_api_and_jsonp_stay_readable_from_any_origin(client, board):
    for path in ("/api/v1/services", "/api/v1/services?callback=show"):
        response = client.get(path)
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert response.headers["Content-Security-Policy"] == NOT_A_PAGE


# --- HSTS: App Engine only -----------------------------------------------------


@pytest.fixture(scope="module")
def app_engine_client(emulator):
    """The app as App Engine runs it (GAE_ENV=standard), over https (each test asks another path)."""
    app = make_app(GAE_ENV="standard")
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": "status.example.com", "wsgi.url_scheme": "https"})


@pytest.mark.parametrize("path", ["/", "/api/v1/services", "/rss", "/static/js/site.js", "/no-such-page",
                                  "/auth/sign-in", "/admin/"])
def test_hsts_on_app_engine(app_engine_client, path):
    response = app_engine_client.get(path, status="*")
    assert response.headers["Strict-Transport-Security"] == HSTS


def test_app_yaml_gives_the_files_app_engine_serves_the_same_headers():
    import yaml

    from handlers.security import HSTS as APP_HSTS
    from handlers.security import NOT_A_PAGE_POLICY, PUBLIC_REFERRER_POLICY

    handlers = yaml.safe_load((ROOT / "app.yaml").read_text())["handlers"]
    static = [handler for handler in handlers if "static_dir" in handler]
    assert {handler["url"] for handler in static} == {"/static", "/images"}
    for handler in static:
        assert handler["http_headers"] == {
            "Content-Security-Policy": NOT_A_PAGE_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": PUBLIC_REFERRER_POLICY,
            "Strict-Transport-Security": APP_HSTS,
        }


# --- SECRET_KEY ------------------------------------------------------------------


def test_locally_a_missing_secret_key_falls_back_to_a_random_one():
    first, second = config.from_environment({}), config.from_environment({})
    assert len(first["SECRET_KEY"]) == 64 and first["SECRET_KEY"] != second["SECRET_KEY"]
    assert first["SECRET_KEY_MISSING"] is False


def test_on_app_engine_a_missing_secret_key_is_never_made_up():
    settings = config.from_environment({"GAE_ENV": "standard"})
    assert settings["SECRET_KEY"] is None
    assert settings["SECRET_KEY_MISSING"] is True
    configured = config.from_environment({"GAE_ENV": "standard", "SECRET_KEY": "k" * 40})
    assert (configured["SECRET_KEY"], configured["SECRET_KEY_MISSING"]) == ("k" * 40, False)


@pytest.fixture
def keyless(emulator, caplog):
    """App Engine without SECRET_KEY: (the app, a client); what it logged at start is in caplog."""
    with caplog.at_level(logging.INFO):
        app = make_app(GAE_ENV="standard", SECRET_KEY=None, SECRET_KEY_MISSING=True)
    client = webtest.TestApp(app, extra_environ={"HTTP_HOST": "status.example.com", "wsgi.url_scheme": "https"})
    return app, client


def test_without_secret_key_one_clear_line_is_logged_at_start(keyless, caplog):
    lines = [record for record in caplog.get_records("setup") if "SECRET_KEY" in record.getMessage()]
    assert len(lines) == 1
    assert lines[0].levelno == logging.ERROR
    assert lines[0].getMessage() == (
        "SECRET_KEY is not set: admin sign-in is disabled until it is "
        "(create the Secret Manager secret app.yaml's SECRET_MANAGER_SECRETS names for it)"
    )


def test_a_configured_secret_key_logs_nothing(emulator, caplog):
    with caplog.at_level(logging.INFO):
        make_app(GAE_ENV="standard", SECRET_KEY="k" * 40)
    assert not [record for record in caplog.records if "SECRET_KEY" in record.getMessage()]


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/admin/"), ("GET", "/admin/statuses/"), ("GET", "/auth/sign-in"), ("GET", "/auth/local"),
    ("POST", "/auth/google"), ("POST", "/auth/sign-out"), ("POST", "/admin/"),
])
def test_without_secret_key_admin_and_sign_in_pages_are_a_503_saying_why(keyless, method, path):
    _, client = keyless
    response = client.request(path, method=method, status=503)
    assert response.content_type == "text/html"
    assert "Admin sign-in is switched off" in response.text
    assert "SECRET_KEY" in response.text and "app.yaml" in response.text
    assert "Set-Cookie" not in response.headers
    assert response.headers["Content-Security-Policy"] == PRIVATE_PAGE
    assert response.headers["X-Frame-Options"] == "DENY"


def test_without_secret_key_the_public_site_and_api_work(keyless):
    _, client = keyless
    for path in ("/", "/summary", "/api/v1/services", "/rss"):
        response = client.get(path)
        assert response.status_int == 200
        assert "Set-Cookie" not in response.headers


def test_without_secret_key_the_admin_api_works_with_a_bearer_token_only(keyless):
    from handlers.context import ndb_context
    from models import ApiToken

    app, client = keyless
    with ndb_context(app):
        secret = ApiToken.issue(ADMIN_EMAIL, "monitoring")[1]
    bearer = {"Authorization": f"Bearer {secret}"}
    created = client.post("/admin/api/v1/services", {"name": "Web API", "description": "The API"},
                          headers=bearer, status=201)
    assert created.json["id"] == "web-api"
    assert client.get("/admin/api/v1/services").json["services"][0]["id"] == "web-api"
    refused = client.post("/admin/api/v1/services", {"name": "Other", "description": "x"}, status=503)
    assert refused.content_type == "application/json"
    assert "SECRET_KEY" in refused.json["message"] and "Bearer" in refused.json["message"]


def test_with_a_secret_key_admins_sign_in_as_before(client):
    sign_in_locally(client, admin=True)
    assert client.get("/admin/").status_int == 200
