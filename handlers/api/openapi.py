"""The v1 API described in OpenAPI 3.1, built from one source.

Paths, methods, operation ids and summaries come from the routes tables
(READ_ROUTES, WRITE_ROUTES in handlers/api/__init__.py) and the views' docstrings;
what each view takes and answers is declared once, in OPERATIONS below, keyed by
the view. /api/v1/openapi.json serves the result and /documentation renders its
reference from it, so the description, the page and the routes cannot drift.
"""

import dataclasses
import re

from handlers.api import views
from handlers.responses import CALLBACK, CALLBACK_MAX
from models import LEVELS
from models.fields import DESCRIPTION_MAX, MESSAGE_MAX, NAME_MAX, SLUG, SLUG_MAX

SCHEMAS = "#/components/schemas/"
PATH_PARAMETER = re.compile(r"<(?:[^:>]+:)?([^>]+)>")  # Flask's <converter:name>
RFC_1123 = (
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$"
)
ABSOLUTE_URL = {"type": "string", "format": "uri", "pattern": "^https?://"}
ERRORS = {
    400: "A field, query argument or JSONP callback is missing or malformed.",
    401: "No admin credential, or one that is unknown, malformed or revoked.",
    403: "A valid credential of someone who is not an admin of this board.",
    404: "No such service, event, status or list.",
    405: "The root does not take this method (the public root is read-only).",
    409: "The change clashes with what is stored (a taken id, a status still in use or the default).",
    413: "The request body is larger than 1 MiB.",
    503: "The board's data cannot be read or written right now; nothing was changed. Retry after a few seconds.",
}
TAGS = {
    "services": "The things the board reports on.",
    "events": "A service's history; the newest non-informational event gives its current status.",
    "statuses": "What an event can say about a service (Up, Down, …) and the default status.",
    "service-lists": "Named groups of services.",
    "levels": "The severity levels a status can have.",
    "status-images": "The icons a status can show.",
}


# Declared by the modules that add resources (handlers/api/incident_docs.py).
MORE_SCHEMAS = {}


def ref(name):
    """A reference to the schema `name` in components.schemas."""
    return {"$ref": SCHEMAS + name}


def nullable(name):
    """The schema `name`, or null."""
    return {"anyOf": [ref(name), {"type": "null"}]}


def _obj(properties, description):
    return {"type": "object", "description": description, "required": list(properties), "properties": properties}


def _id(example, what):
    return {"type": "string", "pattern": SLUG.pattern, "maxLength": SLUG_MAX, "example": example,
            "description": f"The {what}'s id: the slug of its name at creation; it never changes."}


def schemas():
    """components.schemas: the API's objects (API.md, 'Objects') and the lists that wrap them."""
    name = {"type": "string", "minLength": 1, "maxLength": NAME_MAX}
    description = {"type": "string", "maxLength": DESCRIPTION_MAX}
    return {
        "Error": _obj({"error": {"const": True},
                       "code": {"type": "integer", "minimum": 400, "maximum": 599, "description": "The HTTP status."},
                       "message": {"type": "string", "minLength": 1, "description": "A sentence for a person."}},
                      "Every error under both roots."),
        "Level": {"type": "string", "enum": list(LEVELS), "description": "Least to most severe."},
        "Status": _obj(
            {
                "id": _id("down", "status"),
                "name": name,
                "description": description,
                "level": ref("Level"),
                "image": {**ABSOLUTE_URL, "description": "The URL of the status's icon."},
                "url": ABSOLUTE_URL,
                "default": {"type": "boolean", "description": "Exactly one status is the default."},
            },
            "A status an event can carry.",
        ),
        "Event": _obj(
            {
                "sid": {"type": "string", "pattern": "^[A-Za-z0-9_-]+$", "description": "Opaque, URL-safe."},
                "message": {"type": "string", "minLength": 1, "maxLength": MESSAGE_MAX},
                "timestamp": {"type": "string", "pattern": RFC_1123, "example": "Mon, 28 Jun 2010 22:17:06 GMT",
                              "description": "When it was posted: RFC 1123, GMT, whole seconds."},
                "url": ABSOLUTE_URL,
                "status": ref("Status"),
                "informational": {"type": "boolean", "description": "A note that left the status as it was."},
            },
            "One status update of a service.",
        ),
        "List": _obj({"id": _id("core", "list"), "name": name, "description": description, "url": ABSOLUTE_URL},
                     "A service list: a named group of services."),
        "Service": _obj(
            {
                "id": _id("web-api", "service"),
                "name": name,
                "description": description,
                "url": ABSOLUTE_URL,
                "current-event": {**nullable("Event"), "description": "Its newest event (null before any)."},
                "list": {**nullable("List"), "description": "The list it is in, if any."},
            },
            "A thing the board reports on.",
        ),
        "StatusImage": _obj({"name": {"type": "string", "example": "cross-circle"}, "icon_set": {"type": "string"},
                             "url": ABSOLUTE_URL}, "An icon a status can use; statuses name it by `name`."),
        "ServiceCollection": _obj({"services": {"type": "array", "items": ref("Service")}}, "By name."),
        "EventCollection": _obj({"events": {"type": "array", "items": ref("Event")}}, "Newest first."),
        "StatusCollection": _obj({"statuses": {"type": "array", "items": ref("Status")}}, "Least severe first."),
        "ListCollection": _obj({"lists": {"type": "array", "items": ref("List")}}, "By name."),
        "LevelCollection": _obj({"levels": {"type": "array", "items": ref("Level")}}, "Least severe first."),
        "StatusImageCollection": _obj({"images": {"type": "array", "items": ref("StatusImage")}}, "By name."),
        **MORE_SCHEMAS,
    }


