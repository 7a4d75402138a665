"""Readers subscribe by e-mail with double opt-in; incidents reach them as one thread, through a real
SMTP server (aiosmtpd) the module starts. One board for the module: each test signs up its own
addresses from its own client address, so none sees another's mail or counters."""

import contextlib
import re
import socket
import threading
import time
import urllib.parse
from unittest import mock

import itsdangerous
import pytest
import webtest

from tests.fixtures.datastore import make_app


@pytest.fixture(scope="module")
def board(empty_emulator, mailbox):
    """The app, sending through the mailbox, on a board with three services."""
    from handlers.context import ndb_context
    from models import Service

    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=mailbox.port, MAIL_FROM="Status <status@example.com>")
    with app.app_context(), ndb_context(app):
        for name in ("Web API", "Email", "Search"):
            Service.create(name, f"The {name}.")
    return app


def reader(app, ip):
    """A browser from client address `ip` (its own cookies)."""
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": "status.example.com", "REMOTE_ADDR": ip})


def sign_up(client, address, services=(), status=200):
    """Fill in and send the sign-up form: the whole board, or the `services` ticked."""
    form = client.get("/subscribe").forms[0]
    form["email"] = address
    form["scope"] = "chosen" if services else "all"
    for box in form.fields.get("services", []):
        box.checked = box._value in services
    return form.submit(status=status)


def sweep(app):
    """Run the mail worker as the cron would."""
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": "status.example.com"}).get("/_tasks/mail/sweep").json


def link(message, path):
    """The path of the first link to `path…` in a message's plain text."""
    text = message.get_body(("plain",)).get_content()
    return urllib.parse.urlsplit(re.search(rf"https?://\S+{path}\S+", text).group(0)).path


def confirmed(app, client, mailbox, address, services=()):
    """Sign up and follow the confirmation link; answers the confirmation message."""
    sign_up(client, address, services)
    sweep(app)
    (message,) = mailbox.to(address)
    page = client.get(link(message, "/subscribe/confirm/"))
    assert "You are subscribed" in page.forms[0].submit().text
    return message


def incident_story(app, services, title="Search <b>slow</b> & co", updates=("identified", "resolved")):
    """Open an incident on `services` and post `updates` (states), then run the mail worker once
    (it mails the three in order); answers the incident."""
    from handlers.context import ndb_context
    from models import Incident

    with app.app_context(), ndb_context(app):
        incident = Incident.open(title, services, "Looking <script>into</script> it.")
        for state in updates:
            incident = Incident.get_or_404(incident.incident_id)
            incident.post_update(f"Now {state}.", state=state)
        sweep(app)
        return incident


def test_a_reader_of_two_services_gets_each_incident_on_them_as_one_thread_and_nothing_else(board, mailbox):
    client = reader(board, "10.0.1.1")
    confirmation = confirmed(board, client, mailbox, "ada@example.com", ("web-api", "email"))
    assert confirmation["List-Unsubscribe"] is None  # an unconfirmed address got only its confirmation

    incident = incident_story(board, ["web-api"])
    first, *rest = mailbox.to("ada@example.com")[1:]
    assert len(rest) == 2
    assert first["Message-ID"] and first["In-Reply-To"] is None
    assert all(m["In-Reply-To"] == m["References"] == first["Message-ID"] for m in rest)
    assert len({m["Message-ID"] for m in (first, *rest)}) == 3
    for message in (first, *rest):
        assert message["List-Unsubscribe"].startswith("<http://status.example.com/unsubscribe/")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.get_body(("plain",)) and message.get_body(("html",))
    html = first.get_body(("html",)).get_content()
    assert "&lt;script&gt;" in html and "<script>" not in html and "&lt;b&gt;slow&lt;/b&gt;" in html
    assert f"/incidents/{incident.incident_id}" in html

    incident_story(board, ["search"], updates=())  # the service not chosen
    assert len(mailbox.to("ada@example.com")) == 4


