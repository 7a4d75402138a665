"""The API reference on /documentation, rendered from the OpenAPI description /api/v1/openapi.json serves.

One source: the description is built from the API's routes and the views' docstrings
(handlers/api/openapi.py), so the page cannot list a route or a field the API lacks.
"""

import dataclasses
from collections import defaultdict

from handlers import api

METHODS = ("get", "post", "delete")


@dataclasses.dataclass(frozen=True)
class Endpoint:
    """One row of the reference: a request, what it does, what it takes and answers."""

    method: str
    path: str
    summary: str
    fields: list  # [(name, note)] of its body fields and query arguments
    answer: str  # "201 Service"
    errors: list  # ["400", "409", …]


def _resolve(document, node):
    while "$ref" in node:
        _, section, kind, name = node["$ref"].split("/")
        node = document[section][kind][name]
    return node


def _note(document, schema, required):
    schema = _resolve(document, schema)
    notes = ["required" if required else "optional"]
    if "enum" in schema:
        notes.append("one of " + ", ".join(str(value) for value in schema["enum"]))
    if "maxLength" in schema:
        notes.append(f"at most {schema['maxLength']} characters")
    return "; ".join(notes)


def _fields(document, operation):
    fields = []
    for parameter in operation.get("parameters", []):
        parameter = _resolve(document, parameter)
        if parameter["in"] == "query" and parameter["name"] != "callback":
            needed = "required" if parameter.get("required") else "optional"
            fields.append((parameter["name"], f"{needed}; {parameter['description'].split('. ')[0]}"))
    body = operation.get("requestBody", {}).get("content", {}).get("application/x-www-form-urlencoded")
    if body:
        schema = body["schema"]
        needed = set(schema.get("required", ()))
        for name, field in schema["properties"].items():
            fields.append((name, _note(document, field, name in needed)))
    return fields


def api_reference(document):
    """(tag, its description, [Endpoint]) for every operation of an OpenAPI `document` of the API, by tag.

    The admin root answers the same reads as the public root; the page lists them once.
    """
    admin_root = api.admin_api.url_prefix
    resources = defaultdict(list)
    for path, item in document["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None or (method == "get" and path.startswith(admin_root + "/")):
                continue
            status = min(code for code in operation["responses"] if code.startswith("2"))
            success = operation["responses"][status]
            answer = success["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
            resources[operation["tags"][0]].append(Endpoint(
                method.upper(), path, operation["summary"], _fields(document, operation),
                f"{status} {answer}", [code for code in operation["responses"] if code != status],
            ))
    described = {tag["name"]: tag.get("description", "") for tag in document.get("tags", [])}
    return [(tag, described.get(tag, ""), endpoints) for tag, endpoints in resources.items()]
