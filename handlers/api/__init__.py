"""The v1 REST API: read-only at /api/v1, read-write for admins at /admin/api/v1.

The same views serve both roots; which methods exist is decided once, by the
blueprint a route is registered on.
"""

import functools

from flask import Blueprint, abort, request

from handlers.api import incidents, openapi, statuspage, views
from handlers.auth import csrf
from handlers.auth.credentials import api_actor
from handlers.responses import json_response, valid_callback
from models import acting_as

public_api = Blueprint("api", __name__, url_prefix="/api/v1")
admin_api = Blueprint("admin_api", __name__, url_prefix="/admin/api/v1")

READ_ROUTES = (
    ("/services", "services", views.list_services),
    ("/services/<service_id>", "service", views.get_service),
    ("/services/<service_id>/events", "events", views.list_events),
    ("/services/<service_id>/events/current", "current_event", views.current_event),
    ("/services/<service_id>/events/<sid>", "event", views.get_event),
    ("/statuses", "statuses", views.list_statuses),
    ("/statuses/<status_id>", "status", views.get_status),
    ("/service-lists", "service_lists", views.list_lists),
    ("/service-lists/<list_id>", "service_list", views.get_list),
    ("/levels", "levels", views.list_levels),
    ("/status-images", "status_images", views.list_status_images),
    ("/incidents", "incidents", incidents.list_incidents),
    ("/incidents/<incident_id>", "incident", incidents.get_incident),
    ("/maintenances", "maintenances", incidents.list_maintenances),
    ("/maintenances/<maintenance_id>", "maintenance", incidents.get_maintenance),
)
WRITE_ROUTES = (
    ("/services", "POST", views.create_service),
    ("/services/<service_id>", "POST", views.update_service),
    ("/services/<service_id>", "DELETE", views.delete_service),
    ("/services/<service_id>/events", "POST", views.create_event),
    ("/services/<service_id>/events/<sid>", "DELETE", views.delete_event),
    ("/statuses", "POST", views.create_status),
    ("/statuses/<status_id>", "POST", views.update_status),
    ("/statuses/<status_id>", "DELETE", views.delete_status),
    ("/service-lists", "POST", views.create_list),
    ("/service-lists/<list_id>", "POST", views.update_list),
    ("/service-lists/<list_id>", "DELETE", views.delete_list),
    ("/incidents", "POST", incidents.open_incident),
    ("/incidents/<incident_id>", "POST", incidents.edit_incident),
    ("/incidents/<incident_id>", "DELETE", incidents.delete_incident),
    ("/incidents/<incident_id>/updates", "POST", incidents.post_incident_update),
    ("/maintenances", "POST", incidents.schedule_maintenance),
    ("/maintenances/<maintenance_id>", "DELETE", incidents.cancel_maintenance),
)


def description(base_url):
    """This API as an OpenAPI 3.1 document (handlers/api/openapi.py), with `base_url` as its server."""
    roots = (public_api.url_prefix, admin_api.url_prefix)
    return openapi.describe(base_url, roots, READ_ROUTES, WRITE_ROUTES)


def act_as_admin(view):
    """Attribute the view's changes to the request's admin in the audit log."""

    @functools.wraps(view)
    def wrapper(**kwargs):
        with acting_as(api_actor()):
            return view(**kwargs)

    return wrapper


for _blueprint in (public_api, admin_api):
    for _rule, _endpoint, _view in READ_ROUTES:
        _blueprint.add_url_rule(_rule, _endpoint, _view, methods=["GET"])
for _rule, _method, _view in WRITE_ROUTES:
    admin_api.add_url_rule(_rule, _view.__name__, act_as_admin(_view), methods=[_method])


@public_api.get("/openapi.json", endpoint="openapi")
def openapi_document():
    """This API described in OpenAPI 3.1, for code generators, validators and fuzzers."""
    return json_response(description(request.host_url))


@public_api.before_request
@admin_api.before_request
def check_callback():
    """Refuse a JSONP callback that is not a plain function name (it would be an XSS hole)."""
    callback = request.args.get("callback")
    if callback is not None and not valid_callback(callback):
        abort(400, "'callback' must be a JavaScript function name: letters, digits, _, $ and dots.")


@public_api.after_request
def allow_cross_origin_reads(response):
    """Other sites' pages and the widget read the public API."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def register(app):
    """Mount both API roots on the app.

    API clients authenticate with a bearer header, which a browser never adds on its
    own; the admin API checks CSRF itself when a write rides on a session cookie.
    """
    csrf.exempt(admin_api)
    csrf.exempt(public_api)
    csrf.exempt(statuspage.bp)
    app.register_blueprint(public_api)
    app.register_blueprint(statuspage.bp)
    app.register_blueprint(admin_api)
