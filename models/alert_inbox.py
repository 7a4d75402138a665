"""Alert deliveries over many services: stored whole as one record, shown, answered, then applied.

An Alertmanager group may carry an alert for each of 200 services. Applied before its answer
(models/alerts.py, 50 services to a transaction), such a delivery took 38 s through gunicorn on
the emulator. Profiled in process (200 services, load 10 to 14 on the shared 2-core machine):

* The writes themselves, 1,400 entities (7 per service) in 4 commits: 2 s of CPU whatever the
  transactions' sizes, 0.75 s in Python (NDB making protobufs of the entities and their keys) and
  1.1 to 1.4 s in the emulator (0.1 to 0.15 s per 200 entities of any kind, with 14 index rows
  each or none). Alone, with nothing else started: 1.2 to 1.4 s in process, 13 RPCs.
* What the commits started: a thread per status change to send it and another for a mail run
  (400 threads per delivery, workers/notify.py and workers/mail.py), 1,000 to 2,600 more RPCs
  that made the delivery take 7 to 11 s in process, its chunks meet contention and fall back to
  one transaction per service (300 to 500 transactions instead of 4), and the clients posting
  beside it wait 7 s (p50). Those now go to a few threads, in order, and a status change starts
  no mail run (workers/background.py): through gunicorn, 3.3 and 4.8 s alone, 7.2 and 6.7 s beside
  20 posting clients (load 6 to 10).
* Reads, id allocations and retries: a few tenths of a second.

So the answer cannot wait for the writes. A delivery over more than INLINE_SERVICES services is
  1. planned (each alert mapped to its service and status, its time fixed) and read as it stands,
     with the deliveries still waiting before it, in one round trip of reads made at once (the
     services and their alert states raw: models/lookup.py; the ids of the events it may post);
  2. stored, in one transaction: its record (the planned alerts, the events' ids, who sent it),
     the board's preview of each event it is to post (models/preview.py: the board shows it from
     then on, in the lookup its read makes anyway) and its audit entry (which tells the page
     cache: at once in this process, within CACHE_CHECK_SECONDS in others, as any write does);
  3. answered with what applying it will do: 0.07 to 0.1 s of CPU, 8 RPCs in 4 round trips;
  4. applied by the instance that took it, on a thread of its own (workers/alerts.py), its chunks
     one after another so that the Datastore is left to the requests that wait for it (the answer
     to the next delivery took up to 1.5 s on the emulator beside it so, 2.8 s beside chunks side
     by side); then its record and preview go, audited.

An instance that stops (or fails) before it has applied a delivery leaves its record, whose lease
runs out after LEASE: the cron sweep (/_tasks/alerts/sweep, every minute) applies it then. None
is applied twice: a replayed alert changes nothing (models/alerts.py), a delivery Alertmanager
retries is recorded and applied again to no effect, and the events' ids are fixed in the record.
Deliveries are applied in the order they reached their instance; two of one Alertmanager group
come a group_interval apart (5 minutes by default), each applied long before the next.

Measured with tools/storm_bench.py, three runs (200 services through gunicorn, 2 workers x 4
threads, the emulator, the shared 2-core machine at load 7 to 14):

                                      answered       all seen on the board    applied
                                                     (after the answer)       (after the answer)
    200 alerts firing, alone          0.19-0.43 s    0.17-0.49 s              3.0-8.9 s
    their resolution, alone           0.28-0.86 s    0.24-0.78 s              3.3-6.2 s
    firing, 20 clients posting        0.59-0.80 s                             6.2-10.6 s
    resolution, 20 clients posting    0.49-1.70 s                             6.5-8.7 s

The clients made 328 to 425 events a run, every one answered 201 (none 409, 500 or 503) in
0.7 to 1.3 s (p50; p99 2.3 to 3.8 s) and found afterwards. Before (the same bench, load 2 to 9):
2.8 and 2.5 s alone, 10.7 and 10.8 s beside the clients, whose p50 was 7.2 s.
"""

