"""The admin UI's integrations, subscribers and probes: created, shown, revoked; attempts and failures visible."""

import re

from tests.fixtures.served import LocalServer


def create_integration(client, **fields):
    form = client.get("/admin/integrations").forms["integration-form"]
    for name, value in {"name": "Prod Alertmanager", "kind": "generic", **fields}.items():
        form[name] = value
    return form.submit(status="*")


def test_an_integration_credential_is_shown_once_works_is_named_in_the_audit_log_and_revoked(signed_in, admin,
                                                                                                service):
    page = create_integration(signed_in, severities="page = down")
    assert page.status_int == 201 and "shown only this once" in page.text
    secret = re.search(r'value="(sbi_[^"]+)"', page.text).group(1)
    assert secret not in signed_in.get("/admin/integrations").text
    headers = {"Authorization": f"Bearer {secret}"}
    signed_in.post_json("/hooks/generic", {"service": "web-api", "status": "page", "message": "Paged"},
                        headers=headers, status=200)
    assert signed_in.get("/api/v1/services/web-api").json["current-event"]["status"]["id"] == "down"
    audit = signed_in.get("/admin/audit").text
    assert "Prod Alertmanager" in audit and "integration" in audit
    integration_id = secret.split("_")[1]
    assert "never" not in signed_in.get("/admin/integrations").html.select("tr.integration")[0].text
    signed_in.get(f"/admin/integrations/{integration_id}/revoke").forms["confirm-form"].submit(status=302)
    signed_in.post_json("/hooks/generic", {"service": "web-api", "status": "up"}, headers=headers, status=401)


def test_a_bad_rule_is_refused_on_the_form_and_a_rule_can_be_changed(signed_in, service):
    page = create_integration(signed_in, severities="page = no-such-status")
    assert page.status_int == 400 and "no-such-status" in page.text
    assert create_integration(signed_in, kind="pagerduty").status_int == 400  # no signing secret
    page = create_integration(signed_in, services="checkout = web-api")
    integration_id = re.search(r'value="sbi_([a-z0-9]+)_', page.text).group(1)
    form = signed_in.get(f"/admin/integrations/{integration_id}/edit").forms["edit-form"]
    assert form["services"].value == "checkout = web-api"
    form["services"] = "shop = web-api"
    form.submit(status=302)
    assert "shop → web-api" in signed_in.get("/admin/integrations").text


def test_subscribers_are_managed_and_their_deliveries_attempts_and_failures_shown(signed_in, admin, service):
    target = LocalServer([500])
    try:
        form = signed_in.get("/admin/subscribers/new").forms["edit-form"]
        form["name"], form["url"], form["format"] = "Ops <hook>", target.url, "json"
        form.submit(status=302)
        listing = signed_in.get("/admin/subscribers/")
        assert "Ops &lt;hook&gt;" in listing.text and target.url in listing.text
        admin.post("/services/web-api/events", {"status": "down", "message": "Down."}, status=201)
        signed_in.get("/_tasks/outbox/sweep")
        row = signed_in.get("/admin/subscribers/").html.select("tr.delivery")[0].get_text(" ", strip=True)
        assert "pending" in row and "HTTP 500" in row and "1" in row
        form = signed_in.get("/admin/subscribers/ops-hook/edit").forms["edit-form"]
        form["url"] = "gopher://nope"
        assert "http" in form.submit(status=400).text
        form = signed_in.get("/admin/subscribers/ops-hook/edit").forms["edit-form"]
        form["services"] = "web-api, nope"
        assert "no service" in form.submit(status=400).text
        form["services"] = "web-api"
        form.submit(status=302)
        assert signed_in.get("/admin/subscribers/ops-hook/edit").forms["edit-form"]["services"].value == "web-api"
    finally:
        target.stop()


def test_a_probe_is_set_up_and_listed_from_the_admin(signed_in, service):
    form = signed_in.get("/admin/probes/web-api").forms["probe-form"]
    form["url"], form["threshold"] = "https://example.com/health", "4"
    form.submit(status=302)
    assert "https://example.com/health" in signed_in.get("/admin/probes/").text
    form = signed_in.get("/admin/probes/web-api").forms["probe-form"]
    assert form["threshold"].value == "4"
    form["threshold"] = "0"
    form.submit(status=400)
    signed_in.get("/admin/probes/web-api/delete").forms["confirm-form"].submit(status=302)
    assert "No probe" in signed_in.get("/admin/probes/").text
