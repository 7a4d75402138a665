"""The v1 REST API: read-only at /api/v1, read-write for admins at /admin/api/v1.

The same views serve both roots; which methods exist is decided once, by the
blueprint a route is registered on.
"""

import datetime
import functools

from dateutil import parser as dateparser
from flask import Blueprint, abort, request, url_for
from google.cloud import ndb

from handlers.credentials import api_actor
from handlers.responses import json_response, valid_callback
from models import (
    LEVELS,
    Event,
    InvalidInput,
    Service,
    ServiceList,
    Status,
    StatusImage,
    acting_as,
    utcnow,
)

public_api = Blueprint("api", __name__, url_prefix="/api/v1")
admin_api = Blueprint("admin_api", __name__, url_prefix="/admin/api/v1")


# --- request helpers -------------------------------------------------------


def url(endpoint, **values):
    """An absolute URL on the root (public or admin) this request came in on."""
    return url_for(f"{request.blueprint}.{endpoint}", _external=True, **values)


def image_url(path):
    """The absolute URL of a file below /images."""
    return url_for("images", filename=path, _external=True)


def _field_text(name, value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    if value is None:
        return None
    raise InvalidInput(f"'{name}' must be a string, number or boolean.")


def fields():
    """The request's fields: form-encoded (what the original clients send) or a JSON object."""
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise InvalidInput("The JSON body must be an object of fields.")
        return {name: _field_text(name, value) for name, value in data.items()}
    return request.form.to_dict()


def changes(allowed):
    """The subset of `allowed` fields present in the request; refuse an empty update."""
    given = fields()
    picked = {name: given[name] for name in allowed if name in given}
    if not picked:
        raise InvalidInput(f"Give at least one of: {', '.join(allowed)}.")
    return picked


def parse_bound(name, end=False):
    """The query argument `name` as a naive UTC datetime; a date alone as `end` means its last instant."""
    value = request.args.get(name)
    if value is None or not value.strip():
        return None
    today = utcnow()
    start_of_day = today.replace(hour=0, minute=0, second=0, microsecond=0)
    end_of_day = today.replace(hour=23, minute=59, second=59, microsecond=999999)
    try:
        low = dateparser.parse(value, default=start_of_day)
        high = dateparser.parse(value, default=end_of_day)
    except (ValueError, OverflowError) as error:
        raise InvalidInput(f"'{name}' is not a date I can read: {value!r}.") from error
    moment = high if end and low.hour != high.hour else low
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(datetime.UTC).replace(tzinfo=None)
        except (ValueError, OverflowError) as error:
            raise InvalidInput(f"'{name}' is out of range: {value!r}.") from error
    return moment


class Presenter:
    """Turns entities into API objects, loading what they refer to in batches."""

    def __init__(self):
        self.statuses = Status.by_key()
        self.default_key = Status.default_key()

    def status(self, key):
        """The Status object for `key` (None if it is gone)."""
        status = self.statuses.get(key)
        return status.to_dict(url, image_url, self.default_key) if status else None

    def event(self, event):
        """The Event object."""
        return event.to_dict(url, self.status(event.status))

    def services(self, services):
        """Service objects, with current events and lists fetched in two batches."""
        event_keys = [s.current_event for s in services if s.current_event]
        list_keys = list({s.service_list for s in services if s.service_list})
        events = {e.key: e for e in ndb.get_multi(event_keys) if e is not None}
        lists = {lst.key: lst for lst in ndb.get_multi(list_keys) if lst is not None}
        return [
            service.to_dict(
                url,
                self.event(events[service.current_event]) if service.current_event in events else None,
                lists[service.service_list].to_dict(url) if service.service_list in lists else None,
            )
            for service in services
        ]

    def service(self, service):
        """One Service object."""
        return self.services([service])[0]


# --- services --------------------------------------------------------------


def list_services():
    """All services, ordered by name."""
    return json_response({"services": Presenter().services(Service.ordered())})


def get_service(service_id):
    """One service with its current event and list."""
    return json_response(Presenter().service(Service.get_or_404(service_id)))


def create_service():
    """Add a service: name and description required, list optional."""
    given = fields()
    service = Service.create(given.get("name"), given.get("description"), given.get("list"))
    return json_response(Presenter().service(service), 201)


def update_service(service_id):
    """Change a service's name, description or list (`list=` removes it from its list)."""
    service = Service.get_or_404(service_id).update(**changes(("name", "description", "list")))
    return json_response(Presenter().service(service))


def delete_service(service_id):
    """Delete a service and its events; answers the deleted service."""
    service = Service.get_or_404(service_id)
    body = Presenter().service(service)
    service.delete()
    return json_response(body)


# --- events ----------------------------------------------------------------


def list_events(service_id):
    """A service's events, newest first, optionally between `start` and `end`."""
    service = Service.get_or_404(service_id)
    start, end = parse_bound("start"), parse_bound("end", end=True)
    presenter = Presenter()
    events = Event.for_service(service.key, start=start, end=end)
    return json_response({"events": [presenter.event(e) for e in events]})


def create_event(service_id):
    """Post an event: message required; status and informational optional."""
    service = Service.get_or_404(service_id)
    given = fields()
    event = Event.post(service, given.get("message"), given.get("status"), given.get("informational"))
    return json_response(Presenter().event(event), 201)


def current_event(service_id):
    """The service's newest event (informational or not)."""
    service = Service.get_or_404(service_id)
    event = service.current_event.get() if service.current_event else None
    if event is None:
        abort(404, f"Service '{service_id}' has no events yet.")
    return json_response(Presenter().event(event))


def get_event(service_id, sid):
    """One event of a service."""
    service = Service.get_or_404(service_id)
    return json_response(Presenter().event(Event.get_for_service(service.key, sid)))


def delete_event(service_id, sid):
    """Delete one event; the service's current status follows. Answers the deleted event."""
    service = Service.get_or_404(service_id)
    event = Event.get_for_service(service.key, sid)
    body = Presenter().event(event)
    event.delete()
    return json_response(body)


# --- statuses --------------------------------------------------------------


def list_statuses():
    """Every status, least severe first."""
    presenter = Presenter()
    statuses = Status.by_severity()
    return json_response({"statuses": [presenter.status(s.key) for s in statuses]})


def get_status(status_id):
    """One status."""
    return json_response(Presenter().status(Status.get_or_404(status_id).key))


def create_status():
    """Add a status: name, description and image required; level and default optional."""
    given = fields()
    status = Status.create(
        given.get("name"),
        given.get("description"),
        given.get("image"),
        level=given.get("level"),
        default=given.get("default"),
    )
    return json_response(Presenter().status(status.key), 201)


def update_status(status_id):
    """Change a status; `default=true` makes it the default."""
    allowed = ("name", "description", "image", "level", "default")
    status = Status.get_or_404(status_id).update(**changes(allowed))
    return json_response(Presenter().status(status.key))


def delete_status(status_id):
    """Delete a status no event uses and that is not the default."""
    status = Status.get_or_404(status_id)
    body = Presenter().status(status.key)
    status.delete()
    return json_response(body)


# --- service lists ---------------------------------------------------------


def list_lists():
    """Every service list, ordered by name."""
    return json_response({"lists": [lst.to_dict(url) for lst in ServiceList.ordered()]})


def get_list(list_id):
    """One service list."""
    return json_response(ServiceList.get_or_404(list_id).to_dict(url))


def create_list():
    """Add a service list: name and description required."""
    given = fields()
    service_list = ServiceList.create(given.get("name"), given.get("description"))
    return json_response(service_list.to_dict(url), 201)


def update_list(list_id):
    """Change a list's name or description."""
    service_list = ServiceList.get_or_404(list_id).update(**changes(("name", "description")))
    return json_response(service_list.to_dict(url))


def delete_list(list_id):
    """Delete a list; its services stay, with no list."""
    service_list = ServiceList.get_or_404(list_id)
    body = service_list.to_dict(url)
    service_list.delete()
    return json_response(body)


# --- read-only -------------------------------------------------------------


def list_levels():
    """The severity levels a status can have."""
    return json_response({"levels": list(LEVELS)})


def list_status_images():
    """The icons a status can use."""
    return json_response({"images": [i.to_dict(image_url) for i in StatusImage.all()]})


# --- routing ---------------------------------------------------------------

READ_ROUTES = (
    ("/services", "services", list_services),
    ("/services/<service_id>", "service", get_service),
    ("/services/<service_id>/events", "events", list_events),
    ("/services/<service_id>/events/current", "current_event", current_event),
    ("/services/<service_id>/events/<sid>", "event", get_event),
    ("/statuses", "statuses", list_statuses),
    ("/statuses/<status_id>", "status", get_status),
    ("/service-lists", "service_lists", list_lists),
    ("/service-lists/<list_id>", "service_list", get_list),
    ("/levels", "levels", list_levels),
    ("/status-images", "status_images", list_status_images),
)
WRITE_ROUTES = (
    ("/services", "POST", create_service),
    ("/services/<service_id>", "POST", update_service),
    ("/services/<service_id>", "DELETE", delete_service),
    ("/services/<service_id>/events", "POST", create_event),
    ("/services/<service_id>/events/<sid>", "DELETE", delete_event),
    ("/statuses", "POST", create_status),
    ("/statuses/<status_id>", "POST", update_status),
    ("/statuses/<status_id>", "DELETE", delete_status),
    ("/service-lists", "POST", create_list),
    ("/service-lists/<list_id>", "POST", update_list),
    ("/service-lists/<list_id>", "DELETE", delete_list),
)

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
    """Mount both API roots on the app."""
    app.register_blueprint(public_api)
    app.register_blueprint(admin_api)
