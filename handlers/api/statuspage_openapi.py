"""The Statuspage-compatible /api/v2 described in OpenAPI 3.1, as v1's is (handlers/api/openapi.py).

A document of its own at /api/v2/openapi.json, not a second block in v1's: v2 is another
contract (Statuspage's field names, ids and ISO times, versioned by Statuspage), its readers
fetch one description per root, and /documentation renders v1's. Paths, operation ids and
summaries come from the routes and the views' docstrings, each answer's schema from the view's
`answers` declaration; the objects are the marshmallow schemas that shape the answers
(handlers/api/statuspage_schema.py), turned into JSON Schema by apispec. Errors are v1's.
"""

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from handlers.api.openapi import PARAMETERS, content, ref, responses
from handlers.api.schemas import ErrorSchema
from handlers.api.statuspage_schema import (AffectedComponentSchema, ComponentGroupSchema, ComponentSchema,
                                            IncidentSchema, IncidentUpdateSchema, MaintenanceSchema,
                                            MaintenanceUpdateSchema, PageSchema, StatusIndicatorSchema)

OBJECTS = (ErrorSchema, PageSchema, StatusIndicatorSchema, ComponentSchema, ComponentGroupSchema,
           AffectedComponentSchema, IncidentUpdateSchema, IncidentSchema, MaintenanceUpdateSchema, MaintenanceSchema)
ERRORS = {code: answer for code, answer in responses().items() if code in ("400", "404", "503")}
PATH_ARGUMENT = re.compile(r"<(?:[^:>]+:)?([^>]+)>")
INFO = (
    "A read-only API in the format of Atlassian Statuspage's public API v2, so tools written for Statuspage "
    "pages read this board at the same paths: services are components, service lists component groups "
    "(`list:` ids), maintenance windows scheduled maintenances (`m` ids). Every answer starts with the "
    "`page` object, is JSON (add `?callback=NAME` for JSONP) with `Access-Control-Allow-Origin: *`; "
    "times are ISO 8601 in UTC with milliseconds. Errors are `{\"error\": true, \"code\": <status>, "
    "\"message\": …}`. The board's own API, with writes, is described at /api/v1/openapi.json."
)


def _name(schema):
    return schema.__name__.removesuffix("Schema")


def _summary(schema):
    return " ".join((schema.__doc__ or "").split("\n\n")[0].split())


def _resolver(schema):
    """The component name of a nested schema (an instance or a class)."""
    return _name(schema if isinstance(schema, type) else type(schema))


def _operation(rule, view):
    """The Operation Object of a v2 view: its answer is the schema it declares; an id in its path may
    be unknown (404)."""
    names = PATH_ARGUMENT.findall(rule)
    path_parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}} for name in names]
    codes = [code for code in ERRORS if code != "404" or names]
    summary = " ".join((view.__doc__ or "").split())
    success = {"description": summary, "content": content(ref(_name(view.answer))), "headers": {
        "Access-Control-Allow-Origin": {"schema": {"const": "*"}, "required": True,
                                        "description": "Any site may read it."}}}
    return {
        "operationId": f"statuspage_{view.__name__}",
        "summary": summary,
        "tags": ["statuspage"],
        "parameters": [*path_parameters, {"$ref": "#/components/parameters/callback"}],
        "responses": {"200": success, **{code: {"$ref": f"#/components/responses/{code}"} for code in codes}},
    }


def describe(base_url, routes):
    """The OpenAPI 3.1 document of `routes`: (rule under /api/v2, view declaring its `answer`)."""
    spec = APISpec("Stashboard Statuspage-compatible API", "2", "3.1.0",
                   plugins=[MarshmallowPlugin(schema_name_resolver=_resolver)])
    answers = {view.answer for _, view in routes}
    for schema in (*OBJECTS, *sorted(answers, key=lambda answer: answer.__name__)):
        spec.components.schema(_name(schema), {"description": _summary(schema)}, schema=schema)
    paths = {PATH_ARGUMENT.sub(r"{\1}", rule): {"get": _operation(rule, view)} for rule, view in routes}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Stashboard Statuspage-compatible API", "version": "2", "description": INFO},
        "servers": [{"url": base_url.rstrip("/"), "description": "This board"}],
        "tags": [{"name": "statuspage", "description": "Statuspage's public endpoints, answered by this board."}],
        "paths": paths,
        "components": {
            "schemas": spec.to_dict()["components"]["schemas"],
            "parameters": {"callback": PARAMETERS["callback"]},
            "responses": ERRORS,
        },
    }
