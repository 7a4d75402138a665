"""One error path per surface: JSON where the route's surface says so (the API roots, the
hooks: handlers/routes.py), the site's pages elsewhere."""

from flask import Response, current_app, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError, NotFound, ServiceUnavailable

from handlers.context import DATASTORE_ERRORS
from handlers.responses import json_response
from handlers.routes import UndeclaredArgument, route_of
from models import StashboardError
from models.errors import Text

RETRY_AFTER_SECONDS = 10
# Tells the page cache (handlers/cache.py) that this 503 is an outage: it may answer the
# last good render instead. It never leaves the app.
OUTAGE_HEADER = "X-Stashboard-Outage"


def is_api_request():
    """Whether the request's surface answers in JSON (the API roots, the hooks)."""
    return route_of(current_app, request.environ).surface.errors == "json"


def error_response(code, message, headers=None):
    """The API's error body: {"error": true, "code": …, "message": …}."""
    return json_response({"error": True, "code": code, "message": message}, code, headers)


def _message(error):
    near = route_of(current_app, request.environ).near
    if isinstance(error, NotFound) and near and is_api_request():
        # Under an API root's parent but not the root itself: most likely a version it does not have.
        wanted = near.rsplit("/", 1)
        given = request.path.removeprefix(wanted[0] + "/").split("/")[0]
        if given and request.path.startswith(wanted[0] + "/"):
            return f"Unknown API version '{given}'; this server speaks {wanted[1]}."
    return error.description or error.name


def handle_http_error(error, headers=None):
    """Turn an HTTP error (404, 405, 413, …) into the surface's error answer."""
    headers = dict(headers or {})
    if error.code == 405 and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    if error.code == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="stashboard"'
    if getattr(error, "retry_after", None) is not None:  # 429 and 503 say when to come back
        headers.setdefault("Retry-After", str(error.retry_after))
    if is_api_request():
        return error_response(error.code, _message(error), headers)
    return render_error_page(error.code, error.name, _message(error), headers)


def handle_model_error(error):
    """A refused change (bad field, unknown id, clash) as a 4xx on either surface."""
    if is_api_request():
        return error_response(error.code, error.message)
    return render_error_page(error.code, "Error", error.message)


def handle_datastore_error(error):
    """The Datastore is away: 503 with Retry-After; a write made nothing (it was one transaction)."""
    current_app.logger.warning("Datastore unavailable on %s %s: %s", request.method, request.path, error)
    if request.method in ("GET", "HEAD"):
        message = Text("The status board's data cannot be read right now; please try again in a few seconds.")
    else:
        message = Text("The status board's data cannot be written right now, so nothing was changed; "
                       "please try again.")
    return handle_http_error(ServiceUnavailable(message), {"Retry-After": str(RETRY_AFTER_SECONDS), OUTAGE_HEADER: "1"})


def handle_unexpected(error):
    """Never a traceback: log it and answer a plain 500."""
    if isinstance(error, HTTPException):
        return handle_http_error(error)
    if isinstance(error, UndeclaredArgument):  # a bug in a view, raised in tests only: fail the test
        raise error
    if isinstance(error, DATASTORE_ERRORS):
        return handle_datastore_error(error)
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    return handle_http_error(InternalServerError(Text("Something went wrong on our side; please try again.")))


def render_error_page(code, title, message, headers=None):
    """The site's error page, in the site's style."""
    try:
        body = render_template("errors/error.html", code=code, title=title, message=message)
    except Exception:  # the page itself must never fail: fall back to plain text
        return Response(f"{code} {title}: {message}\n", code, headers, mimetype="text/plain")
    return Response(body, code, headers, mimetype="text/html")


def register(app):
    """Install the error handlers on the app."""
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(StashboardError, handle_model_error)
    for error in DATASTORE_ERRORS:
        app.register_error_handler(error, handle_datastore_error)
    app.register_error_handler(Exception, handle_unexpected)