# --- request fields ------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Field:
    """A request body field, the same in a form and in a JSON object."""

    name: str
    schema: dict
    description: str
    flag: bool = False  # true/false: a JSON body may send a boolean

    def as_form(self):
        """The field in an application/x-www-form-urlencoded body: always text."""
        schema = {"type": "string", "enum": ["true", "false"]} if self.flag else self.schema
        return {**schema, "description": self.description}

    def as_json(self):
        """The field in a JSON object body."""
        schema = {"enum": [True, False, "true", "false"]} if self.flag else self.schema
        return {**schema, "description": self.description}


def _text(limit, example):
    # Text is stripped first, and never blank: a field given must say something.
    return {"type": "string", "minLength": 1, "maxLength": limit, "pattern": r"\S", "example": example}


def _fields(required, *optional):
    """(required fields, optional fields) as one tuple of (Field, required?) pairs."""
    return tuple((field, True) for field in required) + tuple((field, False) for field in optional)


def _name(example):
    return Field("name", _text(NAME_MAX, example),
                 f"At most {NAME_MAX} characters, with at least one letter or digit: its slug becomes the id.")


def _description(example):
    return Field("description", _text(DESCRIPTION_MAX, example), f"At most {DESCRIPTION_MAX} characters.")


LIST_FIELD = Field("list", {"type": "string", "maxLength": SLUG_MAX, "example": "core"},
                   "The id of a service list; empty for none. An unknown list is a 400.")
IMAGE_FIELD = Field("image", {"type": "string", "maxLength": 100, "example": "cross-circle"},
                    "The name of a status image (see /status-images); an unknown one is a 400.")
LEVEL_FIELD = Field("level", ref("Level"), "The status's severity; NORMAL when a new status gives none.")
DEFAULT_FIELD = Field("default", {}, "true makes it the default status (the previous default stops being one).",
                      flag=True)
FIELDS = {
    "ServiceCreate": _fields((_name("Web API"), _description("The REST API.")), LIST_FIELD),
    "ServiceUpdate": _fields((), _name("Web API"), _description("The REST API."), LIST_FIELD),
    "EventCreate": _fields(
        (Field("message", _text(MESSAGE_MAX, "Payments are failing; we are on it."),
               f"What is happening, at most {MESSAGE_MAX} characters."),),
        Field("status", {"type": "string", "maxLength": SLUG_MAX, "example": "down"},
              "A status id; without one the service keeps its current status. An unknown status is a 404."),
        Field("informational", {}, "true for a note that does not change the service's status.", flag=True),
    ),
    "StatusCreate": _fields((_name("Maintenance"), _description("Planned work."), IMAGE_FIELD),
                            LEVEL_FIELD, DEFAULT_FIELD),
    "StatusUpdate": _fields((), _name("Maintenance"), _description("Planned work."), IMAGE_FIELD,
                            LEVEL_FIELD, DEFAULT_FIELD),
    "ListCreate": _fields((_name("Core"), _description("The API and the site."))),
    "ListUpdate": _fields((), _name("Core"), _description("The API and the site.")),
}


def request_body(fields_name):
    """The requestBody of a write: the same fields as a form (what 2010 clients send) or a JSON object."""
    fields = FIELDS[fields_name]
    required = [field.name for field, needed in fields if needed]

    def body(shape):
        schema = {"type": "object", "properties": {field.name: shape(field) for field, _ in fields}}
        if required:
            schema["required"] = required
        else:  # an update changes at least one field
            schema["anyOf"] = [{"required": [field.name]} for field, _ in fields]
        return {"schema": schema}

    return {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": body(Field.as_form),
            "application/json": body(Field.as_json),
        },
    }


