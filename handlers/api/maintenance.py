"""Maintenance windows in the v1 API: read on both roots, scheduled, updated and cancelled by
admins on /admin/api/v1."""

from handlers.api.maintenance_schema import MaintenanceFields, MaintenanceSchema, MaintenanceUpdateFields
from handlers.responses import json_response
from models import Maintenance


def maintenance_json(window):
    """The Maintenance object: its window, services and state."""
    return MaintenanceSchema().dump(window)


def list_maintenances():
    """Maintenance windows, latest start first."""
    return json_response({"maintenances": [maintenance_json(w) for w in Maintenance.newest()]})


def get_maintenance(maintenance_id):
    """One maintenance window."""
    return json_response(maintenance_json(Maintenance.get_or_404(maintenance_id)))


def schedule_maintenance():
    """Announce a maintenance window: title, message, services (ids, comma-separated), starts and ends;
    optionally the minutes before its start that readers are reminded (remind_minutes, 0: none)."""
    given = MaintenanceFields.read()
    window = Maintenance.schedule(given.get("title"), given.get("message"), given.get("services"),
                                  given.get("starts"), given.get("ends"), given.get("remind_minutes"))
    return json_response(maintenance_json(window), 201)


def post_maintenance_update(maintenance_id):
    """Add an update to a window: a message, optionally its new state (in_progress, verifying, completed)."""
    window = Maintenance.get_or_404(maintenance_id)
    given = MaintenanceUpdateFields.read()
    return json_response(maintenance_json(window.post_update(given.get("message"), given.get("state"))), 201)


def cancel_maintenance(maintenance_id):
    """Cancel a window; one in progress ends now and its services get back what they had."""
    return json_response(maintenance_json(Maintenance.get_or_404(maintenance_id).cancel()))
