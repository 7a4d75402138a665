"""The audit log: who changed what, through which credential, before and after.

Every write to the board goes through `insert` or `change` below: one transaction
that re-reads what it changes, refuses what it must, and appends the audit entry.
The log is also how every instance learns that the board changed (see `since`); in
the process that wrote an entry, models.signals.change_committed says so at once.
"""

import contextlib
import contextvars
import dataclasses
import datetime
import functools
import random
import threading
import time

from google.api_core import exceptions as api_exceptions
from google.cloud import ndb

from models import lookup, signals
from models.errors import Conflict, InvalidInput, NotFound
from models.times import utcnow


@dataclasses.dataclass(frozen=True)
class Actor:
    """Whoever is making a change: an email and the way they came in."""

    email: str
    via: str  # "token", "oauth1", "session", "google-id-token", "iap", "cli", "system"
    token_name: str | None = None


SYSTEM = Actor(email="system", via="system")
# Writes to one service, and writes to services that share a board index document,
# contend: the whole transaction is tried again (reads inside it fail fast, retries=0,
# so that the transaction, not the read, is retried).
TRANSACTION_RETRIES = 4
# The cache tags of the page cache (handlers/cache.py) that every public answer carries, and
# the one a change no public answer shows records (an entry with no tags at all was written
# before entries recorded them, and so stands for everything).
EVERYTHING = "*"
NOTHING = "-"
_actor = contextvars.ContextVar("stashboard_actor", default=SYSTEM)
# Keys allocated beforehand for the entries recorded in the block of `entry_keys` (an iterator).
_reserved = contextvars.ContextVar("stashboard_audit_keys", default=None)


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


@contextlib.contextmanager
def entry_keys(keys):
    """Inside the block, entries take their keys from `keys` (allocated before the transaction, for
    many changes at once) while any are left: an entry put with no id costs its transaction an
    allocation RPC of its own, one after the other."""
    token = _reserved.set(iter(keys))
    try:
        yield
    finally:
        _reserved.reset(token)


def _committed(entry):
    signals.change_committed.send(signals.namespace_of(entry.key), entry=entry)


def snapshot(entity):
    """A JSON-ready copy of an entity's stored values (keys become ids), less what it derives."""
    if entity is None:
        return None
    values = {"id": entity.key.id()}
    skipped = getattr(entity, "NOT_AUDITED", ())
    for name in entity._properties:
        if name in skipped:
            continue
        value = getattr(entity, name)
        if isinstance(value, ndb.Key):
            value = value.id()
        elif isinstance(value, datetime.datetime):
            value = value.isoformat()
        values[name] = value
    return values


def purged_by(key):
    """The cache tags a change of `key` makes stale, as its model declares them in a classmethod
    `cache_purges(key)` (like warehouse's purge keys); a kind that declares none: everything."""
    model = ndb.Model._kind_map.get(key.kind())
    purges = getattr(model, "cache_purges", None)
    if purges is None:
        return [EVERYTHING]
    return list(purges(key)) or [NOTHING]


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
    # The cached answers the change makes stale, as its kind declared them (`cache_purges`).
    # Indexed (with timestamp, index.yaml) so that other instances read just these, by projection.
    tags = ndb.StringProperty(repeated=True)

    @classmethod
    def record(cls, action, key, before=None, after=None):
        """Append an entry for a change to `key`; call it inside the change's transaction."""
        actor = current_actor()
        parent = key.parent()
        reserved = _reserved.get()
        entry = cls(
            key=next(reserved, None) if reserved is not None else None,
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
            tags=purged_by(key),
        )
        entry.put()
        ndb.get_context().call_on_commit(functools.partial(_committed, entry))
        return entry

    @classmethod
    def newest(cls, kind=None, actor_email=None, limit=100, cursor=None):
        """The newest entries first, optionally only one kind or one actor's.

        `cursor` is the url-safe text of a previous page's cursor; a mangled one is InvalidInput.
        """
        if cursor:
            try:
                cursor = ndb.Cursor(urlsafe=cursor)
            except Exception as error:  # any decoding error means the same thing
                raise InvalidInput("That page link is not valid.") from error
        query = cls.query()
        if kind:
            query = query.filter(cls.kind == kind)
        if actor_email:
            query = query.filter(cls.actor_email == actor_email)
        return query.order(-cls.timestamp).fetch_page(limit, start_cursor=cursor or None)

    @classmethod
    def tags_since(cls, moment, limit):
        """(entry id, timestamp, tag) of entries stamped at or after `moment`, newest first, at most
        `limit` of them: how an instance hears of others' writes, in one small projection query."""
        # Read raw (models/lookup.py): a look after a burst of writes reads hundreds of rows. Only the
        # page cache calls this, outside any transaction.
        rows = []
        for entity in lookup.newest_since(cls._get_kind(), ("timestamp", "tags"), moment, limit):
            element = entity.key.path[-1]
            tags = entity.properties["tags"]
            values = [v.string_value for v in tags.array_value.values] if tags.HasField("array_value") else [tags.string_value]
            stamp = lookup.moment(entity.properties["timestamp"])
            rows.extend((element.id if element.HasField("id") else element.name, stamp, tag) for tag in values)
        return rows


