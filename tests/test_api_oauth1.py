"""OAuth 1.0a signed writes on /admin/api/v1, as Stashboard 1.x clients send them."""

import time
from urllib.parse import urlencode

import pytest
from oauthlib.oauth1 import SIGNATURE_TYPE_AUTH_HEADER, SIGNATURE_TYPE_BODY, SIGNATURE_TYPE_QUERY, Client

from tests.fixtures.datastore import ADMIN_EMAIL
from tests.helpers import assert_json_error, board_state

ROOT = "http://status.example.com/admin/api/v1"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def oauth_token(app):
    """An OAuth 1.0a access token and secret issued by the app: (token id, access token, secret)."""
    from handlers.context import ndb_context
    from models import ApiToken
    from models.oauth1 import SecretBox

    with ndb_context(app):
        token, access_token, secret = ApiToken.issue_oauth(ADMIN_EMAIL, "nagios", SecretBox(app.config["TOKEN_SECRETS_KEY"]))
    return token.token_id, access_token, secret


def signed(client, access_token, secret, path, fields, where=SIGNATURE_TYPE_AUTH_HEADER, consumer_secret="anonymous",
           timestamp=None, nonce=None, method="POST"):
    """Send `fields` to `path`, signed as a 1.x client signs (HMAC-SHA1, consumer anonymous)."""
    signer = Client("anonymous", client_secret=consumer_secret, resource_owner_key=access_token,
                    resource_owner_secret=secret, signature_type=where, timestamp=timestamp, nonce=nonce)
    body = urlencode(fields) if fields else None
    uri, headers, body = signer.sign(ROOT + path, http_method=method, body=body, headers=dict(FORM) if body else None)
    url = uri.removeprefix("http://status.example.com")
    if method == "DELETE":
        return client.delete(url, headers=headers, status="*")
    return client.post(url, body or "", headers=headers, status="*")


@pytest.mark.parametrize("where", [SIGNATURE_TYPE_AUTH_HEADER, SIGNATURE_TYPE_BODY, SIGNATURE_TYPE_QUERY])
def test_signed_writes_are_accepted_wherever_the_parameters_travel(client, oauth_token, where):
    _, access_token, secret = oauth_token
    answer = signed(client, access_token, secret, "/services", {"name": "Web API", "description": "The API"}, where)
    assert answer.status_int == 201, answer.text
    assert answer.json["id"] == "web-api"
    assert "oauth_signature" not in answer.text


def test_a_signed_write_is_audited_and_marks_the_token_used(app, client, oauth_token):
    token_id, access_token, secret = oauth_token
    signed(client, access_token, secret, "/service-lists", {"name": "Core", "description": "Core"})
    from handlers.context import ndb_context
    from models import ApiToken, AuditEntry

    with ndb_context(app):
        entry = AuditEntry.query(AuditEntry.kind == "ServiceList").fetch()[0]
        token = ApiToken.find(token_id)
        logged = str([(e.before, e.after) for e in AuditEntry.query().fetch()])
    assert (entry.actor_email, entry.actor_via, entry.token_name) == (ADMIN_EMAIL, "oauth1", "nagios")
    assert token.last_used is not None
    assert "oauth_secret_sealed" not in logged and secret not in logged
    assert secret not in str(token.oauth_secret_sealed)


@pytest.mark.parametrize("case", ["wrong secret", "wrong consumer secret", "stale timestamp", "future timestamp",
                                  "unknown token", "replayed nonce", "revoked"])
def test_bad_signatures_are_401_and_change_nothing(app, client, oauth_token, case):
    token_id, access_token, secret = oauth_token
    fields = {"name": "Web API", "description": "The API"}
    kwargs = {}
    if case == "wrong secret":
        secret = secret + "x"
    elif case == "wrong consumer secret":
        kwargs["consumer_secret"] = "not-anonymous"
    elif case == "stale timestamp":
        kwargs["timestamp"] = str(int(time.time()) - 3600)
    elif case == "future timestamp":
        kwargs["timestamp"] = str(int(time.time()) + 3600)
    elif case == "unknown token":
        access_token = "someone-elses-token"
    elif case == "replayed nonce":
        kwargs = {"timestamp": str(int(time.time())), "nonce": "12345678"}
        first = signed(client, access_token, secret, "/service-lists", {"name": "Core", "description": "Core"}, **kwargs)
        assert first.status_int == 201
        fields = {"name": "Core", "description": "Core"}
    elif case == "revoked":
        from handlers.context import ndb_context
        from models import ApiToken

        with ndb_context(app):
            ApiToken.find(token_id).revoke()
    before = board_state(client)
    answer = signed(client, access_token, secret, "/service-lists" if case == "replayed nonce" else "/services",
                    fields, **kwargs)
    assert_json_error(answer, 401)
    assert board_state(client) == before
    expected = {"wrong secret": "signature", "wrong consumer secret": "signature", "stale timestamp": "timestamp",
                "future timestamp": "timestamp", "unknown token": "access token", "replayed nonce": "replayed",
                "revoked": "access token"}[case]
    assert expected in answer.json["message"]


def test_a_replayed_request_is_refused_in_another_instance(emulator, client, oauth_token, app):
    """Nonces live in the Datastore: a second app (another instance) on the same namespace refuses the replay."""
    import webtest

    from tests.fixtures.datastore import make_app

    _, access_token, secret = oauth_token
    stamp, nonce = str(int(time.time())), "87654321"
    assert signed(client, access_token, secret, "/service-lists", {"name": "Core", "description": "Core"},
                  timestamp=stamp, nonce=nonce).status_int == 201
    other = webtest.TestApp(make_app(NDB_NAMESPACE=app.config["NDB_NAMESPACE"]),
                            extra_environ={"HTTP_HOST": "status.example.com"})
    again = signed(other, access_token, secret, "/service-lists", {"name": "Core", "description": "Core"},
                   timestamp=stamp, nonce=nonce)
    assert_json_error(again, 401)


def test_an_oauth_token_is_no_bearer_token(client, oauth_token):
    _, access_token, secret = oauth_token
    for value in (access_token, secret):
        answer = client.post(ROOT.removeprefix("http://status.example.com") + "/services",
                             {"name": "X", "description": "Y"}, headers={"Authorization": f"Bearer {value}"},
                             status="*")
        assert_json_error(answer, 401)


def test_a_migrated_1x_profile_token_keeps_working_unchanged(app, client, legacy_board):
    result = app.test_cli_runner().invoke(args=["migrate-1x"])
    assert result.exit_code == 0, result.output
    profile = legacy_board.profile
    answer = signed(client, profile["token"], profile["secret"], "/services/web-api/events",
                    {"message": "Still here", "status": "down"})
    assert answer.status_int == 201, answer.text
    assert client.get("/api/v1/services/web-api").json["current-event"]["message"] == "Still here"


def test_signed_deletes_are_accepted(client, oauth_token):
    _, access_token, secret = oauth_token
    signed(client, access_token, secret, "/service-lists", {"name": "Core", "description": "Core"})
    answer = signed(client, access_token, secret, "/service-lists/core", None, SIGNATURE_TYPE_QUERY, method="DELETE")
    assert answer.status_int == 200, answer.text
