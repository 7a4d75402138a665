"""The transactional outbox: what subscribers are to be told, written with the change itself.

A model that changes the board calls `enqueue(kind, payload)` inside its own
transaction (Event.post does, for every status change; incidents and maintenance do
the same): the notification commits or rolls back with the change, so nothing is told
that did not happen and nothing that happened is lost. Sending comes after, by a
worker (Cloud Tasks on App Engine, the cron sweep as the safety net):

* `fan_out` makes one Delivery per subscriber of a notification, keyed by both, so
  doing it twice makes nothing twice; readers' verified channels (models/channels.py) are
  subscribers too, taken a page (FAN_OUT_PAGE) per call, so a board with many of them is
  fanned out by several sweeps, each bounded;
* `attempt` claims a due delivery with a lease (so a task and the sweep never send it
  at once), sends it outside any transaction, then records the outcome: delivered, or
  tried again after an exponential backoff, or failed after MAX_ATTEMPTS.

No delivery goes out twice: its send must end before its lease does (the sender gets
the time left as its deadline, and sends nothing once that has passed), so no other
worker can claim it while it may still be on its way; and only the holder of the
newest lease records an outcome, in a transaction on the delivery, which is keyed by
(notification, subscriber). Should a request be cut off by that deadline after the
subscriber took it, the retry carries the same X-Stashboard-Delivery id.
"""

import datetime
import functools
import secrets
import time

from google.cloud import ndb

from models import signals
from models.channels import Channel
from models.errors import NotFound
from models.status import Status
from models.subscribers import Subscriber
from models.times import utcnow

MAX_ATTEMPTS = 8
BACKOFF_CAP = datetime.timedelta(hours=1)
LEASE = datetime.timedelta(seconds=60)
# Room between a send's deadline and its lease's end, for recording and for clocks that differ.
LEASE_MARGIN = datetime.timedelta(seconds=5)
LOG_KEPT = 10
SWEEP_BATCH = 100
MAILED_KINDS = ("incident", "maintenance")
FAN_OUT_PAGE = 100


def _committed(notification):
    # The app's dispatchers (workers/notify.py, workers/mail.py) listen and set the sending going;
    # the notification as committed comes along, so that sending it need not read it first.
    signals.notification_committed.send(signals.namespace_of(notification.key), key=notification.key,
                                        kind=notification.kind, notification=notification)


class Notification(ndb.Model):
    """One change to tell every subscriber about; the key id sorts by creation time."""

    kind = ndb.StringProperty(required=True)  # "status", "incident", "maintenance", …
    payload = ndb.JsonProperty(required=True)
    created = ndb.DateTimeProperty(required=True)
    pending = ndb.BooleanProperty(default=True)  # its deliveries are not all made yet
    # Readers subscribed by e-mail are still to be sent it (workers/mail.py); only MAILED_KINDS are.
    mail_pending = ndb.BooleanProperty(default=False)
    # How far the fan-out to readers' channels has got (a page of them per fan_out).
    fan_cursor = ndb.TextProperty()

    @property
    def notification_id(self):
        """The id subscribers see in the body and the X-Stashboard-Notification header."""
        return self.key.id()

    @classmethod
    def get_or_404(cls, notification_id):
        """The notification with this id, or NotFound."""
        entity = cls.get_by_id(notification_id) if isinstance(notification_id, str) and notification_id else None
        if entity is None:
            raise NotFound(f"No notification '{notification_id}'.")
        return entity

    def complete_payload(self):
        """The payload with the status of a status change named, when its transaction left that out."""
        payload = self.payload
        status = payload.get("status") if payload.get("type") == "status" else None
        if isinstance(status, dict) and status.get("name") is None and status.get("id"):
            found = Status.get_by_id(status["id"])
            if found is not None:
                payload = {**payload, "status": {**status, "name": found.name, "level": found.level}}
        return payload

    @classmethod
    def waiting(cls, limit=SWEEP_BATCH):
        """Notifications whose deliveries are not all made yet, oldest first."""
        return sorted(cls.query(cls.pending == True).fetch(limit), key=lambda n: n.created)  # noqa: E712


def enqueue(kind, payload):
    """Record a notification inside the caller's transaction; it is sent once that commits.

    `payload` is a JSON-ready dict with a "type" and, for people (Slack), a one-line
    "summary" (status changes build theirs from the service and status). Answers the notification. Outside a transaction it refuses: the point is that the
    notification and the change are stored together or not at all.
    """
    if not ndb.in_transaction():
        raise RuntimeError("outbox.enqueue must be called inside the change's transaction")
    now = utcnow()
    # A name, not an allocated id: an allocation would cost the transaction an RPC.
    key = ndb.Key(Notification, f"{now:%Y%m%d%H%M%S%f}-{secrets.token_hex(4)}")
    notification = Notification(key=key, kind=kind, payload={**payload, "id": key.id()}, created=now,
                                mail_pending=kind in MAILED_KINDS)
    notification.put()
    ndb.get_context().call_on_commit(functools.partial(_committed, notification))
    return notification


