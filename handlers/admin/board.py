"""The board: the admin home with the one-form incident update (a service's own page, where
its events are posted and pruned, is in services.py)."""

from flask import render_template, url_for

from handlers.admin.blueprint import bp, submit
from handlers.admin.forms import IncidentForm
from models import Snapshot, Event, Service


def _home(form, board, status=200):
    """The admin home: `form` on top, then the board's rows."""
    return render_template("admin/index.html", form=form, rows=board.rows), status


@bp.get("/")
def index():
    """The admin home: the incident form on top, then every service and its current status."""
    board = Snapshot.now()
    return _home(IncidentForm().offer(board.statuses, (row.service for row in board.rows)), board)


@bp.post("/")
def post_incident():
    """Post an event for any service from the home page (the one-form incident update)."""
    board = Snapshot.now()
    form = IncidentForm().offer(board.statuses, (row.service for row in board.rows))

    def post():
        service = Service.get_or_404(form.service.data)
        Event.post(service, form.message.data, form.status.data or None, form.informational.data)
        return service

    done = submit(form, post, lambda service: f"Posted on {service.name}.", url_for("admin.index"))
    return done or _home(form, board, 400)
