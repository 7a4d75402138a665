"""Readers who subscribe by e-mail, with double opt-in: nothing is sent to an address but its
confirmation until the reader follows the signed link in it.

A reader is keyed by a hash of the address (lower-cased), so signing up twice makes one
reader. The address itself is stored, because mail cannot be sent without it, but no page,
API answer or audit entry shows it. A sign-up that is not confirmed within CONFIRM_MAX_AGE
is deleted by the mail sweep (workers/mail.py), and its link has expired by then anyway.

Links carry signed tokens (itsdangerous, with the app's SECRET_KEY): a confirmation link
(the reader's choice of services, valid for CONFIRM_MAX_AGE) and a manage link in every
message (change services or unsubscribe; valid until the reader unsubscribes, since each
sign-up after an unsubscription gets a new nonce).
"""

import datetime
import hashlib
import secrets

import email_validator
from google.cloud import ndb

from models import signals
from models.errors import InvalidInput, NotFound, Text
from models.subscription import LINK_EXPIRED, LINK_INVALID, LinkInvalid, Subscription, clean_service_ids  # noqa: F401
from models.times import utcnow

CONFIRM_MAX_AGE = datetime.timedelta(hours=48)
# One confirmation message per reader within this window, however often the form is sent.
CONFIRM_RESEND = datetime.timedelta(hours=1)
ADDRESS_MAX = 254
NOT_SUBSCRIBED = Text("This address is not subscribed any more (or the link is from an earlier subscription).")
# Any date before the first sign-up: `expires` is queried as a range above it, which leaves out
# confirmed readers (their `expires` is null, which the Datastore sorts before every date).
EPOCH = datetime.datetime(2000, 1, 1)
# The id space the mail worker reads readers in windows of (Reader.confirmed_window): places by
# the first hex digits of an id (a SHA-256), a window's end written as that many digits.
PLACE_DIGITS = 12
PLACES = 16 ** PLACE_DIGITS


def _place(name):
    """Where a reader id (or a window's end) falls in the id space, by its first hex digits; None
    for a name that is not hex."""
    try:
        return int(name[:PLACE_DIGITS].ljust(PLACE_DIGITS, "0"), 16)
    except ValueError:
        return None


def clean_address(value):
    """The address as email-validator normalises it (syntax only: no DNS from a request), or InvalidInput."""
    text = (value or "").strip()
    if not text:
        raise InvalidInput(Text("Give an e-mail address."))
    if len(text) > ADDRESS_MAX:
        raise InvalidInput(Text("An e-mail address has at most %(num)d characters.", num=ADDRESS_MAX))
    try:
        return email_validator.validate_email(text, check_deliverability=False).normalized
    except email_validator.EmailNotValidError as error:
        raise InvalidInput(Text("That is not an e-mail address we can send to: %(reason)s",
                                reason=str(error))) from None


def reader_id(address):
    """The key id of an address's reader: the same for every spelling that differs only in case."""
    return hashlib.sha256(address.lower().encode()).hexdigest()[:40]