class Delivery(ndb.Model):
    """One notification to one subscriber: its state, attempts and what each attempt met."""

    notification = ndb.KeyProperty(kind=Notification, required=True)
    subscriber = ndb.KeyProperty(required=True)  # a Subscriber's or a reader's Channel's
    subscriber_name = ndb.TextProperty()
    kind = ndb.TextProperty()
    state = ndb.StringProperty(required=True, choices=("pending", "delivered", "failed"))
    attempts = ndb.IntegerProperty(default=0, indexed=False)
    created = ndb.DateTimeProperty(required=True)
    next_attempt = ndb.DateTimeProperty(required=True)
    leased_until = ndb.DateTimeProperty(indexed=False)
    lease = ndb.TextProperty()  # who holds it: only that attempt may record its outcome
    finished = ndb.DateTimeProperty(indexed=False)
    last_error = ndb.TextProperty()
    log = ndb.JsonProperty()  # the newest LOG_KEPT attempts: [{"at", "status", "error", "ms"}]

    @classmethod
    def due(cls, now=None, limit=SWEEP_BATCH):
        """Pending deliveries whose next attempt is due, oldest due first."""
        now = now or utcnow()
        return cls.query(cls.state == "pending", cls.next_attempt <= now).order(cls.next_attempt).fetch(limit)

    @classmethod
    def newest(cls, limit=100):
        """The newest deliveries, for the admin's view of attempts and failures."""
        return cls.query().order(-cls.created).fetch(limit)

    @classmethod
    def of(cls, notification_key):
        """The deliveries made of one notification."""
        return cls.query(cls.notification == notification_key).fetch()


def fan_out(notification):
    """Make the notification's deliveries, one per subscriber who had subscribed by then and
    hears of it, and to the next page of readers' channels that do; idempotent. The
    notification stops waiting once the last page is done. Answers the keys of this page's
    deliveries (made now or before)."""
    cursor = notification.fan_cursor
    made = []
    if cursor is None:  # the first page: the admins' subscribers too (few, each in its transaction)
        for subscriber in Subscriber.listening():
            if subscriber.hears(notification):
                made.append(_make_delivery(notification, subscriber))
    channels, following = Channel.active_page(cursor, FAN_OUT_PAGE)
    hearing = [channel for channel in channels if channel.hears(notification)]
    if hearing:  # nobody to tell, no transaction: most of a burst of status changes on most boards
        made += _make_deliveries(notification, hearing)

    @ndb.transactional()
    def done():
        stored = notification.key.get()
        if stored is not None and stored.pending and stored.fan_cursor == cursor:
            stored.fan_cursor = following
            stored.pending = following is not None
            stored.put()

    done()
    return made


def _delivery(notification, subscriber):
    key = ndb.Key(Delivery, f"{notification.key.id()}.{subscriber.slug}")
    return Delivery(key=key, notification=notification.key, subscriber=subscriber.key,
                    subscriber_name=subscriber.name, kind=notification.kind, state="pending",
                    created=notification.created, next_attempt=notification.created)


@ndb.transactional()
def _make_delivery(notification, subscriber):
    """Store the delivery of `notification` to `subscriber` unless it exists already."""
    delivery = _delivery(notification, subscriber)
    if delivery.key.get() is None:
        delivery.put()
    return delivery.key


@ndb.transactional()
def _make_deliveries(notification, subscribers):
    """Store the deliveries to a page of subscribers, those not made already, in one transaction."""
    deliveries = [_delivery(notification, subscriber) for subscriber in subscribers]
    found = ndb.get_multi([delivery.key for delivery in deliveries]) if deliveries else []
    ndb.put_multi([delivery for delivery, stored in zip(deliveries, found) if stored is None])
    return [delivery.key for delivery in deliveries]


def backoff(attempts, base_seconds):
    """How long to wait after the `attempts`-th failed attempt: base, 2×base, 4×base, … at most an hour."""
    return min(datetime.timedelta(seconds=base_seconds * 2 ** (attempts - 1)), BACKOFF_CAP)


