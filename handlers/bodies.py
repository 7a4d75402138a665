"""Request bodies a visitor could use to knock a worker over: refused before anything reads them.

Shared by every surface that reads a body (the APIs, the hooks, the admin's forms); installed
by main.py ahead of authentication and CSRF, so nothing has read the body yet.
"""

import io
import re

from flask import request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

# Far deeper than any real payload (Alertmanager's is 4), far below what makes Python's
# json module raise RecursionError (a 500) instead of ValueError.
MAX_JSON_DEPTH = 64
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*+"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


def json_too_deep(raw, limit=MAX_JSON_DEPTH):
    """Whether JSON text `raw` (bytes) nests arrays and objects more than `limit` deep (brackets in strings do not count)."""
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub(b"", raw)):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def read_chunked_body(limit):
    """Read a body sent without a Content-Length (chunked) whole, or 413 past `limit` bytes.

    Werkzeug would silently cut such a body at MAX_CONTENT_LENGTH, so a 3 MB request
    would be read as its first megabyte instead of being refused.
    """
    environ = request.environ
    data = environ["wsgi.input"].read(limit + 1)
    if len(data) > limit:
        raise RequestEntityTooLarge(f"The request body is larger than {limit // 1024} KiB.")
    # From here on the body is an ordinary one of known length.
    environ["wsgi.input"] = io.BytesIO(data)
    environ["CONTENT_LENGTH"] = str(len(data))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    request.__dict__.pop("stream", None)


def refuse_deep_json(reads_json):
    """400 for a JSON body nested deeper than MAX_JSON_DEPTH; `reads_json`: the route reads JSON whatever its type."""
    if not request.content_length or not (reads_json or request.is_json):
        return
    raw = request.get_data(cache=True)
    if raw.lstrip()[:1] in (b"[", b"{") and json_too_deep(raw):
        raise BadRequest(f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep.")
