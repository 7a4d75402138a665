"""Alerts from monitoring, and what they do to a service's status.

A service's open alerts are kept in one AlertState entity under the service's key, so
the state and the event it causes change in one transaction (Event.post joins it):

* a firing alert opens (or updates) its entry; the first one to open remembers the
  status the service had before (the baseline);
* the service shows the worst of its open alerts' statuses and the baseline;
* a resolved alert closes its entry; when none is left the service goes back to the
  baseline;
* an alert already open with the same status, or already resolved, changes nothing:
  a replayed delivery is a no-op.

Firing and resolved alerts are matched by the alert's own id (Alertmanager's fingerprint,
PagerDuty's incident id, the generic form's id), never by a start time: two Alertmanagers
of an HA pair can report one alert with different `startsAt`. Each resolution is
remembered with the time it happened, so that a late replay of the firing (a time before
it) does not open the alert again, while the same alert firing anew later does.

A webhook over many services (one Alertmanager group: an alert for each of 200) is written
CHUNK services to a transaction, the chunks side by side: one lookup of the services and their
states, one commit. Every id its writes may need (each service's event, two audit entries) is
allocated before, in one RPC for the whole webhook, in the formats the API shows (numeric
event sids and audit ids). Each service used to cost a transaction of about eight RPCs one
after another (begin, two reads, three id allocations, commit). A chunk is tried once: when it
meets a concurrent write to one of its services, its services go one transaction each (retried
as any write is), with the same keys, so nothing is lost or written twice, and a replay is a
no-op anyway (above). Measured with tools/storm_bench.py (200 services through gunicorn, the
emulator, the shared 2-core machine at load 8 to 19):

                                  a transaction per service     CHUNK = 50
    200 alerts firing, alone      60 s (load 15-19)             38 s (load 9-14)
    their resolution, alone       53 s                          28 s
    with 20 clients posting       76 s / 52 s                   41 s / 33 s, no 409/500/503

A transaction per service with the same allocation beforehand took 47/40 s alone, 48/48 s with
the posters (load 14-16). The emulator writes 50 to 100 entities a second on such a loaded
machine, whatever the transactions' sizes, and a webhook writes 1,400 (7 per service): there
its pace, not the round trips, sets the time. Against Cloud Datastore a commit's latency
hardly grows with its size, so the round trips are what counts: 3 per chunk, not 8 per service.
"""

import dataclasses
import datetime
import re

from google.api_core import exceptions
from google.cloud import ndb

from models import audit, parallel
from models.event import Event
from models.fields import MESSAGE_MAX
from models.service import Service
from models.status import Status
from models.times import utcnow

CLOSED_KEPT = 200
# Services per transaction: each changed one writes 7 entities (its alert state, the service, its
# board row, the event, two audit entries, the outbox record), and a transaction holds at most 500.
CHUNK = 50
# What a transaction that kept meeting concurrent writes ends with.
CONTENDED = (exceptions.Aborted, exceptions.Conflict)
# Before alerts were matched by fingerprint alone, an Alertmanager alert's key ended with
# its startsAt (`…:am:<fingerprint>:<startsAt>`); such an entry still open is closed by
# its alert's resolution.
STARTS_AT_SUFFIX = re.compile(r":(\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d))?$")


@dataclasses.dataclass(frozen=True)
class Alert:
    """One alert as a monitoring tool reports it, already parsed from its payload."""

    key: str  # the alert's id within the integration, the same in its firing and its resolution
    service: str  # the name the alert gives its service (a label value, a check name)
    severity: str
    firing: bool
    summary: str
    # When the reported state began (firing: its start; resolved: its end), naive UTC; None: on arrival.
    at: datetime.datetime | None = None


class AlertState(ndb.Model):
    """A service's open alerts and the status to go back to; key: (Service, id, AlertState, "alerts")."""

    baseline = ndb.TextProperty()
    open = ndb.JsonProperty()  # {alert key: {"status": id, "summary": text}}
    # The newest CLOSED_KEPT resolved alerts: {alert key: when it resolved, ISO 8601}. Stored
    # before resolutions had times, it was a list of keys (start times in them): read as none.
    closed = ndb.JsonProperty()

    @classmethod
    def key_for(cls, service_key):
        """The one AlertState key of a service."""
        return ndb.Key(cls, "alerts", parent=service_key)

    @classmethod
    def of(cls, service_id):
        """The stored state of a service (an empty one when it has none)."""
        key = cls.key_for(ndb.Key(Service, service_id))
        return key.get() or cls(key=key, open={}, closed={})

    def resolutions(self):
        """{alert key: when it resolved} (empty for the older list of keys, which held start times)."""
        return dict(self.closed) if isinstance(self.closed, dict) else {}


