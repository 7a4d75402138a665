"""The mail worker against a real SMTP server (aiosmtpd): a run goes on batch after batch, a
message whose sending broke off before the server had it all is sent by the next run, and no
reader is sent one change twice. Readers are seeded in one put_multi, as confirmed."""

import smtplib
from unittest import mock

import pytest
import webtest

from tests.fixtures.mail import serving


class Counter:
    """Counts the messages the SMTP server took, per recipient; discards them."""

    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.received.extend(envelope.rcpt_tos)
        return "250 OK"

    def per_address(self):
        """{address: messages it was sent}."""
        counts = {}
        for address in self.received:
            counts[address] = counts.get(address, 0) + 1
        return counts


@pytest.fixture(scope="module")
def server():
    """A real SMTP server on a free port of 127.0.0.1, for the module."""
    with serving(Counter()) as counter:
        yield counter


@pytest.fixture
def smtp(server):
    """The module's SMTP server, its count started afresh."""
    server.received.clear()
    return server


def seed(app, smtp, readers):
    """Send `app`'s mail to `smtp`; add one service and `readers` confirmed readers of it (one
    put_multi); answers the addresses."""
    from google.cloud import ndb

    from handlers.context import ndb_context
    from models import Service, utcnow
    from models.readers import Reader, reader_id

    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, SMTP_TLS="none")
    addresses = [f"reader{n}@example.com" for n in range(readers)]
    with app.app_context(), ndb_context(app):
        Service.create("Web API", "The API.")
        now = utcnow()
        ndb.put_multi([Reader(id=reader_id(a), address=a, state="confirmed", everything=True, nonce="n",
                              created=now, confirmed=now) for a in addresses])
    return addresses


def incident(app):
    """Open an incident on the service (one outbox record, mail pending)."""
    from handlers.context import ndb_context
    from models import Incident

    with app.app_context(), ndb_context(app):
        Incident.open("API slow", ["web-api"], "Looking into it.")


def sweep(app):
    """Run the mail worker as the cron does."""
    return webtest.TestApp(app).get("/_tasks/mail/sweep").json


def test_one_run_mails_batch_after_batch(app, smtp):
    addresses = seed(app, smtp, 25)
    incident(app)
    from models import mailings

    with mock.patch.object(mailings, "BATCH", 10):
        assert sweep(app)["sent"] == 25  # three batches of ten (or more: windows of ids) in one run
    assert smtp.per_address() == dict.fromkeys(addresses, 1)


def test_a_run_whose_last_step_meets_another_writer_of_its_notification_tries_it_again(app, smtp):
    addresses = seed(app, smtp, 3)
    incident(app)
    from google.api_core import exceptions
    from google.cloud import ndb

    from models import mailings
    from models.outbox import Notification

    real_get, met = Notification.get_by_id, []

    def get_by_id(*args, **kwargs):
        # The fan-out's transaction holds the notification as the run ends the mailing: the read in
        # the run's transaction fails as NDB reports it then.
        if ndb.in_transaction() and not met:
            met.append(args)
            raise exceptions.RetryError("409 too much contention on these datastore entities", None)
        return real_get(*args, **kwargs)

    with mock.patch.object(mailings.Notification, "get_by_id", get_by_id):
        first = sweep(app)
    assert met and first["sent"] == 3 and "error" not in first
    assert smtp.per_address() == dict.fromkeys(addresses, 1)
    assert sweep(app)["sent"] == 0  # the mailing ended: nobody is sent it again


def test_a_message_broken_off_before_the_server_had_it_all_is_sent_by_the_next_run(app, smtp):
    addresses = seed(app, smtp, 5)
    incident(app)
    real_send, broken = smtplib.SMTP.send, []

    def send(self, data):
        # The connection breaks while the third reader's message is on its way.
        if isinstance(data, bytes) and b"To: reader2@" in data and not broken:
            broken.append(data)
            raise smtplib.SMTPServerDisconnected("Connection reset by peer")
        return real_send(self, data)

    with mock.patch.object(smtplib.SMTP, "send", send):
        first = sweep(app)
    assert broken and "error" in first and len(smtp.received) == 4
    assert sweep(app)["sent"] == 1
    assert smtp.per_address() == dict.fromkeys(addresses, 1)  # none lost, none twice
    assert sweep(app)["sent"] == 0


