"""The audit log: who changed what, through which credential, before and after."""

import contextlib
import contextvars
import dataclasses
import datetime

from google.cloud import ndb

from models.times import utcnow


@dataclasses.dataclass(frozen=True)
class Actor:
    """Whoever is making a change: an email and the way they came in."""

    email: str
    via: str  # "token", "session", "google-id-token", "iap", "cli", "system"
    token_name: str | None = None


SYSTEM = Actor(email="system", via="system")
_actor = contextvars.ContextVar("stashboard_actor", default=SYSTEM)


@contextlib.contextmanager
def acting_as(actor):
    """Attribute every change made inside the block to `actor`."""
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


def current_actor():
    """The actor changes are attributed to right now."""
    return _actor.get()


def snapshot(entity):
    """A JSON-ready copy of an entity's stored values (keys become ids)."""
    if entity is None:
        return None
    values = {"id": entity.key.id()}
    for name in entity._properties:
        value = getattr(entity, name)
        if isinstance(value, ndb.Key):
            value = value.id()
        elif isinstance(value, datetime.datetime):
            value = value.isoformat()
        values[name] = value
    return values


class AuditEntry(ndb.Model):
    """One change to the board, written in the same transaction as the change."""

    timestamp = ndb.DateTimeProperty(required=True)
    actor_email = ndb.StringProperty(required=True)
    actor_via = ndb.StringProperty(required=True)
    token_name = ndb.StringProperty()
    action = ndb.StringProperty(required=True)  # create, update, delete
    kind = ndb.StringProperty(required=True)
    entity_id = ndb.StringProperty(required=True)
    parent_id = ndb.StringProperty()
    before = ndb.JsonProperty()
    after = ndb.JsonProperty()

    @classmethod
    def record(cls, action, key, before=None, after=None):
        """Append an entry for a change to `key`; call it inside the change's transaction."""
        actor = current_actor()
        parent = key.parent()
        entry = cls(
            timestamp=utcnow(),
            actor_email=actor.email,
            actor_via=actor.via,
            token_name=actor.token_name,
            action=action,
            kind=key.kind(),
            entity_id=str(key.id()),
            parent_id=str(parent.id()) if parent else None,
            before=before,
            after=after,
        )
        entry.put()
        return entry

    @classmethod
    def newest(cls, kind=None, actor_email=None, limit=100, cursor=None):
        """The newest entries first, optionally only one kind or one actor's."""
        query = cls.query()
        if kind:
            query = query.filter(cls.kind == kind)
        if actor_email:
            query = query.filter(cls.actor_email == actor_email)
        return query.order(-cls.timestamp).fetch_page(limit, start_cursor=cursor)