def apply_alerts(integration, alerts):
    """Apply parsed alerts, CHUNK services to a transaction, the chunks side by side; answers what
    happened to each service.

    Alerts whose service does not exist are answered as unmatched, not refused: a
    monitoring tool would otherwise retry the whole group for ever.
    """
    by_service, unmatched = {}, []
    for alert in alerts:
        service_id = integration.service_for(alert.service)
        if service_id is None:
            unmatched.append(alert.service)
        else:
            by_service.setdefault(service_id, []).append(alert)
    audit.installed_first()
    statuses = Status.query().fetch()
    severity = {status.slug: status.severity for status in statuses}
    # Read outside the transactions: a read of a board-wide entity in each would make them contend.
    board = (Status.default_key(), {status.key: status for status in statuses})
    outcome = {"changed": [], "unchanged": [], "unmatched": unmatched}
    items = _with_keys(list(by_service.items()))

    def apply(chunk):
        try:
            return _apply_to_chunk(integration, chunk, severity, board)
        except CONTENDED:
            if len(chunk) == 1:
                raise
            # Some service of the chunk is being written meanwhile: one transaction per service
            # then, so that the others need not wait for it (the same keys: nothing is applied twice).
            return [changed for part in parallel.each(apply, [[item] for item in chunk]) for changed in part]

    with audit.acting_as(integration.actor):
        done = parallel.each(apply, [items[n:n + CHUNK] for n in range(0, len(items), CHUNK)])
    for service_id, changed in zip(by_service, (changed for part in done for changed in part)):
        outcome["unmatched" if changed is None else "changed" if changed else "unchanged"].append(service_id)
    return outcome


def _with_keys(items):
    """[(service id, alerts, its event's key, its two audit entries' keys)]: every id the writes may
    need, allocated in one RPC before the transactions, where each would cost one RPC in turn."""
    events = [Event.allocate_ids_async(1, parent=ndb.Key(Service, service_id)) for service_id, _ in items]
    entries = audit.AuditEntry.allocate_ids_async(2 * len(items)) if items else None
    entry_keys = entries.result() if entries else []
    return [(service_id, alerts, event.result()[0], entry_keys[2 * n:2 * n + 2])
            for n, ((service_id, alerts), event) in enumerate(zip(items, events))]


def _scoped(integration, alert):
    """An alert's key among all integrations' alerts on a service."""
    return f"{integration.token_id}:{alert.key}"


def _opened_before_fingerprints(opened, scoped):
    """The open entries of the alert keyed `scoped` stored under its older key (with its startsAt)."""
    return [key for key in opened if key.startswith(scoped) and STARTS_AT_SUFFIX.fullmatch(key[len(scoped):])]


def _apply_to_chunk(integration, chunk, severity, board):
    """Several services' alerts in one transaction: one read of the services and their states, the
    writes with keys allocated beforehand, one commit. Answers, per service, whether anything
    changed (None: no such service)."""
    service_keys = [ndb.Key(Service, service_id) for service_id, *_ in chunk]

    # A chunk that meets a concurrent write is not tried again whole (its services are, one by one).
    @ndb.transactional(retries=audit.TRANSACTION_RETRIES if len(chunk) == 1 else 0)
    def txn():
        found = ndb.get_multi([*service_keys, *map(AlertState.key_for, service_keys)], retries=0)
        done = []
        with audit.entry_keys(key for *_, entry_keys in chunk for key in entry_keys):
            for (_, alerts, event_key, _), service, state in zip(chunk, found, found[len(chunk):]):
                if service is None:
                    done.append(None)
                    continue
                state = state or AlertState(key=AlertState.key_for(service.key), open={}, closed={})
                done.append(_apply_to_service(integration, alerts, service, state, event_key, severity, board))
        return done

    return txn()


def _apply_to_service(integration, alerts, service, state, event_key, severity, board):
    """One service's alerts, in the caller's transaction that read `service` and its `state` (the
    event, if any, joins it, keyed `event_key`); answers whether anything changed."""
    current = service.status_key(board[0])
    current_id = current.id() if current else None
    opened, closed = dict(state.open or {}), state.resolutions()
    was_quiet = not opened
    news, noted = None, False
    for alert in alerts:
        scoped = _scoped(integration, alert)
        at = (alert.at or utcnow()).isoformat()  # naive UTC in ISO 8601 sorts as the times do
        if alert.firing:
            if scoped in closed and at <= closed[scoped]:
                continue  # a late replay of a firing its resolution came after
            status = integration.status_for(alert.severity)
            entry = {"status": status, "summary": alert.summary}
            noted = closed.pop(scoped, None) is not None or noted
            if opened.get(scoped) == entry:
                continue
            opened[scoped], news = entry, alert
        else:
            older = _opened_before_fingerprints(opened, scoped) if alert.key.startswith("am:") else []
            for entry_key in [scoped, *older]:
                if entry_key in opened:
                    del opened[entry_key]
                    news = alert
            # Kept even for an alert not open: an HA peer's firing may arrive after the resolution.
            if closed.get(scoped, "") < at:
                closed.pop(scoped, None)
                closed[scoped], noted = at, True
    closed = dict(list(closed.items())[-CLOSED_KEPT:])
    if news is None:
        if noted:
            state.populate(closed=closed)
            state.put()
        return False
    baseline = (current_id if was_quiet else state.baseline) or current_id
    if opened:
        candidates = [baseline, *(entry["status"] for entry in opened.values())]
        target = max((c for c in candidates if c in severity), key=severity.get, default=baseline)
    else:
        target = baseline
    state.populate(open=opened, closed=closed, baseline=baseline if opened else None)
    state.put()
    if target and target != current_id:
        Event.post(service, _message(news), target, board=board, held_as=event_key)
    return True


def _message(alert):
    """The event's message: the alert's summary, marked when it is a resolution."""
    text = alert.summary or alert.service
    return (text if alert.firing else f"Resolved: {text}")[:MESSAGE_MAX]
