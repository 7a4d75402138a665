"""Integrations from scripts: created, listed and revoked with `flask …` commands and on the admin API,
their credential shown once, a signing secret stored sealed, every change audited."""

import json

import pytest

from models.sealed import PREFIX
from tests.test_findings_sealed import stored
from tests.test_hooks import PD_SECRET, hook

ROOT = "/admin/api/v1/integrations"


def cli(app, *args, **kwargs):
    """Run `flask --app main …` on the test's board; answers click's result."""
    return app.test_cli_runner().invoke(args=list(args), **kwargs)


def audit_of(app, kind="Integration"):
    """(action, actor's way in) of the audit log's entries about `kind`, newest first."""
    from handlers.context import ndb_context
    from models import AuditEntry

    with ndb_context(app):
        entries, _, _ = AuditEntry.newest(kind=kind)
    return [(entry.action, entry.actor_via) for entry in entries]


def test_the_command_line_creates_lists_and_revokes_an_integration(app, client, service):
    made = cli(app, "create-integration", "Cron checks", "--kind", "generic", "--service", "Checkout=web-api",
               "--severity", "page=down")
    assert made.exit_code == 0, made.output
    secret = made.output.strip().splitlines()[-1]
    assert secret.startswith("sbi_") and "shown only this once" in made.output
    integration_id = secret.split("_")[1]
    hook(client, "generic", secret, {"service": "checkout", "status": "page"}, status=200)
    assert client.get("/api/v1/services/web-api").json["current-event"]["status"]["id"] == "down"

    listed = cli(app, "list-integrations").output
    assert integration_id in listed and "'Cron checks'" in listed and "active" in listed and secret not in listed
    assert cli(app, "revoke-integration", secret).output.startswith(f"Revoked integration {integration_id}")
    assert "revoked" in cli(app, "list-integrations").output
    hook(client, "generic", secret, {"service": "web-api", "status": "up"}, status=401)
    assert audit_of(app)[:2] == [("update", "cli"), ("create", "cli")]


def test_the_command_line_refuses_bad_input_clearly_and_seals_a_signing_secret(app):
    refused = cli(app, "create-integration", "Pager", "--kind", "pagerduty")
    assert refused.exit_code == 1 and "signing secret" in refused.output and "Traceback" not in refused.output
    assert "no-such-status" in cli(app, "create-integration", "X", "--kind", "generic", "--severity",
                                   "page=no-such-status").output
    assert cli(app, "create-integration", "X", "--kind", "fax").exit_code == 2
    assert "No integration 'nope'" in cli(app, "revoke-integration", "nope").output
    made = cli(app, "create-integration", "Pager", "--kind", "pagerduty", env={"PAGERDUTY_SIGNING_SECRET": PD_SECRET})
    raw, _ = stored(app, "Integration", made.output.strip().splitlines()[-1].split("_")[1])
    assert raw["signing_secret"].startswith(PREFIX) and PD_SECRET not in json.dumps(dict(raw), default=str)


def test_the_admin_api_creates_lists_and_revokes_an_integration(app, client, admin, service):
    body = {"name": "Prod Alertmanager", "kind": "alertmanager", "service_label": "app",
            "services": {"checkout": "web-api"}, "severities": {"page": "down"}}
    made = admin.post_json("/integrations", body, status=201).json
    secret = made.pop("secret")
    assert secret.startswith(f"sbi_{made['id']}_")
    assert made["hook"] == "http://status.example.com/hooks/alertmanager"
    assert made["services"] == {"checkout": "web-api"} and made["revoked"] is None and not made["signing_secret"]
    listed = client.get(ROOT, headers=admin.headers, status=200)
    assert [i["id"] for i in listed.json["integrations"]] == [made["id"]] and secret not in listed.text
    assert "secret_hash" not in listed.text
    assert client.get(f"{ROOT}/{made['id']}", headers=admin.headers).json == made

    alert = {"status": "firing", "labels": {"app": "Checkout", "severity": "page"}, "fingerprint": "f1"}
    hook(client, "alertmanager", secret, {"alerts": [alert]}, status=200)
    assert client.get("/api/v1/services/web-api").json["current-event"]["status"]["id"] == "down"
    revoked = admin.delete(f"/integrations/{made['id']}", status=200).json
    assert revoked["revoked"] and revoked["last_used"]
    hook(client, "alertmanager", secret, {"alerts": [alert]}, status=401)
    assert audit_of(app)[:2] == [("update", "token"), ("create", "token")]

    form = admin.post("/integrations", {"name": "Pager", "kind": "pagerduty", "signing_secret": PD_SECRET}, status=201)
    raw, _ = stored(app, "Integration", form.json["id"])
    assert form.json["signing_secret"] is True and raw["signing_secret"].startswith(PREFIX)


@pytest.mark.one_board  # refused: the board does not change
@pytest.mark.parametrize("body, code, words", [
    ({"kind": "generic"}, 400, "name"),
    ({"name": "X"}, 400, "kind"),
    ({"name": "X", "kind": "fax"}, 400, "kind"),
    ({"name": "X", "kind": "pagerduty"}, 400, "signing secret"),
    ({"name": "X", "kind": "generic", "severities": {"page": "no-such-status"}}, 404, "no-such-status"),
    ({"name": "X", "kind": "generic", "services": {"a": ["b"]}}, 400, "services"),
    ({"name": "X", "kind": "generic", "services": "not a rule"}, 400, "services"),
    ({"name": "X", "kind": "generic", "service_label": "a label"}, 400, "service_label"),
    ([1], 400, "object"),
])
def test_bad_input_on_the_admin_api_is_a_clear_json_error(admin, body, code, words):
    answer = admin.post_json("/integrations", body, status=code).json
    assert answer["error"] is True and words in answer["message"]


@pytest.mark.one_board
def test_integrations_need_an_admin_credential_and_are_not_on_the_public_root(client, admin):
    for method, path in (("get", ROOT), ("post", ROOT), ("get", f"{ROOT}/abc"), ("delete", f"{ROOT}/abc")):
        assert getattr(client, method)(path, status=401).json["error"] is True
    assert client.get(ROOT, headers={"Authorization": "Bearer sbt_x_y"}, status=401).json["code"] == 401
    assert client.get("/api/v1/integrations", status=404).json["code"] == 404
    assert client.get(f"{ROOT}/abc", headers=admin.headers, status=404).json["message"] == "No integration 'abc'."
    assert admin.delete("/integrations/abc", status=404).json["code"] == 404
