"""A reader's journey in headless Chromium: subscribe by e-mail from the front page to two of three
services, confirm from the link a real SMTP server (aiosmtpd) received, get an incident as one
thread of three messages, nothing about the third service, and nothing more after the one-click
unsubscribe a mail client posts. Mail goes out when the cron's task URL is called, as on App Engine."""

import re
import urllib.parse
import urllib.request

import pytest

from tests.fixtures.browser import LiveServer
from tests.fixtures.served import wait_for

pytestmark = pytest.mark.browser

ADDRESS = "reader@example.com"


@pytest.fixture(scope="module")
def site(board_app, mailbox):
    """The app, mailing through the mailbox, on a board of three services, served over HTTP."""
    from handlers.context import ndb_context
    from models import Service

    board_app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=mailbox.port, SMTP_TLS="none",
                            MAIL_FROM="Status <status@example.com>")
    with board_app.app_context(), ndb_context(board_app):
        for name in ("Web API", "Email", "Search"):
            Service.create(name, f"The {name}.")
    server = LiveServer(board_app)
    yield server
    server.stop()


def run_mail(site):
    """Call the mail sweep's task URL, as the cron does; answers its counts."""
    with urllib.request.urlopen(f"{site.url}/_tasks/mail/sweep", timeout=60) as answer:
        return answer.read().decode()


def link(message, path):
    """The first link to `path…` in a message's plain text."""
    return re.search(rf"https?://\S+{path}\S+", message.get_body(("plain",)).get_content()).group(0)


def incident(site, services, updates):
    """Open an incident on `services`, post `updates` (states), calling the mail sweep after each
    write as the task a write sets going would; answers the incident's id."""
    from handlers.context import ndb_context
    from models import Incident

    with site.app.app_context(), ndb_context(site.app):
        incident_id = Incident.open("API errors", services, "Some requests fail.").incident_id
    run_mail(site)
    for state in updates:
        with site.app.app_context(), ndb_context(site.app):
            Incident.get_or_404(incident_id).post_update(f"Now {state}.", state=state)
        run_mail(site)
    return incident_id


def test_a_reader_subscribes_confirms_follows_one_incident_and_unsubscribes_in_one_click(page, site, mailbox):
    page.goto(site.url + "/")
    page.get_by_role("link", name="Subscribe", exact=True).click()
    by_mail = page.locator("form.subscribe-form").first  # the e-mail form; channels' comes after it
    by_mail.get_by_label("E-mail address").fill(ADDRESS)
    by_mail.get_by_label("Only the services I choose").check()
    by_mail.get_by_label("Web API").check()
    by_mail.get_by_label("Email", exact=True).check()
    by_mail.get_by_role("button", name="Subscribe").click()
    assert page.get_by_role("heading", name="Check your inbox").is_visible()

    run_mail(site)
    (confirmation,) = wait_for(lambda: mailbox.all(), 10)
    assert confirmation["To"] == ADDRESS and confirmation["List-Unsubscribe"] is None
    page.goto(link(confirmation, "/subscribe/confirm/"))
    page.get_by_role("button", name="Confirm").click()
    assert page.get_by_role("heading", name="You are subscribed").is_visible()

    incident(site, ["web-api"], ("identified", "resolved"))
    first, *rest = wait_for(lambda: mailbox.all()[1:] if len(mailbox.all()) >= 4 else None, 10)
    assert len(rest) == 2 and all(message["To"] == ADDRESS for message in (first, *rest))
    assert first["Message-ID"] and first["In-Reply-To"] is None
    assert all(m["In-Reply-To"] == m["References"] == first["Message-ID"] for m in rest)
    assert len({m["Message-ID"] for m in (first, *rest)}) == 3

    incident(site, ["search"], ("resolved",))  # the third service, not chosen
    assert len(mailbox.all()) == 4

    # The one-click unsubscribe as a mail client posts it (RFC 8058): no cookie, no CSRF token.
    url = rest[-1]["List-Unsubscribe"].strip("<>")
    assert rest[-1]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    request = urllib.request.Request(url, data=b"List-Unsubscribe=One-Click", method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200 and "You are unsubscribed" in answer.read().decode()
    assert urllib.parse.urlsplit(url).netloc == urllib.parse.urlsplit(site.url).netloc
    incident(site, ["web-api", "email"], ("identified",))
    assert len(mailbox.all()) == 4
    assert page.console_errors == [] and page.failed_requests == []
