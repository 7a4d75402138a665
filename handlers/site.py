"""The public status site: the board, service histories, lists, feeds, documentation.

Every page is complete server-rendered HTML; the site's JavaScript only shows
times in the reader's zone and refreshes the front page. Pages set no cookie, so
App Engine's edge cache and browsers may keep them for a minute.
"""

import calendar
import datetime
import re
from collections import defaultdict
from dataclasses import dataclass, field

from feedgen.feed import FeedGenerator
from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from google.cloud import ndb

from handlers import api
from models import LEVELS, Event, Service, ServiceList, Status, image_path, utcnow

bp = Blueprint("site", __name__)

CACHE_CONTROL = "public, max-age=60"
FEED_SIZE = 20
FEED_SERVICES_MAX = 50
SERVICE_PAGE_EVENTS = 50
REFRESH_SECONDS = 60
ONE_DAY = datetime.timedelta(days=1)
# Characters XML 1.0 forbids; an event message may contain them, a feed must not.
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
BANNERS = {
    "NORMAL": "All systems operational",
    "WARNING": "Some services have problems",
    "ERROR": "Some services are down",
    "CRITICAL": "Major outage",
}


def utc_today():
    """Midnight (naive UTC) starting today: the server's day boundaries are UTC."""
    return utcnow().replace(hour=0, minute=0, second=0, microsecond=0)


# --- what the pages show about services --------------------------------------


@dataclass
class Day:
    """One cell of the history grid: the worst non-normal status a service had that day."""

    date: datetime.date
    worst: Status | None = None
    note: bool = False


@dataclass
class Row:
    """One service as the board shows it."""

    service: Service
    status: Status | None
    event: Event | None
    note_today: bool = False
    days: list = field(default_factory=list)


@dataclass
class Group:
    """Services shown together: a service list, or the services in none."""

    name: str
    service_list: ServiceList | None
    rows: list

    @property
    def worst(self):
        """The most severe current status among the group's services."""
        return worst_of(row.status for row in self.rows)


def worst_of(statuses):
    """The most severe of `statuses` (None when there are none)."""
    statuses = [status for status in statuses if status is not None]
    return max(statuses, key=lambda status: status.severity, default=None)


class Board:
    """Statuses, current events and (optionally) history of some services, loaded in batches."""

    def __init__(self, services, history_days=0):
        self.statuses = Status.by_severity()
        self._by_key = {status.key: status for status in self.statuses}
        default_key = Status.default_key()
        self.default = self._by_key.get(default_key)
        event_keys = [service.current_event for service in services if service.current_event]
        events = {event.key: event for event in ndb.get_multi(event_keys) if event is not None}
        self.today = utc_today()
        self.rows = [
            Row(service, self._by_key.get(service.status_key(default_key)), events.get(service.current_event))
            for service in services
        ]
        for row in self.rows:
            row.note_today = bool(
                row.event and row.event.informational and row.event.timestamp >= self.today
            )
        self.days = [(self.today - n * ONE_DAY).date() for n in range(history_days)]
        if history_days:
            self._add_history()

    def _add_history(self):
        """Fill each row's day cells from one query for the whole window."""
        by_service = defaultdict(list)
        for event in Event.since(self.today - (len(self.days) - 1) * ONE_DAY):
            by_service[event.service_key].append(event)
        for row in self.rows:
            events = by_service[row.service.key]
            # A status lasts until the next event: a service down all week with no new
            # event shows down every day. Before its first event in the window the
            # status is not loaded (it would cost a query per service): shown as normal.
            statused = [event for event in events if not event.informational]
            carried = None if statused else row.status
            cells = {}
            for date in reversed(self.days):
                day = Day(date, carried if carried and carried.severity else None)
                for event in events:
                    if event.timestamp.date() != date:
                        continue
                    if event.informational:
                        day.note = True
                        continue
                    carried = self._by_key.get(event.status)
                    if carried and carried.severity and (not day.worst or carried.severity > day.worst.severity):
                        day.worst = carried
                cells[date] = day
            row.days = [cells[date] for date in self.days]

    @property
    def worst(self):
        """The most severe current status on the board."""
        return worst_of(row.status for row in self.rows)

    @property
    def affected(self):
        """Rows whose current status is not normal, worst first."""
        rows = [row for row in self.rows if row.status and row.status.severity]
        return sorted(rows, key=lambda row: -row.status.severity)

    def banner(self):
        """The front page's one-line answer: all well, or the worst level, named."""
        worst = self.worst
        return BANNERS[worst.level if worst else "NORMAL"]

    def groups(self, lists):
        """The rows grouped by service list (in `lists` order), then the services in none."""
        by_list = defaultdict(list)
        for row in self.rows:
            by_list[row.service.service_list].append(row)
        groups = [Group(lst.name, lst, by_list.pop(lst.key)) for lst in lists if lst.key in by_list]
        rest = [row for rows in by_list.values() for row in rows]
        if rest:
            groups.append(Group("Other services" if groups else "Services", None, rest))
        return groups


