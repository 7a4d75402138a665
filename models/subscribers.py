"""Subscribers: webhook URLs an admin adds, told of every change the outbox records (or of
those about the services chosen for it, as readers choose theirs).

Each gets JSON signed with its own secret (an HMAC header), or a Slack, Teams or Discord
incoming-webhook body. Where a URL may point (public addresses only, on App Engine) is
checked each time it is sent to, not only here: DNS can change in between.
"""

import secrets
import urllib.parse

from google.cloud import ndb

from models.base import SluggedModel
from models.errors import InvalidInput, Text
from models.readers import clean_service_ids
from models.sealed import SealedTextProperty
from models.times import utcnow

FORMATS = {"json": "JSON, signed (X-Stashboard-Signature)", "slack": "Slack incoming webhook (text and blocks)",
           "teams": "Microsoft Teams Workflows webhook (an Adaptive Card)",
           "discord": "Discord webhook (content and an embed)"}
URL_MAX = 2000


def clean_url(value):
    """An absolute http(s) URL with a host, at most URL_MAX characters, or InvalidInput."""
    url = (value or "").strip()
    if not url:
        raise InvalidInput(Text("'url' is required."))
    if len(url) > URL_MAX or not url.isprintable() or " " in url:
        raise InvalidInput(Text("'url' must be a URL of at most %(num)d characters, without spaces.", num=URL_MAX))
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 (raises on a malformed port)
    except ValueError as error:
        raise InvalidInput(Text("'url' is not a valid URL: %(reason)s.", reason=str(error))) from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(Text("'url' must be an http:// or https:// URL with a host name."))
    return url


def services_of(payload):
    """The services a notification's payload is about (none for a change of the whole board)."""
    if payload.get("type") == "status":
        return [(payload.get("service") or {}).get("id")]
    for part in ("incident", "maintenance"):
        if isinstance(payload.get(part), dict):
            return list(payload[part].get("services") or [])
    return []


def _chosen(services):
    """The filter fields for a choice of service ids (none: every change)."""
    services = clean_service_ids(services or [])
    return {"everything": not services, "services": services}


class Subscriber(SluggedModel):
    """A webhook URL told of every status change, incident update and maintenance announcement."""

    LABEL = "subscriber"
    NOT_AUDITED = ("secret",)

    @classmethod
    def cache_purges(cls, key):
        """No public answer shows a subscriber."""
        return ()

    url = ndb.TextProperty(required=True)
    format = ndb.StringProperty(required=True, choices=tuple(FORMATS))
    secret = SealedTextProperty(required=True)
    active = ndb.BooleanProperty(default=True)
    created = ndb.DateTimeProperty(required=True)
    # The same filter readers have: every change, or only those about these services.
    everything = ndb.BooleanProperty(default=True, indexed=False)
    services = ndb.StringProperty(repeated=True)

    def hears(self, notification):
        """Whether this subscriber is told of `notification`: added before it, and about a service it chose."""
        if not self.active or self.created > notification.created:
            return False
        return self.everything or bool(set(self.services) & set(services_of(notification.payload)))

    @classmethod
    def create(cls, name, url, format="json", services=()):
        """Add a subscriber with a new signing secret (told of every change, or of those about
        `services` only); a taken slug is a Conflict."""
        fields = cls.clean_names({"name": name})
        if format not in FORMATS:
            raise InvalidInput(f"'format' must be one of {', '.join(FORMATS)}.")
        return cls.insert({**fields, "url": clean_url(url), "format": format, **_chosen(services),
                           "secret": secrets.token_urlsafe(32), "created": utcnow()})

    def update(self, name=None, url=None, format=None, active=None, services=None):
        """Change the name, URL, format, whether it is told anything, or its services (empty: every change)."""
        fields = self.clean_names({"name": name} if name is not None else {})
        if services is not None:
            fields.update(_chosen(services))
        if url is not None:
            fields["url"] = clean_url(url)
        if format is not None:
            if format not in FORMATS:
                raise InvalidInput(f"'format' must be one of {', '.join(FORMATS)}.")
            fields["format"] = format
        if active is not None:
            fields["active"] = bool(active)
        return self.modify(fields)

    def delete(self):
        """Remove the subscriber; deliveries still pending to it fail."""
        return self.remove()

    @classmethod
    def ordered(cls):
        """Every subscriber, by name."""
        return sorted(cls.query().fetch(), key=lambda s: s.name.lower())

    @classmethod
    def listening(cls):
        """The subscribers being told of changes."""
        return cls.query(cls.active == True).fetch()  # noqa: E712
