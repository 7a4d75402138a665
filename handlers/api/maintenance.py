"""Maintenance windows in the v1 API: read on both roots, scheduled and cancelled by admins
on /admin/api/v1."""

from handlers.api.params import fields
from handlers.api.shapes import url
from handlers.responses import json_response
from models import Maintenance, http_date


def maintenance_json(window):
    """The Maintenance object: its window, services and state."""
    return {
        "id": window.maintenance_id,
        "title": window.title,
        "message": window.message,
        "services": list(window.services),
        "starts": http_date(window.starts),
        "ends": http_date(window.ends),
        "state": window.state,
        "url": url("maintenance", maintenance_id=window.maintenance_id),
    }


def list_maintenances():
    """Maintenance windows, latest start first."""
    return json_response({"maintenances": [maintenance_json(w) for w in Maintenance.newest()]})


def get_maintenance(maintenance_id):
    """One maintenance window."""
    return json_response(maintenance_json(Maintenance.get_or_404(maintenance_id)))


def schedule_maintenance():
    """Announce a maintenance window: title, message, services (ids, comma-separated), starts and ends."""
    given = fields()
    window = Maintenance.schedule(given.get("title"), given.get("message"), given.get("services"),
                                  given.get("starts"), given.get("ends"))
    return json_response(maintenance_json(window), 201)


def cancel_maintenance(maintenance_id):
    """Cancel a window; one in progress ends now and its services get back what they had."""
    return json_response(maintenance_json(Maintenance.get_or_404(maintenance_id).cancel()))