# --- pages -----------------------------------------------------------------


@bp.get("/")
def index():
    """The board: overall banner, every service's status by list, and the recent history."""
    board = Board(Service.ordered(), current_app.config["HISTORY_DAYS"])
    return render_template(
        "site/index.html", board=board, groups=board.groups(ServiceList.ordered()), refresh=REFRESH_SECONDS
    )


@bp.get("/services/<service_id>")
def service(service_id):
    """One service: its current status, description and newest events."""
    service = Service.get_or_404(service_id)
    board = Board([service])
    events = Event.for_service(service.key, limit=SERVICE_PAGE_EVENTS)
    first_year = min([service.created.year] + [event.timestamp.year for event in events])
    years = range(board.today.year, first_year - 1, -1)
    return render_template(
        "site/service.html", board=board, row=board.rows[0], events=events, years=years, limit=SERVICE_PAGE_EVENTS
    )


@bp.get("/services/<service_id>/<int(fixed_digits=4):year>")
@bp.get("/services/<service_id>/<int(fixed_digits=4):year>/<int(fixed_digits=2):month>")
@bp.get("/services/<service_id>/<int(fixed_digits=4):year>/<int(fixed_digits=2):month>/<int(fixed_digits=2):day>")
def archive(service_id, year, month=None, day=None):
    """A service's events of one year, month or day, with links to the periods around it."""
    service = Service.get_or_404(service_id)
    period = Period.of(year, month, day)
    events = Event.for_service(service.key, start=period.start, end=period.end - datetime.timedelta(microseconds=1))
    board = Board([service])
    return render_template(
        "site/archive.html", board=board, row=board.rows[0], period=period, events=events, today=board.today
    )


@dataclass
class Period:
    """A year, month or day of the archives, as [start, end) in naive UTC."""

    start: datetime.datetime
    end: datetime.datetime
    unit: str

    @classmethod
    def of(cls, year, month=None, day=None):
        """The period a URL names; an impossible date is a 404."""
        try:
            if month is None:
                return cls(datetime.datetime(year, 1, 1), _shift(datetime.datetime(year, 1, 1), years=1), "year")
            if day is None:
                start = datetime.datetime(year, month, 1)
                return cls(start, _shift(start, months=1), "month")
            start = datetime.datetime(year, month, day)
            return cls(start, start + ONE_DAY, "day")
        except (ValueError, OverflowError):
            abort(404, "There is no such date.")

    def label(self):
        """How the page names the period: 2024, May 2024, Friday 17 May 2024."""
        formats = {"year": "%Y", "month": "%B %Y", "day": "%A %-d %B %Y"}
        return self.start.strftime(formats[self.unit])

    def url_values(self, start=None):
        """The year/month/day URL values of this period (or of the same unit at `start`)."""
        start = start or self.start
        values = {"year": start.year}
        if self.unit in ("month", "day"):
            values["month"] = start.month
        if self.unit == "day":
            values["day"] = start.day
        return values

    def previous(self):
        """URL values of the period before, or None at the start of the calendar."""
        try:
            return self.url_values(_shift(self.start, **{f"{self.unit}s": -1}))
        except (ValueError, OverflowError):
            return None

    def next(self, today):
        """URL values of the period after, or None when it has not begun yet."""
        if self.end > today:
            return None
        return self.url_values(self.end)

    def months(self):
        """The months of a year period (for the year page's links)."""
        return [datetime.date(self.start.year, month, 1) for month in range(1, 13)]