# --- operations --------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Operation:
    """What one view takes and answers, beyond what its route and method imply."""

    answer: str  # the schema of the success body
    status: int = 200
    errors: tuple = ()  # codes beyond those every request of its kind can get
    fields: str | None = None  # its request body, a key of FIELDS
    query: tuple = ()  # its query parameters besides `callback`
    # Where its answer leads on the admin root: ((views), {path parameter: runtime expression}).
    links: tuple = ((), {})


SERVICE_LINKS = (
    (views.get_service, views.update_service, views.delete_service, views.list_events, views.create_event,
     views.current_event),
    {"service_id": "$response.body#/id"},
)
EVENT_LINKS = (
    (views.get_event, views.delete_event),
    {"service_id": "$request.path.service_id", "sid": "$response.body#/sid"},
)
STATUS_LINKS = ((views.get_status, views.update_status, views.delete_status), {"status_id": "$response.body#/id"})
LIST_LINKS = ((views.get_list, views.update_list, views.delete_list), {"list_id": "$response.body#/id"})
OPERATIONS = {
    views.list_services: Operation("ServiceCollection"),
    views.get_service: Operation("Service"),
    views.create_service: Operation("Service", 201, (409,), "ServiceCreate", links=SERVICE_LINKS),
    views.update_service: Operation("Service", fields="ServiceUpdate"),
    views.delete_service: Operation("Service"),
    views.list_events: Operation("EventCollection", query=("start", "end")),
    views.create_event: Operation("Event", 201, fields="EventCreate", links=EVENT_LINKS),
    views.current_event: Operation("Event", links=EVENT_LINKS),
    views.get_event: Operation("Event"),
    views.delete_event: Operation("Event"),
    views.list_statuses: Operation("StatusCollection"),
    views.get_status: Operation("Status"),
    views.create_status: Operation("Status", 201, (409,), "StatusCreate", links=STATUS_LINKS),
    views.update_status: Operation("Status", fields="StatusUpdate"),
    views.delete_status: Operation("Status", errors=(409,)),
    views.list_lists: Operation("ListCollection"),
    views.get_list: Operation("List"),
    views.create_list: Operation("List", 201, (409,), "ListCreate", links=LIST_LINKS),
    views.update_list: Operation("List", fields="ListUpdate"),
    views.delete_list: Operation("List"),
    views.list_levels: Operation("LevelCollection"),
    views.list_status_images: Operation("StatusImageCollection"),
}

_DATE = "A date or date and time: 2010-06-10, RFC 2822/1123, or ISO 8601 with an offset; compared in UTC."
PARAMETERS = {
    "callback": {"name": "callback", "in": "query", "required": False,
                 "description": "JSONP: answer `NAME(<json>);` as application/javascript. Any other name is a 400.",
                 "schema": {"type": "string", "pattern": CALLBACK.pattern, "maxLength": CALLBACK_MAX}},
    "start": {"name": "start", "in": "query", "required": False, "description": f"Events at or after. {_DATE}",
              "schema": {"type": "string", "example": "2010-06-10"}},
    "end": {"name": "end", "in": "query", "required": False,
            "description": f"Events at or before; a date alone includes that whole day. {_DATE}",
            "schema": {"type": "string", "example": "2010-06-30"}},
    "service_id": {"name": "service_id", "in": "path", "required": True, "schema": _id("web-api", "service")},
    "status_id": {"name": "status_id", "in": "path", "required": True, "schema": _id("down", "status")},
    "list_id": {"name": "list_id", "in": "path", "required": True, "schema": _id("core", "list")},
    "sid": {"name": "sid", "in": "path", "required": True, "description": "An event's `sid`.",
            "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]+$", "maxLength": 100}},
}


def _content(schema):
    return {
        "application/json": {"schema": schema},
        "application/javascript": {"schema": {"type": "string", "pattern": r"^[A-Za-z_$][A-Za-z0-9_$.]*\(.*\);$",
                                              "description": "With ?callback=NAME: the same JSON as NAME(<json>);"}},
    }


