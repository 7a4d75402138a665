"""Events: a service's history; the newest one gives its current status."""

import datetime
from email.utils import format_datetime

from google.cloud import ndb

from models.audit import AuditEntry, snapshot
from models.errors import InvalidInput, NotFound
from models.fields import MESSAGE_MAX, clean_text, parse_bool
from models.status import Status
from models.times import utcnow

ONE_MICROSECOND = datetime.timedelta(microseconds=1)
SID_MAX = 2**63 - 1


class Event(ndb.Model):
    """One status update of a service; a child of the service's key.

    `informational` events are notes: they become the service's newest event but
    leave its current status as it was.
    """

    timestamp = ndb.DateTimeProperty(required=True)
    message = ndb.TextProperty(required=True)
    status = ndb.KeyProperty(kind="Status", required=True)
    informational = ndb.BooleanProperty(default=False)

    @property
    def sid(self):
        """The event's id in URLs: opaque to clients, URL-safe."""
        return str(self.key.id())

    @property
    def service_key(self):
        """The key of the service this event belongs to."""
        return self.key.parent()

    @classmethod
    def for_service(cls, service_key, start=None, end=None, limit=None):
        """The service's events, newest first, optionally within [start, end] (naive UTC)."""
        query = cls.query(ancestor=service_key)
        if start is not None:
            query = query.filter(cls.timestamp >= start)
        if end is not None:
            query = query.filter(cls.timestamp <= end)
        return query.order(-cls.timestamp).fetch(limit)

    @classmethod
    def since(cls, start):
        """Every service's events from `start` (naive UTC) on, oldest first.

        One query for the whole board: the front page's history grid needs no
        query per service or per day.
        """
        return cls.query(cls.timestamp >= start).order(cls.timestamp).fetch()

    @classmethod
    def newest(cls, limit, service_keys=None):
        """The board's newest `limit` events, newest first; only these services' when given (feeds)."""
        if service_keys is None:
            return cls.query().order(-cls.timestamp).fetch(limit)
        # One ancestor query per named service: strongly consistent, and bounded by the filter.
        events = [event for key in service_keys for event in cls.for_service(key, limit=limit)]
        return sorted(events, key=lambda event: event.timestamp, reverse=True)[:limit]

    @classmethod
    def get_for_service(cls, service_key, sid):
        """The event `sid` of this service, or NotFound (malformed sids included)."""
        if not (sid.isascii() and sid.isdigit()) or not 0 < int(sid) <= SID_MAX:
            raise NotFound(f"No event '{sid}' for service '{service_key.id()}'.")
        event = ndb.Key(cls, int(sid), parent=service_key).get()
        if event is None:
            raise NotFound(f"No event '{sid}' for service '{service_key.id()}'.")
        return event

    @classmethod
    def count_with_status(cls, status_key):
        """How many events, across all services, carry this status."""
        return cls.query(cls.status == status_key).count()

    @classmethod
    def post(cls, service, message, status_id=None, informational=None, at=None):
        """Add an event to `service` and make it the service's newest, in one transaction.

        With no status the event keeps the service's current status (the default one
        when it has none). An event never sorts before the service's previous one;
        `at` (naive UTC, for seeding and imports) must be later than that one.
        """
        message = clean_text(message, "message", MESSAGE_MAX)
        informational = parse_bool(informational, "informational") if informational is not None else False
        if status_id is not None and str(status_id).strip():
            status_key = Status.get_or_404(str(status_id).strip()).key
        else:
            status_key = None
        service_key = service.key

        @ndb.transactional()
        def txn():
            current = service_key.get()
            if current is None:
                raise NotFound(f"No service '{service_key.id()}'.")
            key = status_key or current.status_key(Status.default_key())
            if key is None:
                raise InvalidInput("No 'status' given and the board has no default status.")
            timestamp = at or utcnow()
            previous = current.current_event.get() if current.current_event else None
            if previous is not None and previous.timestamp >= timestamp:
                if at is not None:
                    raise InvalidInput("A backdated event must be newer than the service's newest event.")
                timestamp = previous.timestamp + ONE_MICROSECOND
            event = cls(
                parent=service_key,
                timestamp=timestamp,
                message=message,
                status=key,
                informational=informational,
            )
            event.put()
            before = snapshot(current)
            current.current_event = event.key
            if not informational:
                current.current_status = key
            current.updated = timestamp
            current.put()
            AuditEntry.record("create", event.key, after=snapshot(event))
            AuditEntry.record("update", service_key, before=before, after=snapshot(current))
            return event

        return txn()

    def delete(self):
        """Remove the event; the service's newest event and status follow, in one transaction."""
        key = self.key
        service_key = self.service_key

        @ndb.transactional()
        def txn():
            event = key.get()
            service = service_key.get()
            if event is None or service is None:
                raise NotFound(f"No event '{key.id()}' for service '{service_key.id()}'.")
            before = snapshot(service)
            newest = [k for k in Event._newest_keys(service_key) if k != key]
            service.current_event = newest[0] if newest else None
            statused = [e for e in Event._newest(service_key, informational=False) if e.key != key]
            service.current_status = statused[0].status if statused else None
            key.delete()
            service.put()
            AuditEntry.record("delete", key, before=snapshot(event))
            AuditEntry.record("update", service_key, before=before, after=snapshot(service))
            return event

        return txn()

    @classmethod
    def _newest_keys(cls, service_key):
        """Keys of the two newest events (two: the caller may be deleting one)."""
        return cls.query(ancestor=service_key).order(-cls.timestamp).fetch(2, keys_only=True)

    @classmethod
    def _newest(cls, service_key, informational):
        """The two newest events with this `informational` flag."""
        query = cls.query(cls.informational == informational, ancestor=service_key)
        return query.order(-cls.timestamp).fetch(2)

    def to_dict(self, url, status):
        """The API's Event object; `status` is the Status object as a dict."""
        return {
            "sid": self.sid,
            "message": self.message,
            "timestamp": http_date(self.timestamp),
            "url": url("event", service_id=self.service_key.id(), sid=self.sid),
            "status": status,
            "informational": bool(self.informational),
        }


def http_date(timestamp):
    """RFC 1123 in GMT, whole seconds: `Mon, 28 Jun 2010 22:17:06 GMT`."""
    return format_datetime(timestamp.replace(tzinfo=datetime.UTC, microsecond=0), usegmt=True)