def _shift(moment, years=0, months=0, days=0):
    """`moment` moved by whole calendar units (the first of a month stays the first)."""
    if days:
        return moment + days * ONE_DAY
    month_index = moment.year * 12 + moment.month - 1 + years * 12 + months
    year, month = divmod(month_index, 12)
    if not 1 <= year <= 9999:
        raise ValueError("out of the calendar")
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@bp.get("/service-lists")
def service_lists():
    """Services filtered by list (`?filter=`) and status (`?status=`), both repeatable."""
    lists = ServiceList.ordered()
    statuses = Status.by_severity()
    chosen_lists = _chosen("filter", {lst.slug for lst in lists}, "service list")
    chosen_statuses = _chosen("status", {s.slug for s in statuses}, "status")
    board = Board(Service.ordered())
    rows = [
        row
        for row in board.rows
        if (not chosen_lists or (row.service.service_list and row.service.service_list.id() in chosen_lists))
        and (not chosen_statuses or (row.status and row.status.slug in chosen_statuses))
    ]
    board.rows = rows
    return render_template(
        "site/service_lists.html",
        board=board,
        groups=board.groups(lists),
        lists=lists,
        chosen_lists=chosen_lists,
        chosen_statuses=chosen_statuses,
    )


def _chosen(name, known, what):
    """The values of a repeatable filter argument; an unknown one is a 400."""
    values = {value.strip() for value in request.args.getlist(name) if value.strip()}
    unknown = sorted(values - known)
    if unknown:
        abort(400, f"There is no {what} '{unknown[0]}'.")
    return values


@bp.get("/service-lists/<list_id>")
def service_list(list_id):
    """One service list: its services with their status and recent history."""
    service_list = ServiceList.get_or_404(list_id)
    board = Board(Service.in_list(service_list.key), current_app.config["HISTORY_DAYS"])
    return render_template("site/service_list.html", board=board, service_list=service_list)


@bp.get("/summary")
def summary():
    """Each service list with the worst current status of its services."""
    board = Board(Service.ordered())
    return render_template("site/summary.html", board=board, groups=board.groups(ServiceList.ordered()))


@bp.get("/documentation")
def documentation():
    """The public REST API for readers, generated from the API's own routes and docstrings."""
    return render_template(
        "site/documentation.html", resources=api_reference(), base=request.host_url.rstrip("/"), levels=LEVELS
    )


def api_reference():
    """(resource, [(method, path, summary)]) for every API route, in the order the API declares them."""
    resources = defaultdict(list)
    routes = [("GET", api.public_api.url_prefix, rule, view) for rule, _, view in api.READ_ROUTES]
    routes += [(method, api.admin_api.url_prefix, rule, view) for rule, method, view in api.WRITE_ROUTES]
    for method, root, rule, view in routes:
        path = root + re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)
        resource = rule.split("/")[1]
        summary = " ".join((view.__doc__ or "").split())
        resources[resource].append((method, path, summary))
    return list(resources.items())


# --- feeds -----------------------------------------------------------------


@bp.get("/rss")
def rss():
    """The newest events as RSS 2.0; `?services=a,b` keeps only those services."""
    return _feed_response(_feed("site.rss").rss_str(pretty=True), "application/rss+xml")


@bp.get("/atom")
def atom():
    """The newest events as an Atom feed, one entry per event; same filter as /rss."""
    return _feed_response(_feed("site.atom").atom_str(pretty=True), "application/atom+xml")


