"""The v1 API described in OpenAPI 3.1, assembled from what is declared elsewhere.

Paths, methods, operation ids and summaries come from the routes tables (READ_ROUTES,
WRITE_ROUTES in handlers/api/__init__.py) and the views' docstrings; the objects and the
request bodies are the marshmallow schemas that shape the answers and parse the requests
(handlers/api/schemas.py, params.py, incident_schema.py, maintenance_schema.py), turned into
JSON Schema by apispec. OPERATIONS below says which schema each view answers and takes.
/api/v1/openapi.json serves the result and /documentation renders its reference from it.
"""

import dataclasses
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from handlers.api import incidents, maintenance, metrics, views
from handlers.api.incident_schema import (ID, IncidentEditFields, IncidentFields, IncidentSchema,
                                          IncidentUpdateFields, IncidentUpdateSchema, StatusChangeSchema)
from handlers.api.maintenance_schema import (MaintenanceFields, MaintenanceSchema, MaintenanceUpdateFields,
                                             MaintenanceUpdateSchema)
from handlers.api.metrics import MetricFields, MetricPointSchema, MetricPushSchema, MetricSchema
from handlers.api.params import EventFields, ListFields, ServiceFields, StatusFields
from handlers.api.schemas import (COLLECTIONS, ErrorSchema, EventSchema, ListSchema, ServiceSchema, StatusImageSchema,
                                  StatusSchema, slug_id)
from handlers.bodies import MAX_JSON_DEPTH
from handlers.responses import CALLBACK, CALLBACK_MAX
from handlers.routes import CURSOR, CURSOR_MAX, NAMES_MAX
from models import LEVELS
from models.event import PAGE

PATH_PARAMETER = re.compile(r"<(?:[^:>]+:)?([^>]+)>")  # Flask's <converter:name>
ERRORS = {
    400: (f"A field, query argument or JSONP callback is missing or malformed; a page `cursor` no page gave; "
          f"more than {NAMES_MAX} names in one query argument; a JSON body nested more than {MAX_JSON_DEPTH} "
          "levels deep."),
    401: "No admin credential, or one that is unknown, malformed or revoked.",
    403: "A valid credential of someone who is not an admin of this board.",
    404: "No such service, event, status or list.",
    405: "The root does not take this method (the public root is read-only).",
    409: "The change clashes with what is stored (a taken id, a status still in use or the default).",
    413: "The request body is larger than 1 MiB.",
    503: ("The board's data cannot be read or written right now, or the server is busy with other costly reads "
          "(event lists); nothing was changed. Retry after the seconds `Retry-After` gives."),
}
TAGS = {
    "services": "The things the board reports on.",
    "events": "A service's history; the newest non-informational event gives its current status.",
    "statuses": "What an event can say about a service (Up, Down, …) and the default status.",
    "service-lists": "Named groups of services.",
    "levels": "The severity levels a status can have.",
    "status-images": "The icons a status can show.",
    "incidents": "Incidents about one or more services, from investigating to resolved.",
    "maintenances": "Scheduled maintenance windows, from scheduled through in progress and verifying to completed.",
    "metrics": "Numbers admins push for a service (system metrics), read back in buckets.",
}
OBJECTS = (ErrorSchema, StatusSchema, EventSchema, ListSchema, ServiceSchema, StatusImageSchema, StatusChangeSchema,
           IncidentUpdateSchema, IncidentSchema, MaintenanceUpdateSchema, MaintenanceSchema, MetricPointSchema,
           MetricSchema, MetricPushSchema)
MORE_COLLECTIONS = {
    "IncidentCollection": (IncidentSchema, "incidents", "Newest first."),
    "MaintenanceCollection": (MaintenanceSchema, "maintenances", "Latest start first."),
    "MetricCollection": (MetricSchema, "metrics", "By name."),
}


def ref(name):
    """A reference to the schema `name` in components.schemas."""
    return {"$ref": "#/components/schemas/" + name}


def _name(schema):
    return schema.__name__.removesuffix("Schema")


def _summary(schema):
    return " ".join((schema.__doc__ or "").split("\n\n")[0].split())


def _without_null(jsonschema):
    """A request field as a client sends it: null only stands for an absent field."""
    for field in jsonschema.get("properties", {}).values():
        if isinstance(field.get("type"), list):
            field["type"] = next(kind for kind in field["type"] if kind != "null")
    return jsonschema


