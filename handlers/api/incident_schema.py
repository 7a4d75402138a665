"""The Incident object of the v1 API and an incident's request fields, each declared once."""

from marshmallow import Schema, fields

from handlers.api.params import Fields, Ref, Text
from handlers.api.schemas import HttpDate, Url, url
from models.fields import MESSAGE_MAX, SLUG, SLUG_MAX
from models.incident import IMPACTS, POSTMORTEM_MAX, STATES, TITLE_MAX

ID = {"type": "string", "pattern": "^[0-9]+$", "maxLength": 20, "description": "Digits, opaque to clients."}
DATE = {"example": "Mon, 23 Nov 2026 14:03:00 GMT"}
STATE = {"enum": list(STATES), "description": "In this order; resolved ends it."}
IMPACT = {"enum": list(IMPACTS), "description": "Statuspage's impact of an incident."}


def service_ids():
    """A list of service ids."""
    return fields.List(fields.String(metadata={"pattern": SLUG.pattern, "maxLength": SLUG_MAX}), required=True)


class StatusChangeSchema(Schema):
    """An affected service's status changed by an update (old: null for a default never set)."""

    service = fields.String(required=True)
    old = fields.String(required=True, allow_none=True)
    new = fields.String(required=True)
    sid = fields.String(required=True, metadata={"description": "The service's event that made the change."})


class IncidentUpdateSchema(Schema):
    """One update."""

    state = fields.String(required=True, metadata=STATE)
    message = fields.String(required=True)
    timestamp = HttpDate(attribute="at", required=True, metadata=DATE)
    changes = fields.List(fields.Nested(StatusChangeSchema), required=True)


class IncidentSchema(Schema):
    """An incident: what happened to which services, told in updates."""

    id = fields.String(attribute="incident_id", required=True, metadata=ID)
    title = fields.String(required=True, metadata={"minLength": 1, "maxLength": TITLE_MAX})
    state = fields.String(required=True, metadata=STATE)
    impact = fields.String(required=True, metadata=IMPACT)
    services = service_ids()
    started = HttpDate(required=True, metadata=DATE)
    resolved = HttpDate(required=True, allow_none=True, metadata=DATE)
    postmortem = fields.Function(lambda incident: incident.postmortem or None, required=True, allow_none=True,
                                 metadata={"type": "string"})
    url = Url(lambda incident: url("incident", incident_id=incident.incident_id))
    updates = fields.List(fields.Nested(IncidentUpdateSchema), attribute="timeline", required=True,
                          metadata={"description": "Newest first."})


_TITLE = Text(TITLE_MAX, "Elevated error rates", f"At most {TITLE_MAX} characters.")
MESSAGE = Text(MESSAGE_MAX, "We are looking into it.", f"At most {MESSAGE_MAX} characters.", required=True)
SERVICES = Ref(2100, "web-api,email", "Affected service ids, comma-separated; an unknown one is a 400.",
               required=True)


def _choice(values, description):
    return fields.String(allow_none=True, metadata={"enum": list(values), "description": description})


class IncidentUpdateFields(Fields):
    """An update's fields."""

    message = MESSAGE
    state = _choice(STATES, "The incident's state after this update (default: as it was).")
    impact = _choice(IMPACTS, "Overrides the impact worked out from the services' levels.")
    statuses = Ref(4200, "web-api=down", "New statuses of affected services as service=status pairs, "
                                         "comma-separated; each is that service's event.")


class IncidentFields(IncidentUpdateFields):
    """The fields that open an incident: its first update's, and its title and services."""

    title = Text(TITLE_MAX, "Elevated error rates", f"At most {TITLE_MAX} characters.", required=True)
    services = SERVICES


class IncidentEditFields(Fields):
    """What an edit of an incident may change."""

    title = _TITLE
    postmortem = fields.String(allow_none=True, metadata={"maxLength": POSTMORTEM_MAX, "description":
                                                          "What happened and what changes; empty removes it."})
    impact = _choice(IMPACTS, "Overrides the impact worked out from the services' levels.")
