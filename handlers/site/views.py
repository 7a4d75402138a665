"""The public status site's pages: the board, service histories, lists, feeds, documentation.

Every page is complete server-rendered HTML from one read of the board (models.Snapshot);
the site's JavaScript only shows times in the reader's zone and refreshes the front
page. Pages set no cookie, so the page cache, App Engine's edge and browsers share them.
"""

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for

from handlers import api
from handlers.bodies import MAX_JSON_DEPTH
from handlers.i18n import N_
from handlers.routes import (BOARD, META, NAMES_MAX, SITE, chart_period, comma_set, declare, page_cursor, reads,
                             repeated_set, service_tags)
from handlers.site import charts, feeds
from handlers.site.archives import Period
from handlers.site.reference import api_reference
from models import LEVELS, Snapshot, Event, Service, ServiceList, glance, uptime, utcnow
from models.errors import Text
from models.event import PAGE as EVENTS_PAGE
from models.metrics import MetricNames
from models.series import PERIODS, PROBE, SeriesDay
from models.notices import OPEN_MAINTENANCE

bp = declare(Blueprint("site", __name__), SITE)

SERVICE_PAGE_EVENTS = 50
REFRESH_SECONDS = 60
# Probe results and pushed metrics are not audited (one a minute each), so no write makes the service
# page stale: a kept copy is rendered again after this long, about a probe's interval.
CHARTS_FRESH_SECONDS = 60


@bp.get("/")
@reads(BOARD)
def index():
    """The board: overall banner, every service's status by list, and its recent history as the
    board's settings choose (90-day bars with uptime, or the grid of the last few days)."""
    # Services not showcased, and those shown only when degraded while operational, stay off.
    board = Snapshot.now(current_app.config["HISTORY_DAYS"]).shown(front=True)
    incidents = [incident for incident in board.incidents() if incident.is_open]
    windows = [window for window in board.maintenances() if window.state in OPEN_MAINTENANCE]
    # The board's setting: 90-day bars (drawn from the rows' rollups, no read more) or the grid.
    bars = glance.BAR_DAYS if board.front_page == "bars" else 0
    return render_template("site/index.html", board=board, groups=board.groups(), refresh=REFRESH_SECONDS,
                           incidents=incidents, windows=windows, now=utcnow(), bars=bars)


@bp.get("/services/<service_id>")
@reads(service_tags, {"period": chart_period}, fresh=CHARTS_FRESH_SECONDS)
def service(service_id):
    """One service: its current status, description, response times over `?period=` and newest events."""
    service = Service.get_or_404(service_id)
    board = Snapshot.of([service])
    events = Event.newest_of(service, SERVICE_PAGE_EVENTS)
    first_year = min([service.created.year] + [event.timestamp.year for event in events])
    years = range(board.today.year, first_year - 1, -1)
    uptimes = [uptime.of(board.rows[0].service, board, days) for days in uptime.PERIODS]
    period = charts.chosen_period()
    # The probe's response times and the pushed metrics: one get_multi of their days.
    charts_read = SeriesDay.charts(service.slug, [PROBE, *MetricNames.of(service.slug)], period)
    response_times = charts_read.pop(PROBE)
    return render_template(
        "site/service.html", board=board, row=board.rows[0], events=events, years=years, limit=SERVICE_PAGE_EVENTS,
        uptimes=uptimes, uptime_rule=uptime.RULE, as_of=utcnow(), periods=PERIODS, period=period,
        response_times=response_times, metrics=list(charts_read.values()), draw=charts.draw,
    )


