"""Mailing one outbox notification to the readers subscribed by e-mail, a batch at a time.

The notification itself is the one outbox record of the change (models/outbox.py, written in
the change's transaction, `mail_pending` set). A MailRun keeps the cursor through the
confirmed readers, so each run of the worker mails one bounded batch and the next run goes on
from there. A MailSend per (notification, reader) is claimed in a transaction before the
message goes out, so no retry or second worker ever sends a reader the same change twice
(a message whose sending broke off is marked failed, not sent again).
"""

from google.cloud import ndb

from models.outbox import Notification
from models.times import utcnow

BATCH = 100
LOG_KEPT_CHARS = 500


class MailRun(ndb.Model):
    """Where the mailing of one notification has got to; keyed by the notification id."""

    cursor = ndb.TextProperty()
    sent = ndb.IntegerProperty(default=0, indexed=False)
    done = ndb.BooleanProperty(default=False, indexed=False)

    @classmethod
    def of(cls, notification_id):
        """The run of a notification (a new one when none is stored yet)."""
        return cls.get_by_id(notification_id) or cls(id=notification_id)

    def advance(self, from_cursor, to_cursor, sent):
        """Move the cursor on after a batch, unless another run moved it first; the last batch ends
        the run and the notification's mailing. Answers whether this run moved it."""

        @ndb.transactional()
        def txn():
            run = self.key.get() or MailRun(key=self.key)
            if run.done or run.cursor != from_cursor:
                return False
            run.cursor, run.sent, run.done = to_cursor, run.sent + sent, to_cursor is None
            entities = [run]
            if run.done:
                notification = Notification.get_by_id(self.key.id())
                if notification is not None and notification.mail_pending:
                    notification.mail_pending = False
                    entities.append(notification)
            ndb.put_multi(entities)
            return True

        return txn()


class MailSend(ndb.Model):
    """One notification to one reader: claimed ("sending"), then "sent" or "failed"."""

    state = ndb.StringProperty(required=True, choices=("sending", "sent", "failed"))
    at = ndb.DateTimeProperty(required=True, indexed=False)
    error = ndb.TextProperty()
    # The reader it was sent to (also in the key id), indexed so that a reader's records can be
    # exported and erased with it (models/privacy.py).
    reader = ndb.StringProperty()

    @classmethod
    @ndb.transactional()
    def claim(cls, notification_id, reader_id):
        """Take the sending of this notification to this reader; False when it was taken before."""
        key = ndb.Key(cls, f"{notification_id}.{reader_id}")
        if key.get() is not None:
            return False
        cls(key=key, state="sending", at=utcnow(), reader=reader_id).put()
        return True

    @classmethod
    def record(cls, notification_id, reader_id, error=None):
        """Note how one claimed sending ended."""
        key = ndb.Key(cls, f"{notification_id}.{reader_id}")
        cls(key=key, state="failed" if error else "sent", at=utcnow(), reader=reader_id,
            error=error[:LOG_KEPT_CHARS] if error else None).put()


def to_mail(limit=20):
    """Notifications still to be mailed to readers, oldest first."""
    found = Notification.query(Notification.mail_pending == True).fetch(limit)  # noqa: E712
    return sorted(found, key=lambda n: n.created)


def mail_batch(notification, send, batch=BATCH):
    """Send `notification` to the next batch of confirmed readers who chose one of its services and
    had confirmed by the time it was made: `send(reader)` per reader answers None, or why that
    reader's server refused it; it raises when the connection broke (the batch stops there).
    Answers how many were sent."""
    from models.readers import Reader

    run = MailRun.of(notification.key.id())
    if run.done:
        return 0
    payload = notification.payload
    services = (payload.get("incident") or payload.get("maintenance") or {}).get("services") or []
    readers, following = Reader.confirmed_page(run.cursor, batch)
    sent = 0
    for reader in readers:
        if reader.confirmed is None or reader.confirmed > notification.created or not reader.wants(services):
            continue
        if not MailSend.claim(notification.key.id(), reader.reader_id):
            continue
        try:
            refused = send(reader)
        except Exception as error:
            # Unknown whether it left: never sent again; the rest of the batch waits for the next run.
            MailSend.record(notification.key.id(), reader.reader_id, f"{type(error).__name__}: {error}")
            raise
        MailSend.record(notification.key.id(), reader.reader_id, refused)
        sent += not refused
    run.advance(run.cursor, following, sent)
    return sent
