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

Alerts are first planned (`plan`: each mapped to its service and status, its time fixed), then
applied (`apply_planned`); a delivery over many services is answered in between and applied after
(models/alert_inbox.py, which also has where the time of such a delivery goes, and why).

Alerts over many services (one Alertmanager group: an alert for each of 200) are written CHUNK
services to a transaction: one lookup of the services and their states, one commit. Every id
the writes may need (each service's event, two audit entries) is allocated before, in two RPCs
made at once (the events' under all their services in one: models/lookup.py), in the formats
the API shows (numeric event sids and audit ids). Each service used to cost a transaction of
about eight RPCs one after another (begin, two reads, three id allocations, commit). A chunk is
tried once: when it meets a concurrent write to one of its services, its services go one
transaction each (retried as any write is), with the same keys, so nothing is lost or written
twice, and a replay is a no-op anyway (above). Measured with tools/storm_bench.py when the
webhook was answered only once applied (200 services through gunicorn, the emulator, the shared
2-core machine at load 8 to 19):

                                  a transaction per service     CHUNK = 50, chunks side by side
    200 alerts firing, alone      60 s (load 15-19)             38 s (load 9-14)
    their resolution, alone       53 s                          28 s
    with 20 clients posting       76 s / 52 s                   41 s / 33 s, no 409/500/503

A transaction per service with the same allocation beforehand took 47/40 s alone, 48/48 s with
the posters (load 14-16). Most of those seconds were not the writes' own (models/alert_inbox.py
says whose); the writes, 1,400 entities (7 per service), take 2 s of CPU between the app and the
emulator, whatever the transactions' sizes. Against Cloud Datastore a commit's latency hardly
grows with its size, so the round trips are what counts: 3 per chunk, not 8 per service.
"""

import dataclasses
import datetime
import re

from google.api_core import exceptions
from google.cloud import ndb

from models import audit, lookup, parallel
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


@dataclasses.dataclass(frozen=True)
class Planned:
    """An alert as it applies to its service: keyed among all integrations' alerts on the service,
    its status chosen by the integration's rule, its time fixed on arrival. Stored as a JSON list
    while a delivery waits to be applied (models/alert_inbox.py)."""

    key: str
    firing: bool
    status: str | None  # the status it shows while open; None for a resolution
    summary: str
    name: str  # the name the alert gives its service: the message of an alert with no summary
    at: str  # when the reported state began (else when it arrived), naive UTC in ISO 8601
    by_fingerprint: bool  # an Alertmanager alert: an entry stored under its older key is closed too

    def to_json(self):
        """The JSON-ready form: a list of the fields in order."""
        return list(dataclasses.astuple(self))

    @classmethod
    def from_json(cls, value):
        """The Planned alert stored as `to_json` gave it."""
        return cls(*value)


@dataclasses.dataclass(frozen=True)
class Decision:
    """What a service's alerts do: whether its status or open alerts change, the AlertState fields
    to store (None: nothing), and the event to post as (message, status id) (None: none)."""

    changed: bool
    store: dict | None
    event: tuple | None


def plan(integration, alerts):
    """({service id: [Planned]} in the order the alerts came, [names mapped to no service id]): the
    integration's rule applied, each alert's time fixed (now, for an alert that gives none)."""
    by_service, unmatched, statuses, now = {}, [], {}, utcnow()
    for alert in alerts:
        service_id = integration.service_for(alert.service)
        if service_id is None:
            unmatched.append(alert.service)
            continue
        status = None
        if alert.firing:
            if alert.severity not in statuses:  # a severity naming a status outright is looked up once
                statuses[alert.severity] = integration.status_for(alert.severity)
            status = statuses[alert.severity]
        by_service.setdefault(service_id, []).append(Planned(
            _scoped(integration, alert), alert.firing, status, alert.summary, alert.service,
            (alert.at or now).isoformat(), alert.key.startswith("am:")))
    return by_service, unmatched


def apply_planned(by_service, unmatched=(), event_ids=None, side_by_side=parallel.WORKERS):
    """Apply planned alerts as the current actor, CHUNK services to a transaction, `side_by_side`
    chunks at once; answers {"changed", "unchanged", "unmatched"}: service ids, and the names of
    none. `event_ids`: {service id: the id of the event it may post}, allocated already.

    Alerts whose service does not exist are answered as unmatched, not refused: a
    monitoring tool would otherwise retry the whole group for ever.
    """
    audit.installed_first()
    severity, board = _statuses(Status.query().fetch())
    outcome = {"changed": [], "unchanged": [], "unmatched": list(unmatched)}
    items = _with_keys(list(by_service.items()), event_ids)

    def apply(chunk):
        try:
            return _apply_to_chunk(chunk, severity, board)
        except CONTENDED:
            if len(chunk) == 1:
                raise
            # Some service of the chunk is being written meanwhile: one transaction per service
            # then, so that the others need not wait for it (the same keys: nothing is applied twice).
            return [changed for part in parallel.each(apply, [[item] for item in chunk]) for changed in part]

    done = parallel.each(apply, [items[n:n + CHUNK] for n in range(0, len(items), CHUNK)], side_by_side)
    for service_id, changed in zip(by_service, (changed for part in done for changed in part)):
        outcome["unmatched" if changed is None else "changed" if changed else "unchanged"].append(service_id)
    return outcome


def preview(by_service, unmatched=(), before=None):
    """What `apply_planned` would answer once `before` (a future of the earlier deliveries still to be
    applied, each ({service id: [Planned]}, {service id: its event's id})) were, read without a
    write: the statuses and one lookup of the services and their alert states, made at once (a
    delivery answered before it is applied). Answers (that outcome, {service id: (the Service, the
    event's message, its status id, [ids of the events its newest may be by then])} of the events
    it would post)."""
    statuses = Status.query().fetch_async()
    keys = [ndb.Key(Service, service_id) for service_id in by_service]
    # Raw (models/lookup.py): sent at once, where NDB would first make a tasklet of each key; and
    # not from the context's cache, as the deliveries applied meanwhile wrote in contexts of their own.
    found = lookup.lookup_async([*keys, *map(AlertState.key_for, keys)])
    before = before.result() if before is not None else []
    severity, board = _statuses(statuses.result())
    found = [lookup.model_of(entity) for entity in found.result()]
    outcome, events = {"changed": [], "unchanged": [], "unmatched": list(unmatched)}, {}
    for (service_id, planned), service, state in zip(by_service.items(), found, found[len(keys):]):
        if service is None:
            outcome["unmatched"].append(service_id)
            continue
        state = state or AlertState(key=AlertState.key_for(service.key), open={}, closed={})
        current, newest = _current(service, board), [(service.latest or {}).get("sid")]
        for earlier, event_ids in (delivery for delivery in before if service_id in delivery[0]):
            decision = _decide(earlier[service_id], state, current, severity)
            state = AlertState(key=state.key, **{**state.to_dict(), **(decision.store or {})})
            if decision.event:
                current = decision.event[1]
                newest.append(str(event_ids[service_id]))
        decision = _decide(planned, state, current, severity)
        outcome["changed" if decision.changed else "unchanged"].append(service_id)
        if decision.event is not None:
            events[service_id] = (service, *decision.event, newest)
    return outcome, events


def _statuses(statuses):
    """({status id: severity}, (the default status's key, {key: Status})) of every Status, read outside
    the transactions: a read of a board-wide entity in each would make them contend."""
    return {status.slug: status.severity for status in statuses}, \
        (Status.default_key(), {status.key: status for status in statuses})


def _current(service, board):
    """The id of the service's current status (the default one's when it has none)."""
    current = service.status_key(board[0])
    return current.id() if current else None


def _with_keys(items, event_ids=None):
    """[(service id, alerts, its event's key, its two audit entries' keys)]: every id the writes may
    need, allocated before the transactions (an RPC for the events' ids unless given, one at once for
    the entries'), where each would cost one RPC in turn."""
    if not items:
        return []
    parents = [ndb.Key(Service, service_id) for service_id, _ in items]
    entries = audit.AuditEntry.allocate_ids_async(2 * len(items))
    events = [event_ids[service_id] for service_id, _ in items] if event_ids else event_ids_for(parents).result()
    entry_keys = entries.result()
    return [(service_id, alerts, ndb.Key(Event, event_id, parent=parent), entry_keys[2 * n:2 * n + 2])
            for n, ((service_id, alerts), parent, event_id) in enumerate(zip(items, parents, events))]


def event_ids_for(services):
    """A future of an id for a new event of each of `services` (keys), in one RPC."""
    return lookup.allocate_ids_async(Event._get_kind(), services)


def _scoped(integration, alert):
    """An alert's key among all integrations' alerts on a service."""
    return f"{integration.token_id}:{alert.key}"


def _opened_before_fingerprints(opened, scoped):
    """The open entries of the alert keyed `scoped` stored under its older key (with its startsAt)."""
    return [key for key in opened if key.startswith(scoped) and STARTS_AT_SUFFIX.fullmatch(key[len(scoped):])]


def _apply_to_chunk(chunk, severity, board):
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
            for (_, planned, event_key, _), service, state in zip(chunk, found, found[len(chunk):]):
                if service is None:
                    done.append(None)
                    continue
                state = state or AlertState(key=AlertState.key_for(service.key), open={}, closed={})
                done.append(_apply_to_service(planned, service, state, event_key, severity, board))
        return done

    return txn()


def _apply_to_service(planned, service, state, event_key, severity, board):
    """One service's alerts, in the caller's transaction that read `service` and its `state` (the
    event, if any, joins it, keyed `event_key`); answers whether anything changed."""
    decision = _decide(planned, state, _current(service, board), severity)
    if decision.store is not None:
        state.populate(**decision.store)
        state.put()
    if decision.event is not None:
        message, target = decision.event
        Event.post(service, message, target, board=board, held_as=event_key)
    return decision.changed


def _decide(planned, state, current_id, severity):
    """What a service's planned alerts do to its `state` given its current status: a Decision."""
    opened, closed = dict(state.open or {}), state.resolutions()
    was_quiet = not opened
    news, noted = None, False
    for alert in planned:
        if alert.firing:
            if alert.key in closed and alert.at <= closed[alert.key]:
                continue  # a late replay of a firing its resolution came after
            entry = {"status": alert.status, "summary": alert.summary}
            noted = closed.pop(alert.key, None) is not None or noted
            if opened.get(alert.key) == entry:
                continue
            opened[alert.key], news = entry, alert
        else:
            older = _opened_before_fingerprints(opened, alert.key) if alert.by_fingerprint else []
            for entry_key in [alert.key, *older]:
                if entry_key in opened:
                    del opened[entry_key]
                    news = alert
            # Kept even for an alert not open: an HA peer's firing may arrive after the resolution.
            if closed.get(alert.key, "") < alert.at:
                closed.pop(alert.key, None)
                closed[alert.key], noted = alert.at, True
    closed = dict(list(closed.items())[-CLOSED_KEPT:])
    if news is None:
        return Decision(False, {"closed": closed} if noted else None, None)
    baseline = (current_id if was_quiet else state.baseline) or current_id
    if opened:
        candidates = [baseline, *(entry["status"] for entry in opened.values())]
        target = max((c for c in candidates if c in severity), key=severity.get, default=baseline)
    else:
        target = baseline
    store = {"open": opened, "closed": closed, "baseline": baseline if opened else None}
    return Decision(True, store, (_message(news), target) if target and target != current_id else None)


def _message(alert):
    """The event's message: the alert's summary, marked when it is a resolution."""
    text = alert.summary or alert.name
    return (text if alert.firing else f"Resolved: {text}")[:MESSAGE_MAX]
