"""Readers' own channels: a webhook of their own, Slack, Microsoft Teams or Discord.

A channel is pending until it is verified, and a pending channel is sent nothing but its
verification; one not verified within CONFIRM_MAX_AGE is deleted by the channels' sweep
(workers/channels.py), as an unconfirmed e-mail sign-up is.

How a channel is verified:
* Slack, Teams, Discord: a first message, "you subscribed this channel to <board>", is posted
  to the URL; the channel becomes active only when that post is answered 2xx. These URLs
  carry their own secret (only whoever made the incoming webhook has it), and the first
  message tells the channel's members who subscribed them and how to unsubscribe.
* A reader's own webhook: a signed JSON body carrying a confirm link, which the endpoint's
  owner must follow (and press its button). A link rather than a challenge the endpoint must
  echo: it is the e-mail double opt-in again (the same signed, expiring token; nothing changes
  on GET), it needs no code on the receiving side (a relay into a log or a chat works), and
  a server that answers 2xx to anything cannot confirm itself. The same body carries the
  signing secret, so only the endpoint's owner learns it; every later body is signed with it
  exactly as admin-added subscribers' are (X-Stashboard-Signature).

A channel is keyed by a hash of its kind and URL, so signing up twice makes one channel. The
URL (for Slack and Discord, a bearer secret) and the signing secret are stored sealed.
"""

import hashlib
import ipaddress
import re
import secrets
import urllib.parse

from google.cloud import ndb

from models import signals
from models.errors import InvalidInput, NotFound, Text
from models.readers import CONFIRM_MAX_AGE, CONFIRM_RESEND, EPOCH
from models.sealed import SealedTextProperty
from models.subscribers import clean_url, services_of
from models.subscription import Subscription, clean_service_ids
from models.times import utcnow

KINDS = {
    "webhook": "My own webhook (JSON, signed)",
    "slack": "Slack (incoming webhook)",
    "teams": "Microsoft Teams (Workflows webhook)",
    "discord": "Discord (channel webhook)",
}
# What each chat's incoming webhooks look like: https, one of these hosts (a leading dot: any
# host under it), a path of this shape. From each service's documentation of its webhooks.
SHAPES = {
    "slack": (("hooks.slack.com",), re.compile(r"/services/[A-Za-z0-9]+/[A-Za-z0-9]+/[A-Za-z0-9]+/?"),
              "https://hooks.slack.com/services/T…/B…/…"),
    "discord": (("discord.com", "discordapp.com", "ptb.discord.com", "canary.discord.com"),
                re.compile(r"/api(/v\d+)?/webhooks/\d+/[A-Za-z0-9_-]+/?"),
                "https://discord.com/api/webhooks/<id>/<token>"),
    "teams": ((".logic.azure.com", ".environment.api.powerplatform.com"),
              re.compile(r"(/powerautomate/automations/direct)?/workflows/[A-Za-z0-9]+/triggers/manual/paths/invoke/?"),
              "the HTTP POST URL of a Teams Workflows \"When a Teams webhook request is received\" trigger"),
}
# The changes a channel hears of: incidents, status changes and maintenance of the services it chose.
HEARD_KINDS = ("incident", "status", "maintenance")
VERIFY_TRIES = 3
NOT_SUBSCRIBED = Text("This channel is not subscribed any more (or the link is from an earlier subscription).")


def _host_allowed(host, hosts):
    return any(host.endswith(allowed) if allowed.startswith(".") else host == allowed for allowed in hosts)


def clean_channel_url(kind, value, any_host=False):
    """The URL, if it is what a `kind` channel posts to, or InvalidInput saying what is expected.

    `any_host` (local development and tests only) lets a chat's URL name any http(s) host,
    so a local server can stand in for Slack; the path must still have the chat's shape.
    """
    if kind not in KINDS:
        raise InvalidInput(Text("Choose where to send: one of %(kinds)s.", kinds=", ".join(KINDS)))
    url = clean_url(value)
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname.lower()
    if parts.username or parts.password:
        raise InvalidInput(Text("The URL must not carry a user name or password."))
    if parts.scheme != "https" and not any_host:
        raise InvalidInput(Text("The URL must start with https://."))
    if kind == "webhook":
        try:
            literal = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            literal = None
        if not any_host and (host == "localhost" or host.endswith(".localhost") or
                             (literal is not None and not literal.is_global)):
            raise InvalidInput(Text("The URL must name a public host."))
        return url
    hosts, path, example = SHAPES[kind]
    wrong_host = not any_host and (not _host_allowed(host, hosts) or parts.port not in (None, 443))
    if wrong_host or not path.fullmatch(parts.path):
        raise InvalidInput(Text("That is not a %(chat)s webhook URL: it looks like %(example)s.",
                                chat=KINDS[kind].split(" (")[0], example=example))
    return url


def channel_id(kind, url):
    """The key id of a channel: the same for the same kind and URL."""
    return hashlib.sha256(f"{kind}\0{url}".encode()).hexdigest()[:40]


