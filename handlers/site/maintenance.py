"""The site's maintenance pages: one window's story (its updates), and the upcoming windows as an
iCalendar feed."""

import datetime

import icalendar
from flask import Response, current_app, render_template, url_for

from handlers.routes import BOARD, reads
from handlers.site.views import bp
from models import Maintenance, Snapshot
from models.notices import OPEN_MAINTENANCE


@bp.get("/maintenance/<maintenance_id>")
@reads(BOARD)
def maintenance(maintenance_id):
    """One maintenance window: when, which services, where it stands and its updates, newest first."""
    return render_template("site/maintenance.html", window=Maintenance.get_or_404(maintenance_id))


@bp.get("/maintenance.ics")
@reads(BOARD, localised=False)
def maintenance_calendar():
    """Upcoming and current maintenance windows as an iCalendar feed (icalendar escapes every field)."""
    board = Snapshot.now()
    site = current_app.config["SITE_NAME"]
    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//{site}//Stashboard maintenance//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{site} maintenance")
    for window in board.maintenances():
        if window.state not in OPEN_MAINTENANCE:
            continue
        names = ", ".join(window.name_of(service_id) for service_id in window.services)
        event = icalendar.Event()
        event.add("uid", f"maintenance-{window.maintenance_id}@{_host()}")
        event.add("dtstamp", _aware(window.updated))
        event.add("dtstart", _aware(window.starts))
        event.add("dtend", _aware(window.ends))
        event.add("summary", f"Maintenance: {window.title}")
        event.add("description", f"{window.message}\n\nAffects: {names}")
        event.add("url", url_for("site.maintenance", maintenance_id=window.maintenance_id, _external=True))
        calendar.add_component(event)
    return Response(calendar.to_ical(), mimetype="text/calendar", content_type="text/calendar; charset=utf-8")


def _host():
    return url_for("site.index", _external=True).split("/")[2]


def _aware(moment):
    return moment.replace(tzinfo=datetime.UTC)
