"""A notification is written once per language and each reader gets its own copy of it: through the
mail worker and a real SMTP server (aiosmtpd), each copy carries that reader's address, thread ids
and links, in its language, with the admin's text whole (non-ASCII, "=", a line starting with a dot,
a line longer than any mail line) and headers a mail program reads as they are."""

import re
import urllib.parse

import itsdangerous
import webtest

TITLE = "Écritures lentes = 2× <b>plus</b>"
TEXT = "Line one.\n.a line starting with a dot\n" + "long " * 60 + "end."
READERS = {"ann@example.com": "fr", "bo@example.com": None, "cy@example.com": "fr"}


def seed(app, mailbox):
    """One service and READERS, confirmed (one put_multi); `app` sends to `mailbox`."""
    from google.cloud import ndb

    from handlers.context import ndb_context
    from models import Service, utcnow
    from models.readers import Reader, reader_id

    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=mailbox.port, MAIL_FROM="Statut <status@example.com>",
                      APP_URL="https://status.example.com/")
    with app.app_context(), ndb_context(app):
        Service.create("Web API", "The API.")
        now = utcnow()
        ndb.put_multi([Reader(id=reader_id(a), address=a, state="confirmed", everything=True, nonce=f"nonce-{a}",
                              created=now, confirmed=now, locale=locale) for a, locale in READERS.items()])


def part(message, kind):
    """A message's plain or HTML part as a mail program shows it (line ends as Python writes them)."""
    return message.get_body((kind,)).get_content().replace("\r\n", "\n")


def token_of(app, url):
    """[reader id, nonce] that a manage or unsubscribe link names."""
    from models.readers import Reader

    token = urllib.parse.urlsplit(url).path.rsplit("/", 1)[1]
    return itsdangerous.URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=Reader.SALTS["manage"]).loads(token)


def test_each_reader_gets_its_own_copy_of_one_notification_whole(app, mailbox):
    from handlers.context import ndb_context
    from models import Incident
    from models.readers import reader_id
    from workers import letters

    seed(app, mailbox)
    with app.app_context(), ndb_context(app):
        incident = Incident.open(TITLE, ["web-api"], TEXT)
        Incident.get_or_404(incident.incident_id).post_update("Fixed.", state="resolved")
    assert webtest.TestApp(app).get("/_tasks/mail/sweep").json["sent"] == 6

    for address, locale in READERS.items():
        first, second = mailbox.to(address)
        rid = reader_id(address)
        root = f"<incident-{incident.incident_id}.{rid}@example.com>"
        assert first["Message-ID"] == root and first["To"] == address
        for message in (first, second):
            raw = dict(message.raw_items())  # as the bytes said, nothing decoded: no encoded words
            unsubscribe = raw["List-Unsubscribe"]
            assert re.fullmatch(r"<https://status\.example\.com/unsubscribe/[\w.-]+>", unsubscribe)
            assert token_of(app, unsubscribe.strip("<>")) == [rid, f"nonce-{address}"]
            text, html = part(message, "plain"), part(message, "html")
            manage = re.search(r"https://status\.example\.com/subscriptions/\S+", text).group(0)
            assert token_of(app, manage) == [rid, f"nonce-{address}"] and manage in html
            assert letters.READER not in text + html + str(raw) and letters.TOKEN not in text + html + str(raw)
            assert ("Suivre l’incident" in text) == (locale == "fr")
        assert TITLE in first["Subject"] and TITLE in part(first, "plain") and TEXT in part(first, "plain")
        assert "Écritures lentes = 2× &lt;b&gt;plus&lt;/b&gt;" in part(first, "html")
        raw = dict(second.raw_items())
        assert raw["In-Reply-To"] == raw["References"] == root and second["Subject"].startswith("Re: ")


def test_a_copy_stays_within_mail_lines_and_names_its_reader_only(app):
    from handlers.context import ndb_context
    from models.readers import Reader, reader_id
    from workers import letters, mail

    class Notification:
        kind = "incident"
        payload = {"incident": {"id": "i1", "title": TITLE, "impact": "minor", "services": []},
                   "update": {"state": "investigating", "message": TEXT, "number": 1}}

    with app.test_request_context("/"), ndb_context(app):
        ann, bo = (Reader(id=reader_id(a), address=a, state="confirmed", nonce="n") for a in ("ann@example.com",
                                                                                            "bo@example.com"))
        letter = mail.incident_letter(app.config, Notification, "en")
        copies = [mail.copy_for(app.config, letter, reader) for reader in (ann, bo)]
    for copy, reader, other in zip(copies, (ann, bo), (bo, ann)):
        lines = copy.data.split(b"\r\n")
        assert b"\n" not in b"".join(lines) and all(len(line) <= 998 for line in lines)
        body = copy.data.split(b"\r\n\r\n", 1)[1]
        assert all(len(line) <= letters.QP_LINE for line in body.split(b"\r\n"))
        assert (copy.recipient, copy.sender) == (reader.address, "status@localhost")
        assert reader.reader_id.encode() in copy.data and other.reader_id.encode() not in copy.data
        assert other.address.encode() not in copy.data
