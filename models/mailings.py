"""Mailing one outbox notification to the readers subscribed by e-mail, a batch at a time.

The notification itself is the one outbox record of the change (models/outbox.py, written in
the change's transaction, `mail_pending` set). A MailRun keeps where the mailing has got to in
the confirmed readers (in id order, a window at a time: Reader.confirmed_window), so each run
of the worker mails bounded batches and the next run goes on from there, and a run goes on
batch after batch until its time is up.

Messages go a group at a time (as many as the sender has connections), and a MailSend per
(notification, reader) is claimed, for the whole group in one transaction, at the last moment: once the server has each whole message but
for the line that ends it (workers/mail.py). A worker killed or cut off before that leaves no
claim, and the next run sends the message again (the server dropped the unfinished one); once
claimed, no retry or second worker sends that reader the same change again. A message is lost
only when a worker dies between the claim's commit reaching the Datastore and the group's last
lines leaving (SMTP cannot make a hand-over atomic; this makes its window milliseconds).
"""

import time

from google.cloud import ndb

from models import audit
from models.outbox import Notification
from models.times import utcnow

# Readers read at once (one query, one read of what was sent to them).
BATCH = 500
# Messages sent at once (by default; SMTP sends as many as it has connections, SMTP_CONNECTIONS),
# each on its own connection, and claimed in one transaction: the claim's three RPCs are shared
# by the group, and the rate grows with it.
GROUP = 50
# What `send` answers for a reader another worker claimed first: nothing was sent.
SKIPPED = object()


class Broken(Exception):
    """A reader's message met a broken connection: before its claim (the server dropped it; the
    next run sends it) or after (whether it left is unknown; never sent again)."""

    def __init__(self, error, claimed):
        super().__init__(f"{type(error).__name__}: {error}")
        self.error, self.claimed = error, claimed
LOG_KEPT_CHARS = 500


class MailRun(ndb.Model):
    """Where the mailing of one notification has got to; keyed by the notification id."""

    # The reader id (or window end) the next batch starts after, None at the start, and the span
    # of ids it looks through (Reader.confirmed_window).
    after = ndb.TextProperty()
    span = ndb.IntegerProperty(indexed=False)
    # Where earlier versions kept a query cursor: such a run starts again from the first reader,
    # those already sent being skipped (MailSend.taken).
    cursor = ndb.TextProperty()
    sent = ndb.IntegerProperty(default=0, indexed=False)
    done = ndb.BooleanProperty(default=False, indexed=False)

    @classmethod
    def of(cls, notification_id):
        """The run of a notification (a new one when none is stored yet)."""
        return cls.get_by_id(notification_id) or cls(id=notification_id)

    def advance(self, to_after, span, sent, done=None):
        """Move on after a batch to the readers after `to_after`, unless another run moved first;
        the last batch ends the run and the notification's mailing (`done`: whether this one does;
        by default, whether nothing is left, `to_after` None). Answers whether this run moved it."""
        from_after = self.after

        @ndb.transactional()
        def txn():
            run = self.key.get() or MailRun(key=self.key)
            if run.done or run.after != from_after:
                return False
            run.after, run.span, run.cursor = to_after, span, None
            run.sent, run.done = run.sent + sent, to_after is None if done is None else done
            entities = [run]
            if run.done:
                notification = Notification.get_by_id(self.key.id())
                if notification is not None and notification.mail_pending:
                    notification.mail_pending = False
                    entities.append(notification)
            ndb.put_multi(entities)
            return True

        return audit.contended(txn)


