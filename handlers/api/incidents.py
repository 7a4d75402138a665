"""Incidents in the v1 API: read on both roots, opened, updated, resolved and deleted by admins
on /admin/api/v1 (maintenance windows are in maintenance.py)."""

from handlers.api.incident_schema import IncidentEditFields, IncidentFields, IncidentSchema, IncidentUpdateFields
from handlers.responses import json_response
from models import Incident

PAST_INCIDENTS = 100


def incident_json(incident):
    """The Incident object: its state, affected services and updates, newest first."""
    return IncidentSchema().dump(incident)


# --- incidents -------------------------------------------------------------


def list_incidents():
    """The newest 100 incidents, newest first."""
    return json_response({"incidents": [incident_json(i) for i in Incident.past(PAST_INCIDENTS)]})


def get_incident(incident_id):
    """One incident with its updates."""
    return json_response(incident_json(Incident.get_or_404(incident_id)))


def open_incident():
    """Open an incident: title, services (ids, comma-separated) and message; optionally its state,
    impact, and new statuses for affected services (service=status pairs)."""
    given = IncidentFields.read()
    incident = Incident.open(given.get("title"), given.get("services"), given.get("message"), given.get("state"),
                             given.get("statuses"), given.get("impact"))
    return json_response(incident_json(incident), 201)


def post_incident_update(incident_id):
    """Add an update to an incident: a message, optionally a new state (resolved ends it), impact and statuses."""
    incident = Incident.get_or_404(incident_id)
    given = IncidentUpdateFields.read()
    incident = incident.post_update(given.get("message"), given.get("state"), given.get("statuses"),
                                    given.get("impact"))
    return json_response(incident_json(incident), 201)


def edit_incident(incident_id):
    """Change an incident's title, postmortem (empty removes it) or impact."""
    incident = Incident.get_or_404(incident_id)
    return json_response(incident_json(incident.edit(**IncidentEditFields.read(update=True))))


def delete_incident(incident_id):
    """Delete an incident opened by mistake; the events it posted stay. Answers the deleted incident."""
    incident = Incident.get_or_404(incident_id)
    body = incident_json(incident)
    incident.delete()
    return json_response(body)
