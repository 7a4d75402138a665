"""What an API request says: its fields (form or JSON) and its date bounds."""

import datetime

from dateutil import parser as dateparser
from flask import request

from models import InvalidInput, utc_midnight, utcnow


def _field_text(name, value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    if value is None:
        return None
    raise InvalidInput(f"'{name}' must be a string, number or boolean.")


def fields():
    """The request's fields: form-encoded (what the original clients send) or a JSON object."""
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise InvalidInput("The JSON body must be an object of fields.")
        return {name: _field_text(name, value) for name, value in data.items()}
    return request.form.to_dict()


def changes(allowed):
    """The subset of `allowed` fields present in the request; refuse an empty update."""
    given = fields()
    picked = {name: given[name] for name in allowed if name in given}
    if not picked:
        raise InvalidInput(f"Give at least one of: {', '.join(allowed)}.")
    return picked


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
