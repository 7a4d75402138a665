"""The site's incident pages: one incident's story and the history of past incidents by month,
also as feeds at Statuspage's paths (the maintenance calendar is in maintenance.py)."""

import itertools

from flask import render_template

from handlers.routes import BOARD, incident_tags, reads
from handlers.site import feeds
from handlers.site.views import bp
from models import Incident
from models.times import utcnow

HISTORY_INCIDENTS = 200


@bp.get("/incidents/<incident_id>")
@reads(incident_tags)
def incident(incident_id):
    """One incident: its updates as a timeline, the services it affected, how long it lasted."""
    return render_template("site/incident.html", incident=Incident.get_or_404(incident_id), now=utcnow())


@bp.get("/history")
@reads(BOARD)
def history():
    """Past incidents, newest first, grouped by the month they started in."""
    incidents = Incident.past(HISTORY_INCIDENTS)
    months = [(month, list(group)) for month, group in
              itertools.groupby(incidents, key=lambda incident: incident.started.replace(day=1).date())]
    return render_template("site/history.html", months=months, limit=HISTORY_INCIDENTS,
                           full=len(incidents) >= HISTORY_INCIDENTS, now=utcnow())


@bp.get("/history.atom")
@reads(BOARD)
def history_atom():
    """The newest incidents as Atom, at the path Statuspage's readers subscribe to."""
    return feeds.history_response("site.history_atom", "atom")


@bp.get("/history.rss")
@reads(BOARD)
def history_rss():
    """The newest incidents as RSS 2.0, at the path Statuspage's readers subscribe to."""
    return feeds.history_response("site.history_rss", "rss")
