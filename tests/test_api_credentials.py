"""Admin credentials on the API: bearer tokens from the command line, revocation, non-admins."""

import hashlib

import pytest

from models import Admin, ApiToken
from tests.helpers import assert_json_error, board_state

NEW_SERVICE = {"name": "Web", "description": "x"}


def cli(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def write(client, token, status="*"):
    return client.post(
        "/admin/api/v1/services", NEW_SERVICE, headers={"Authorization": f"Bearer {token}"}, status=status
    )


def test_create_api_token_prints_a_working_token_on_its_last_line(app, client):
    output = cli(app, "create-api-token", "ops@example.com", "--name", "nagios")
    assert "Added ops@example.com to the admins." in output
    token = output.strip().splitlines()[-1]
    created = write(client, token, status=201).json
    assert created["id"] == "web"


def test_without_a_credential_a_write_is_a_401_and_creates_nothing(client):
    assert_json_error(client.post("/admin/api/v1/services", NEW_SERVICE, status="*"), 401)
    assert client.get("/api/v1/services").json == {"services": []}


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer nonsense", "Bearer sbt_abc_def", "Basic YWRtaW46YWRtaW4=", "Token sbt_x_y", "bearer "],
)
def test_a_malformed_or_unknown_credential_is_a_401(client, header):
    response = client.post("/admin/api/v1/services", NEW_SERVICE, headers={"Authorization": header}, status="*")
    assert_json_error(response, 401)
    assert client.get("/api/v1/services").json == {"services": []}


def test_a_token_with_a_wrong_secret_is_a_401(client, token):
    prefix, token_id, secret = token.split("_", 2)
    assert_json_error(write(client, f"{prefix}_{token_id}_{'A' * len(secret)}"), 401)


def test_revoking_a_token_makes_its_next_write_a_401(app, client):
    token = cli(app, "create-api-token", "ops@example.com").strip().splitlines()[-1]
    write(client, token, status=201)
    assert "Revoked token" in cli(app, "revoke-api-token", token)
    before = board_state(client)
    assert_json_error(write(client, token), 401)
    assert board_state(client) == before


def test_a_token_can_be_revoked_by_its_id(app, client):
    token = cli(app, "create-api-token", "ops@example.com").strip().splitlines()[-1]
    token_id = token.split("_")[1]
    assert token_id in cli(app, "list-api-tokens")
    cli(app, "revoke-api-token", token_id)
    assert "revoked" in cli(app, "list-api-tokens")
    assert_json_error(write(client, token), 401)


def test_revoking_an_unknown_token_says_so(app):
    result = app.test_cli_runner().invoke(args=["revoke-api-token", "nope"])
    assert result.exit_code != 0
    assert "No API token" in result.output


def test_a_token_of_someone_no_longer_admin_is_a_403(app, client, ndb_context):
    admin, _ = Admin.allow("former@example.com", added_by="test")
    _, token = ApiToken.issue("former@example.com", "old script")
    admin.remove()
    before = board_state(client)
    assert_json_error(write(client, token), 403)
    assert board_state(client) == before


def test_tokens_are_stored_hashed_and_record_their_last_use(app, client, ndb_context):
    stored, token = ApiToken.issue("admin@example.com", "pagerduty")
    assert stored.last_used is None
    write(client, token, status=201)
    stored = ApiToken.get_by_id(stored.token_id)
    assert stored.last_used is not None
    assert token not in repr(stored.to_dict())
    assert stored.secret_hash == hashlib.sha256(token.encode()).hexdigest()


def test_configured_admins_need_no_allowlist_entry(client, ndb_context):
    _, token = ApiToken.issue("admin@example.com", "tests")  # ADMIN_EMAILS in the test config
    assert not Admin.is_listed("admin@example.com")
    write(client, token, status=201)
