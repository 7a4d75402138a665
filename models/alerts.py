"""Alerts from monitoring, and what they do to a service's status.

A service's open alerts are kept in one AlertState entity under the service's key, so
the state and the event it causes change in one transaction (Event.post joins it):

* a firing alert opens (or updates) its entry; the first one to open remembers the
  status the service had before (the baseline);
* the service shows the worst of its open alerts' statuses and the baseline;
* a resolved alert closes its entry; when none is left the service goes back to the
  baseline;
* an alert already open with the same status, or already resolved, changes nothing:
  a replayed delivery is a no-op. Recently resolved alerts are remembered so that a
  late replay of their firing does not open them again.
"""

import dataclasses

from google.cloud import ndb

from models import audit, parallel
from models.errors import NotFound
from models.event import Event
from models.fields import MESSAGE_MAX
from models.service import Service
from models.status import Status

CLOSED_KEPT = 200


@dataclasses.dataclass(frozen=True)
class Alert:
    """One alert as a monitoring tool reports it, already parsed from its payload."""

    key: str  # stable for one alert episode within the integration (fingerprint and start)
    service: str  # the name the alert gives its service (a label value, a check name)
    severity: str
    firing: bool
    summary: str


class AlertState(ndb.Model):
    """A service's open alerts and the status to go back to; key: (Service, id, AlertState, "alerts")."""

    baseline = ndb.TextProperty()
    open = ndb.JsonProperty()  # {alert key: {"status": id, "summary": text}}
    closed = ndb.JsonProperty()  # the newest CLOSED_KEPT resolved alert keys

    @classmethod
    def key_for(cls, service_key):
        """The one AlertState key of a service."""
        return ndb.Key(cls, "alerts", parent=service_key)

    @classmethod
    def of(cls, service_id):
        """The stored state of a service (an empty one when it has none)."""
        key = cls.key_for(ndb.Key(Service, service_id))
        return key.get() or cls(key=key, open={}, closed=[])


def apply_alerts(integration, alerts):
    """Apply parsed alerts, one transaction per service; answers what happened to each service.

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
    statuses = Status.query().fetch()
    severity = {status.slug: status.severity for status in statuses}
    # Read outside the transactions: a read of a board-wide entity in each would make them contend.
    board = (Status.default_key(), {status.key: status for status in statuses})
    outcome = {"changed": [], "unchanged": [], "unmatched": unmatched}

    def apply(item):
        try:
            return _apply_to_service(integration, *item, severity, board)
        except NotFound:
            return None

    with audit.acting_as(integration.actor):
        # One transaction per service, side by side: a group of alerts over many services
        # must not wait for each commit in turn (models/parallel.py).
        done = parallel.each(apply, by_service.items())
    for service_id, changed in zip(by_service, done):
        outcome["unmatched" if changed is None else "changed" if changed else "unchanged"].append(service_id)
    return outcome


def _scoped(integration, alert):
    """An alert's key among all integrations' alerts on a service."""
    return f"{integration.token_id}:{alert.key}"


def _apply_to_service(integration, service_id, alerts, severity, board):
    """One service's alerts in one transaction (the event, if any, joins it); answers whether anything changed."""
    key = ndb.Key(Service, service_id)

    @ndb.transactional(retries=audit.TRANSACTION_RETRIES)
    def txn():
        service = key.get(retries=0)
        if service is None:
            raise NotFound(f"No service '{service_id}'.")
        state_key = AlertState.key_for(key)
        state = state_key.get(retries=0) or AlertState(key=state_key, open={}, closed=[])
        current = service.status_key(board[0])
        current_id = current.id() if current else None
        opened, closed = dict(state.open or {}), list(state.closed or [])
        was_quiet = not opened
        news = None
        for alert in alerts:
            scoped = _scoped(integration, alert)
            if alert.firing:
                status = integration.status_for(alert.severity)
                entry = {"status": status, "summary": alert.summary}
                if scoped in closed or opened.get(scoped) == entry:
                    continue
                opened[scoped], news = entry, alert
            elif scoped in opened:
                del opened[scoped]
                closed = [*closed, scoped][-CLOSED_KEPT:]
                news = alert
        if news is None:
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
            Event.post(service, _message(news), target, board=board)
        return True

    return txn()


def _message(alert):
    """The event's message: the alert's summary, marked when it is a resolution."""
    text = alert.summary or alert.service
    return (text if alert.firing else f"Resolved: {text}")[:MESSAGE_MAX]