def test_one_click_unsubscribe_stops_every_message(board, mailbox):
    client = reader(board, "10.0.1.2")
    confirmed(board, client, mailbox, "bo@example.com")
    incident_story(board, ["email"])
    messages = mailbox.to("bo@example.com")
    assert len(messages) == 4
    url = urllib.parse.urlsplit(messages[-1]["List-Unsubscribe"].strip("<>")).path
    # A mail client posts it, with no cookie and no CSRF token.
    answer = webtest.TestApp(board).post(url, {"List-Unsubscribe": "One-Click"})
    assert "You are unsubscribed" in answer.text
    webtest.TestApp(board).post(url, {"List-Unsubscribe": "One-Click"})  # a second click says the same
    incident_story(board, ["email"], updates=())
    assert len(mailbox.to("bo@example.com")) == 4


def test_the_manage_link_changes_services_without_an_account(board, mailbox):
    client = reader(board, "10.0.1.3")
    confirmed(board, client, mailbox, "cy@example.com", ("search",))
    incident_story(board, ["search"])
    page = webtest.TestApp(board).get(link(mailbox.to("cy@example.com")[-1], "/subscriptions/"))
    form = page.forms[0]
    for box in form.fields["services"]:
        box.checked = box._value == "web-api"
    assert "Your choice is saved" in form.submit().text
    before = len(mailbox.to("cy@example.com"))
    incident_story(board, ["search"], updates=())
    assert len(mailbox.to("cy@example.com")) == before


def test_signing_up_again_makes_one_reader_and_one_confirmation(board, mailbox):
    from handlers.context import ndb_context
    from models.readers import Reader

    client = reader(board, "10.0.1.4")
    sign_up(client, "Dee@Example.com")
    sign_up(client, "dee@example.com")
    sweep(board)
    sweep(board)
    assert len(mailbox.to("Dee@example.com")) == 1 and mailbox.to("dee@example.com") == []
    with ndb_context(board):
        assert [r.address for r in Reader.query().fetch() if r.address.lower() == "dee@example.com"] == [
            "Dee@example.com"]


def test_nothing_is_sent_to_an_unconfirmed_address_and_it_expires(board, mailbox):
    from handlers.context import ndb_context
    from models import utcnow
    from models.readers import Reader, reader_id

    sign_up(reader(board, "10.0.1.5"), "eve@example.com")
    incident_story(board, ["web-api"], updates=())
    assert len(mailbox.to("eve@example.com")) == 1  # the confirmation only
    with ndb_context(board):
        pending = Reader.get_by_id(reader_id("eve@example.com"))
        pending.expires = utcnow()
        pending.put()
        time.sleep(0.01)
        assert sweep(board)["expired"] == 1
        assert Reader.get_by_id(reader_id("eve@example.com")) is None


@pytest.mark.parametrize("address", ["not-an-address", "a@b", "x@example.com\r\nBcc: y@example.com", "a" * 250 + "@x.io"])
def test_a_bad_address_gets_a_friendly_page_and_stores_nothing(board, address):
    from handlers.context import ndb_context
    from models.readers import Reader

    with ndb_context(board):
        before = Reader.query().count()
    page = sign_up(reader(board, f"10.0.2.{len(address)}"), address, status=400)
    assert "text/html" in page.content_type and ("e-mail address" in page.text or "characters" in page.text)
    with ndb_context(board):
        assert Reader.query().count() == before


def test_an_unknown_service_gets_a_friendly_page(board):
    client = reader(board, "10.0.3.1")
    form = client.get("/subscribe").forms[0]
    form["email"], form["scope"] = "fay@example.com", "chosen"
    page = client.post("/subscribe", {"csrf_token": form["csrf_token"].value, "email": "fay@example.com",
                                      "scope": "chosen", "services": "nope"}, status=400)
    assert "no service" in page.text and "nope" in page.text


def test_sign_ups_are_limited_per_client_and_per_address(board):
    client = reader(board, "10.0.4.1")
    for n in range(5):
        sign_up(client, f"g{n}@example.com")
    refused = sign_up(client, "g9@example.com", status=429)
    assert 0 < int(refused.headers["Retry-After"]) <= 3600 and "Too many" in refused.text
    for n in range(3):
        sign_up(reader(board, f"10.0.5.{n}"), "hal@example.com")
    assert int(sign_up(reader(board, "10.0.5.9"), "hal@example.com", status=429).headers["Retry-After"]) <= 86400


