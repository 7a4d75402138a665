"""The served OpenAPI description is valid, covers every route, and real answers conform to it.

Each request below goes through the app with WebTest, and openapi-core checks the
request and the response against the description the app serves.
"""

import json
import re
import urllib.parse

import pytest
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import OpenAPIV31SpecValidator
from werkzeug.datastructures import Headers, ImmutableMultiDict

from handlers.api import READ_ROUTES, WRITE_ROUTES
from tests.fixtures.datastore import ADMIN_EMAIL
from tests.helpers import assert_json_error

BIG = "x" * (1024 * 1024 + 1)


class WebTestRequest:
    """openapi-core's request protocol, read from a WebTest (WebOb) request."""

    def __init__(self, request, body):
        self.host_url = request.host_url
        self.path = request.path
        self.method = request.method.lower()
        self.body = body  # the app has read the request's own stream
        self.content_type = request.content_type or "application/octet-stream"
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(request.GET.items())),
            header=Headers(list(request.headers.items())),
            cookie=ImmutableMultiDict(list(request.cookies.items())),
        )


class WebTestResponse:
    """openapi-core's response protocol, read from a WebTest response."""

    def __init__(self, response):
        self.data = response.body
        self.status_code = response.status_int
        self.content_type = response.content_type
        self.headers = Headers(response.headerlist)


@pytest.fixture
def document(client):
    """The description as the app serves it."""
    return client.get("/api/v1/openapi.json").json


@pytest.fixture
def spec(document):
    """openapi-core's view of the served description; a JSONP body is text, like JSON."""
    as_text = {"application/javascript": lambda body, **_: body.decode("utf-8")}
    return OpenAPI.from_dict(document, config=Config(extra_media_type_deserializers=as_text))


@pytest.fixture
def board(admin):
    """A board with two lists, three services (one with no events), events, and a custom status."""
    admin.post("/service-lists", {"name": "Core", "description": "The API and the site."}, status=201)
    admin.post("/service-lists", {"name": "Spare", "description": "Nothing in it."}, status=201)
    admin.post("/services", {"name": "Web API", "description": "The REST API.", "list": "core"}, status=201)
    admin.post("/services", {"name": "Email", "description": "Outbound email."}, status=201)
    admin.post("/services", {"name": "Quiet", "description": "No events yet."}, status=201)
    admin.post("/statuses", {"name": "Planned", "description": "Planned work.", "image": "wrench"}, status=201)
    admin.post("/services/web-api/events", {"message": "Up.", "status": "up"}, status=201)
    sid = admin.post("/services/web-api/events", {"message": "Down.", "status": "down"}, status=201).json["sid"]
    admin.post("/services/email/events", {"message": "A note.", "informational": "true"}, status=201)
    return {"sid": sid}


def check(spec, response, body=b"", request_is_valid=True):
    """The response (and, when it should be valid, the request) conform to the description."""
    request = WebTestRequest(response.request, body)
    if request_is_valid:
        spec.validate_request(request)
    spec.validate_response(request, WebTestResponse(response))
    return response


def send(client, method, url, fields=None, as_json=False, **kwargs):
    """A write as a client sends it, its fields form-encoded or JSON; answers (response, the body sent)."""
    if method == "DELETE":
        return client.delete(url, **kwargs), b""
    if as_json:
        body, content_type = json.dumps(fields).encode(), "application/json"
    else:
        body, content_type = urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"
    return client.post(url, body, content_type=content_type, **kwargs), body


# --- the document ---------------------------------------------------------------------


def test_the_served_description_is_valid_openapi_3_1(client, document):
    response = client.get("/api/v1/openapi.json")
    assert response.content_type == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert document["openapi"].startswith("3.1.")
    OpenAPIV31SpecValidator(document).validate()


def test_its_server_is_the_host_the_request_came_in_on(client):
    document = client.get("/api/v1/openapi.json", extra_environ={"HTTP_HOST": "status.acme.test"}).json
    assert document["servers"] == [{"url": "http://status.acme.test", "description": "This board"}]
    forwarded = client.get("/api/v1/openapi.json", headers={"X-Forwarded-Proto": "https"}).json
    assert forwarded["servers"][0]["url"] == "https://status.example.com"


def test_every_route_is_described_on_its_roots_with_the_views_docstring(document):
    def path(root, rule):
        return root + re.sub(r"<([^>]+)>", r"{\1}", rule)

    expected = {(path("/api/v1", rule), "get"): view for rule, _, view in READ_ROUTES}
    expected |= {(path("/admin/api/v1", rule), "get"): view for rule, _, view in READ_ROUTES}
    expected |= {(path("/admin/api/v1", rule), method.lower()): view for rule, method, view in WRITE_ROUTES}
    described = {(p, m): op for p, item in document["paths"].items() for m, op in item.items()}
    assert set(described) == set(expected)
    for (p, method), view in expected.items():
        operation = described[(p, method)]
        assert operation["operationId"].removeprefix("admin_") == view.__name__
        assert operation["summary"] == " ".join(view.__doc__.split())
        assert ("security" in operation) == (method != "get")
    assert len({op["operationId"] for op in described.values()}) == len(described)