def installed_first():
    """Have a new board installed before its first write (outside any transaction)."""
    # models/install.py listens: it installs a new board before its first write (it
    # imports this module, so this module cannot import it).
    signals.writing.send(ndb.get_context().get_namespace() or "")


def insert(entity, label, view=snapshot, then=None):
    """Store a new `entity` whose key must be free (else Conflict), with its audit entry.

    `then(entity)` makes more writes in the same transaction.
    """
    installed_first()

    @ndb.transactional(retries=TRANSACTION_RETRIES)
    def txn():
        if entity.key.get(retries=0) is not None:
            raise Conflict(f"A {label} with id '{entity.key.id()}' already exists.")
        entity.put()
        AuditEntry.record("create", entity.key, after=view(entity))
        if then:
            then(entity)

    txn()
    return entity


def change(key, label, apply, check=None, view=snapshot):
    """Re-read `key` in a transaction, let `check(entity)` refuse, then `apply(entity)`.

    `apply` answers what it did to the entity: "update" (it is stored and audited),
    "delete" (it is deleted and audited) or None (nothing to store), optionally as
    (action, notes) with notes for the audit entry. Missing is NotFound. Answers the entity.
    """
    installed_first()

    @ndb.transactional(retries=TRANSACTION_RETRIES)
    def txn():
        return change_held(_read(key, label), apply, check, view)

    if ndb.in_transaction():  # joined: the outer change holds its entity's turn
        return txn()
    with turn(key):
        return txn()


def change_in_turn(key, label, changes):
    """Several `change`s of one entity in one transaction, by a caller that holds the entity's
    turn: `changes` is [(apply, entry keys, actor)], each applied and audited in order, as its
    actor's (models/batching.py)."""
    installed_first()

    @ndb.transactional(retries=TRANSACTION_RETRIES)
    def txn():
        entity = _read(key, label)
        for apply, keys, actor in changes:
            with entry_keys(keys), acting_as(actor):
                change_held(entity, apply)
        return entity

    return txn()


def _read(key, label):
    """The entity a change is about, read in its transaction; missing is NotFound."""
    entity = key.get(retries=0)
    if entity is None:
        raise NotFound(f"No {label} '{key.id()}'.")
    return entity


# Changes to one entity in one process take turns rather than collide in the Datastore: a
# collision makes the loser retry after a backoff of a tenth of a second and more, which at
# a few writes a second to one service (make soak) put seconds on the write p99. Striped, so
# memory stays bounded; a change holds one stripe at a time (never inside a transaction).
_STRIPES = [threading.Lock() for _ in range(64)]


def turn(key):
    """The lock a change of `key` holds in this process while it is written."""
    return _STRIPES[hash((key.namespace(), key.flat())) % len(_STRIPES)]


def change_held(entity, apply, check=None, view=snapshot):
    """`change` of an entity the caller's transaction has already read (one read of many entities
    at once, models/alerts.py): the same check, apply and audit entry, no read of its own."""
    if not ndb.in_transaction():
        raise RuntimeError("audit.change_held must be called inside the change's transaction")
    key = entity.key
    if check:
        check(entity)
    before = view(entity)
    action = apply(entity)
    if isinstance(action, tuple):
        action, notes = action
        before.update(notes)
    if action == "delete":
        key.delete()
        AuditEntry.record("delete", key, before=before)
    elif action == "update":
        entity.put()
        AuditEntry.record("update", key, before=before, after=view(entity))
    return entity


def contended(work, attempts=TRANSACTION_RETRIES):
    """Run `work` (a transaction that reads again what it changes), again when it keeps colliding
    with another writer of the same entities (a second cron run, a mail run beside the fan-out of
    its notification): a read inside it that ran into the other transaction fails it as a
    RetryError, which NDB's own transaction retries do not retry."""
    for attempt in range(attempts):
        try:
            return work()
        except (api_exceptions.Aborted, api_exceptions.RetryError):
            if attempt == attempts - 1:
                raise
            time.sleep(random.uniform(0.1, 0.4) * (attempt + 1))
