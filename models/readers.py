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
import itsdangerous
from google.cloud import ndb

from models import signals
from models.errors import InvalidInput, NotFound
from models.service import Service
from models.times import utcnow

CONFIRM_MAX_AGE = datetime.timedelta(hours=48)
# One confirmation message per reader within this window, however often the form is sent.
CONFIRM_RESEND = datetime.timedelta(hours=1)
ADDRESS_MAX = 254
SERVICES_MAX = 100
SALTS = {"confirm": "stashboard.readers.confirm", "manage": "stashboard.readers.manage"}
LINK_INVALID = "This link is not valid: it may have been cut short or changed. Use the link from the latest message."
LINK_EXPIRED = "This confirmation link has expired. Sign up again to get a new one."
NOT_SUBSCRIBED = "This address is not subscribed any more (or the link is from an earlier subscription)."
# Any date before the first sign-up: `expires` is queried as a range above it, which leaves out
# confirmed readers (their `expires` is null, which the Datastore sorts before every date).
EPOCH = datetime.datetime(2000, 1, 1)


class LinkInvalid(InvalidInput):
    """A reader's link that was changed, cut, expired, or belongs to a subscription that is gone."""


def clean_address(value):
    """The address as email-validator normalises it (syntax only: no DNS from a request), or InvalidInput."""
    text = (value or "").strip()
    if not text:
        raise InvalidInput("Give an e-mail address.")
    if len(text) > ADDRESS_MAX:
        raise InvalidInput(f"An e-mail address has at most {ADDRESS_MAX} characters.")
    try:
        return email_validator.validate_email(text, check_deliverability=False).normalized
    except email_validator.EmailNotValidError as error:
        raise InvalidInput(f"That is not an e-mail address we can send to: {error}") from None


def clean_service_ids(ids):
    """Existing service ids, without repeats, in the order given; an unknown one is InvalidInput."""
    ids = list(dict.fromkeys(str(item).strip() for item in ids if str(item).strip()))
    if len(ids) > SERVICES_MAX:
        raise InvalidInput(f"Choose at most {SERVICES_MAX} services.")
    found = Service.get_multi(ndb.Key(Service, item) for item in ids) if ids else []
    missing = [item for item, service in zip(ids, found) if service is None]
    if missing:
        raise InvalidInput(f"There is no service '{missing[0][:60]}' on this board.")
    return ids


def reader_id(address):
    """The key id of an address's reader: the same for every spelling that differs only in case."""
    return hashlib.sha256(address.lower().encode()).hexdigest()[:40]


def _serializer(secret, purpose):
    if not secret:
        raise InvalidInput("This board cannot sign links: SECRET_KEY is not set.")
    return itsdangerous.URLSafeTimedSerializer(secret, salt=SALTS[purpose])


class Reader(ndb.Model):
    """An e-mail subscriber: pending until confirmed; the whole board or chosen services."""

    NOT_AUDITED = ("address", "nonce")  # an admin's removal is audited by the reader's id only

    address = ndb.TextProperty(required=True)  # never shown; needed to send
    state = ndb.StringProperty(required=True, choices=("pending", "confirmed"))
    everything = ndb.BooleanProperty(default=True, indexed=False)
    services = ndb.StringProperty(repeated=True)
    nonce = ndb.TextProperty(required=True)
    created = ndb.DateTimeProperty(required=True, indexed=False)
    confirmed = ndb.DateTimeProperty(indexed=False)
    expires = ndb.DateTimeProperty()  # a pending sign-up's end; None once confirmed
    confirm_due = ndb.BooleanProperty(default=False)  # a confirmation message is to be sent
    confirm_sent = ndb.DateTimeProperty(indexed=False)
    confirm_choice = ndb.JsonProperty()  # what the confirmation link will set: {"everything", "services"}
    locale = ndb.TextProperty()  # the language its messages are written in (None: English)

    @classmethod
    def cache_purges(cls, key):
        """No public answer shows a reader."""
        return ()

    @property
    def reader_id(self):
        """The id its links carry."""
        return self.key.id()

    def wants(self, service_ids):
        """Whether a change touching `service_ids` is for this reader."""
        return self.everything or bool(set(self.services) & set(service_ids))

    # --- links -------------------------------------------------------------------

    def token(self, secret, purpose):
        """A signed token for a "confirm" or "manage" link of this reader."""
        data = [self.reader_id, self.nonce]
        if purpose == "confirm":
            data.append(self.confirm_choice or {"everything": self.everything, "services": list(self.services)})
        return _serializer(secret, purpose).dumps(data)

    @classmethod
    def from_token(cls, secret, purpose, token, max_age=None):
        """(reader, what the token carries) for a link's token; LinkInvalid or NotFound says why not."""
        try:
            data = _serializer(secret, purpose).loads(token, max_age=max_age)
        except itsdangerous.SignatureExpired:
            raise LinkInvalid(LINK_EXPIRED) from None
        except itsdangerous.BadData:
            raise LinkInvalid(LINK_INVALID) from None
        if not isinstance(data, list) or len(data) < 2 or not all(isinstance(item, str) for item in data[:2]):
            raise LinkInvalid(LINK_INVALID)
        reader = cls.get_by_id(data[0])
        if reader is None or not secrets.compare_digest(reader.nonce, data[1]):
            raise NotFound(NOT_SUBSCRIBED)
        return reader, data[2:]

    # --- writes ------------------------------------------------------------------

    @classmethod
    def sign_up(cls, address, everything, service_ids, locale=None):
        """Note a sign-up (a new reader is pending) and ask for one confirmation message unless one
        went within CONFIRM_RESEND; `locale`: the language of its messages, as the sign-up page was read.
        Answers the reader. Nothing else is sent before confirmation."""
        address = clean_address(address)
        service_ids = [] if everything else clean_service_ids(service_ids)
        if not everything and not service_ids:
            raise InvalidInput("Choose at least one service, or the whole board.")
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

    def choose(self, everything, service_ids):
        """Change which services the reader hears of (from the manage page)."""
        service_ids = [] if everything else clean_service_ids(service_ids)
        if not everything and not service_ids:
            raise InvalidInput("Choose at least one service, or the whole board; or unsubscribe.")

        @ndb.transactional()
        def txn():
            reader = self.key.get()
            if reader is None or reader.nonce != self.nonce or reader.state != "confirmed":
                raise NotFound(NOT_SUBSCRIBED)
            reader.populate(everything=bool(everything), services=service_ids)
            reader.put()
            return reader

        return txn()

    def unsubscribe(self):
        """Forget the reader, address and all: nothing more is sent to it."""
        self.key.delete()

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
    def confirmed_page(cls, cursor=None, limit=100):
        """One page of confirmed readers in key order: (readers, next cursor or None)."""
        start = ndb.Cursor(urlsafe=cursor) if cursor else None
        readers, following, more = cls.query(cls.state == "confirmed").fetch_page(limit, start_cursor=start)
        return readers, (following.urlsafe().decode() if more and following else None)

    @classmethod
    def expire_pending(cls, limit=500):
        """Delete sign-ups never confirmed in time; answers how many."""
        keys = cls.query(cls.expires > EPOCH, cls.expires < utcnow()).fetch(limit, keys_only=True)
        ndb.delete_multi(keys)
        return len(keys)