def test_tampered_and_expired_links_change_nothing(board, mailbox):
    from handlers.context import ndb_context
    from models.readers import Reader, reader_id

    client = reader(board, "10.0.6.1")
    sign_up(client, "ivy@example.com")
    sweep(board)
    path = link(mailbox.to("ivy@example.com")[0], "/subscribe/confirm/")
    token = path.rsplit("/", 1)[1]
    assert "not valid" in client.get(path[:-3] + "xyz", status=400).text
    assert "not valid" in client.get(f"/subscriptions/{token}", status=400).text  # a confirm token elsewhere
    assert "not valid" in webtest.TestApp(board).post(f"/unsubscribe/{token[:-2]}", status=400).text

    with ndb_context(board):
        pending = Reader.get_by_id(reader_id("ivy@example.com"))
    with mock.patch("itsdangerous.timed.time.time", return_value=time.time() - 49 * 3600):
        expired = itsdangerous.URLSafeTimedSerializer("test-secret", salt=Reader.SALTS["confirm"]).dumps(
            [pending.reader_id, pending.nonce, {"everything": True, "services": []}])
    assert "expired" in client.get(f"/subscribe/confirm/{expired}", status=400).text
    with ndb_context(board):
        assert Reader.get_by_id(reader_id("ivy@example.com")).state == "pending"


def test_a_server_too_slow_is_cut_off_in_time_and_the_confirmation_goes_out_on_the_next_run(board, mailbox):
    listener = socket.create_server(("127.0.0.1", 0))

    def dribble():
        """A greeting a byte at a time: no single read times out, only the total can."""
        connection, _ = listener.accept()
        with contextlib.suppress(OSError):
            for byte in b"220 slow\r\n":
                connection.send(bytes([byte]))
                time.sleep(0.2)

    threading.Thread(target=dribble, daemon=True).start()
    sign_up(reader(board, "10.0.7.1"), "jo@example.com")
    settings = {"SMTP_PORT": board.config["SMTP_PORT"], "SMTP_TIMEOUT_SECONDS": board.config["SMTP_TIMEOUT_SECONDS"]}
    board.config.update(SMTP_PORT=listener.getsockname()[1], SMTP_TIMEOUT_SECONDS=0.5)
    try:
        started = time.monotonic()
        assert "error" in sweep(board)
        assert time.monotonic() - started < 1.5
    finally:
        board.config.update(settings)
        listener.close()
    assert mailbox.to("jo@example.com") == []
    sweep(board)
    assert len(mailbox.to("jo@example.com")) == 1


def test_a_reader_downloads_only_its_own_data_and_deletes_it_with_what_was_sent_to_it(board, mailbox):
    from handlers.context import ndb_context
    from models.mailings import MailSend
    from models.readers import Reader, reader_id

    client = reader(board, "10.0.1.9")
    confirmed(board, client, mailbox, "di@example.com", ("email",))
    confirmed(board, reader(board, "10.0.1.10"), mailbox, "ed@example.com", ("email",))
    incident_story(board, ["email"], updates=())
    manage = link(mailbox.to("di@example.com")[-1], "/subscriptions/")
    page = client.get(manage)
    assert "Télécharger mes données" in client.get(manage + "?lang=fr").text

    download = client.get(page.html.find("a", download=True)["href"])  # a GET changes nothing
    assert download.content_type == "application/json" and "attachment" in download.headers["Content-Disposition"]
    data = download.json
    assert (data["address"], data["state"], data["services"], data["language"]) == (
        "di@example.com", "confirmed", ["email"], "en")
    assert data["signed_up"] and data["confirmed"] and [s["state"] for s in data["sent"]] == ["sent"]
    assert "ed@example.com" not in download.text

    delete = page.forms[2]
    delete["csrf_token"] = "stale"
    assert "nothing was changed" in delete.submit(status=400).text
    with ndb_context(board):
        assert Reader.get_by_id(reader_id("di@example.com")) is not None
    delete = client.get(manage).forms[2]
    assert "Your data is deleted" in delete.submit().text
    with ndb_context(board):
        assert Reader.get_by_id(reader_id("di@example.com")) is None
        assert MailSend.query(MailSend.reader == reader_id("di@example.com")).fetch() == []
        assert len(MailSend.query(MailSend.reader == reader_id("ed@example.com")).fetch()) == 1
    assert "not subscribed any more" in client.get(manage, status=404).text
    client.get(manage + "/data", status=404)