def test_the_schemas_clients_build_on_are_components(document):
    names = {"Service", "Event", "Status", "List", "StatusImage", "Error", "ServiceCollection", "EventCollection",
             "StatusCollection", "ListCollection", "LevelCollection", "StatusImageCollection"}
    assert names <= set(document["components"]["schemas"])
    assert document["components"]["schemas"]["Level"]["enum"] == ["NORMAL", "WARNING", "ERROR", "CRITICAL"]
    create = document["paths"]["/admin/api/v1/services"]["post"]["requestBody"]["content"]
    assert set(create) == {"application/x-www-form-urlencoded", "application/json"}
    assert create["application/json"]["schema"]["properties"]["name"]["maxLength"] == 100


def test_documentation_is_rendered_from_the_description_and_links_it(client, document):
    page = client.get("/documentation").html
    assert page.find("a", href="/api/v1/openapi.json") is not None
    rows = {" ".join(th.get_text().split()) for th in page.select("table.reference th[scope=row]")}
    listed = {f"{m.upper()} {p}" for p, item in document["paths"].items() for m in item
              if m != "get" or not p.startswith("/admin/")}
    assert rows == listed
    assert "message: required; at most 5000 characters" in " ".join(page.get_text().split())


# --- real answers conform -------------------------------------------------------------

READS = [
    ("/services", 200), ("/services?callback=cb", 200), ("/services/web-api", 200), ("/services/nope", 404),
    ("/services/web-api/events", 200), ("/services/web-api/events?start=2010-06-10&end=2099-12-31", 200),
    ("/services/web-api/events?start=not-a-date", 400), ("/services/nope/events", 404),
    ("/services/web-api/events/current", 200), ("/services/email/events/current?callback=ns.cb", 200),
    ("/services/quiet/events/current", 404), ("/services/web-api/events/{sid}", 200),
    ("/services/web-api/events/123", 404), ("/services/email/events/{sid}", 404),
    ("/statuses", 200), ("/statuses/planned", 200), ("/statuses/nope?callback=cb", 404),
    ("/service-lists", 200), ("/service-lists/core", 200), ("/service-lists/nope", 404),
    ("/levels", 200), ("/status-images", 200),
    ("/services/web-api/metrics", 200), ("/services/web-api/metrics?period=30d", 200),
    ("/services/web-api/metrics?period=1y", 400), ("/services/nope/metrics", 404),
]


@pytest.mark.parametrize("root", ["/api/v1", "/admin/api/v1"])
def test_every_read_answers_as_described(client, spec, board, root):
    for path, code in READS:
        response = client.get(root + path.format(**board), status=code)
        check(spec, response, request_is_valid=code != 400)


@pytest.mark.parametrize("root", ["/api/v1", "/admin/api/v1"])
def test_a_bad_jsonp_callback_is_a_described_400(client, spec, root):
    check(spec, client.get(f"{root}/levels?callback=alert(1)", status=400), request_is_valid=False)


