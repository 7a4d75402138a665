"""The v1 API's objects, each declared once as a marshmallow schema (the contract is in API.md).

A schema shapes the answer (`dump`), and handlers/api/openapi.py turns the same schema into
the OpenAPI description. The fields' order is the JSON keys' order clients have always seen.
A list of services repeats the same few statuses and URL roots hundreds of times: those are
worked out once per request (on `g`), and a service's shape once per card version.
"""

from flask import g, request, url_for
from marshmallow import Schema, fields
from marshmallow.validate import OneOf

from models import LEVELS, http_date, image_path
from models.event import PAGE
from models.fields import DESCRIPTION_MAX, MESSAGE_MAX, NAME_MAX, SLUG, SLUG_MAX

RFC_1123 = (
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$"
)
ABSOLUTE_URL = {"type": "string", "format": "uri", "pattern": "^https?://"}


def url(endpoint, **values):
    """An absolute URL on the root (public or admin) this request came in on."""
    return url_for(f"{request.blueprint}.{endpoint}", _external=True, **values)


def root(collection):
    """The absolute URL of a collection (`services`, `statuses`, `service_lists`) on this root."""
    roots = g.setdefault("api_roots", {})
    if collection not in roots:
        roots[collection] = url(collection)
    return roots[collection]


def image_url(path):
    """The absolute URL of a file below /images."""
    return url_for("images", filename=path, _external=True)


# --- field kinds ---------------------------------------------------------------


