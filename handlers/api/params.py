"""What an API request says: its fields (form or JSON), each write's declared once as a
marshmallow schema that parses the body and describes it (handlers/api/openapi.py), and
its date bounds.

The models stay the judges of a value (length, blank, unknown id), with the messages clients
have always read; a schema parses the body into the fields a model takes, refuses what is not
a field value and an update that changes nothing.
"""

import datetime

from dateutil import parser as dateparser
from flask import request
from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load

from models import LEVELS, InvalidInput, utc_midnight, utcnow
from models.fields import DESCRIPTION_MAX, MESSAGE_MAX, NAME_MAX, SLUG_MAX


def _field_text(name, value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    if value is None:
        return None
    raise InvalidInput(f"'{name}' must be a string, number or boolean.")


class Fields(Schema):
    """A write's body: the same field names form-encoded (what 2010 clients send) or as a JSON object."""

    class Meta:
        unknown = EXCLUDE  # fields a write does not take are ignored, as they always were

    @pre_load
    def as_text(self, data, **kwargs):
        """Every value as the text a form would carry; a JSON value that is not a scalar is a 400."""
        if not isinstance(data, dict):
            raise InvalidInput("The JSON body must be an object of fields.")
        return {name: _field_text(name, value) for name, value in data.items()}

    @classmethod
    def read(cls, update=False):
        """The request's fields: those a create gives; for an update, those it names (at least one)."""
        data = request.get_json(silent=True) if request.is_json else request.form.to_dict()
        try:
            # A required field missing is the model's to say, in its words: every load is partial.
            given = cls(partial=True).load(data)
        except ValidationError as error:
            raise InvalidInput(str(error.messages)) from error
        if update and not given:
            raise InvalidInput(f"Give at least one of: {', '.join(cls().fields)}.")
        return given


def Text(limit, example, description, **kwargs):  # noqa: N802 (a field kind, like marshmallow's)
    """A text field: stripped by the model, never blank."""
    return fields.String(allow_none=True, metadata={"minLength": 1, "maxLength": limit, "pattern": r"\S",
                                                    "example": example, "description": description}, **kwargs)


def Ref(limit, example, description, **kwargs):  # noqa: N802
    """The id (or name) of another object; empty may mean none."""
    return fields.String(allow_none=True, metadata={"maxLength": limit, "example": example,
                                                    "description": description}, **kwargs)


def Flag(description, **kwargs):  # noqa: N802
    """true or false: text in a form; a JSON body may send a boolean."""
    return fields.String(allow_none=True, metadata={"flag": True, "description": description}, **kwargs)


def _name(example):
    return Text(NAME_MAX, example, f"At most {NAME_MAX} characters, with at least one letter or digit: "
                                   "its slug becomes the id.", required=True)


def _description(example):
    return Text(DESCRIPTION_MAX, example, f"At most {DESCRIPTION_MAX} characters.", required=True)


class ServiceFields(Fields):
    """A service's fields."""

    name = _name("Web API")
    description = _description("The REST API.")
    list = Ref(SLUG_MAX, "core", "The id of a service list; empty for none. An unknown list is a 400.")


class EventFields(Fields):
    """An event's fields."""

    message = Text(MESSAGE_MAX, "Payments are failing; we are on it.",
                   f"What is happening, at most {MESSAGE_MAX} characters.", required=True)
    status = Ref(SLUG_MAX, "down",
                 "A status id; without one the service keeps its current status. An unknown status is a 404.")
    informational = Flag("true for a note that does not change the service's status.")


class StatusFields(Fields):
    """A status's fields."""

    name = _name("Maintenance")
    description = _description("Planned work.")
    image = Ref(100, "cross-circle", "The name of a status image (see /status-images); an unknown one is a 400.",
                required=True)
    level = fields.String(allow_none=True, metadata={
        "enum": list(LEVELS), "description": "The status's severity; NORMAL when a new status gives none."})
    default = Flag("true makes it the default status (the previous default stops being one).")


class ListFields(Fields):
    """A service list's fields."""

    name = _name("Core")
    description = _description("The API and the site.")


def parse_bound(name, end=False):
    """The query argument `name` as a naive UTC datetime; a date alone as `end` means its last instant."""
    value = request.args.get(name)
    if value is None or not value.strip():
        return None
    start_of_day = utc_midnight()
    end_of_day = utcnow().replace(hour=23, minute=59, second=59, microsecond=999999)
    try:
        low = dateparser.parse(value, default=start_of_day)
        high = dateparser.parse(value, default=end_of_day)
    except (ValueError, OverflowError) as error:
        raise InvalidInput(f"'{name}' is not a date I can read: {value!r}.") from error
    moment = high if end and low.hour != high.hour else low
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(datetime.UTC).replace(tzinfo=None)
        except (ValueError, OverflowError) as error:
            raise InvalidInput(f"'{name}' is out of range: {value!r}.") from error
    return moment
