"""Events: a service's history; the newest one gives its current status."""

import dataclasses
import datetime
import functools

from google.api_core import exceptions
from google.cloud import ndb

from models import audit, batching, history, lookup, outbox
from models.audit import AuditEntry, snapshot
from models.board_index import BoardMembers, BoardRow, row_of
from models.errors import PAGE_LINK_INVALID, InvalidInput, NotFound
from models.fields import MESSAGE_MAX, clean_text, is_slug, legacy_event_id, numeric_id, parse_bool
from models.service import LatestEvent, Service
from models.status import Installation, Status
from models.times import ONE_DAY, utc_midnight, utcnow

ONE_MICROSECOND = datetime.timedelta(microseconds=1)
# The most events one answer (API list, archive page) holds; older ones are a `next` page away
# (500 took over 2 s under make flood's attack, the Datastore's part growing with the page).
PAGE = 200


@dataclasses.dataclass(frozen=True)
class Appended:
    """What appending an event leaves at hand, so that a reply needs no second read: the
    event, its Status (None if that status is gone) and the key of the board's default status."""

    event: "Event"
    status: Status | None
    default_key: ndb.Key | None


class Event(ndb.Model):
    """One status update of a service; a child of the service's key.

    `informational` events are notes: they become the service's newest event but
    leave its current status as it was.
    """

    timestamp = ndb.DateTimeProperty(required=True)
    message = ndb.TextProperty(required=True)
    status = ndb.KeyProperty(kind="Status", required=True)
    informational = ndb.BooleanProperty(default=False)

    @classmethod
    def cache_purges(cls, key):
        """A change of an event shows on the board-wide answers and on its service's."""
        return ("board", f"service:{key.parent().id()}")

    @property
    def sid(self):
        """The event's id in URLs: opaque to clients, URL-safe. (Read from the key's flat path:
        `Key.id()` deep-copies the whole path each time, a third of a 500-event page's CPU.)"""
        return str(self.key.flat()[-1])

    @property
    def service_key(self):
        """The key of the service this event belongs to."""
        return self.key.parent()

    @property
    def service_id(self):
        """The id of the service this event belongs to."""
        return self.key.flat()[-3]

    @property
    def status_id(self):
        """The id of the event's status."""
        return self.status.flat()[-1]

    @classmethod
    def for_service(cls, service_key, start=None, end=None, limit=None):
        """The service's events, newest first, optionally within [start, end] (naive UTC)."""
        return cls._history(service_key, start, end).fetch(limit)

    @classmethod
    def page_for_service(cls, service_key, start=None, end=None, cursor=None, size=PAGE):
        """One page of `for_service` (so no answer grows with the history): (events, the url-safe
        cursor of the next page or None). A cursor this query did not give is InvalidInput.

        Read raw (models/lookup.py) and made into models by hand: NDB spent most of a 500-event
        page's CPU turning three keys an event from protobufs, the time that a flood of event
        pages takes from every other reader. One event past the page tells whether another
        follows (Datastore's own "more" cannot: a full page may be the last)."""
        try:
            found = lookup.newest_under(service_key, cls._get_kind(), "timestamp", start, end,
                                        ndb.Cursor(urlsafe=cursor).cursor if cursor else None, size + 1)
        except (ValueError, TypeError, exceptions.InvalidArgument) as error:  # undecodable, or not this query's
            raise InvalidInput(PAGE_LINK_INVALID) from error
        statuses = {}
        events = [cls._from_stored(result.entity, service_key, statuses) for result in found[:size]]
        more = len(found) > size
        return events, ndb.Cursor(cursor=found[size - 1].cursor).urlsafe().decode() if more else None

    @classmethod
    def _from_stored(cls, entity, service_key, statuses):
        """The Event of a raw stored one under `service_key`; `statuses` keeps the status keys made."""
        values = entity.properties
        status = values["status"].key_value.path[-1].name
        if status not in statuses:
            statuses[status] = ndb.Key("Status", status, namespace=service_key.namespace())
        flag = values.get("informational")
        own = entity.key.path[-1]
        return cls(key=ndb.Key(*service_key.flat(), cls._get_kind(), own.id if own.HasField("id") else own.name,
                               namespace=service_key.namespace()),
                   timestamp=lookup.moment(values["timestamp"]), message=values["message"].string_value,
                   status=statuses[status], informational=flag is not None and flag.boolean_value)

    @classmethod
    def _history(cls, service_key, start, end):
        query = cls.query(ancestor=service_key)
        if start is not None:
            query = query.filter(cls.timestamp >= start)
        if end is not None:
            query = query.filter(cls.timestamp <= end)
        return query.order(-cls.timestamp)

    @classmethod
    def newest_of(cls, service, limit):
        """The service's newest `limit` (at most Service.RECENT) events, newest first, read by key.

        A service whose list of newest events was never made (a board from before it) is queried.
        """
        if service.recent is None:
            return cls.for_service(service.key, limit=limit)
        return cls.get_recent([(service.slug, sid, stamp) for sid, stamp in service.recent or []], limit)

    @classmethod
    def get_recent(cls, recent, limit):
        """The newest `limit` of (service id, sid, ISO timestamp) triples, read in one batch, newest first."""
        newest = sorted(recent, key=lambda item: item[2], reverse=True)[:limit]
        keys = [ndb.Key("Service", service_id, cls, int(sid)) for service_id, sid, _ in newest]
        return [event for event in ndb.get_multi(keys) if event is not None]

    @classmethod
    def get_for_service(cls, service_key, sid):
        """The event `sid` of this service, or NotFound (malformed sids included)."""
        event = cls.key_for(service_key, sid).get()
        if event is None:
            raise NotFound(f"No event '{sid}' for service '{service_key.id()}'.")
        return event

    @classmethod
    def key_for(cls, service_key, sid):
        """The key of event `sid` (or of its 1.x sid) of this service; a sid no event could have is NotFound."""
        new_id = numeric_id(sid)
        if new_id is not None:
            return ndb.Key(cls, new_id, parent=service_key)
        old_id = legacy_event_id(sid)
        if old_id is None:
            raise NotFound(f"No event '{sid[:60]}' for service '{service_key.id()}'.")
        return ndb.Key(cls, old_id, parent=service_key)

    @classmethod
    def post(cls, service, message, status_id=None, informational=None, at=None, board=None, held_as=None):
        """Add an event to `service` and make it the service's newest, in one transaction.

        With no status the event keeps the service's current status (the default one
        when it has none). An event never sorts before the service's previous one;
        `at` (naive UTC, for seeding and imports) must be later than that one.
        The service's newest event, status and day rollup change in the same transaction.
        Answers an Appended: the event with its Status, for the reply. A caller already in a
        transaction passes `board` (see `board_for`: every status) so that none is read in it,
        and, when that transaction has read `service` itself, `held_as`: the event's key,
        allocated beforehand (models/alerts.py), so that the post makes no RPC at all.
        """
        message = clean_text(message, "message", MESSAGE_MAX, multiline=True)
        informational = parse_bool(informational, "informational") if informational is not None else False
        status_id = str(status_id).strip() if status_id is not None else ""
        alone = board is None and held_as is None and not ndb.in_transaction()
        # A post of its own reserves its event's and its two audit entries' keys while it reads
        # the statuses, in one round trip: three allocations in its transaction otherwise.
        keys = lookup.allocate_keys_async([(cls._get_kind(), service.key), *[(AuditEntry._get_kind(), None)] * 2]) \
            if alone else None
        board = board or cls.board_for([] if status_id else [service], status_id)
        event_key, *entry_keys = keys.result() if keys else (held_as,)
        named = (board[1].get(ndb.Key(Status, status_id)) or Status.get_or_404(status_id)) if status_id else None
        posted = []

        def apply(current):
            posted.append(cls.append_to(current, message, named, informational, at, board, event_key))
            BoardRow.write([current])
            return "update"

        if held_as is not None:
            audit.change_held(service, apply)
        elif entry_keys:  # with the other posts to this service waiting in this process
            batching.change_together(service.key, "service", apply, entry_keys)
        else:
            audit.change(service.key, "service", apply)
        return posted[-1]

    @staticmethod
    def board_for(services, status_id=None):
        """(the board's default status key, {key: Status} of `services`' current statuses and of the
        status `status_id`, when it is one), read before a write's transaction: a board-wide entity
        read inside it would make every concurrent write read it too, and the Datastore emulator
        aborts those as contention."""
        named = [ndb.Key(Status, status_id)] if status_id and is_slug(status_id) else []
        keys = [Installation.key_for(), *{s.current_status for s in services if s and s.current_status}, *named]
        installation, *statuses = ndb.get_multi(keys)
        default_key = installation.default_status if installation else None
        if default_key is not None and any(s and s.current_status is None for s in services):
            statuses.append(default_key.get())  # a service's first event takes the default
        return default_key, {s.key: s for s in statuses if s}

    @classmethod
    def append_to(cls, current, message, status=None, informational=False, at=None, board=(None, {}), key=None):
        """Append a new newest event to the service `current`, which the caller's transaction
        already holds and stores (with its board row); tell subscribers through the outbox.

        `status` is the event's Status, read by the caller, or None to keep the service's
        (the default one when it has none); `board` is what `board_for` read before the
        transaction, so the answer (an Appended) needs no second look. `key`: the event's own,
        allocated beforehand, or None to have one allocated.
        """
        default_key, known = board
        if status is None:
            status_key = current.current_status or default_key
            if status_key is None:
                raise InvalidInput("No 'status' given and the board has no default status.")
            # Read here only when it changed since `board_for` (or on a service's first event).
            status = known.get(status_key) or status_key.get(retries=0)
        else:
            status_key = status.key
        event = cls._append(current, message, status_key, informational, at, status, key)
        return Appended(event, status, default_key)

    @classmethod
    def _append(cls, current, message, key, informational, at=None, named=None, event_key=None):
        """Store a new newest event of the service `current` with the status `key` (inside its
        transaction), tell subscribers through the outbox, and update what the service keeps of
        it. `named` is the event's Status when it is at hand; `event_key`, its key if allocated."""
        timestamp = cls.next_time(current, at)
        placed = {"key": event_key} if event_key is not None else {"parent": current.key}
        event = cls(**placed, timestamp=timestamp, message=message, status=key, informational=informational)
        event.put()
        AuditEntry.record("create", event.key, after=snapshot(event))
        start = current.current_status.id() if current.current_status else None
        outbox.enqueue("status", cls.change_payload(current, event, start, named))
        cls.advance(current, event)
        return event

    @staticmethod
    def next_time(current, at=None):
        """A new newest event's time: `at` (later than the service's newest), else now or just after that one."""
        timestamp = at or utcnow()
        previous = current.latest_event
        if previous is not None and previous.timestamp >= timestamp:
            if at is not None:
                raise InvalidInput("A backdated event must be newer than the service's newest event.")
            timestamp = previous.timestamp + ONE_MICROSECOND
        return timestamp

    @staticmethod
    def advance(current, event):
        """Make `event` the newest of the service `current`: its newest event, status, list of newest
        events and day rollups (in memory: the caller stores it, or shows it before it is stored)."""
        start, informational, timestamp = current.current_status, event.informational, event.timestamp
        current.days = history.with_event(current.days, timestamp.date(), start.id() if start else None,
                                          None if informational else event.status.id(), informational, at=timestamp)
        current.latest = LatestEvent.of(event).to_json()
        current.recent = [[event.sid, timestamp.isoformat()], *(current.recent or [])][: current.RECENT]
        if not informational:
            current.current_status = event.status
        current.updated = timestamp

    @classmethod
    def post_each(cls, changes, message, only_if=None):
        """Give several services a new status in one transaction (joined, when the caller is in one).

        `changes` is [(service key, status id)]; `only_if(service)` may skip a service. Each
        change is an event with `message`, like `post`. Answers [(service, old status id, event)],
        the old status id being None for the default status.
        """
        message = clean_text(message, "message", MESSAGE_MAX, multiline=True)
        statuses = {status_id: Status.get_or_404(status_id) for _, status_id in changes}
        board = cls.board_for([])

        def apply(done, status, current):
            if only_if is not None and not only_if(current):
                return None
            old = current.current_status.id() if current.current_status else None
            done.append((current, old, cls.append_to(current, message, status, board=board).event))
            return "update"

        @ndb.transactional(retries=audit.TRANSACTION_RETRIES)
        def txn():
            done = []
            for service_key, status_id in changes:
                audit.change(service_key, "service", functools.partial(apply, done, statuses[status_id]))
            if done:
                BoardRow.write([service for service, _, _ in done])
            return done

        return txn()

    @staticmethod
    def change_payload(service, event, previous_status_id, status=None):
        """What subscribers are told of a new event. No read in the transaction: a status not
        already at hand is named when the notification is sent (models/outbox.py)."""
        status = status if status is not None and status.key == event.status else None
        return {
            "type": "status",
            "service": {"id": service.slug, "name": service.name},
            "status": {"id": event.status_id, "name": status.name if status else event.status_id,
                       "level": status.level if status else None},
            "previous_status": previous_status_id,
            "message": event.message,
            "informational": bool(event.informational),
            "event": event.sid,
            "timestamp": event.timestamp.isoformat() + "Z",
        }

    def delete(self):
        """Remove the event; the service's newest event, status and rollups follow, in one transaction."""
        key = self.key

        def apply(service):
            event = key.get()
            if event is None:
                raise NotFound(f"No event '{key.id()}' for service '{service.slug}'.")
            key.delete()
            AuditEntry.record("delete", key, before=snapshot(event))
            Event.refresh(service, deleted=key)
            BoardRow.write([service])
            return "update"

        audit.change(self.service_key, "service", apply)
        return self

    @classmethod
    def refresh(cls, service, deleted=None):
        """Recompute the service's newest event, current status and rollups from its events.

        Inside a transaction: `deleted` is an event deleted in it, which its queries still see.
        """
        newest = [e for e in cls.for_service(service.key, limit=service.RECENT + 1) if e.key != deleted]
        service.latest = LatestEvent.of(newest[0]).to_json() if newest else None
        service.recent = [[e.sid, e.timestamp.isoformat()] for e in newest[: service.RECENT]]
        statused = [e for e in cls._newest(service.key, informational=False) if e.key != deleted]
        service.current_status = statused[0].status if statused else None
        start = utc_midnight() - history.KEEP_DAYS * ONE_DAY
        before = [e for e in cls._newest(service.key, informational=False, until=start) if e.key != deleted]
        window = [e for e in cls.for_service(service.key, start=start) if e.key != deleted]
        service.days = history.replay(reversed(window), before[0].status.id() if before else None)

    @classmethod
    def rebuild(cls, service_key):
        """Recompute a service's derived fields and board row from its events (existing boards,
        imports); audited. Idempotent: a service already right is only read. Answers whether it changed.
        """
        changed = []

        def apply(service):
            stored = (service.latest, service.recent, service.current_status, service.days)
            cls.refresh(service)
            changed.append((service.latest, service.recent, service.current_status, service.days) != stored)
            if changed[-1] or BoardRow.stored(service.slug) != row_of(service):
                BoardRow.write([service])
            return "update" if changed[-1] else None

        audit.change(service_key, "service", apply)
        return changed[-1]

    @classmethod
    def rebuild_all(cls, start_after=""):
        """A resumable run of `rebuild` over every service after `start_after`, in id order."""
        return HistoryRebuild(start_after)

    @classmethod
    def _newest(cls, service_key, informational, until=None):
        """The two newest events (two: the caller may be deleting one) of this kind, optionally before `until`."""
        query = cls.query(cls.informational == informational, ancestor=service_key)
        if until is not None:
            query = query.filter(cls.timestamp < until)
        return query.order(-cls.timestamp).fetch(2)


class HistoryRebuild:
    """`Event.rebuild` of every service after `start_after`, in id order: iterate for (id, changed?).

    A run from the start that gets to the end stores the board's members (every service
    has its row by then), so the board reads its index from then on (models/snapshot.py).
    """

    def __init__(self, start_after=""):
        self.start_after = start_after or ""
        self.service_ids = [service.slug for service in Service.ordered_by_id() if service.slug > self.start_after]

    def __len__(self):
        return len(self.service_ids)

    def __iter__(self):
        for service_id in self.service_ids:
            yield service_id, Event.rebuild(ndb.Key(Service, service_id))
        if not self.start_after:
            BoardMembers.rebuild(Service.ids)
