"""OAuth 1.0a secrets are never sealed with the public development key outside local runs."""

import json

import pytest

import config
from tests.fixtures.datastore import make_app
from tests.fixtures.legacy import write_legacy_board


def test_the_development_key_counts_as_public_off_the_emulator():
    assert config.from_environment({})["TOKEN_SECRETS_KEY_PUBLIC"] is True
    assert config.from_environment({"DATASTORE_EMULATOR_HOST": "localhost:8081"})["TOKEN_SECRETS_KEY_PUBLIC"] is False
    assert config.from_environment({"TOKEN_SECRETS_KEY": "k"})["TOKEN_SECRETS_KEY_PUBLIC"] is False
    assert config.from_environment({"SECRET_KEY": "k"})["TOKEN_SECRETS_KEY_PUBLIC"] is False


@pytest.fixture
def workstation(emulator):
    """The app as a workstation pointed at the real Datastore without TOKEN_SECRETS_KEY sees it."""
    return make_app(TOKEN_SECRETS_KEY=config.DEVELOPMENT_TOKEN_SECRETS_KEY, TOKEN_SECRETS_KEY_PUBLIC=True)


def test_create_oauth1_token_refuses_the_public_key(workstation):
    result = workstation.test_cli_runner().invoke(args=["create-api-token", "--oauth1", "ops@example.com"])
    assert result.exit_code != 0
    assert "TOKEN_SECRETS_KEY is not set" in result.output
    assert "Traceback" not in result.output
    assert "ops@example.com" not in result.output  # nothing was issued


def test_migrate_1x_refuses_the_public_key_but_its_dry_run_still_reports(workstation):
    write_legacy_board(workstation.config["NDB_NAMESPACE"])
    runner = workstation.test_cli_runner()
    dry = runner.invoke(args=["migrate-1x", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    result = runner.invoke(args=["migrate-1x"])
    assert result.exit_code != 0
    assert "TOKEN_SECRETS_KEY is not set" in result.output


def test_migration_blanks_the_1x_profile_secret_and_the_token_keeps_working(app, client, legacy_board):
    from tests.test_api_oauth1 import signed

    runner = app.test_cli_runner()
    dry = runner.invoke(args=["migrate-1x", "--dry-run"])
    assert "blanks each 1.x Profile's OAuth secret" in dry.output
    assert legacy_board.client.get(legacy_board.keys["profile"])["secret"] == legacy_board.profile["secret"]
    for outcome in ("created", "existing"):  # a second run finds the token adopted, the secret blank
        result = runner.invoke(args=["migrate-1x", "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["counts"]["tokens"][outcome] == 1
        assert legacy_board.client.get(legacy_board.keys["profile"])["secret"] == ""
    profile = legacy_board.profile
    answer = signed(client, profile["token"], profile["secret"], "/services/web-api/events",
                    {"message": "Still here", "status": "down"})
    assert answer.status_int == 201, answer.text
