"""The Maintenance object of the v1 API and a window's request fields, each declared once."""

from marshmallow import Schema, fields

from handlers.api.incident_schema import ID, MESSAGE, SERVICES, service_ids
from handlers.api.params import Fields, Text
from handlers.api.schemas import HttpDate, Url, url
from models.incident import TITLE_MAX
from models.maintenance import NEXT_STATES, REMIND_MAX, REMIND_MINUTES, STATES

DATE = {"example": "Mon, 23 Nov 2026 14:00:00 GMT"}
WHEN = "A date and time, ISO 8601 (UTC without an offset) or RFC 2822."
STATE = {"enum": list(STATES), "description": "In this order; verifying: the work is done and being checked."}
UPDATE_STATES = list(dict.fromkeys(state for allowed in NEXT_STATES.values() for state in allowed))
REMIND = (f"Minutes before the start to remind e-mail readers: 0 (no reminder) to {REMIND_MAX}; "
          f"default {REMIND_MINUTES}.")


class MaintenanceUpdateSchema(Schema):
    """One update of a maintenance window."""

    state = fields.String(required=True, metadata={"enum": UPDATE_STATES})
    message = fields.String(required=True)
    timestamp = HttpDate(attribute="at", required=True, metadata=DATE)


class MaintenanceSchema(Schema):
    """A scheduled maintenance window: its services show the maintenance status while it lasts."""

    id = fields.String(attribute="maintenance_id", required=True, metadata=ID)
    title = fields.String(required=True, metadata={"minLength": 1})
    message = fields.String(required=True)
    services = service_ids()
    starts = HttpDate(required=True, metadata=DATE)
    ends = HttpDate(required=True, metadata=DATE)
    state = fields.String(required=True, metadata=STATE)
    url = Url(lambda window: url("maintenance", maintenance_id=window.maintenance_id))
    remind_minutes = fields.Integer(required=True, metadata={"minimum": 0, "maximum": REMIND_MAX,
                                                             "description": REMIND})
    updates = fields.List(fields.Nested(MaintenanceUpdateSchema), attribute="timeline", required=True,
                          metadata={"description": "Newest first."})


class MaintenanceFields(Fields):
    """The fields that schedule a window."""

    title = Text(TITLE_MAX, "Elevated error rates", f"At most {TITLE_MAX} characters.", required=True)
    message = MESSAGE
    services = SERVICES
    starts = fields.String(required=True, allow_none=True, metadata={"example": "2026-11-23T14:00:00Z",
                                                                     "description": WHEN})
    ends = fields.String(required=True, allow_none=True, metadata={
        "example": "2026-11-23T15:00:00Z", "description": f"{WHEN} After starts, in the future, at most 31 days later."})
    remind_minutes = fields.String(allow_none=True, metadata={"pattern": "^[0-9]+$", "example": "60",
                                                              "description": REMIND})


class MaintenanceUpdateFields(Fields):
    """An update's fields."""

    message = MESSAGE
    state = fields.String(allow_none=True, metadata={"enum": UPDATE_STATES, "description": (
        "The window's state after this update (default: as it was): in_progress starts a scheduled window "
        "now, completed ends it now; verifying may go back to in_progress. Any other move is a 409.")})