def _feed_services():
    """The services `?services=a,b` names (None for all); an unknown one is a 404."""
    names = [name.strip() for name in request.args.get("services", "").split(",") if name.strip()]
    if not names:
        return None
    if len(names) > FEED_SERVICES_MAX:
        abort(400, f"A feed can follow at most {FEED_SERVICES_MAX} services.")
    return [Service.get_or_404(name) for name in dict.fromkeys(names)]


def _clean(text):
    """Text as XML allows it."""
    return XML_INVALID.sub("", text)


def _feed(endpoint):
    """The feed of the newest events, built with feedgen (which escapes every field)."""
    services = _feed_services()
    events = Event.newest(FEED_SIZE, [s.key for s in services] if services is not None else None)
    names = {s.key: s.name for s in services or ndb.get_multi(list({e.service_key for e in events})) if s}
    statuses = Status.by_key()
    site = current_app.config["SITE_NAME"]
    query = {"services": request.args["services"]} if services else {}
    feed = FeedGenerator()
    feed.id(url_for(endpoint, _external=True, **query))
    feed.title(f"{site} status" + (f": {', '.join(s.name for s in services)}" if services else ""))
    feed.description(f"The newest status updates of {site}'s services.")
    feed.author({"name": site})
    feed.link(href=url_for("site.index", _external=True), rel="alternate")
    feed.link(href=url_for(endpoint, _external=True, **query), rel="self")
    feed.language("en")
    feed.updated(_aware(events[0].timestamp) if events else datetime.datetime.now(datetime.UTC))
    for event in events:
        status = statuses.get(event.status)
        service_name = names.get(event.service_key, event.service_key.id())
        api_url = url_for("api.event", service_id=event.service_key.id(), sid=event.sid, _external=True)
        entry = feed.add_entry(order="append")
        entry.guid(api_url, permalink=True)
        entry.title(_clean(f"[{service_name} - {status.name if status else 'Unknown'}] {event.message}"))
        entry.link(href=url_for("site.service", service_id=event.service_key.id(), _external=True))
        entry.description(_clean(event.message))
        entry.published(_aware(event.timestamp))
        entry.updated(_aware(event.timestamp))
    return feed


def _aware(timestamp):
    """A stored naive UTC time as an aware one (feedgen requires a zone)."""
    return timestamp.replace(tzinfo=datetime.UTC)


def _feed_response(body, mimetype):
    return Response(body, mimetype=mimetype, content_type=f"{mimetype}; charset=utf-8")


# --- small files -------------------------------------------------------------


@bp.get("/favicon.ico")
def favicon():
    """Browsers and crawlers ask for /favicon.ico whatever the page says; answer the SVG icon."""
    return current_app.send_static_file("favicon.svg")


@bp.get("/robots.txt")
def robots():
    """The public pages may be indexed; the admin pages and the API need not be."""
    body = "User-agent: *\nDisallow: /admin/\nDisallow: /api/\n"
    return Response(body, mimetype="text/plain")


@bp.after_request
def cacheable(response):
    """Public pages are the same for everyone: let browsers and App Engine's edge keep them a minute."""
    if response.status_code == 200 and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


# --- template helpers ------------------------------------------------------


@bp.app_template_filter("isotime")
def isotime(timestamp):
    """A stored naive UTC time as ISO 8601 with Z, for <time datetime> (the script localises it)."""
    return timestamp.replace(microsecond=0).isoformat() + "Z"


@bp.app_template_filter("utctime")
def utctime(timestamp):
    """A stored time as people read it without JavaScript: 17 May 2024, 14:03 UTC."""
    return timestamp.strftime("%-d %b %Y, %H:%M UTC")


@bp.app_template_global("status_icon")
def status_icon(status):
    """URL of a status's icon."""
    return url_for("images", filename=image_path(status.image if status else "question"))


def register(app):
    """Mount the public site on the app."""
    app.register_blueprint(bp)
