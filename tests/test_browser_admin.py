"""The admin UI in real headless Chromium: sign in locally, handle an incident, read the audit log."""

import pathlib

import pytest

pytestmark = pytest.mark.browser

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


def shoot(page, name):
    """Keep a full-page screenshot to look at after the run."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"admin-{name}.png"), full_page=True)


def post_update(page, service, status, message):
    """The one-form incident update on the admin home."""
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Board", exact=True).click()
    form = page.locator("#incident-form")
    form.get_by_label("Service", exact=True).select_option(label=service)
    form.get_by_label("Status", exact=True).select_option(status)
    form.get_by_label("Message", exact=True).fill(message)
    form.get_by_role("button", name="Post update").click()
    page.get_by_text(f"Posted on {service}.").wait_for()


def test_admin_signs_in_handles_an_incident_and_reads_the_audit_log(page, live_server):
    page.goto(f"{live_server.url}/admin/")
    assert "/auth/sign-in" in page.url
    shoot(page, "sign-in")
    page.get_by_role("link", name="Local development sign-in").click()
    page.get_by_label("Email").fill("oncall@example.com")
    page.get_by_label("Sign in as an administrator").check()
    shoot(page, "local-sign-in")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Update the board").wait_for()

    page.get_by_role("link", name="New service").click()
    page.get_by_label("Name").fill("Search")
    page.get_by_label("Description").fill("Full-text search across the dashboard.")
    page.get_by_label("List").select_option(label="Core")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Created Search.").wait_for()

    post_update(page, "Search", "down", "Search is failing; we are investigating.")
    shoot(page, "home")
    page.goto(f"{live_server.url}/")
    board = page.locator("main").inner_text()
    assert "Search" in board
    assert "Search is failing; we are investigating." in board
    assert "Down" in board

    page.goto(f"{live_server.url}/admin/")
    post_update(page, "Search", "up", "Search is back to normal.")
    # The front page may be cached for a minute (Cache-Control); ask for a fresh copy.
    page.goto(f"{live_server.url}/?resolved")
    board = page.locator("main").inner_text()
    assert "Search is back to normal." in board
    assert "Search: Down" not in board

    page.goto(f"{live_server.url}/admin/audit?kind=Event&actor=oncall@example.com")
    shoot(page, "audit")
    rows = page.locator("tr.audit-entry").all_inner_texts()
    assert len(rows) == 2
    assert "Search is back to normal." in rows[0] and "via session" in rows[0]
    assert "Search is failing; we are investigating." in rows[1]
    assert not page.console_errors
    assert not page.failed_requests


def test_admin_pages_render_cleanly(page, live_server):
    page.goto(f"{live_server.url}/auth/local?next=/admin/")
    page.get_by_label("Email").fill("admin@example.com")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Update the board").wait_for()
    for name, path in [
        ("service", "/admin/services/payments"),
        ("statuses", "/admin/statuses/"),
        ("status-form", "/admin/statuses/new"),
        ("lists", "/admin/lists/"),
        ("credentials", "/admin/credentials"),
        ("admins", "/admin/admins"),
        ("confirm", "/admin/services/payments/delete"),
    ]:
        page.goto(f"{live_server.url}{path}")
        assert page.locator("h1").count() == 1
        shoot(page, name)
    assert not page.console_errors
    assert not page.failed_requests
