"""The admin subscribers page counts readers by channel, and removes one reader (by exact address) or
channel (by id) after asking: audited without the address, admins only, bad input changes nothing."""

import json

from tests.fixtures.sign_in import sign_in_locally


def seed(app):
    """Two confirmed readers (one with a message sent), one pending, an active Slack and a pending webhook."""
    from google.cloud import ndb

    from handlers.context import ndb_context
    from models import utcnow
    from models.channels import Channel
    from models.mailings import MailSend
    from models.readers import Reader, reader_id

    now = utcnow()

    def a_reader(address, state):
        return Reader(id=reader_id(address), address=address, state=state, nonce="n", created=now,
                      confirmed=now if state == "confirmed" else None)

    def a_channel(ident, kind, state):
        return Channel(id=ident, kind=kind, url=f"https://example.com/{ident}", secret="s", state=state, nonce="n",
                       created=now)

    with ndb_context(app):
        ndb.put_multi([a_reader("ann@example.com", "confirmed"), a_reader("ben@example.com", "confirmed"),
                       a_reader("cat@example.com", "pending"), a_channel("c1", "slack", "active"),
                       a_channel("c2", "webhook", "pending"),
                       MailSend(id=f"n1.{reader_id('ann@example.com')}", state="sent", at=now,
                                reader=reader_id("ann@example.com"))])
        return reader_id("ann@example.com")


def stored(app):
    """(reader ids, channel ids, MailSend ids, audit entries) as stored now."""
    from handlers.context import ndb_context
    from models import AuditEntry
    from models.channels import Channel
    from models.mailings import MailSend
    from models.readers import Reader

    with ndb_context(app):
        return ({r.id() for r in Reader.query().fetch(keys_only=True)},
                {c.id() for c in Channel.query().fetch(keys_only=True)},
                {m.id() for m in MailSend.query().fetch(keys_only=True)},
                AuditEntry.newest(kind="Reader")[0] + AuditEntry.newest(kind="Channel")[0])


def find(client, address="", channel="", status=302):
    """Post the find form; answers where it leads."""
    form = client.get("/admin/subscribers/").forms["find-reader"]
    form["address"], form["channel"] = address, channel
    return form.submit(status=status)


def test_counts_by_channel_and_removing_a_reader_by_address_is_asked_then_audited_without_it(app, signed_in):
    ann = seed(app)
    rows = {row.th.get_text(strip=True): row.td.get_text(strip=True)
            for row in signed_in.get("/admin/subscribers/").html.select("#reader-counts tbody tr")}
    assert rows == {"E-mail, confirmed": "2", "E-mail, waiting for confirmation": "1", "Slack": "1",
                    "My own webhook": "0", "Microsoft Teams": "0", "Discord": "0", "Channels not verified yet": "1"}

    ask = find(signed_in, address="  Ann@Example.com ").follow()
    assert "ann@example.com" not in ask.text.lower() and ann[:8] in ask.text
    assert stored(app)[0] >= {ann}  # asking changes nothing
    ask.forms["confirm-form"].submit(status=302).follow()

    readers, channels, sends, entries = stored(app)
    assert ann not in readers and len(readers) == 2 and sends == set() and channels == {"c1", "c2"}
    (entry,) = entries
    assert (entry.action, entry.entity_id, entry.actor_email) == ("delete", ann, "admin@example.com")
    assert "ann@example.com" not in json.dumps(entry.before) and entry.before["records_erased"] == 1


def test_a_channel_is_removed_by_its_id(app, signed_in):
    seed(app)
    find(signed_in, channel="channel.c1").follow().forms["confirm-form"].submit(status=302)
    _, channels, _, (entry,) = stored(app)
    assert channels == {"c2"} and entry.kind == "Channel" and "example.com" not in json.dumps(entry.before)


def test_unknown_or_malformed_input_is_a_message_and_changes_nothing(app, signed_in):
    seed(app)
    before = stored(app)
    for address, channel in (("nobody@example.com", ""), ("not an address", ""), ("", ""), ("", "x" * 70),
                             ("", "no-such-channel")):
        page = find(signed_in, address, channel).follow()
        assert page.html.select(".flashes") and "Traceback" not in page.text
    signed_in.get("/admin/subscribers/readers/reader/nope/remove", status=404)
    signed_in.get("/admin/subscribers/readers/other/c1/remove", status=404)
    signed_in.post("/admin/subscribers/readers/channel/c1/remove", status=400)  # no CSRF token
    assert stored(app) == before


def test_only_admins_find_or_remove_readers(app, client):
    seed(app)
    before = stored(app)
    client.post("/admin/subscribers/find", {"address": "ann@example.com"}, status=400)  # no session, no token
    sign_in_locally(client, email="someone@example.com")
    client.post("/admin/subscribers/find", {"address": "ann@example.com"}, status=(400, 403))
    client.get("/admin/subscribers/readers/channel/c1/remove", status=403)
    assert stored(app) == before