def attempt(delivery_key, send, base_seconds, max_attempts=MAX_ATTEMPTS):
    """Send one due delivery: claim it, `send(notification, subscriber, delivery, deadline)`, record the outcome.

    `deadline` is a time.monotonic() by which the send must be over (before the lease
    ends); `send` answers (ok, http status or None, error text or None, milliseconds), or
    None when it sent nothing because that deadline had passed. Answers the delivery's
    state afterwards, or None when it was not due or someone else holds it.
    """
    delivery = _claim(delivery_key)
    if delivery is None:
        return None
    # Read after the claim commits: its transaction holds the delivery alone, so deliveries
    # of one notification claimed at once do not contend for the notification.
    notification, subscriber = ndb.get_multi([delivery.notification, delivery.subscriber])
    if notification is None or subscriber is None:
        outcome = (False, None, "The subscriber or the notification was removed.", 0)
        return _record(delivery_key, delivery.lease, outcome, base_seconds, final=True)
    left = (delivery.leased_until - min(LEASE_MARGIN, LEASE / 4) - utcnow()).total_seconds()
    outcome = send(notification, subscriber, delivery, time.monotonic() + left) if left > 0 else None
    if outcome is None:  # held up past its lease before sending: whoever claims it next sends it
        return None
    return _record(delivery_key, delivery.lease, outcome, base_seconds, final=delivery.attempts >= max_attempts)


@ndb.transactional()
def _claim(delivery_key):
    """Take a due, unleased delivery for one attempt (a new lease of its own); None when not to be had."""
    now = utcnow()
    delivery = delivery_key.get()
    if delivery is None or delivery.state != "pending" or delivery.next_attempt > now:
        return None
    if delivery.leased_until is not None and delivery.leased_until > now:
        return None
    delivery.leased_until = now + LEASE
    delivery.lease = secrets.token_hex(8)
    delivery.attempts += 1
    delivery.put()
    return delivery


@ndb.transactional()
def _record(delivery_key, lease, outcome, base_seconds, final):
    """Note an attempt's outcome: delivered, failed for good, or due again after its backoff.

    Only while `lease` is still the delivery's: once another worker claimed it, that
    attempt's outcome is the one that counts (answers None).
    """
    ok, status, error, milliseconds = outcome
    now = utcnow()
    delivery = delivery_key.get()
    if delivery is None or delivery.lease != lease or delivery.state != "pending":
        return None
    entry = {"at": now.isoformat(), "status": status, "error": error, "ms": milliseconds}
    delivery.log = [*(delivery.log or []), entry][-LOG_KEPT:]
    delivery.leased_until = None
    if ok:
        delivery.state, delivery.finished, delivery.last_error = "delivered", now, None
    else:
        delivery.last_error = error or f"HTTP {status}"
        if final:
            delivery.state, delivery.finished = "failed", now
        else:
            delivery.next_attempt = now + backoff(delivery.attempts, base_seconds)
    delivery.put()
    return delivery.state


def _one_by_one(function, items):
    return [function(item) for item in items]


def deliver(notification_key, send, base_seconds, max_attempts=MAX_ATTEMPTS, run=_one_by_one, notification=None):
    """Fan out one notification and attempt its due deliveries (what a pushed task does).

    `run(function, items)` answers [function(item) …]; the worker runs them at once, so
    a slow subscriber holds up no other. `notification`, when the caller has it as its
    transaction committed it, saves reading it. A notification still waiting to be fanned
    out has its first page's deliveries attempted (no query: on most boards a status change
    has nobody to tell); the sweep attempts whatever else is due.
    """
    notification = notification or notification_key.get()
    if notification is None:
        return []
    if notification.pending:
        keys = fan_out(notification)
    else:
        keys = [d.key for d in Delivery.of(notification_key)]
    return run(lambda key: attempt(key, send, base_seconds, max_attempts), keys)


def per_subscriber(deliveries):
    """The deliveries' keys grouped by subscriber, each group oldest change first: a subscriber
    hears of changes in the order they were made, while different subscribers are sent to at once."""
    groups = {}
    # A notification's name begins with its creation time (enqueue).
    for delivery in sorted(deliveries, key=lambda delivery: delivery.notification.id()):
        groups.setdefault(delivery.subscriber, []).append(delivery.key)
    return list(groups.values())


def sweep(send, base_seconds, max_attempts=MAX_ATTEMPTS, run=_one_by_one):
    """The safety net: fan out what was never fanned out, attempt every due delivery (with
    `run`, as `deliver`). Answers counts."""
    waiting = Notification.waiting()
    for notification in waiting:
        fan_out(notification)
    in_order = run(lambda keys: [attempt(key, send, base_seconds, max_attempts) for key in keys],
                   per_subscriber(Delivery.due()))
    states = [state for group in in_order for state in group]
    return {"fanned_out": len(waiting), "attempted": sum(s is not None for s in states),
            "delivered": states.count("delivered"), "failed": states.count("failed")}
