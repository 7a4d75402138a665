"""API credentials, the admins' allowlist and the audit log, from the admin UI."""

import re

from tests.fixtures.datastore import ADMIN_EMAIL
from tests.fixtures.sign_in import sign_in_locally
from tests.helpers import assert_json_error

LIST = {"name": "Core", "description": "Core services"}


def create_token(client, name="Nagios"):
    form = client.get("/admin/credentials").forms["token-form"]
    form["name"] = name
    page = form.submit(status=201)
    return page, page.forms["token-form"], re.search(r'value="(sbt_[^"]+)"', page.text).group(1)


def test_created_token_is_shown_once_and_writes_to_the_api(app, signed_in):
    page, _, secret = create_token(signed_in)
    assert "shown only this once" in page.text
    assert secret not in signed_in.get("/admin/credentials").text
    assert "Set-Cookie" not in page.headers or secret not in page.headers["Set-Cookie"]
    response = signed_in.post("/admin/api/v1/service-lists", LIST, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_int == 201
    listing = signed_in.get("/admin/credentials").text
    assert "Nagios" in listing and ADMIN_EMAIL in listing and "never" not in listing.split("Nagios")[1].split("</tr>")[0]


def test_token_list_shows_owner_created_and_last_used(signed_in, token):
    listing = signed_in.get("/admin/credentials")
    row = listing.html.select("tr.token")[0].get_text(" ", strip=True)
    assert "tests" in row and ADMIN_EMAIL in row and "UTC" in row and "never" in row


def test_revoking_a_token_makes_its_next_write_401(signed_in, token):
    headers = {"Authorization": f"Bearer {token}"}
    assert signed_in.post("/admin/api/v1/service-lists", LIST, headers=headers).status_int == 201
    token_id = token.split("_")[1]
    confirm = signed_in.get(f"/admin/credentials/{token_id}/revoke")
    confirm.forms["confirm-form"].submit(status=302)
    response = signed_in.post(
        "/admin/api/v1/service-lists", {"name": "Other", "description": "x"}, headers=headers, status="*"
    )
    assert_json_error(response, 401)
    assert "Revoked" in signed_in.get("/admin/credentials").text


def test_token_made_in_the_ui_for_a_local_admin_works(client):
    sign_in_locally(client, "dev@example.com", admin=True)
    _, _, secret = create_token(client, "dev script")
    response = client.post("/admin/api/v1/service-lists", LIST, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_int == 201


def test_token_name_is_required(signed_in):
    page = signed_in.get("/admin/credentials").forms["token-form"].submit(status=400)
    assert "This field is required." in page.text


def test_command_line_tokens_share_the_store(app, signed_in):
    output = app.test_cli_runner().invoke(args=["create-api-token", "robot@example.com", "--name", "cron"]).output
    assert "cron" in signed_in.get("/admin/credentials").text
    secret = output.strip().splitlines()[-1]
    response = signed_in.post("/admin/api/v1/service-lists", LIST, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_int == 201


def test_adding_and_removing_an_admin(client):
    sign_in_locally(client)
    form = client.get("/admin/admins").forms["admin-form"]
    form["email"] = "Ops@Example.org"
    assert "ops@example.org is now an admin." in form.submit(status=302).follow().text
    second = client.__class__(client.app, extra_environ=client.extra_environ)
    sign_in_locally(second, "ops@example.org")
    assert second.get("/admin/").status_int == 200
    client.get("/admin/admins/ops@example.org/remove").forms["confirm-form"].submit(status=302)
    assert second.get("/admin/", status=403)


def test_adding_a_malformed_admin_email_keeps_it_with_the_error(signed_in):
    form = signed_in.get("/admin/admins").forms["admin-form"]
    form["email"] = "nobody"
    page = form.submit(status=400)
    assert "is not an email address" in page.text
    assert page.forms["admin-form"]["email"].value == "nobody"


def test_an_admin_cannot_remove_themselves(app, client):
    from handlers.context import ndb_context
    from models import Admin

    with ndb_context(app):
        Admin.allow("ops@example.org", added_by="test")
    sign_in_locally(client, "ops@example.org")
    page = client.get("/admin/admins/ops@example.org/remove", status=302).follow()
    assert "You cannot remove yourself" in page.text
    with ndb_context(app):
        assert Admin.is_listed("ops@example.org")


# --- the audit log -------------------------------------------------------------------


def test_audit_log_lists_ui_api_and_command_line_changes_newest_first(app, signed_in, admin):
    form = signed_in.get("/admin/lists/new").forms["edit-form"]
    form["name"], form["description"] = "Core", "Core services"
    form.submit(status=302)
    admin.post("/services", {"name": "Web API", "description": "The API", "list": "core"}, status=201)
    app.test_cli_runner().invoke(args=["revoke-api-token", admin.headers["Authorization"].split()[1]])
    rows = [r.get_text(" ", strip=True) for r in signed_in.get("/admin/audit").html.select("tr.audit-entry")]
    assert "via cli" in rows[0] and "ApiToken" in rows[0]
    assert "via token “tests”" in rows[1] and "Service" in rows[1] and "Web API" in rows[1]
    assert any("via session" in row and "ServiceList" in row and "Core services" in row for row in rows)


def test_audit_log_shows_before_and_after_of_an_update(signed_in, admin):
    admin.post("/service-lists", LIST, status=201)
    form = signed_in.get("/admin/lists/core/edit").forms["edit-form"]
    form["description"] = "The core"
    form.submit(status=302)
    row = signed_in.get("/admin/audit").html.select("tr.audit-entry")[0]
    assert row.select_one("del").get_text() == "Core services"
    assert row.select_one("ins").get_text() == "The core"


def test_audit_log_filters_by_entity_and_actor(signed_in, admin):
    admin.post("/service-lists", LIST, status=201)
    form = signed_in.get("/admin/services/new").forms["edit-form"]
    form["name"], form["description"] = "Email", "Outbound email"
    form.submit(status=302)
    by_kind = signed_in.get("/admin/audit", {"kind": "ServiceList"}).html.select("tr.audit-entry")
    assert by_kind and all("ServiceList" in r.get_text() for r in by_kind)
    by_actor = signed_in.get("/admin/audit", {"actor": ADMIN_EMAIL, "kind": "Service"}).html.select("tr.audit-entry")
    assert len(by_actor) == 1 and "Email" in by_actor[0].get_text()
    assert not signed_in.get("/admin/audit", {"actor": "nobody@example.com"}).html.select("tr.audit-entry")


def test_audit_log_pages_to_older_entries(signed_in, admin):
    for n in range(26):
        admin.post("/service-lists", {"name": f"List {n}", "description": "x"}, status=201)
        admin.post(f"/service-lists/list-{n}", {"description": "y"}, status=200)
    first = signed_in.get("/admin/audit")
    assert len(first.html.select("tr.audit-entry")) == 50
    older = first.click(description="Older changes")
    assert len(older.html.select("tr.audit-entry")) >= 2


def test_audit_log_refuses_an_unknown_kind(signed_in):
    assert signed_in.get("/admin/audit", {"kind": "Nope"}, status=400)