class Reader(Subscription):
    """An e-mail subscriber: pending until confirmed; the whole board or chosen services."""

    NOT_AUDITED = ("address", "nonce")  # an admin's removal is audited by the reader's id only

    SALTS = {"confirm": "stashboard.readers.confirm", "manage": "stashboard.readers.manage"}
    ACTIVE = "confirmed"
    NOT_SUBSCRIBED = NOT_SUBSCRIBED

    address = ndb.TextProperty(required=True)  # never shown; needed to send
    state = ndb.StringProperty(required=True, choices=("pending", "confirmed"))
    created = ndb.DateTimeProperty(required=True, indexed=False)
    confirmed = ndb.DateTimeProperty(indexed=False)
    expires = ndb.DateTimeProperty()  # a pending sign-up's end; None once confirmed
    confirm_due = ndb.BooleanProperty(default=False)  # a confirmation message is to be sent
    confirm_sent = ndb.DateTimeProperty(indexed=False)
    confirm_choice = ndb.JsonProperty()  # what the confirmation link will set: {"everything", "services"}
    locale = ndb.TextProperty()  # the language its messages are written in (None: English)

    @property
    def reader_id(self):
        """The id its links carry."""
        return self.key.id()

    # --- links -------------------------------------------------------------------

    def token(self, secret, purpose):
        """A signed token for a "confirm" or "manage" link of this reader."""
        if purpose == "confirm":
            return self.signed(secret, purpose,
                               self.confirm_choice or {"everything": self.everything, "services": list(self.services)})
        return self.signed(secret, purpose)

    @classmethod
    def from_token(cls, secret, purpose, token, max_age=None):
        """(reader, what the token carries) for a link's token; LinkInvalid or NotFound says why not."""
        return cls.named_by(secret, purpose, token, max_age)

    # --- writes ------------------------------------------------------------------

    @classmethod
    def sign_up(cls, address, everything, service_ids, locale=None):
        """Note a sign-up (a new reader is pending) and ask for one confirmation message unless one
        went within CONFIRM_RESEND; `locale`: the language of its messages, as the sign-up page was read.
        Answers the reader. Nothing else is sent before confirmation."""
        address = clean_address(address)
        service_ids = [] if everything else clean_service_ids(service_ids)
        if not everything and not service_ids:
            raise InvalidInput(Text("Choose at least one service, or the whole board."))
        choice = {"everything": bool(everything), "services": service_ids}
        key = ndb.Key(cls, reader_id(address))

        @ndb.transactional()
        def txn():
            now = utcnow()
            reader = key.get()
            if reader is None:
                reader = cls(key=key, address=address, state="pending", nonce=secrets.token_urlsafe(12), created=now)
            if reader.state == "pending":
                reader.populate(everything=choice["everything"], services=service_ids, expires=now + CONFIRM_MAX_AGE)
            reader.confirm_choice = choice
            reader.locale = locale or reader.locale
            if reader.confirm_sent is None or now - reader.confirm_sent >= CONFIRM_RESEND:
                reader.confirm_due = True
            reader.put()
            if reader.confirm_due:
                ndb.get_context().call_on_commit(
                    lambda: signals.mail_due.send(signals.namespace_of(key), key=key))
            return reader

        return txn()

    def confirm(self, choice):
        """Confirm the subscription with the choice the link carries (idempotent)."""
        everything = bool(choice.get("everything")) if isinstance(choice, dict) else True
        services = [] if everything else clean_service_ids(choice.get("services") or [])

        @ndb.transactional()
        def txn():
            reader = self.key.get()
            if reader is None or reader.nonce != self.nonce:
                raise NotFound(NOT_SUBSCRIBED)
            if reader.state != "confirmed":
                reader.confirmed = utcnow()
            reader.populate(state="confirmed", expires=None, everything=everything or not services,
                            services=services)
            reader.put()
            return reader

        return txn()

    # --- what the mail sweep sends -----------------------------------------------

    @classmethod
    def confirmations_due(cls, limit=100):
        """Readers whose confirmation message is to be sent."""
        return cls.query(cls.confirm_due == True).fetch(limit)  # noqa: E712

    @classmethod
    @ndb.transactional()
    def take_confirmation(cls, key):
        """Claim one due confirmation (so no two sweeps send it); answers the reader, or None."""
        reader = key.get()
        if reader is None or not reader.confirm_due:
            return None
        reader.confirm_due, reader.confirm_sent = False, utcnow()
        reader.put()
        return reader

    @classmethod
    @ndb.transactional()
    def confirmation_failed(cls, key):
        """Ask again for a confirmation whose sending broke off (a second copy of it does no harm)."""
        reader = key.get()
        if reader is not None:
            reader.confirm_due, reader.confirm_sent = True, None
            reader.put()

    @classmethod
    def confirmed_window(cls, after=None, limit=100, span=None):
        """Confirmed readers in id order after `after` (an id or a window's end; from the first when
        None), at most `limit`, looked for within `span` places of the id space past it (to the end
        when None). Answers (readers, where the next window starts or None at the end, its span).

        Reader ids are hashes, spread evenly over the space, so a span that held about `limit`
        readers holds about as many further on: the next span is sized on this one. A query with
        both ends costs what it finds (the emulator reads all a query could match before its
        limit, so paging on with a cursor made each page cost every reader); windows tile the
        ids in order, whatever their spelling, so none is missed or read twice."""
        query = cls.query(cls.state == "confirmed")
        start = 0
        if after is not None:
            query, start = query.filter(cls.key > ndb.Key(cls, after)), _place(after)
        end = None if span is None or start is None or start + span >= PLACES else start + span
        bound = None if end is None else format(end, f"0{PLACE_DIGITS}x")
        if bound is not None and (after is None or bound > after):
            query = query.filter(cls.key <= ndb.Key(cls, bound))
        else:
            end = None  # to the end (an id not written in lowercase hex has no place to measure from)
        readers = query.order(cls.key).fetch(limit)
        if len(readers) == limit:
            last = readers[-1].reader_id
            reached = _place(last)
            return readers, last, None if reached is None or start is None else max(1, reached - start) * 5 // 4
        if end is None:
            return readers, None, None
        return readers, bound, span * limit // max(len(readers), limit // 4, 1)

    @classmethod
    def expire_pending(cls, limit=500):
        """Delete sign-ups never confirmed in time; answers how many."""
        keys = cls.query(cls.expires > EPOCH, cls.expires < utcnow()).fetch(limit, keys_only=True)
        ndb.delete_multi(keys)
        return len(keys)
