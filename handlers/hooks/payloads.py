"""What each monitoring tool sends, read into Alerts; anything malformed is a clear 400.

* Alertmanager's webhook (payload version 4): a group of alerts, each firing or
  resolved, with labels, annotations, a fingerprint and a start time;
* PagerDuty's V3 webhooks: one event about one incident (triggered, acknowledged,
  resolved, …), signed with the subscription's secret in X-PagerDuty-Signature;
* the generic form `{"service": …, "status": …, "message": …}` any script can send;
* what the shipped Nagios/Icinga notification command sends (host, service, state, output).
"""

import datetime
import hashlib
import hmac
import re

from dateutil.parser import isoparse
from werkzeug.exceptions import BadRequest

from models.alerts import Alert

MAX_ALERTS = 1000
TEXT_MAX = 1000
# PagerDuty's incident event types that leave the incident open, and the one that closes it.
PAGERDUTY_OPEN = {"incident.triggered", "incident.acknowledged", "incident.unacknowledged", "incident.reopened",
                  "incident.escalated", "incident.reassigned", "incident.priority_updated"}
PAGERDUTY_CLOSED = {"incident.resolved"}
RESOLVED_WORDS = {"up", "ok", "resolved", "normal", "operational"}
# What the board refuses in text (models/fields.py): dropped here, so one odd alert cannot
# fail a delivery half-way through its services.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _object(value, where):
    if not isinstance(value, dict):
        raise BadRequest(f"'{where}' must be a JSON object.")
    return value


def _text(container, name, where, required=False):
    value = container.get(name)
    if value is None or value == "":
        if required:
            raise BadRequest(f"'{where}{name}' is required.")
        return ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise BadRequest(f"'{where}{name}' must be text.")
    return UNSTORABLE.sub("", str(value))[:TEXT_MAX]


def _time(container, name, where):
    """An RFC 3339 time as naive UTC; None when absent or Go's zero time (Alertmanager's "no end")."""
    text = _text(container, name, where)
    if not text:
        return None
    try:
        moment = isoparse(text)
    except (ValueError, OverflowError):
        raise BadRequest(f"'{where}{name}' must be an RFC 3339 time, like 2024-05-01T10:00:00Z.") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.UTC).replace(tzinfo=None)
    return None if moment.year <= 1 else moment


def _labels(container, name, where):
    value = container.get(name)
    _object({} if value is None else value, f"{where}{name}")
    value = value or {}
    return {str(k): UNSTORABLE.sub("", v if isinstance(v, str) else str(v))[:TEXT_MAX] for k, v in value.items()}


def alertmanager(body, service_label):
    """The alerts of an Alertmanager webhook (version 4); the service is the `service_label` label."""
    body = _object(body, "body")
    version = _text(body, "version", "")
    if version and version != "4":
        raise BadRequest(f"Alertmanager payload version '{version}' is not supported; version 4 is.")
    alerts = body.get("alerts")
    if not isinstance(alerts, list):
        raise BadRequest("'alerts' must be a list (is this an Alertmanager webhook?).")
    if len(alerts) > MAX_ALERTS:
        raise BadRequest(f"At most {MAX_ALERTS} alerts per delivery.")
    common = _labels(body, "commonLabels", "")
    parsed = []
    for n, alert in enumerate(alerts):
        where = f"alerts[{n}]."
        alert = _object(alert, f"alerts[{n}]")
        labels = {**common, **_labels(alert, "labels", where)}
        annotations = _labels(alert, "annotations", where)
        status = _text(alert, "status", where, required=True)
        if status not in ("firing", "resolved"):
            raise BadRequest(f"'{where}status' must be 'firing' or 'resolved'.")
        # The fingerprint (a hash of the label set) is one alert's id across an HA pair; startsAt is
        # not (each peer may report its own), so it only orders a firing against a resolution.
        fingerprint = _text(alert, "fingerprint", where) or "|".join(f"{k}={v}" for k, v in sorted(labels.items()))
        summary = annotations.get("summary") or annotations.get("description") or labels.get("alertname", "")
        firing = status == "firing"
        parsed.append(Alert(
            key=f"am:{fingerprint}",
            service=labels.get(service_label, ""),
            severity=labels.get("severity", ""),
            firing=firing,
            summary=summary[:TEXT_MAX],
            at=_time(alert, "startsAt" if firing else "endsAt", where),
        ))
    return parsed


def pagerduty_signature_ok(secret, raw_body, header):
    """Whether any `v1=<hex>` of X-PagerDuty-Signature is the HMAC-SHA256 of the body with `secret`."""
    if not secret or not header:
        return False
    expected = hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()
    offered = [part.strip()[3:] for part in header.split(",") if part.strip().startswith("v1=")]
    return any(hmac.compare_digest(expected, candidate) for candidate in offered)


def pagerduty(body):
    """The alert of a PagerDuty V3 webhook event about an incident (none for other events)."""
    event = _object(_object(body, "body").get("event"), "event")
    event_type = _text(event, "event_type", "event.", required=True)
    if event_type not in PAGERDUTY_OPEN | PAGERDUTY_CLOSED:
        return []
    data = _object(event.get("data"), "event.data")
    service = _object(data.get("service") or {}, "event.data.service")
    # The incident's id matches its resolution to its trigger; when each happened orders a
    # redelivered trigger before the resolution, and a reopening after it.
    return [Alert(
        key=f"pd:{_text(data, 'id', 'event.data.', required=True)}",
        service=_text(service, "summary", "event.data.service.") or _text(service, "id", "event.data.service."),
        severity=_text(data, "urgency", "event.data.") or "high",
        firing=event_type in PAGERDUTY_OPEN,
        summary=_text(data, "title", "event.data."),
        at=_time(event, "occurred_at", "event."),
    )]


def generic(body):
    """The alert of the generic form: service, status (a status id or severity; up/ok resolves), message;
    `id` (or `dedup_key`) matches a resolution to its alert, optional `time` orders a replay."""
    body = _object(body, "body")
    service = _text(body, "service", "", required=True)
    status = _text(body, "status", "", required=True).strip().lower()
    alert_id = _text(body, "id", "") or _text(body, "dedup_key", "") or service
    return [Alert(key=f"generic:{alert_id}", service=service, severity=status,
                  firing=status not in RESOLVED_WORDS, summary=_text(body, "message", "") or f"{service}: {status}",
                  at=_time(body, "time", ""))]


def nagios(body, service_label):
    """The alert of the Nagios/Icinga notification command: host, service, state, output."""
    body = _object(body, "body")
    host = _text(body, "host", "", required=True)
    check = _text(body, "service", "")
    state = _text(body, "state", "", required=True).strip().lower()
    named = host if service_label == "host" or not check else check
    output = _text(body, "output", "")
    title = f"{check} on {host}" if check else host
    return [Alert(key=f"nagios:{host}/{check}", service=named, severity=state,
                  firing=state not in RESOLVED_WORDS, summary=f"{title}: {state.upper()}" + (f" — {output}" if output else ""))]