import datetime
import json
import secrets
import zlib

from google.cloud import ndb

from models import alerts, audit, preview, signals
from models.alerts import Planned
from models.event import Event
from models.preview import AlertPreview
from models.service import Service
from models.status import Status
from models.times import utcnow

# A delivery over more services than this is recorded and answered, then applied; one over fewer
# is applied before the answer (a script's single alert, a small Alertmanager group).
INLINE_SERVICES = 10
# How long the instance that recorded a delivery has to apply it before the sweep takes it up.
LEASE = datetime.timedelta(seconds=60)
# A record's stored alerts at most (an entity holds a little under 1 MiB); larger: applied at once.
RECORD_MAX = 800_000
SWEEP_BATCH = 20
# Chunks of a recorded delivery applied at once: one after another, as the board shows its changes
# meanwhile; the Datastore is left to the requests that wait for it (see above).
SIDE_BY_SIDE = 1


class AlertDelivery(ndb.Model):
    """One delivery's planned alerts, waiting to be applied; deleted once they are.

    The key name begins with its arrival time, so the sweep takes the oldest first.
    """

    received = ndb.DateTimeProperty(required=True, indexed=False)
    # Until then the instance that received it applies it; after, the sweep does.
    leased_until = ndb.DateTimeProperty(required=True)
    actor = ndb.JsonProperty()  # who the audit log says made the changes: {email, via, token_name}
    alerts = ndb.BlobProperty()  # zlib-compressed JSON: {service id: [Planned as a list]}
    event_ids = ndb.JsonProperty(compressed=True)  # {service id: the id of the event it may post}

    @classmethod
    def cache_purges(cls, key):
        """A delivery recorded or applied changes what the board shows (models/preview.py)."""
        return ("board",)

    def planned(self):
        """{service id: [Planned]} in the order they came."""
        stored = json.loads(zlib.decompress(self.alerts))
        return {service_id: [Planned.from_json(alert) for alert in planned] for service_id, planned in stored.items()}

    def summary(self):
        """What its audit entries say of it."""
        return {"id": self.key.id(), "services": len(self.event_ids or {}), "received": self.received.isoformat()}


def receive(integration, parsed):
    """Take a delivery's parsed alerts; answers what it does to each service (as apply_planned does).

    Over INLINE_SERVICES services, the answer is what applying them would do as they stand
    (`alerts.preview`), and they are applied after it: the record, the board's preview of the
    changes and the audit entry are stored first, in one transaction, so an answer loses no alert.
    """
    by_service, unmatched = alerts.plan(integration, parsed)
    with audit.acting_as(integration.actor):
        if len(by_service) <= INLINE_SERVICES:
            return alerts.apply_planned(by_service, unmatched)
        # Everything the answer needs is asked for at once, in one round trip: a Datastore busy with
        # the deliveries before it may keep each waiting a second.
        event_ids = alerts.event_ids_for([ndb.Key(Service, service_id) for service_id in by_service])
        entry_id = audit.AuditEntry.allocate_ids_async(1)
        outcome, events = alerts.preview(by_service, unmatched, _waiting_async())
        ids, (entry_key,) = dict(zip(by_service, event_ids.result())), entry_id.result()
        known = {service_id: ids[service_id] for service_id in by_service if service_id not in outcome["unmatched"]}
        blob = zlib.compress(json.dumps({service_id: [alert.to_json() for alert in by_service[service_id]]
                                         for service_id in known}, separators=(",", ":")).encode())
        if len(blob) > RECORD_MAX:  # more than a record holds (a megabyte of alerts): applied at once
            return alerts.apply_planned(by_service, unmatched)
        if known:
            _record(blob, events, known, entry_key)
        return outcome


