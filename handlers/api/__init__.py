"""The v1 REST API: read-only at /api/v1, read-write for admins at /admin/api/v1.

The same views serve both roots; which methods exist is decided once, by the
blueprint a route is registered on.
"""

import functools

from flask import Blueprint, abort, request
from flask_cors import CORS

from handlers.api import incidents, integrations, maintenance, metrics, openapi, statuspage, statuspage_subscribers, views
from handlers.auth import csrf
from handlers.auth.credentials import api_actor
from handlers.responses import json_response
from handlers.routes import ADMIN_API, BOARD, JSONP, META, PUBLIC_API, declare, given, incident_tags, jsonp, reads
from handlers.routes import page_cursor, service_tags
from models import acting_as

public_api = declare(Blueprint("api", __name__, url_prefix="/api/v1"), PUBLIC_API)
admin_api = declare(Blueprint("admin_api", __name__, url_prefix="/admin/api/v1"), ADMIN_API)
# What each read depends on (its cache tags, its query arguments) is declared here, where
# the view is routed, since the same view serves both roots (the admin one is never cached).
EVENTS_ARGS = {**JSONP, "start": given, "end": given, "cursor": page_cursor}

READ_ROUTES = (
    ("/services", "services", reads(BOARD, JSONP)(views.list_services)),
    ("/services/<service_id>", "service", reads(service_tags, JSONP)(views.get_service)),
    ("/services/<service_id>/events", "events", reads(service_tags, EVENTS_ARGS, costly=True)(views.list_events)),
    ("/services/<service_id>/events/current", "current_event", reads(service_tags, JSONP)(views.current_event)),
    ("/services/<service_id>/events/<sid>", "event", reads(service_tags, JSONP)(views.get_event)),
    ("/statuses", "statuses", reads(META, JSONP)(views.list_statuses)),
    ("/statuses/<status_id>", "status", reads(META, JSONP)(views.get_status)),
    ("/service-lists", "service_lists", reads(BOARD, JSONP)(views.list_lists)),
    ("/service-lists/<list_id>", "service_list", reads(BOARD, JSONP)(views.get_list)),
    ("/levels", "levels", reads(META, JSONP)(views.list_levels)),
    ("/status-images", "status_images", reads(META, JSONP)(views.list_status_images)),
    ("/incidents", "incidents", reads(BOARD, JSONP)(incidents.list_incidents)),
    ("/incidents/<incident_id>", "incident", reads(incident_tags, JSONP)(incidents.get_incident)),
    ("/maintenances", "maintenances", reads(BOARD, JSONP)(maintenance.list_maintenances)),
    ("/maintenances/<maintenance_id>", "maintenance", reads(BOARD, JSONP)(maintenance.get_maintenance)),
    # Pushed points are not audited (handlers/site/views.py): a kept answer is good for a minute.
    ("/services/<service_id>/metrics", "metrics",
     reads(service_tags, {**JSONP, **metrics.PERIOD_ARG}, fresh=60)(metrics.list_metrics)),
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
    ("/maintenances", "POST", maintenance.schedule_maintenance),
    ("/maintenances/<maintenance_id>", "DELETE", maintenance.cancel_maintenance),
    ("/maintenances/<maintenance_id>/updates", "POST", maintenance.post_maintenance_update),
    ("/services/<service_id>/metrics/<name>", "POST", metrics.push_metric),
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
# The credentials monitoring tools post alerts with: the admin root only, every method behind
# an admin credential, and outside the public API's description.
ADMIN_ONLY_ROUTES = (
    ("/integrations", "GET", "integrations", integrations.list_integrations),
    ("/integrations", "POST", "create_integration", integrations.create_integration),
    ("/integrations/<integration_id>", "GET", "integration", integrations.get_integration),
    ("/integrations/<integration_id>", "DELETE", "revoke_integration", integrations.revoke_integration),
)
for _rule, _method, _endpoint, _view in ADMIN_ONLY_ROUTES:
    admin_api.add_url_rule(_rule, _endpoint, act_as_admin(_view), methods=[_method])


@public_api.get("/openapi.json", endpoint="openapi")
@reads(META, JSONP)
def openapi_document():
    """This API described in OpenAPI 3.1, for code generators, validators and fuzzers."""
    return json_response(description(request.host_url))


@admin_api.before_request
def check_callback():
    """Refuse a JSONP callback that is not a plain function name (it would be an XSS hole); the
    public root's declared arguments refuse it the same way (handlers/routes.py)."""
    try:
        jsonp(request.args.getlist("callback"))
    except ValueError as error:
        abort(400, str(error))


# Other sites' pages, the widget, banners and dashboards read the public APIs (v1 and the
# Statuspage-compatible v2), as they read Statuspage's: any origin, always `*` (the page cache
# shares one answer between origins), no credentials.
for _blueprint in (public_api, statuspage.bp):
    CORS(_blueprint, origins="*", send_wildcard=True, vary_header=False)


def register(app):
    """Mount both API roots on the app.

    API clients authenticate with a bearer header, which a browser never adds on its
    own; the admin API checks CSRF itself when a write rides on a session cookie.
    """
    csrf.exempt(admin_api)
    csrf.exempt(public_api)
    csrf.exempt(statuspage.bp)
    csrf.exempt(statuspage_subscribers.bp)
    app.register_blueprint(public_api)
    app.register_blueprint(statuspage.bp)
    app.register_blueprint(statuspage_subscribers.bp)
    app.register_blueprint(admin_api)