def responses():
    """components.responses: one per error kind; the body's `code` is the HTTP status."""
    answers = {}
    for code, description in ERRORS.items():
        schema = {"allOf": [ref("Error"), {"properties": {"code": {"const": code}}}]}
        answers[str(code)] = {"description": description, "content": _content(schema)}
    answers["401"]["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}, "required": True}}
    answers["405"]["headers"] = {"Allow": {"schema": {"type": "string"}, "required": True,
                                           "description": "The methods the path takes."}}
    answers["503"]["headers"] = {"Retry-After": {"schema": {"type": "integer", "minimum": 1}, "required": True}}
    return answers


def _tag(rule):
    return "events" if "/events" in rule else rule.split("/")[1]


def operation(view, method, rule, public, admin_ids):
    """The Operation Object of `view` answering `method` on `rule` under one root.

    `admin_ids` maps each view to its operationId on the admin root (where links lead).
    """
    declared = OPERATIONS[view]
    write = method != "get"
    names = ["callback", *declared.query, *PATH_PARAMETER.findall(rule)]
    codes = {400, 503} | set(declared.errors)
    if "<" in rule:
        codes.add(404)
    if write:
        codes |= {401, 403, 413}
    success = {"description": " ".join((view.__doc__ or "").split()), "content": _content(ref(declared.answer))}
    targets, parameters = declared.links
    if targets and not public:
        success["links"] = {admin_ids[target]: {"operationId": admin_ids[target], "parameters": parameters}
                            for target in targets}
    if public:
        success["headers"] = {
            "Access-Control-Allow-Origin": {"schema": {"const": "*"}, "required": True,
                                            "description": "Any site may read the public API."},
            "X-Stashboard-Stale": {"schema": {"type": "string"}, "required": False,
                                   "description": "Present when the Datastore is unavailable and this is the last "
                                                  "good answer: when it was made (an HTTP date)."},
        }
    described = {
        "operationId": view.__name__ if public else admin_ids[view],
        "summary": " ".join((view.__doc__ or "").split()),
        "tags": [_tag(rule)],
        "parameters": [{"$ref": f"#/components/parameters/{name}"} for name in names],
        "responses": {str(declared.status): success,
                      **{str(code): {"$ref": f"#/components/responses/{code}"} for code in sorted(codes)}},
    }
    if declared.fields:
        described["requestBody"] = request_body(declared.fields)
    if write:
        described["security"] = [{"bearerAuth": []}, {"sessionCookie": [], "csrfToken": []}]
    return described


SECURITY_SCHEMES = {
    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "sbt_… API token, or a Google ID token",
                   "description": "An admin API token (`sbt_…`, from the admin UI's API credentials page or "
                                  "`flask create-api-token`), or a Google-signed ID token of an admin whose "
                                  "audience is this board's URL."},
    "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "session",
                      "description": "A signed-in admin's browser session (the admin UI); needs csrfToken too."},
    "csrfToken": {"type": "apiKey", "in": "header", "name": "X-CSRFToken",
                  "description": "The admin UI page's CSRF token, with a session cookie."},
}
INFO = (
    "The Stashboard REST API. Two roots: `/api/v1` answers GET (and HEAD) for anyone, with "
    "`Access-Control-Allow-Origin: *`, and every other method with a 405; `/admin/api/v1` answers the same "
    "GETs and takes the writes (POST, DELETE) from admins. Every answer is JSON; add `?callback=NAME` for "
    "JSONP (`application/javascript`). Errors are `{\"error\": true, \"code\": <status>, \"message\": …}` "
    "(see components.responses; 405 carries `Allow`). Write bodies are form-encoded or a JSON object with "
    "the same field names, at most 1 MiB. URLs in answers are absolute, on the root the request came in on."
)


def describe(base_url, roots, read_routes, write_routes):
    """The OpenAPI 3.1 document of the routes tables; `roots` is (public prefix, admin prefix)."""
    public_root, admin_root = roots
    paths = {}
    routes = [(public_root, rule, "get", view, True) for rule, _, view in read_routes]
    routes += [(admin_root, rule, "get", view, False) for rule, _, view in read_routes]
    routes += [(admin_root, rule, method.lower(), view, False) for rule, method, view in write_routes]
    # The admin root's copies of the reads are told apart from the public ones by a prefix.
    admin_ids = {view: f"admin_{view.__name__}" for _, _, view in read_routes}
    admin_ids |= {view: view.__name__ for _, _, view in write_routes}
    for root, rule, method, view, public in routes:
        path = root + PATH_PARAMETER.sub(r"{\1}", rule)
        paths.setdefault(path, {})[method] = operation(view, method, rule, public, admin_ids)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Stashboard API", "version": "1", "description": INFO},
        "servers": [{"url": base_url.rstrip("/"), "description": "This board"}],
        "tags": [{"name": name, "description": text} for name, text in TAGS.items()],
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "parameters": PARAMETERS,
            "responses": responses(),
            "securitySchemes": SECURITY_SCHEMES,
        },
    }