def _record(blob, events, event_ids, entry_key):
    """Store a delivery's record and the board's preview of its events, audited (`entry_key`, allocated),
    in one transaction; then have it applied (signals.alerts_received)."""
    now, actor = utcnow(), audit.current_actor()
    key = ndb.Key(AlertDelivery, f"{now:%Y%m%d%H%M%S%f}-{secrets.token_hex(4)}")
    record = AlertDelivery(key=key, received=now, leased_until=now + LEASE, alerts=blob, event_ids=event_ids,
                           actor={"email": actor.email, "via": actor.via, "token_name": actor.token_name})
    changes = {service_id: _change(service, message, status_id, event_ids[service_id], newest)
               for service_id, (service, message, status_id, newest) in events.items()}

    @ndb.transactional(retries=audit.TRANSACTION_RETRIES)
    def txn():
        shown = AlertPreview.key_for().get(retries=0) or AlertPreview(key=AlertPreview.key_for(), deliveries={})
        if changes:
            shown.deliveries = {**(shown.deliveries or {}), key.id(): changes}
            shown.put()
        record.put()
        with audit.entry_keys([entry_key]):
            audit.AuditEntry.record("create", key, after=record.summary())

    audit.installed_first()
    txn()
    signals.alerts_received.send(signals.namespace_of(key), key=key)


def _change(service, message, status_id, event_id, newest):
    """The board's preview of the event a service is to get (models/preview.py), worked out on the
    Service as `alerts.preview` read it (never stored); `newest`: the ids of the events the service's
    newest may be meanwhile (earlier deliveries')."""
    event = Event(key=ndb.Key(Event, event_id, parent=service.key), timestamp=Event.next_time(service),
                  message=message, status=ndb.Key(Status, status_id), informational=False)
    Event.advance(service, event)
    return preview.change_of(service, newest)


def apply(key):
    """Apply a recorded delivery, then drop its record and its preview; answers what it did (None:
    none left to apply).

    Applying one twice changes nothing more (a replayed alert is a no-op), so a record the sweep
    takes up while its instance is still at it costs time, never a second event.
    """
    record = key.get(use_cache=False)
    if record is None:
        return None
    with audit.acting_as(audit.Actor(**record.actor)):
        outcome = alerts.apply_planned(record.planned(), event_ids=record.event_ids, side_by_side=SIDE_BY_SIDE)
        _done(key)
    return outcome


@ndb.transactional(retries=audit.TRANSACTION_RETRIES)
def _done(key):
    """Delete an applied delivery's record and its preview, audited (unless done already)."""
    record, shown = ndb.get_multi([key, AlertPreview.key_for()], retries=0)
    if record is None:
        return
    if shown is not None and key.id() in (shown.deliveries or {}):
        shown.deliveries = {delivery: changes for delivery, changes in shown.deliveries.items() if delivery != key.id()}
        shown.put()
    key.delete()
    audit.AuditEntry.record("delete", key, before=record.summary())


def sweep(limit=SWEEP_BATCH):
    """Apply the recorded deliveries whose instance did not in time (it stopped, or failed), oldest
    first, each taken up for a LEASE of its own; answers how many were applied."""
    due = AlertDelivery.query(AlertDelivery.leased_until < utcnow()).order(AlertDelivery.leased_until)
    applied = 0
    for key in due.fetch(limit, keys_only=True):
        if _claim(key):
            applied += apply(key) is not None
    return applied


@ndb.tasklet
def _waiting_async():
    """A future of the recorded deliveries not applied yet, oldest first (at most SWEEP_BATCH; usually
    none), as ({service id: [Planned]}, {service id: event id})."""
    records = yield AlertDelivery.query().order(AlertDelivery._key).fetch_async(SWEEP_BATCH, use_cache=False)
    return [(record.planned(), record.event_ids) for record in records]


@ndb.transactional()
def _claim(key):
    """Take a recorded delivery whose lease ran out for a new lease (False: applied or taken meanwhile)."""
    record = key.get()
    now = utcnow()
    if record is None or record.leased_until >= now:
        return False
    record.leased_until = now + LEASE
    record.put()
    return True