def test_a_reader_claimed_by_another_worker_is_not_sent_twice(app, smtp):
    from handlers.context import ndb_context
    from models.mailings import MailSend
    from models.outbox import Notification
    from models.readers import reader_id

    addresses = seed(app, smtp, 3)
    incident(app)
    real_claim = MailSend.claim

    def claim(notification_id, ids):
        # Another worker takes the second reader while this one is sending its message.
        real_claim(notification_id, [reader_id(addresses[1])])
        return real_claim(notification_id, ids)

    with mock.patch.object(MailSend, "claim", staticmethod(claim)):
        assert sweep(app)["sent"] == 2
    assert smtp.per_address() == {addresses[0]: 1, addresses[2]: 1}
    with ndb_context(app):
        (notification,) = Notification.query().fetch()
        assert not notification.mail_pending


def test_a_run_stops_between_two_groups_at_its_time_and_the_next_goes_on(app, smtp):
    from handlers.context import ndb_context
    from models.outbox import Notification
    from workers import mail

    addresses = seed(app, smtp, 7)
    incident(app)
    app.config["SMTP_CONNECTIONS"] = 3  # three messages a group
    with ndb_context(app):
        # A run whose time is up still sends one group, then stops before the next.
        assert [mail.sweep(app, seconds=0)["sent"] for _ in range(4)] == [3, 3, 1, 0]
        (notification,) = Notification.query().fetch()
        assert not notification.mail_pending
    assert smtp.per_address() == dict.fromkeys(addresses, 1)


def test_an_address_the_server_cannot_take_is_refused_and_the_others_are_sent(app):
    from handlers.context import ndb_context
    from models.mailings import MailSend
    from models.readers import Reader, reader_id

    # An international address, and a server that does not offer SMTPUTF8.
    with serving(Counter(), enable_SMTPUTF8=False) as plain:
        addresses = seed(app, plain, 2)
        with ndb_context(app):
            reader = Reader.get_by_id(reader_id(addresses[0]))
            Reader(id=reader_id("josé@example.com"), address="josé@example.com", state="confirmed",
                   everything=True, nonce="n", created=reader.created, confirmed=reader.confirmed).put()
        incident(app)
        assert sweep(app)["sent"] == 2
        assert sweep(app)["sent"] == 0  # not tried again, and nothing holds the others up
    assert plain.per_address() == dict.fromkeys(addresses, 1)
    with ndb_context(app):
        (send,) = MailSend.query(MailSend.reader == reader_id("josé@example.com")).fetch()
        assert send.state == "failed" and "international" in send.error


def test_a_mailing_reads_each_confirmed_reader_once_window_after_window(app):
    from google.cloud import ndb

    from handlers.context import ndb_context
    from models import utcnow
    from models.readers import Reader, reader_id

    # Ids as the sign-up makes them, and a few no sign-up makes (they are read all the same).
    confirmed = [reader_id(f"reader{n}@example.com") for n in range(60)] + ["ABC0", "Zed", "~tilde", "0"]
    pending = [reader_id(f"pending{n}@example.com") for n in range(5)]
    with ndb_context(app):
        now = utcnow()
        ndb.put_multi([Reader(id=rid, address="x@example.com", state="confirmed" if rid in confirmed else "pending",
                              nonce="n", created=now, confirmed=now) for rid in confirmed + pending])
        read, after, span, windows = [], None, None, 0
        while windows == 0 or after is not None:
            readers, after, span = Reader.confirmed_window(after, 7, span)
            read.extend(reader.reader_id for reader in readers)
            windows += 1
    assert sorted(read) == sorted(confirmed) and windows < 30


def test_the_providers_rate_is_kept_in_groups_of_at_most_a_seconds_worth():
    from workers.mail import Pace

    now, slept = [0.0], []
    pace = Pace(5, clock=lambda: now[0], sleep=lambda seconds: (slept.append(seconds), now.__setitem__(0, now[0] + seconds)))
    assert pace.group == 5
    for count in (5, 5, 2):
        pace.wait(count)
    assert slept == [1.0, 1.0]  # 12 messages at 5 a second: the second and third groups wait
    unlimited = Pace(0, clock=lambda: now[0], sleep=slept.append)
    unlimited.wait(1000)
    assert unlimited.group == float("inf") and slept == [1.0, 1.0]


def test_a_run_with_a_mail_rate_sends_everyone_no_faster_than_it(app, smtp):
    addresses = seed(app, smtp, 12)
    app.config["MAIL_RATE"] = 5
    incident(app)
    slept = []
    with mock.patch("workers.mail.time.sleep", slept.append):
        assert sweep(app)["sent"] == 12
    assert smtp.per_address() == dict.fromkeys(addresses, 1)
    # Groups of 5, 5 and 2 (sleeping is skipped here): the second is due 1 s after the first, the
    # third 2 s after it.
    assert len(slept) == 2 and 0.5 < slept[0] <= 1.0 and 1.5 < slept[1] <= 2.0
