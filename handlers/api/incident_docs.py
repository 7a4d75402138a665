"""The incidents' and maintenance windows' part of the OpenAPI description (handlers/api/openapi.py):
their objects, request fields and operations, declared once beside the rest."""

from handlers.api import incidents as views
from handlers.api import maintenance
from handlers.api import openapi
from handlers.api.openapi import ABSOLUTE_URL, RFC_1123, Field, Operation, _fields, _obj, _text, ref
from models.fields import MESSAGE_MAX, SLUG, SLUG_MAX
from models.incident import IMPACTS, POSTMORTEM_MAX, STATES, TITLE_MAX
from models.maintenance import STATES as WINDOW_STATES

ID = {"type": "string", "pattern": "^[0-9]+$", "maxLength": 20, "description": "Digits, opaque to clients."}
DATE = {"type": "string", "pattern": RFC_1123, "example": "Mon, 23 Nov 2026 14:03:00 GMT"}
SERVICE_IDS = {"type": "array", "items": {"type": "string", "pattern": SLUG.pattern, "maxLength": SLUG_MAX}}
STATUS_ID = {"anyOf": [{"type": "string"}, {"type": "null"}]}

openapi.MORE_SCHEMAS.update({
    "IncidentState": {"type": "string", "enum": list(STATES), "description": "In this order; resolved ends it."},
    "Impact": {"type": "string", "enum": list(IMPACTS), "description": "Statuspage's impact of an incident."},
    "StatusChange": _obj({"service": {"type": "string"}, "old": STATUS_ID, "new": {"type": "string"},
                          "sid": {"type": "string", "description": "The service's event that made the change."}},
                         "An affected service's status changed by an update (old: null for a default never set)."),
    "IncidentUpdate": _obj({"state": ref("IncidentState"), "message": {"type": "string"}, "timestamp": DATE,
                            "changes": {"type": "array", "items": ref("StatusChange")}}, "One update."),
    "Incident": _obj({
        "id": ID, "title": {"type": "string", "minLength": 1, "maxLength": TITLE_MAX},
        "state": ref("IncidentState"), "impact": ref("Impact"), "services": SERVICE_IDS, "started": DATE,
        "resolved": {"anyOf": [DATE, {"type": "null"}]},
        "postmortem": {"anyOf": [{"type": "string"}, {"type": "null"}]}, "url": ABSOLUTE_URL,
        "updates": {"type": "array", "items": ref("IncidentUpdate"), "description": "Newest first."},
    }, "An incident: what happened to which services, told in updates."),
    "Maintenance": _obj({
        "id": ID, "title": {"type": "string", "minLength": 1}, "message": {"type": "string"}, "services": SERVICE_IDS,
        "starts": DATE, "ends": DATE, "state": {"type": "string", "enum": list(WINDOW_STATES)}, "url": ABSOLUTE_URL,
    }, "A scheduled maintenance window: its services show the maintenance status while it lasts."),
    "IncidentCollection": _obj({"incidents": {"type": "array", "items": ref("Incident")}}, "Newest first."),
    "MaintenanceCollection": _obj({"maintenances": {"type": "array", "items": ref("Maintenance")}},
                                  "Latest start first."),
})

TITLE = Field("title", _text(TITLE_MAX, "Elevated error rates"), f"At most {TITLE_MAX} characters.")
MESSAGE = Field("message", _text(MESSAGE_MAX, "We are looking into it."), f"At most {MESSAGE_MAX} characters.")
SERVICES = Field("services", {"type": "string", "maxLength": 2100, "example": "web-api,email"},
                 "Affected service ids, comma-separated; an unknown one is a 400.")
STATE = Field("state", ref("IncidentState"), "The incident's state after this update (default: as it was).")
IMPACT = Field("impact", ref("Impact"), "Overrides the impact worked out from the services' levels.")
STATUSES = Field("statuses", {"type": "string", "maxLength": 4200, "example": "web-api=down"},
                 "New statuses of affected services as service=status pairs, comma-separated; each is that "
                 "service's event.")
WHEN = "A date and time, ISO 8601 (UTC without an offset) or RFC 2822."
openapi.FIELDS.update({
    "IncidentOpen": _fields((TITLE, SERVICES, MESSAGE), STATE, IMPACT, STATUSES),
    "IncidentUpdateCreate": _fields((MESSAGE,), STATE, IMPACT, STATUSES),
    "IncidentEdit": _fields((), TITLE, Field("postmortem", {"type": "string", "maxLength": POSTMORTEM_MAX},
                                             "What happened and what changes; empty removes it."), IMPACT),
    "MaintenanceCreate": _fields((TITLE, MESSAGE, SERVICES,
                                  Field("starts", {"type": "string", "example": "2026-11-23T14:00:00Z"}, WHEN),
                                  Field("ends", {"type": "string", "example": "2026-11-23T15:00:00Z"},
                                        f"{WHEN} After starts, in the future, at most 31 days later."))),
})
openapi.OPERATIONS.update({
    views.list_incidents: Operation("IncidentCollection"),
    views.get_incident: Operation("Incident"),
    views.open_incident: Operation("Incident", 201, fields="IncidentOpen"),
    views.post_incident_update: Operation("Incident", 201, fields="IncidentUpdateCreate"),
    views.edit_incident: Operation("Incident", fields="IncidentEdit"),
    views.delete_incident: Operation("Incident"),
    maintenance.list_maintenances: Operation("MaintenanceCollection"),
    maintenance.get_maintenance: Operation("Maintenance"),
    maintenance.schedule_maintenance: Operation("Maintenance", 201, fields="MaintenanceCreate"),
    maintenance.cancel_maintenance: Operation("Maintenance", errors=(409,)),
})
openapi.TAGS.update({
    "incidents": "Incidents about one or more services, from investigating to resolved.",
    "maintenances": "Scheduled maintenance windows.",
})
openapi.PARAMETERS.update({
    "incident_id": {"name": "incident_id", "in": "path", "required": True, "schema": ID},
    "maintenance_id": {"name": "maintenance_id", "in": "path", "required": True, "schema": ID},
})
