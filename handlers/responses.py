"""JSON and JSONP answers for the API, safe to embed in a page."""

import json
import re

from flask import Response, request

CALLBACK = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$.]*$")
CALLBACK_MAX = 128
# Escaped so that a body can sit inside <script> (JSONP, inline widgets) harmlessly.
_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}
_UNSAFE_RE = re.compile("[<>&]")


def dumps(payload):
    """JSON text with <, > and & escaped (still plain JSON to a parser)."""
    text = json.dumps(payload, ensure_ascii=True, separators=(",", ":"))
    return _UNSAFE_RE.sub(lambda m: _UNSAFE[m.group()], text)


def valid_callback(name):
    """Whether `name` is an acceptable JSONP function name."""
    return len(name) <= CALLBACK_MAX and CALLBACK.match(name) is not None


def json_response(payload, status=200, headers=None):
    """`payload` as JSON, or as `NAME(<json>);` when ?callback=NAME is valid."""
    body = dumps(payload)
    callback = request.args.get("callback")
    if callback is not None and valid_callback(callback):
        response = Response(f"{callback}({body});", status, headers, mimetype="application/javascript")
    else:
        response = Response(body, status, headers, mimetype="application/json")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