def new_spec():
    """An apispec document with every object's schema as a component."""
    spec = APISpec("Stashboard API", "1", "3.1.0", plugins=[MarshmallowPlugin()])
    spec.components.schema("Level", {"type": "string", "enum": list(LEVELS), "description": "Least to most severe."})
    for schema in OBJECTS:
        spec.components.schema(_name(schema), {"description": _summary(schema)}, schema=schema)
    for name, (schema, description) in COLLECTIONS.items():
        spec.components.schema(name, {"description": description}, schema=schema)
    for name, (schema, key, description) in MORE_COLLECTIONS.items():
        spec.components.schema(name, {"type": "object", "description": description, "required": [key],
                                      "properties": {key: {"type": "array", "items": ref(_name(schema))}}})
    return spec


def request_body(spec, fields_schema, update):
    """The requestBody of a write: the same fields as a form (what 2010 clients send) or a JSON object."""
    converter = spec.plugins[0].converter
    declared = fields_schema._declared_fields
    names = [field.data_key or name for name, field in declared.items()]
    flags = {field.data_key or name for name, field in declared.items() if field.metadata.get("flag")}

    def body(flag):
        schema = _without_null(converter.fields2jsonschema(declared, partial=update))
        for name in flags:
            schema["properties"][name] = {**flag, "description": declared[name].metadata["description"]}
        if update:  # an update changes at least one field
            schema["anyOf"] = [{"required": [name]} for name in names]
        return {"schema": schema}

    return {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": body({"type": "string", "enum": ["true", "false"]}),
            "application/json": body({"enum": [True, False, "true", "false"]}),
        },
    }


# --- operations --------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Operation:
    """What one view takes and answers, beyond what its route and method imply."""

    answer: str  # the component of the success body
    status: int = 200
    errors: tuple = ()  # codes beyond those every request of its kind can get
    fields: type | None = None  # its request body's schema
    update: bool = False  # the body changes some of the fields (at least one)
    query: tuple = ()  # its query parameters besides `callback`
    # Where its answer leads on the admin root: ((views), {path parameter: runtime expression}).
    links: tuple = ((), {})
    paged: bool = False  # answers at most PAGE items, with `next` and a Link header when more are left


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
    views.create_service: Operation("Service", 201, (409,), ServiceFields, links=SERVICE_LINKS),
    views.update_service: Operation("Service", fields=ServiceFields, update=True),
    views.delete_service: Operation("Service"),
    views.list_events: Operation("EventCollection", query=("start", "end", "cursor"), paged=True),
    views.create_event: Operation("Event", 201, fields=EventFields, links=EVENT_LINKS),
    views.current_event: Operation("Event", links=EVENT_LINKS),
    views.get_event: Operation("Event"),
    views.delete_event: Operation("Event"),
    views.list_statuses: Operation("StatusCollection"),
    views.get_status: Operation("Status"),
    views.create_status: Operation("Status", 201, (409,), StatusFields, links=STATUS_LINKS),
    views.update_status: Operation("Status", fields=StatusFields, update=True),
    views.delete_status: Operation("Status", errors=(409,)),
    views.list_lists: Operation("ListCollection"),
    views.get_list: Operation("List"),
    views.create_list: Operation("List", 201, (409,), ListFields, links=LIST_LINKS),
    views.update_list: Operation("List", fields=ListFields, update=True),
    views.delete_list: Operation("List"),
    views.list_levels: Operation("LevelCollection"),
    views.list_status_images: Operation("StatusImageCollection"),
    incidents.list_incidents: Operation("IncidentCollection"),
    incidents.get_incident: Operation("Incident"),
    incidents.open_incident: Operation("Incident", 201, fields=IncidentFields),
    incidents.post_incident_update: Operation("Incident", 201, fields=IncidentUpdateFields),
    incidents.edit_incident: Operation("Incident", fields=IncidentEditFields, update=True),
    incidents.delete_incident: Operation("Incident"),
    maintenance.list_maintenances: Operation("MaintenanceCollection"),
    maintenance.get_maintenance: Operation("Maintenance"),
    maintenance.schedule_maintenance: Operation("Maintenance", 201, fields=MaintenanceFields),
    maintenance.cancel_maintenance: Operation("Maintenance", errors=(409,)),
    maintenance.post_maintenance_update: Operation("Maintenance", 201, (409,), MaintenanceUpdateFields),
    metrics.list_metrics: Operation("MetricCollection", query=("period",)),
    metrics.push_metric: Operation("MetricPush", 201, fields=MetricFields),
}


