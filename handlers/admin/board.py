"""The board: the admin home with the one-form incident update, and one service's page
where its events are posted and pruned."""

from flask import render_template, request, url_for

from handlers.admin.blueprint import bp, submit, when
from handlers.admin.crud import Ask, asks_first
from handlers.admin.forms import EventForm, IncidentForm
from models import Board, Event, Service

HISTORY_PAGE = 50


def _home(form, board, status=200):
    """The admin home: `form` on top, then the board's rows."""
    return render_template("admin/index.html", form=form, rows=board.rows), status


@bp.get("/")
def index():
    """The admin home: the incident form on top, then every service and its current status."""
    board = Board.now()
    return _home(IncidentForm().offer(board.statuses, (row.service for row in board.rows)), board)


@bp.post("/")
def post_incident():
    """Post an event for any service from the home page (the one-form incident update)."""
    board = Board.now()
    form = IncidentForm().offer(board.statuses, (row.service for row in board.rows))

    def post():
        service = Service.get_or_404(form.service.data)
        Event.post(service, form.message.data, form.status.data or None, form.informational.data)
        return service

    done = submit(form, post, lambda service: f"Posted on {service.name}.", url_for("admin.index"))
    return done or _home(form, board, 400)


def _service_page(service, board, form, status=200):
    """A service's page: its current status and list, the event form, its newest events."""
    page = render_template(
        "admin/service.html",
        service=service,
        row=board.rows[0],
        board=board,
        events=Event.for_service(service.key, limit=HISTORY_PAGE),
        form=form,
    )
    return page, status


@bp.get("/services/<service_id>")
def service(service_id):
    """One service: post an event, read and prune its history."""
    service = Service.get_or_404(service_id)
    board = Board.of([service], with_lists=True)
    return _service_page(service, board, EventForm().offer(board.statuses))


@bp.post("/services/<service_id>/events")
def post_event(service_id):
    """Post an event (status + message) or an informational note for this service."""
    service = Service.get_or_404(service_id)
    board = Board.of([service], with_lists=True)
    form = EventForm().offer(board.statuses)
    done = submit(
        form,
        lambda: Event.post(service, form.message.data, form.status.data or None, form.informational.data),
        f"Posted on {service.name}.",
        url_for("admin.service", service_id=service.slug),
    )
    return done or _service_page(service, board, form, 400)


@asks_first("/services/<service_id>/events/<sid>/delete")
def delete_event(service_id, sid):
    """Delete a wrong event, after asking; the service's status follows its newest remaining event."""
    service = Service.get_or_404(service_id)
    event = Event.get_for_service(service.key, sid)
    return Ask(
        f"Delete this event of {service.name}?",
        f"“{event.message}” ({when(event.timestamp)})",
        "Delete event",
        cancel=url_for("admin.service", service_id=service.slug),
        act=event.delete,
        done="Deleted the event.",
    )
