"""From the admin UI: OAuth 1.0a tokens for 1.x clients, and the upgrade from a 1.x board."""

import re
from urllib.parse import urlencode

from oauthlib.oauth1 import Client


def test_an_oauth_token_is_issued_shown_once_and_signs_writes(signed_in):
    form = signed_in.get("/admin/credentials").forms["token-form"]
    form["name"] = "Old Nagios"
    form["kind"] = "oauth1"
    page = form.submit(status=201)
    access_token = re.search(r'id="new-access-token"[^>]*value="([^"]+)"', page.text).group(1)
    secret = re.search(r'id="new-secret"[^>]*value="([^"]+)"', page.text).group(1)
    assert "anonymous" in page.text and "shown only this once" in page.text
    listing = signed_in.get("/admin/credentials").text
    assert secret not in listing and "OAuth 1.0a" in listing

    signer = Client("anonymous", client_secret="anonymous", resource_owner_key=access_token,
                    resource_owner_secret=secret)
    uri, headers, body = signer.sign("http://status.example.com/admin/api/v1/service-lists", "POST",
                                     urlencode({"name": "Core", "description": "Core"}),
                                     {"Content-Type": "application/x-www-form-urlencoded"})
    fresh = signed_in.__class__(signed_in.app, extra_environ={"HTTP_HOST": "status.example.com"})  # no session
    assert fresh.post("/admin/api/v1/service-lists", body, headers=headers).status_int == 201
    row = [r for r in signed_in.get("/admin/credentials").html.select("tr.token") if "Old Nagios" in r.text][0]
    assert "never" not in row.get_text()


def test_the_upgrade_page_shows_a_dry_run_then_migrates(signed_in, legacy_board):
    page = signed_in.get("/admin/upgrade")
    assert "What migrating would do" in page.text
    counts = page.html.select_one("#upgrade-counts").get_text(" ", strip=True)
    assert "services 3 3 0 0" in counts and "events 6 5 0 1" in counts
    assert "data_store" in page.text  # a problem is reported
    assert signed_in.get("/api/v1/services").json["services"] == []

    done = page.forms["upgrade-form"].submit(status=200)
    assert "Migrated." in done.text
    assert len(signed_in.get("/api/v1/services").json["services"]) == 3
    again = signed_in.get("/admin/upgrade").html.select_one("#upgrade-counts").get_text(" ", strip=True)
    assert "services 3 0 3 0" in again
    audit = signed_in.get("/admin/audit").text
    assert "LegacyMigration" in audit


def test_the_upgrade_post_needs_its_csrf_token(signed_in, legacy_board):
    signed_in.post("/admin/upgrade", {}, status=400)
    assert signed_in.get("/api/v1/services").json["services"] == []