def _id(example, what):
    return slug_id(example, what).metadata | {"type": "string"}


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
    "cursor": {"name": "cursor", "in": "query", "required": False,
               "description": "Which page: the opaque cursor of a previous answer's `next` URL (follow that URL "
                              "rather than building one). One that no page gave is a 400.",
               "schema": {"type": "string", "pattern": CURSOR.pattern, "maxLength": CURSOR_MAX}},
    "service_id": {"name": "service_id", "in": "path", "required": True, "schema": _id("web-api", "service")},
    "status_id": {"name": "status_id", "in": "path", "required": True, "schema": _id("down", "status")},
    "list_id": {"name": "list_id", "in": "path", "required": True, "schema": _id("core", "list")},
    "sid": {"name": "sid", "in": "path", "required": True, "description": "An event's `sid`.",
            "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]+$", "maxLength": 100}},
    "incident_id": {"name": "incident_id", "in": "path", "required": True, "schema": ID},
    "maintenance_id": {"name": "maintenance_id", "in": "path", "required": True, "schema": ID},
    "name": metrics.NAME_PARAMETER,
    "period": metrics.PERIOD_PARAMETER,
}


def content(schema):
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
        answers[str(code)] = {"description": description, "content": content(schema)}
    answers["401"]["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}, "required": True}}
    answers["405"]["headers"] = {"Allow": {"schema": {"type": "string"}, "required": True,
                                           "description": "The methods the path takes."}}
    answers["503"]["headers"] = {"Retry-After": {"schema": {"type": "integer", "minimum": 1}, "required": True}}
    return answers


def _tag(rule):
    return next((tag for tag in ("events", "metrics") if f"/{tag}" in rule), rule.split("/")[1])


def operation(spec, view, method, rule, public, admin_ids):
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
    success = {"description": " ".join((view.__doc__ or "").split()), "content": content(ref(declared.answer))}
    headers = {"Link": NEXT_LINK} if declared.paged else {}
    targets, parameters = declared.links
    if targets and not public:
        success["links"] = {admin_ids[target]: {"operationId": admin_ids[target], "parameters": parameters}
                            for target in targets}
    if public:
        headers |= {
            "Access-Control-Allow-Origin": {"schema": {"const": "*"}, "required": True,
                                            "description": "Any site may read the public API."},
            "X-Stashboard-Stale": {"schema": {"type": "string"}, "required": False,
                                   "description": "Present when the Datastore is unavailable and this is the last "
                                                  "good answer: when it was made (an HTTP date)."},
        }
    if headers:
        success["headers"] = headers
    described = {
        "operationId": view.__name__ if public else admin_ids[view],
        "summary": " ".join((view.__doc__ or "").split()),
        "tags": [_tag(rule)],
        "parameters": [{"$ref": f"#/components/parameters/{name}"} for name in names],
        "responses": {str(declared.status): success,
                      **{str(code): {"$ref": f"#/components/responses/{code}"} for code in sorted(codes)}},
    }
    if declared.fields:
        described["requestBody"] = request_body(spec, declared.fields, declared.update)
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
    "the same field names, at most 1 MiB (a larger one is a 413) and nested at most "
    f"{MAX_JSON_DEPTH} levels deep (deeper is a 400). URLs in answers are absolute, on the root the request "
    f"came in on. No answer grows without bound: an event list answers at most {PAGE} events, newest first, "
    "and when older ones are left a `next` URL (also an RFC 8288 `Link: <…>; rel=\"next\"` header) leads "
    f"to them; an argument naming several things (`services=a,b`) names at most {NAMES_MAX}."
)
NEXT_LINK = {"schema": {"type": "string", "pattern": r'^<https?://[^>]+>; rel="next"$'}, "required": False,
             "description": f"Only when older items are left (at most {PAGE} an answer): the next page, "
                            "as the body's `next`."}


def describe(base_url, roots, read_routes, write_routes):
    """The OpenAPI 3.1 document of the routes tables; `roots` is (public prefix, admin prefix)."""
    public_root, admin_root = roots
    spec = new_spec()
    paths = {}
    routes = [(public_root, rule, "get", view, True) for rule, _, view in read_routes]
    routes += [(admin_root, rule, "get", view, False) for rule, _, view in read_routes]
    routes += [(admin_root, rule, method.lower(), view, False) for rule, method, view in write_routes]
    # The admin root's copies of the reads are told apart from the public ones by a prefix.
    admin_ids = {view: f"admin_{view.__name__}" for _, _, view in read_routes}
    admin_ids |= {view: view.__name__ for _, _, view in write_routes}
    for root, rule, method, view, public in routes:
        path = root + PATH_PARAMETER.sub(r"{\1}", rule)
        paths.setdefault(path, {})[method] = operation(spec, view, method, rule, public, admin_ids)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Stashboard API", "version": "1", "description": INFO},
        "servers": [{"url": base_url.rstrip("/"), "description": "This board"}],
        "tags": [{"name": name, "description": text} for name, text in TAGS.items()],
        "paths": paths,
        "components": {
            "schemas": spec.to_dict()["components"]["schemas"],
            "parameters": PARAMETERS,
            "responses": responses(),
            "securitySchemes": SECURITY_SCHEMES,
        },
    }
