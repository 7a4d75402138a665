"""Incidents and maintenance windows in the v1 API: read on both roots, opened, updated,
resolved, scheduled and cancelled by admins on /admin/api/v1."""

from handlers.api.incident_schema import IncidentEditFields, IncidentFields, IncidentSchema, IncidentUpdateFields
from handlers.api.maintenance_schema import MaintenanceFields, MaintenanceSchema
from handlers.responses import json_response
from models import Incident, Maintenance

PAST_INCIDENTS = 100


def incident_json(incident):
    """The Incident object: its state, affected services and updates, newest first."""
    return IncidentSchema().dump(incident)


def maintenance_json(window):
    """The Maintenance object: its window, services and state."""
    return MaintenanceSchema().dump(window)


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


# --- maintenance -----------------------------------------------------------


def list_maintenances():
    """Maintenance windows, latest start first."""
    return json_response({"maintenances": [maintenance_json(w) for w in Maintenance.newest()]})


def get_maintenance(maintenance_id):
    """One maintenance window."""
    return json_response(maintenance_json(Maintenance.get_or_404(maintenance_id)))


def schedule_maintenance():
    """Announce a maintenance window: title, message, services (ids, comma-separated), starts and ends."""
    given = MaintenanceFields.read()
    window = Maintenance.schedule(given.get("title"), given.get("message"), given.get("services"),
                                  given.get("starts"), given.get("ends"))
    return json_response(maintenance_json(window), 201)


def cancel_maintenance(maintenance_id):
    """Cancel a window; one in progress ends now and its services get back what they had."""
    return json_response(maintenance_json(Maintenance.get_or_404(maintenance_id).cancel()))
