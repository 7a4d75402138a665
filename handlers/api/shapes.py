"""The v1 API's JSON objects, each shaped in one place (the contract is in API.md).

A list of services repeats the same few statuses and URL roots hundreds of times:
those are worked out once per request (on `g`), not once per object.
"""

from flask import g, request, url_for

from models import http_date, image_path


def url(endpoint, **values):
    """An absolute URL on the root (public or admin) this request came in on."""
    return url_for(f"{request.blueprint}.{endpoint}", _external=True, **values)


def _root(collection):
    """The absolute URL of a collection (`services`, `statuses`, `service_lists`) on this root."""
    roots = g.setdefault("api_roots", {})
    if collection not in roots:
        roots[collection] = url(collection)
    return roots[collection]


def image_url(path):
    """The absolute URL of a file below /images."""
    return url_for("images", filename=path, _external=True)


def status_json(status, default_key):
    """The Status object (None for a status that is gone)."""
    if status is None:
        return None
    shapes = g.setdefault("api_statuses", {})
    key = (status.slug, default_key)
    if key not in shapes:
        shapes[key] = {
            "id": status.slug,
            "name": status.name,
            "description": status.description or "",
            "level": status.level,
            "image": image_url(image_path(status.image)),
            "url": f"{_root('statuses')}/{status.slug}",
            "default": status.key == default_key,
        }
    return dict(shapes[key])


def event_json(event, board):
    """The Event object, of an Event entity or a service's LatestEvent; `board` knows the statuses."""
    service_id = event.service_id
    return {
        "sid": event.sid,
        "message": event.message,
        "timestamp": http_date(event.timestamp),
        "url": f"{_root('services')}/{service_id}/events/{event.sid}",
        "status": status_json(board.status(event.status_id), board.default_key),
        "informational": bool(event.informational),
    }


def list_json(service_list):
    """The List object (None for no list)."""
    if service_list is None:
        return None
    return {
        "id": service_list.slug,
        "name": service_list.name,
        "description": service_list.description or "",
        "url": f"{_root('service_lists')}/{service_list.slug}",
    }


def service_json(row, board):
    """The Service object of a board row, with its current event and list.

    Worked out once per card, board signature, URL root and list (see models.board.Card.derived):
    a list of hundreds of services shapes again only those that changed.
    """
    service, service_list = row.service, row.service_list
    key = ("json", board.signature, _root("services"), _root("statuses"),
           service_list and (service_list.slug, service_list.name, service_list.description))
    shape = service.derived.get(key)
    if shape is None:
        shape = _service_json(row, board)
        service.remember(key, shape)
    return shape


def _service_json(row, board):
    service = row.service
    return {
        "id": service.slug,
        "name": service.name,
        "description": service.description or "",
        "url": f"{_root('services')}/{service.slug}",
        "current-event": event_json(row.event, board) if row.event else None,
        "list": list_json(row.service_list),
    }


def image_json(image):
    """The Status image object."""
    return {"name": image.name, "icon_set": image.icon_set, "url": image_url(image.path)}
