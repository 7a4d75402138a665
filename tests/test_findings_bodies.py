"""Bodies a visitor can send to knock a server over: oversized without a length, nested too deep."""

import hashlib
import hmac
import io
import json

import pytest
from werkzeug.test import EnvironBuilder, run_wsgi_app

from tests.helpers import assert_json_error
from tests.test_hooks import PD_SECRET, issue

THREE_MIB = 3 * 1024 * 1024


def send_chunked(app, path, body, headers):
    """POST `body` as a chunked request (no Content-Length), as a WSGI server hands it on."""
    environ = EnvironBuilder(path=path, method="POST", headers=headers).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    environ["wsgi.input"] = io.BytesIO(body)
    environ["wsgi.input_terminated"] = True
    iterable, status, response_headers = run_wsgi_app(app, environ, buffered=True)
    return int(status.split()[0]), dict(response_headers), b"".join(iterable)


def test_a_chunked_body_over_one_mib_is_a_json_413_on_the_api(app, token, service):
    body = json.dumps({"description": "x" * THREE_MIB}).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    status, headers, raw = send_chunked(app, "/admin/api/v1/services/web-api", body, headers)
    assert status == 413
    assert headers["Content-Type"].startswith("application/json")
    assert json.loads(raw)["code"] == 413


def test_a_chunked_body_over_one_mib_is_a_413_on_a_hook(app, client, service):
    secret = issue(app, "generic")
    body = json.dumps({"service": "web-api", "status": "down", "message": "x" * THREE_MIB}).encode()
    status, headers, raw = send_chunked(app, "/hooks/generic", body, {"Authorization": f"Bearer {secret}"})
    assert status == 413
    assert json.loads(raw)["code"] == 413
    assert client.get("/api/v1/services/web-api").json["current-event"] is None


def test_a_chunked_body_over_one_mib_is_a_413_page_on_the_admin(app):
    status, headers, raw = send_chunked(app, "/admin/services/new", b"name=" + b"x" * THREE_MIB,
                                        {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 413
    assert headers["Content-Type"].startswith("text/html")


def test_a_small_chunked_body_is_read_whole(app, token, service):
    body = json.dumps({"description": "Chunked, and that is fine."}).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    status, _, raw = send_chunked(app, "/admin/api/v1/services/web-api", body, headers)
    assert status == 200, raw
    assert json.loads(raw)["description"] == "Chunked, and that is fine."


NESTED = [b"[" * 100_000, b'{"a":' * 100_000, b"[" * 5000 + b"]" * 5000]


@pytest.mark.parametrize("body", NESTED)
def test_deeply_nested_json_is_a_400_on_the_api(admin, service, body):
    response = admin.client.post("/admin/api/v1/services/web-api", body, status="*",
                                 headers={**admin.headers, "Content-Type": "application/json"})
    assert_json_error(response, 400)
    assert "nested" in response.json["message"]


@pytest.mark.parametrize("kind", ["generic", "alertmanager", "nagios", "pagerduty"])
def test_deeply_nested_json_is_a_400_on_every_hook(app, client, kind):
    # Hooks read JSON whatever the Content-Type; PagerDuty's is signed as PagerDuty signs it.
    secret = issue(app, kind, **({"signing_secret": PD_SECRET} if kind == "pagerduty" else {}))
    signature = "v1=" + hmac.new(PD_SECRET.encode(), NESTED[0], hashlib.sha256).hexdigest()
    response = client.post(f"/hooks/{kind}", NESTED[0], status="*", headers={
        "Authorization": f"Bearer {secret}", "Content-Type": "text/plain", "X-PagerDuty-Signature": signature})
    assert_json_error(response, 400)


def test_json_nested_as_deep_as_real_payloads_is_read(admin, service):
    body = {"description": "Brackets in text are not nesting: " + "[" * 500}
    response = admin.post_json("/services/web-api", body, status=200)
    assert response.json["description"] == body["description"]