class HttpDate(fields.Field):
    """A naive UTC datetime written as RFC 1123 in GMT, whole seconds."""

    def __init__(self, **kwargs):
        metadata = {"type": "string", "pattern": RFC_1123, "example": "Mon, 28 Jun 2010 22:17:06 GMT",
                    **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else http_date(value)


class Url(fields.Function):
    """An absolute URL worked out from the object."""

    def __init__(self, make, **kwargs):
        super().__init__(make, required=True, metadata={**ABSOLUTE_URL, **kwargs.pop("metadata", {})}, **kwargs)


class Shaped(fields.Nested):
    """A nested object worked out by a method of the parent schema (so it can be memoised),
    described as the nested schema."""

    def __init__(self, nested, method, **kwargs):
        super().__init__(nested, required=True, **kwargs)
        self.method = method

    def serialize(self, attr, obj, accessor=None, **kwargs):
        """The nested shape of `obj`, as the parent schema's method gives it."""
        return getattr(self.parent, self.method)(obj)


def text(limit=None, **metadata):
    """A text field of an answer."""
    if limit:
        metadata = {"minLength": 1, "maxLength": limit, **metadata}
    return fields.String(required=True, metadata=metadata)


def optional_text(limit, attribute=None):
    """A text field an object may leave blank: answered as ""."""
    return fields.Function(lambda obj: getattr(obj, attribute) or "", required=True,
                           metadata={"type": "string", "maxLength": limit})


def slug_id(example, what, attribute="slug"):
    """An object's id: the slug of its name at creation."""
    return fields.String(attribute=attribute, required=True, metadata={
        "pattern": SLUG.pattern, "maxLength": SLUG_MAX, "example": example,
        "description": f"The {what}'s id: the slug of its name at creation; it never changes."})


# --- objects ------------------------------------------------------------------


class ErrorSchema(Schema):
    """Every error under both roots."""

    error = fields.Constant(True, required=True, metadata={"type": "boolean", "enum": [True]})
    code = fields.Integer(required=True, metadata={"minimum": 400, "maximum": 599, "description": "The HTTP status."})
    message = fields.String(required=True, metadata={"minLength": 1, "description": "A sentence for a person."})


class StatusSchema(Schema):
    """A status an event can carry."""

    id = slug_id("down", "status")
    name = text(NAME_MAX)
    description = optional_text(DESCRIPTION_MAX, "description")
    level = fields.String(required=True, validate=OneOf(LEVELS), metadata={"description": "Least to most severe."})
    image = Url(lambda status: image_url(image_path(status.image)),
                metadata={"description": "The URL of the status's icon."})
    url = Url(lambda status: f"{root('statuses')}/{status.slug}")
    default = fields.Method("is_default", required=True,
                            metadata={"type": "boolean", "description": "Exactly one status is the default."})

    def __init__(self, default_key=None, **kwargs):
        super().__init__(**kwargs)
        self.default_key = default_key

    def is_default(self, status):
        """Whether this is the board's default status."""
        return status.key == self.default_key


def status_json(status, default_key):
    """The Status object (None for a status that is gone), shaped once per request."""
    if status is None:
        return None
    shapes = g.setdefault("api_statuses", {})
    key = (status.slug, default_key)
    if key not in shapes:
        shapes[key] = StatusSchema(default_key).dump(status)
    return dict(shapes[key])


class EventSchema(Schema):
    """One status update of a service."""

    sid = fields.String(required=True, metadata={"pattern": "^[A-Za-z0-9_-]+$", "description": "Opaque, URL-safe."})
    message = text(MESSAGE_MAX)
    timestamp = HttpDate(required=True, metadata={"description": "When it was posted: RFC 1123, GMT, whole seconds."})
    url = Url(lambda event: f"{root('services')}/{event.service_id}/events/{event.sid}")
    status = Shaped(StatusSchema, "status_of")
    informational = fields.Function(lambda event: bool(event.informational), required=True, metadata={
        "type": "boolean", "description": "A note that left the status as it was."})

    def __init__(self, board=None, **kwargs):
        super().__init__(**kwargs)
        self.board = board

    def status_of(self, event):
        """The event's Status object, as the board knows it."""
        return status_json(self.board.status(event.status_id), self.board.default_key)


def event_json(event, board):
    """The Event object, of an Event entity or a service's LatestEvent; `board` knows the statuses."""
    return EventSchema(board).dump(event)


class ListSchema(Schema):
    """A service list: a named group of services."""

    id = slug_id("core", "list")
    name = text(NAME_MAX)
    description = optional_text(DESCRIPTION_MAX, "description")
    url = Url(lambda service_list: f"{root('service_lists')}/{service_list.slug}")


_LIST = ListSchema()


def list_json(service_list):
    """The List object (None for no list)."""
    return None if service_list is None else _LIST.dump(service_list)


class ServiceSchema(Schema):
    """A thing the board reports on."""

    # Dumped from a board row: its card (`service`), current event and list.
    id = slug_id("web-api", "service", "service.slug")
    name = fields.String(attribute="service.name", required=True, metadata={"minLength": 1, "maxLength": NAME_MAX})
    description = fields.Function(lambda row: row.service.description or "", required=True,
                                  metadata={"type": "string", "maxLength": DESCRIPTION_MAX})
    url = Url(lambda row: f"{root('services')}/{row.service.slug}")
    current_event = Shaped(EventSchema, "event_of", data_key="current-event", allow_none=True,
                           metadata={"description": "Its newest event (null before any)."})
    list = Shaped(ListSchema, "list_of", allow_none=True, metadata={"description": "The list it is in, if any."})

    def __init__(self, board=None, **kwargs):
        super().__init__(**kwargs)
        self.board = board

    def event_of(self, row):
        """The service's newest event, or None."""
        return event_json(row.event, self.board) if row.event else None

    def list_of(self, row):
        """The service's list, or None."""
        return list_json(row.service_list)


def service_json(row, board):
    """The Service object of a board row, with its current event and list.

    Worked out once per card, board signature, URL root and list (see models.snapshot.Card.derived):
    a list of hundreds of services shapes again only those that changed.
    """
    service, service_list = row.service, row.service_list
    key = ("json", board.signature, root("services"), root("statuses"),
           service_list and (service_list.slug, service_list.name, service_list.description))
    shape = service.derived.get(key)
    if shape is None:
        shape = ServiceSchema(board).dump(row)
        service.remember(key, shape)
    return shape


class StatusImageSchema(Schema):
    """An icon a status can use; statuses name it by `name`."""

    name = fields.String(required=True, metadata={"example": "cross-circle"})
    icon_set = fields.String(required=True)
    url = Url(lambda image: image_url(image.path))


def collection(name, key, schema, description, **more):
    """The schema of a list of `schema` objects answered as {key: [...]} (and the fields `more`)."""
    items = fields.List(fields.Nested(schema) if isinstance(schema, type) else schema, required=True)
    return Schema.from_dict({key: items, **more}, name=name), description


NEXT_PAGE = fields.String(metadata={**ABSOLUTE_URL, "description": (
    "Only when older events are left: the URL of the next page (the same as the `Link: <…>; rel=\"next\"` "
    "header), with an opaque `cursor`. Absent on the last page.")})


LEVEL = fields.String(validate=OneOf(LEVELS))
COLLECTIONS = {
    "ServiceCollection": collection("ServiceCollection", "services", ServiceSchema, "By name."),
    "EventCollection": collection("EventCollection", "events", EventSchema, f"Newest first, at most {PAGE} an "
                                  "answer: `next` leads to the older ones.", next=NEXT_PAGE),
    "StatusCollection": collection("StatusCollection", "statuses", StatusSchema, "Least severe first."),
    "ListCollection": collection("ListCollection", "lists", ListSchema, "By name."),
    "LevelCollection": collection("LevelCollection", "levels", LEVEL, "Least severe first."),
    "StatusImageCollection": collection("StatusImageCollection", "images", StatusImageSchema, "By name."),
}