def write_cases(sid):
    """(method, path, fields, JSON?, expected status) for every write, its successes and its refusals."""
    return [
        ("POST", "/services", {"name": "Search", "description": "Finding things.", "list": "core"}, False, 201),
        ("POST", "/services", {"name": "Billing", "description": "Invoices."}, True, 201),
        ("POST", "/services", {"name": "Web API", "description": "Again."}, False, 409),
        ("POST", "/services", {"name": "No description"}, False, 400),
        ("POST", "/services", {"name": "X", "description": "d", "list": "nope"}, True, 400),
        ("POST", "/services/web-api", {"description": "Changed.", "list": ""}, False, 200),
        ("POST", "/services/web-api", {"list": "spare"}, True, 200),
        ("POST", "/services/nope", {"description": "x"}, False, 404),
        ("POST", "/services/web-api/events", {"message": "Slow.", "status": "planned"}, False, 201),
        ("POST", "/services/web-api/events", {"message": "FYI.", "informational": True}, True, 201),
        ("POST", "/services/web-api/events", {"message": "x", "status": "nope"}, False, 404),
        ("POST", "/services/web-api/events", {"status": "down"}, False, 400),
        ("POST", "/services/web-api/metrics/queue-depth", {"value": "12.5"}, False, 201),
        ("POST", "/services/web-api/metrics/queue-depth", {"data": [{"value": 3}, {"value": 4.5}]}, True, 201),
        ("POST", "/services/web-api/metrics/queue-depth", {"value": "lots"}, False, 400),
        ("POST", "/services/web-api/metrics/Bad%20Name", {"value": 1}, True, 400),
        ("POST", "/services/nope/metrics/queue-depth", {"value": 1}, True, 404),
        ("DELETE", f"/services/web-api/events/{sid}", None, False, 200),
        ("DELETE", f"/services/web-api/events/{sid}", None, False, 404),
        ("POST", "/statuses", {"name": "Degraded", "description": "Slow.", "image": "clock", "level": "WARNING"},
         False, 201),
        ("POST", "/statuses", {"name": "Gone", "description": "Away.", "image": "cross", "default": True}, True, 201),
        ("POST", "/statuses", {"name": "Odd", "description": "d", "image": "no-such-icon"}, False, 400),
        ("POST", "/statuses", {"name": "Planned", "description": "d", "image": "wrench"}, False, 409),
        ("POST", "/statuses/planned", {"level": "CRITICAL"}, False, 200),
        ("POST", "/statuses/gone", {"default": "false"}, False, 400),
        ("POST", "/statuses/up", {"default": True}, True, 200),
        ("POST", "/statuses/nope", {"name": "x"}, False, 404),
        ("DELETE", "/statuses/up", None, False, 409),
        ("DELETE", "/statuses/planned", None, False, 409),
        ("DELETE", "/statuses/gone", None, False, 200),
        ("DELETE", "/statuses/nope", None, False, 404),
        ("POST", "/service-lists", {"name": "Edge", "description": "CDN and DNS."}, False, 201),
        ("POST", "/service-lists", {"name": "Core", "description": "Again."}, True, 409),
        ("POST", "/service-lists", {"description": "No name."}, False, 400),
        ("POST", "/service-lists/core", {"name": "Core services"}, True, 200),
        ("POST", "/service-lists/core", {}, False, 400),
        ("POST", "/service-lists/nope", {"name": "x"}, False, 404),
        ("DELETE", "/service-lists/spare", None, False, 200),
        ("DELETE", "/service-lists/nope", None, False, 404),
        ("DELETE", "/services/email", None, False, 200),
        ("DELETE", "/services/email", None, False, 404),
    ]


def test_every_write_answers_as_described_in_form_and_json(client, admin, spec, board):
    for method, path, fields, as_json, code in write_cases(board["sid"]):
        response, body = send(client, method, admin.ROOT + path, fields, as_json, headers=admin.headers, status=code)
        # The refused ones are still well-formed requests, except a body missing a required field.
        check(spec, response, body, request_is_valid=code != 400)


def test_credential_refusals_answer_as_described(app, client, spec, board):
    from handlers.context import ndb_context
    from models import ApiToken

    with ndb_context(app):
        outsider = ApiToken.issue("visitor@example.net", "outsider")[1]
    fields = {"name": "Ops", "description": "Operations."}
    response, body = send(client, "POST", "/admin/api/v1/service-lists", fields, status=401)
    check(spec, response, body, request_is_valid=False)
    response, body = send(client, "POST", "/admin/api/v1/service-lists", fields, True, status=401,
                          headers={"Authorization": "Bearer sbt_not_a_token"})
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    check(spec, response, body)
    check(spec, client.delete("/admin/api/v1/services/web-api", status=403,
                              headers={"Authorization": f"Bearer {outsider}"}))


def test_a_session_write_with_its_csrf_token_answers_as_described(client, spec, board):
    from tests.fixtures.sign_in import sign_in_locally

    sign_in_locally(client, ADMIN_EMAIL)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get("/admin/").text).group(1)
    fields = {"name": "Ops", "description": "Operations."}
    response, body = send(client, "POST", "/admin/api/v1/service-lists", fields, headers={"X-CSRFToken": token},
                          status=201)
    check(spec, response, body)
    response, body = send(client, "POST", "/admin/api/v1/service-lists", fields, status=400)
    check(spec, response, body, request_is_valid=False)


def test_an_oversized_body_is_a_described_413(client, admin, spec, board):
    fields = {"name": "Big", "description": BIG}
    response, body = send(client, "POST", "/admin/api/v1/services", fields, headers=admin.headers, status=413)
    check(spec, response, body, request_is_valid=False)


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/api/v1/services"), ("DELETE", "/api/v1/services/web-api"), ("PUT", "/admin/api/v1/services"),
    ("DELETE", "/admin/api/v1/levels"),
])
def test_a_method_a_root_does_not_take_is_a_405_in_the_described_error_shape(client, document, board, method,
                                                                             path):
    response = client.request(path, method=method, status=405)
    assert_json_error(response, 405)
    assert "GET" in response.headers["Allow"]
    described = document["components"]["responses"]["405"]["content"]["application/json"]["schema"]
    OAS31Validator({**described, "components": document["components"]}).validate(response.json)
