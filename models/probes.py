"""Probes: an optional HTTP check per service, run by cron, that keeps the service's status true.

A probe is a child of its service (one per service), so a result that crosses a
threshold changes the probe and posts the event in one transaction. Hysteresis:
`threshold` failures in a row post Down, then `recovery` successes in a row post Up;
a single blip either way changes nothing. A probe never seen failing posts nothing.
Every result is kept (ProbeResult) for the uptime figures.
"""

import datetime

from google.cloud import ndb

from models import audit
from models.audit import snapshot
from models.errors import InvalidInput, NotFound
from models.event import Event
from models.series import PROBE, SeriesDay
from models.service import Service
from models.status import Status
from models.subscribers import clean_url
from models.times import utcnow

LIMITS = {"expected_status": (100, 599), "timeout": (1, 30), "interval": (1, 86400), "threshold": (1, 20),
          "recovery": (1, 20)}
DEFAULTS = {"expected_status": 200, "timeout": 5, "interval": 60, "threshold": 3, "recovery": 2}
DUE_BATCH = 50


def _number(value, field):
    low, high = LIMITS[field]
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidInput(f"'{field}' must be a whole number.") from None
    if not low <= number <= high:
        raise InvalidInput(f"'{field}' must be between {low} and {high}.")
    return number


class Probe(ndb.Model):
    """The HTTP check of one service; key: (Service, id, Probe, "http")."""

    url = ndb.TextProperty(required=True)
    expected_status = ndb.IntegerProperty(default=200)
    timeout = ndb.IntegerProperty(default=5)  # seconds
    interval = ndb.IntegerProperty(default=60)  # seconds between checks
    threshold = ndb.IntegerProperty(default=3)  # failures in a row that post Down
    recovery = ndb.IntegerProperty(default=2)  # successes in a row that post Up again
    down_status = ndb.StringProperty(default="down")
    up_status = ndb.StringProperty(default="up")
    failures = ndb.IntegerProperty(default=0)
    successes = ndb.IntegerProperty(default=0)
    down = ndb.BooleanProperty(default=False)  # whether this probe has posted Down (and not Up since)
    next_check = ndb.DateTimeProperty(required=True)
    last_checked = ndb.DateTimeProperty()
    last_result = ndb.JsonProperty()

    NOT_AUDITED = ("failures", "successes", "next_check", "last_checked", "last_result")

    @classmethod
    def cache_purges(cls, key):
        """No public answer shows a probe (the events it posts purge their own)."""
        return ()

    @property
    def service_id(self):
        """The id of the service this probe checks."""
        return self.key.parent().id()

    @classmethod
    def key_for(cls, service_id):
        """The probe key of a service."""
        return ndb.Key(Service, service_id, cls, "http")

    @classmethod
    def of(cls, service_id):
        """The service's probe, or None."""
        return cls.key_for(service_id).get()

    @classmethod
    def ordered(cls):
        """Every probe, by service id."""
        return sorted(cls.query().fetch(), key=lambda probe: probe.service_id)

    @classmethod
    def due(cls, now=None, limit=DUE_BATCH):
        """Probes whose next check is due, most overdue first."""
        return cls.query(cls.next_check <= (now or utcnow())).order(cls.next_check).fetch(limit)

    @classmethod
    def configure(cls, service_id, url, **settings):
        """Create or replace the service's probe (audited); counters start again."""
        Service.get_or_404(service_id)
        fields = {"url": clean_url(url)}
        for field, default in DEFAULTS.items():
            value = settings.get(field)
            fields[field] = _number(default if value is None or value == "" else value, field)
        for field in ("down_status", "up_status"):
            if settings.get(field):
                fields[field] = Status.get_or_404(settings[field]).slug
        key = cls.key_for(service_id)

        @ndb.transactional(retries=audit.TRANSACTION_RETRIES)
        def txn():
            before = key.get(retries=0)
            probe = cls(key=key, next_check=utcnow(), **fields)
            probe.down = bool(before and before.down)
            probe.put()
            audit.AuditEntry.record("update" if before else "create", key, before=snapshot(before), after=snapshot(probe))
            return probe

        return txn()

    @classmethod
    def remove(cls, service_id):
        """Delete the service's probe (audited); its results stay."""
        probe = cls.of(service_id)
        if probe is None:
            raise NotFound(f"Service '{service_id}' has no probe.")
        return audit.change(probe.key, "probe", lambda entity: "delete")

    def record(self, ok, status, error, milliseconds):
        """Keep one result and, in the same transaction, post Down or Up when it crosses a threshold.

        Answers "down", "up" or None (no event posted).
        """
        key = self.key

        @ndb.transactional(retries=audit.TRANSACTION_RETRIES)
        def txn():
            probe = key.get(retries=0)
            if probe is None:
                return None
            now = utcnow()
            result = {"at": now.isoformat(), "ok": ok, "status": status, "error": error, "ms": milliseconds}
            ProbeResult.keep(key.parent(), now, ok, status, error, milliseconds)
            if ok and milliseconds is not None:  # the service page's response-time chart
                SeriesDay.add(key.parent().id(), PROBE, [(now, milliseconds)])
            probe.failures, probe.successes = (0, probe.successes + 1) if ok else (probe.failures + 1, 0)
            probe.last_checked, probe.last_result = now, result
            probe.next_check = now + datetime.timedelta(seconds=probe.interval)
            posted = None
            service = key.parent().get(retries=0)
            if not ok and not probe.down and probe.failures >= probe.threshold and service is not None:
                probe.down, posted = True, "down"
                message = f"Probe failed {probe.failures} times in a row: {error or f'HTTP {status}'}."
                Event.post(service, message, probe.down_status)
            elif ok and probe.down and probe.successes >= probe.recovery and service is not None:
                probe.down, posted = False, "up"
                Event.post(service, f"Probe succeeded {probe.successes} times in a row.", probe.up_status)
            probe.put()
            return posted

        return txn()


class ProbeResult(ndb.Model):
    """One check's outcome, kept for uptime figures. Not a child of its service: a service's own
    transactions (deleting it with its events) must not grow with every minute it was probed."""

    service = ndb.KeyProperty(kind=Service, required=True)
    at = ndb.DateTimeProperty(required=True)
    ok = ndb.BooleanProperty(required=True)
    status = ndb.IntegerProperty()
    error = ndb.TextProperty()
    milliseconds = ndb.IntegerProperty()

    @classmethod
    def keep(cls, service_key, at, ok, status, error, milliseconds):
        """Store one result (inside the probe's transaction: named, so no id is allocated there)."""
        key = ndb.Key(cls, f"{service_key.id()}@{at.isoformat()}")
        cls(key=key, service=service_key, at=at, ok=ok, status=status, error=error, milliseconds=milliseconds).put()

    @classmethod
    def newest(cls, service_id, limit=50):
        """The service's newest results, newest first."""
        return cls.query(cls.service == ndb.Key(Service, service_id)).order(-cls.at).fetch(limit)