class Channel(Subscription):
    """Where a reader's notifications go: a webhook, Slack, Teams or Discord; pending until verified."""

    SALTS = {"confirm": "stashboard.channels.confirm", "manage": "stashboard.channels.manage"}
    ACTIVE = "active"
    NOT_SUBSCRIBED = NOT_SUBSCRIBED
    NOT_AUDITED = ("url", "secret", "nonce", "verify_error")  # an admin's removal is audited by the id only

    kind = ndb.StringProperty(required=True, choices=tuple(KINDS))
    url = SealedTextProperty(required=True)
    secret = SealedTextProperty(required=True)  # signs a webhook's bodies
    state = ndb.StringProperty(required=True, choices=("pending", "active"))
    created = ndb.DateTimeProperty(required=True, indexed=False)
    confirmed = ndb.DateTimeProperty(indexed=False)
    expires = ndb.DateTimeProperty()  # a pending channel's end; None once active
    verify_due = ndb.BooleanProperty(default=False)  # its verification (or a reminder) is to be sent
    verify_sent = ndb.DateTimeProperty(indexed=False)
    verify_tries = ndb.IntegerProperty(default=0, indexed=False)
    verify_error = ndb.TextProperty()

    # What the outbox's sender reads of whatever it sends to (models/subscribers.py has the same).
    @property
    def slug(self):
        """The id its deliveries are keyed by; the dot keeps it apart from every subscriber's slug."""
        return f"channel.{self.key.id()}"

    @property
    def name(self):
        """How the admin's list of deliveries names it (never its URL, which is a secret)."""
        return f"Reader's {self.kind} channel {self.key.id()[:8]}"

    @property
    def format(self):
        """The body it is sent: signed JSON for a webhook, else its chat's own."""
        return "json" if self.kind == "webhook" else self.kind

    def hears(self, notification):
        """Whether this channel is told of `notification`: active before it, and about a service it chose."""
        if self.state != "active" or self.confirmed is None or self.confirmed > notification.created:
            return False
        if notification.kind not in HEARD_KINDS:
            return False
        return self.wants(services_of(notification.payload))

    # --- links -------------------------------------------------------------------

    def token(self, secret, purpose):
        """A signed token for a "confirm" or "manage" link of this channel."""
        return self.signed(secret, purpose)

    @classmethod
    def from_token(cls, secret, purpose, token, max_age=None):
        """The channel a link's token names; LinkInvalid or NotFound says why not."""
        return cls.named_by(secret, purpose, token, max_age)[0]

    # --- writes ------------------------------------------------------------------

    @classmethod
    def sign_up(cls, kind, url, everything, service_ids, any_host=False):
        """Note a sign-up (a new channel is pending) and ask for its verification unless one went
        within CONFIRM_RESEND. An active channel keeps its choice (its manage link changes it) and
        is sent a reminder with that link. Answers the channel."""
        url = clean_channel_url(kind, url, any_host)
        service_ids = [] if everything else clean_service_ids(service_ids)
        if not everything and not service_ids:
            raise InvalidInput(Text("Choose at least one service, or the whole board."))
        key = ndb.Key(cls, channel_id(kind, url))

        @ndb.transactional()
        def txn():
            now = utcnow()
            channel = key.get()
            if channel is None:
                channel = cls(key=key, kind=kind, url=url, secret=secrets.token_urlsafe(32), state="pending",
                              nonce=secrets.token_urlsafe(12), created=now)
            if channel.state == "pending":
                channel.populate(everything=bool(everything), services=service_ids, expires=now + CONFIRM_MAX_AGE,
                                 verify_tries=0)
            if channel.verify_sent is None or now - channel.verify_sent >= CONFIRM_RESEND:
                channel.verify_due = True
            channel.put()
            if channel.verify_due:
                ndb.get_context().call_on_commit(lambda: signals.channel_due.send(signals.namespace_of(key), key=key))
            return channel

        return txn()

    def confirm(self):
        """Make a webhook channel active once its owner followed the confirm link (idempotent)."""

        @ndb.transactional()
        def txn():
            channel = self.key.get()
            if channel is None or channel.nonce != self.nonce:
                raise NotFound(NOT_SUBSCRIBED)
            if channel.state != "active":
                channel.populate(state="active", confirmed=utcnow(), expires=None)
                channel.put()
            return channel

        return txn()

    # --- what the channels' sweep sends ----------------------------------------------

    @classmethod
    def verifications_due(cls, limit=20):
        """Channels whose verification (or reminder) is to be sent."""
        return cls.query(cls.verify_due == True).fetch(limit)  # noqa: E712

    @classmethod
    @ndb.transactional()
    def take_verification(cls, key):
        """Claim one due verification (so no two sweeps send it); answers the channel, or None."""
        channel = key.get()
        if channel is None or not channel.verify_due:
            return None
        channel.populate(verify_due=False, verify_sent=utcnow(), verify_tries=channel.verify_tries + 1)
        channel.put()
        return channel

    @classmethod
    @ndb.transactional()
    def verification_sent(cls, key, nonce, ok, error=None):
        """Note how a verification post ended: a chat's 2xx makes it active; a failure is tried
        again by the next sweep, at most VERIFY_TRIES times (then it waits to expire)."""
        channel = key.get()
        if channel is None or channel.nonce != nonce:
            return None
        if ok:
            channel.verify_error = None
            if channel.kind != "webhook" and channel.state == "pending":
                channel.populate(state="active", confirmed=utcnow(), expires=None)
        else:
            channel.verify_error = (error or "failed")[:500]
            channel.verify_sent = None
            channel.verify_due = channel.verify_tries < VERIFY_TRIES
        channel.put()
        return channel

    @classmethod
    def active_page(cls, cursor=None, limit=100):
        """One page of active channels in key order: (channels, next cursor or None)."""
        start = ndb.Cursor(urlsafe=cursor) if cursor else None
        channels, following, more = cls.query(cls.state == "active").fetch_page(limit, start_cursor=start)
        return channels, (following.urlsafe().decode() if more and following else None)

    @classmethod
    def expire_pending(cls, limit=500):
        """Delete channels never verified in time; answers how many."""
        keys = cls.query(cls.expires > EPOCH, cls.expires < utcnow()).fetch(limit, keys_only=True)
        ndb.delete_multi(keys)
        return len(keys)

