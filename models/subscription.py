"""What a reader's e-mail subscription (models/readers.py) and a reader's channel
(models/channels.py) share: signed links that name it, the services it chose, and leaving.

Links carry signed tokens (itsdangerous, with the app's SECRET_KEY, a salt per kind and
purpose): [key id, nonce, what the link sets…]. A new nonce on each sign-up after leaving
makes every older link name a subscription that is gone.
"""

import secrets

import itsdangerous
from google.cloud import ndb

from models.errors import InvalidInput, NotFound, Text
from models.service import Service

SERVICES_MAX = 100

LINK_INVALID = Text("This link is not valid: it may have been cut short or changed. "
                    "Use the link from the latest message.")
LINK_EXPIRED = Text("This confirmation link has expired. Sign up again to get a new one.")


def clean_service_ids(ids):
    """Existing service ids, without repeats, in the order given; an unknown one is InvalidInput."""
    ids = list(dict.fromkeys(str(item).strip() for item in ids if str(item).strip()))
    if len(ids) > SERVICES_MAX:
        raise InvalidInput(Text("Choose at most %(num)d services.", num=SERVICES_MAX))
    found = Service.get_multi(ndb.Key(Service, item) for item in ids) if ids else []
    missing = [item for item, service in zip(ids, found) if service is None]
    if missing:
        raise InvalidInput(Text("There is no service '%(name)s' on this board.", name=missing[0][:60]))
    return ids


class LinkInvalid(InvalidInput):
    """A reader's link that was changed, cut, expired, or belongs to a subscription that is gone."""


class Subscription(ndb.Model):
    """A reader's subscription of some kind; subclasses name their SALTS, ACTIVE state and NOT_SUBSCRIBED text."""

    SALTS = {}
    ACTIVE = "active"
    NOT_SUBSCRIBED = Text("This subscription is gone.")

    everything = ndb.BooleanProperty(default=True, indexed=False)
    services = ndb.StringProperty(repeated=True)
    nonce = ndb.TextProperty(required=True)

    @classmethod
    def cache_purges(cls, key):
        """No public answer shows a subscription."""
        return ()

    def wants(self, service_ids):
        """Whether a change touching `service_ids` is for this subscription."""
        return self.everything or bool(set(self.services) & set(service_ids))

    @classmethod
    def _serializer(cls, secret, purpose):
        if not secret:
            raise InvalidInput("This board cannot sign links: SECRET_KEY is not set.")
        return itsdangerous.URLSafeTimedSerializer(secret, salt=cls.SALTS[purpose])

    def signed(self, secret, purpose, *more):
        """A signed token naming this subscription for a `purpose` link, carrying `more`."""
        return self._serializer(secret, purpose).dumps([self.key.id(), self.nonce, *more])

    @classmethod
    def named_by(cls, secret, purpose, token, max_age=None):
        """(subscription, what the token carries besides its name); LinkInvalid or NotFound says why not."""
        try:
            data = cls._serializer(secret, purpose).loads(token, max_age=max_age)
        except itsdangerous.SignatureExpired:
            raise LinkInvalid(LINK_EXPIRED) from None
        except itsdangerous.BadData:
            raise LinkInvalid(LINK_INVALID) from None
        if not isinstance(data, list) or len(data) < 2 or not all(isinstance(item, str) for item in data[:2]):
            raise LinkInvalid(LINK_INVALID)
        found = cls.get_by_id(data[0])
        if found is None or not secrets.compare_digest(found.nonce, data[1]):
            raise NotFound(cls.NOT_SUBSCRIBED)
        return found, data[2:]

    def choose(self, everything, service_ids):
        """Change which services it hears of (from its manage page)."""
        service_ids = [] if everything else clean_service_ids(service_ids)
        if not everything and not service_ids:
            raise InvalidInput(Text("Choose at least one service, or the whole board; or unsubscribe."))

        @ndb.transactional()
        def txn():
            current = self.key.get()
            if current is None or current.nonce != self.nonce or current.state != self.ACTIVE:
                raise NotFound(self.NOT_SUBSCRIBED)
            current.populate(everything=bool(everything), services=service_ids)
            current.put()
            return current

        return txn()

    def unsubscribe(self):
        """Forget it, address or URL and all: nothing more is sent to it."""
        self.key.delete()

