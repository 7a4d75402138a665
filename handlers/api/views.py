"""The v1 API's views; the same functions serve the public and the admin root."""

from flask import abort, request

from handlers.api.params import EventFields, ListFields, ServiceFields, StatusFields, parse_bound
from handlers.api.schemas import (EventSchema, StatusImageSchema, event_json, list_json, service_json, status_json,
                                  url)
from handlers.responses import json_response
from models import LEVELS, Snapshot, Event, Service, ServiceList, Status, StatusImage


def _service_answer(service, code=200):
    board = Snapshot.of([service], with_lists=True)
    return json_response(service_json(board.rows[0], board), code)


def _status_answer(status, code=200):
    board = Snapshot.of([])
    return json_response(status_json(status, board.default_key), code)


# --- services --------------------------------------------------------------


def list_services():
    """All services, ordered by name."""
    board = Snapshot.now()
    return json_response({"services": [service_json(row, board) for row in board.rows]})


def get_service(service_id):
    """One service with its current event and list."""
    return _service_answer(Service.get_or_404(service_id))


def create_service():
    """Add a service: name and description required, list optional."""
    given = ServiceFields.read()
    return _service_answer(Service.create(given.get("name"), given.get("description"), given.get("list")), 201)


def update_service(service_id):
    """Change a service's name, description or list (`list=` removes it from its list)."""
    return _service_answer(Service.get_or_404(service_id).update(**ServiceFields.read(update=True)))


def delete_service(service_id):
    """Delete a service and its events; answers the deleted service."""
    service = Service.get_or_404(service_id)
    board = Snapshot.of([service], with_lists=True)
    body = service_json(board.rows[0], board)
    service.delete()
    return json_response(body)


# --- events ----------------------------------------------------------------


def list_events(service_id):
    """A service's events, newest first, optionally between `start` and `end`: at most 500 an answer,
    the older ones behind `next` (also a `Link: rel="next"` header), so no answer grows with the history."""
    service = Service.get_or_404(service_id)
    start, end = parse_bound("start"), parse_bound("end", end=True)
    board = Snapshot.of([service])
    events, cursor = Event.page_for_service(service.key, start=start, end=end, cursor=request.args.get("cursor"))
    body = {"events": EventSchema(board).dump(events, many=True)}
    if cursor is None:  # the last page: the answer every 2010 client has always read
        return json_response(body)
    bounds = {name: request.args[name] for name in ("start", "end") if request.args.get(name)}
    body["next"] = url("events", service_id=service.slug, **bounds, cursor=cursor)
    return json_response(body, headers={"Link": f'<{body["next"]}>; rel="next"'})


def create_event(service_id):
    """Post an event: message required; status and informational optional."""
    service = Service.get_or_404(service_id)
    given = EventFields.read()
    posted = Event.post(service, given.get("message"), given.get("status"), given.get("informational"))
    # The transaction already read the event's status and the default: no second read for the reply.
    statuses = Snapshot([], [posted.status] if posted.status else [], posted.default_key)
    return json_response(event_json(posted.event, statuses), 201)


def current_event(service_id):
    """The service's newest event (informational or not)."""
    service = Service.get_or_404(service_id)
    if service.latest_event is None:
        abort(404, f"Service '{service_id}' has no events yet.")
    board = Snapshot.of([service])
    return json_response(event_json(board.rows[0].event, board))


def get_event(service_id, sid):
    """One event of a service."""
    service = Service.get_or_404(service_id)
    event = Event.get_for_service(service.key, sid)
    return json_response(event_json(event, Snapshot.of([])))


def delete_event(service_id, sid):
    """Delete one event; the service's current status follows. Answers the deleted event."""
    service = Service.get_or_404(service_id)
    event = Event.get_for_service(service.key, sid)
    body = event_json(event, Snapshot.of([]))
    event.delete()
    return json_response(body)


# --- statuses --------------------------------------------------------------


def list_statuses():
    """Every status, least severe first."""
    board = Snapshot.of([])
    return json_response({"statuses": [status_json(status, board.default_key) for status in board.statuses]})


def get_status(status_id):
    """One status."""
    return _status_answer(Status.get_or_404(status_id))


def create_status():
    """Add a status: name, description and image required; level and default optional."""
    given = StatusFields.read()
    status = Status.create(
        given.get("name"),
        given.get("description"),
        given.get("image"),
        level=given.get("level"),
        default=given.get("default"),
    )
    return _status_answer(status, 201)


def update_status(status_id):
    """Change a status; `default=true` makes it the default."""
    return _status_answer(Status.get_or_404(status_id).update(**StatusFields.read(update=True)))


def delete_status(status_id):
    """Delete a status no event uses and that is not the default."""
    status = Status.get_or_404(status_id)
    body = status_json(status, Snapshot.of([]).default_key)
    status.delete()
    return json_response(body)


# --- service lists ---------------------------------------------------------


def list_lists():
    """Every service list, ordered by name."""
    return json_response({"lists": [list_json(lst) for lst in ServiceList.ordered()]})


def get_list(list_id):
    """One service list."""
    return json_response(list_json(ServiceList.get_or_404(list_id)))


def create_list():
    """Add a service list: name and description required."""
    given = ListFields.read()
    return json_response(list_json(ServiceList.create(given.get("name"), given.get("description"))), 201)


def update_list(list_id):
    """Change a list's name or description."""
    return json_response(list_json(ServiceList.get_or_404(list_id).update(**ListFields.read(update=True))))


def delete_list(list_id):
    """Delete a list; its services stay, with no list."""
    service_list = ServiceList.get_or_404(list_id)
    body = list_json(service_list)
    service_list.delete()
    return json_response(body)


# --- read-only -------------------------------------------------------------


def list_levels():
    """The severity levels a status can have."""
    return json_response({"levels": list(LEVELS)})


def list_status_images():
    """The icons a status can use."""
    return json_response({"images": StatusImageSchema(many=True).dump(StatusImage.all())})