class MailSend(ndb.Model):
    """One notification to one reader: "sent" once claimed (the message's end goes out right after),
    "failed" when the server refused it; "sending" is what earlier versions claimed first."""

    state = ndb.TextProperty(required=True, choices=("sending", "sent", "failed"))  # never queried
    at = ndb.DateTimeProperty(required=True, indexed=False)
    error = ndb.TextProperty()
    # The reader it was sent to (also in the key id), indexed so that a reader's records can be
    # exported and erased with it (models/privacy.py).
    reader = ndb.StringProperty()

    @classmethod
    def key_of(cls, notification_id, reader_id):
        """The key of one notification's sending to one reader."""
        return ndb.Key(cls, f"{notification_id}.{reader_id}")

    @classmethod
    def taken(cls, notification_id, reader_ids):
        """Which of `reader_ids` were sent this notification (or refused) already: one batched read,
        so a run that goes over a batch again (after a worker died) skips them without a transaction each."""
        found = ndb.get_multi([cls.key_of(notification_id, reader_id) for reader_id in reader_ids])
        return {reader_id for reader_id, send in zip(reader_ids, found) if send is not None}

    @classmethod
    @ndb.transactional()
    def claim(cls, notification_id, reader_ids):
        """Take the sending of this notification to these readers, in one transaction; answers the
        ids taken (not those another worker took before)."""
        keys = [cls.key_of(notification_id, reader_id) for reader_id in reader_ids]
        now = utcnow()
        taken = [(reader_id, cls(key=key, state="sent", at=now, reader=reader_id))
                 for reader_id, key, found in zip(reader_ids, keys, ndb.get_multi(keys)) if found is None]
        ndb.put_multi([send for _, send in taken])
        return {reader_id for reader_id, _ in taken}

    @classmethod
    def record(cls, notification_id, reader_id, error=None):
        """Note how one claimed sending ended."""
        key = cls.key_of(notification_id, reader_id)
        cls(key=key, state="failed" if error else "sent", at=utcnow(), reader=reader_id,
            error=error[:LOG_KEPT_CHARS] if error else None).put()


def to_mail(limit=20):
    """Notifications still to be mailed to readers, oldest first."""
    found = Notification.query(Notification.mail_pending == True).fetch(limit)  # noqa: E712
    return sorted(found, key=lambda n: n.created)


def mail_batch(notification, send, batch=None, ends=None, group=GROUP):
    """Send `notification` to the next batch of confirmed readers who chose one of its services and
    had confirmed by the time it was made, `group` at a time: `send(readers, claim)` answers
    {reader id: None when sent, SKIPPED, why its server refused it, or a Broken}, having called
    `claim(ids)` once the server had those messages but their last line. When a connection broke,
    the batch stops there (raised after the outcomes are noted) and the readers not claimed are
    sent to by the next run; so it does at `ends` (time.monotonic()), between two groups, the
    next run going over the batch again (those claimed are skipped). Answers (how many were
    sent, whether the mailing is finished)."""
    from models.readers import Reader

    notification_id = notification.key.id()
    run = MailRun.of(notification_id)
    if run.done:
        return 0, True
    payload = notification.payload
    services = (payload.get("incident") or payload.get("maintenance") or {}).get("services") or []
    readers, following, span = Reader.confirmed_window(run.after, batch or BATCH, run.span)
    readers = [reader for reader in readers if reader.confirmed is not None
               and reader.confirmed <= notification.created and reader.wants(services)]
    taken = MailSend.taken(notification_id, [reader.reader_id for reader in readers]) if readers else set()
    readers = [reader for reader in readers if reader.reader_id not in taken]
    sent = 0
    for start in range(0, len(readers), group):
        if start and ends is not None and time.monotonic() >= ends:
            run.advance(run.after, run.span, sent, done=False)  # the batch is gone over again
            return sent, False
        outcomes = send(readers[start:start + group], lambda ids: MailSend.claim(notification_id, ids))
        broken = None
        for reader_id, outcome in outcomes.items():
            if isinstance(outcome, Broken):
                broken = broken or outcome
                if outcome.claimed:  # it may have left: never sent again
                    MailSend.record(notification_id, reader_id, str(outcome))
            elif outcome is not SKIPPED:
                if outcome is not None:
                    MailSend.record(notification_id, reader_id, outcome)
                sent += outcome is None
        if broken is not None:
            raise broken.error
    run.advance(following, span, sent)
    return sent, following is None


def mail_for(notification, send, seconds, batch=None, group=GROUP):
    """Mail batch after batch of `notification` for up to `seconds` (a run's share of its request's
    time), stopping between two groups when they are up. Answers how many were sent."""
    ends = time.monotonic() + seconds
    sent, done = mail_batch(notification, send, batch, ends, group)
    while not done and time.monotonic() < ends:
        more, done = mail_batch(notification, send, batch, ends, group)
        sent += more
    return sent
