"""The Maintenance object of the v1 API and a window's request fields, each declared once."""

from marshmallow import Schema, fields

from handlers.api.incident_schema import ID, MESSAGE, SERVICES, service_ids
from handlers.api.params import Fields, Text
from handlers.api.schemas import HttpDate, Url, url
from models.incident import TITLE_MAX
from models.maintenance import STATES

DATE = {"example": "Mon, 23 Nov 2026 14:00:00 GMT"}
WHEN = "A date and time, ISO 8601 (UTC without an offset) or RFC 2822."


class MaintenanceSchema(Schema):
    """A scheduled maintenance window: its services show the maintenance status while it lasts."""

    id = fields.String(attribute="maintenance_id", required=True, metadata=ID)
    title = fields.String(required=True, metadata={"minLength": 1})
    message = fields.String(required=True)
    services = service_ids()
    starts = HttpDate(required=True, metadata=DATE)
    ends = HttpDate(required=True, metadata=DATE)
    state = fields.String(required=True, metadata={"enum": list(STATES)})
    url = Url(lambda window: url("maintenance", maintenance_id=window.maintenance_id))


class MaintenanceFields(Fields):
    """The fields that schedule a window."""

    title = Text(TITLE_MAX, "Elevated error rates", f"At most {TITLE_MAX} characters.", required=True)
    message = MESSAGE
    services = SERVICES
    starts = fields.String(required=True, allow_none=True, metadata={"example": "2026-11-23T14:00:00Z",
                                                                     "description": WHEN})
    ends = fields.String(required=True, allow_none=True, metadata={
        "example": "2026-11-23T15:00:00Z", "description": f"{WHEN} After starts, in the future, at most 31 days later."})