# Months and days: two digits in the links the site makes; one also answers (`day` converter).
@bp.get("/services/<service_id>/<int(fixed_digits=4):year>")
@bp.get("/services/<service_id>/<int(fixed_digits=4):year>/<day:month>")
@bp.get("/services/<service_id>/<int(fixed_digits=4):year>/<day:month>/<day:day>")
@reads(service_tags, {"cursor": page_cursor}, costly=True)
def archive(service_id, year, month=None, day=None):
    """A service's events of one year, month or day, with links to the periods around it; at most
    500 a page, newest first, the older ones behind "Older events" (`?cursor=`).

    Stashboard 1.x's links did not pad months and days (`/services/web-api/2011/5/7`): those
    bookmarks are sent for good (301) to the padded address.
    """
    service = Service.get_or_404(service_id)
    period = Period.of(year, month, day)
    if not request.path.endswith(period.path_suffix()):
        return redirect(url_for("site.archive", service_id=service_id, **period.url_values()), 301)
    cursor = request.args.get("cursor")
    events, older = Event.page_for_service(service.key, start=period.start, end=period.last_instant, cursor=cursor)
    board = Snapshot.of([service])
    return render_template(
        "site/archive.html", board=board, row=board.rows[0], period=period, events=events, today=board.today,
        paged=bool(cursor), older=older,
    )


@bp.get("/service-lists")
@reads(BOARD, {"filter": repeated_set, "status": repeated_set})
def service_lists():
    """Services filtered by list (`?filter=`) and status (`?status=`), both repeatable."""
    board = Snapshot.now().shown()
    chosen_lists = _chosen("filter", {lst.slug for lst in board.lists}, N_("There is no service list '%(name)s'."))
    chosen_statuses = _chosen("status", set(board.by_slug), N_("There is no status '%(name)s'."))
    rows = [
        row
        for row in board.rows
        if (not chosen_lists or (row.service_list and row.service_list.slug in chosen_lists))
        and (not chosen_statuses or (row.status and row.status.slug in chosen_statuses))
    ]
    board = board.only(rows)
    return render_template(
        "site/service_lists.html",
        board=board,
        groups=board.groups(),
        lists=board.lists,
        chosen_lists=chosen_lists,
        chosen_statuses=chosen_statuses,
    )


def _chosen(name, known, refusal):
    """The values of a repeatable filter argument; an unknown one is a 400 saying `refusal` of it."""
    values = {value.strip() for value in request.args.getlist(name) if value.strip()}
    unknown = sorted(values - known)
    if unknown:
        abort(400, Text(refusal, name=unknown[0]))
    return values


@bp.get("/service-lists/<list_id>")
@reads(BOARD)
def service_list(list_id):
    """One service list: its services with their status and recent history."""
    service_list = ServiceList.get_or_404(list_id)
    board = Snapshot.of(Service.in_list(service_list.key), current_app.config["HISTORY_DAYS"]).shown()
    return render_template("site/service_list.html", board=board, service_list=service_list)


@bp.get("/summary")
@reads(BOARD)
def summary():
    """Each service list with the worst current status of its services."""
    board = Snapshot.now().shown(front=True)
    return render_template("site/summary.html", board=board, groups=board.groups())


@bp.get("/documentation")
@reads(META)
def documentation():
    """The public REST API for readers; its reference is rendered from the API's OpenAPI description."""
    return render_template(
        "site/documentation.html",
        resources=api_reference(api.description(request.host_url)),
        base=request.host_url.rstrip("/"),
        levels=LEVELS,
        limits={"page": EVENTS_PAGE, "names": NAMES_MAX, "depth": MAX_JSON_DEPTH},
    )


@bp.get("/rss")
@reads(BOARD, {"services": comma_set})
def rss():
    """The newest events as RSS 2.0; `?services=a,b` keeps only those services."""
    return feeds.feed_response("site.rss", "rss")


@bp.get("/atom")
@reads(BOARD, {"services": comma_set})
def atom():
    """The newest events as an Atom feed, one entry per event; same filter as /rss."""
    return feeds.feed_response("site.atom", "atom")


@bp.get("/favicon.ico")
@reads(META, localised=False)
def favicon():
    """Browsers and crawlers ask for /favicon.ico whatever the page says; answer the SVG icon."""
    return current_app.send_static_file("favicon.svg")


@bp.get("/embed/script.js")
@reads(META, localised=False)
def embed_script():
    """The status pop-up other sites embed, at the path of Statuspage's, so a site switches by changing the host."""
    return current_app.send_static_file("js/embed.js")


@bp.get("/robots.txt")
@reads(META, localised=False)
def robots():
    """The public pages may be indexed; the admin pages and the API need not be."""
    body = "User-agent: *\nDisallow: /admin/\nDisallow: /api/\n"
    return Response(body, mimetype="text/plain")
