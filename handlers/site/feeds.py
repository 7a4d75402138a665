"""RSS and Atom feeds of the newest events, incident updates, maintenance announcements and updates,
built with feedgen (which escapes every field for XML; messages are escaped for HTML too)."""

import datetime
import html
import re

from feedgen.feed import FeedGenerator
from flask import Response, abort, current_app, request, url_for
from flask_babel import get_locale, gettext

from handlers.i18n import tag
from handlers.site.filters import labelled, localdate

from models import Snapshot, Event, NotFound, Status
from models.errors import Text

FEED_SIZE = 20
FEED_SERVICES_MAX = 50
# Characters XML 1.0 forbids; an event message may contain them, a feed must not.
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
FORMATS = {
    "rss": ("rss_str", "application/rss+xml"),
    "atom": ("atom_str", "application/atom+xml"),
}


def feed_response(endpoint, kind):
    """The newest events (of `?services=a,b` only, when given) as an RSS or Atom answer."""
    method, mimetype = FORMATS[kind]
    body = getattr(_feed(endpoint), method)(pretty=True)
    return Response(body, mimetype=mimetype, content_type=f"{mimetype}; charset=utf-8")


def _feed_cards():
    """The cards of the services `?services=a,b` names (all when none), whether that was given,
    and the board's incidents and maintenance windows; an unknown service is a 404."""
    cards, incidents, windows = Snapshot.cards_and_notices()
    names = [name.strip() for name in request.args.get("services", "").split(",") if name.strip()]
    if not names:
        return cards, False, (incidents, windows)
    if len(names) > FEED_SERVICES_MAX:
        abort(400, Text("A feed can follow at most %(num)d services.", num=FEED_SERVICES_MAX))
    unknown = [name for name in names if name not in cards]
    if unknown:
        shown = unknown[0] if len(unknown[0]) <= 60 else unknown[0][:60] + "…"
        raise NotFound(Text("No service '%(name)s'.", name=shown))
    return {name: cards[name] for name in dict.fromkeys(names)}, True, (incidents, windows)


def _clean(text):
    """Text as XML allows it."""
    return XML_INVALID.sub("", text)


def _describe(entry, text):
    """Carry `text` as plain text in both formats: readers render RSS's <description> as HTML, so
    it goes HTML-escaped (and Atom's content says type="html" to match): markup shows as written."""
    entry.content(html.escape(_clean(text), quote=False), type="html")


def _when(timestamp):
    """A maintenance window's bound as the reader's language writes it: 17 May 2024 14:03."""
    return f"{localdate(timestamp, '%-d %b %Y', 'yMMMd')} {timestamp:%H:%M}"


def _aware(timestamp):
    """A stored naive UTC time as an aware one (feedgen requires a zone)."""
    return timestamp.replace(tzinfo=datetime.UTC)


def _feed(endpoint):
    """Three reads whatever the board's size: the board index, the newest events by key, the statuses."""
    cards, filtered, notices = _feed_cards()
    statuses = Status.all_async()
    recent = [(slug, sid, stamp) for slug, card in cards.items() for sid, stamp in card.recent]
    events = Event.get_recent(recent, FEED_SIZE)
    statuses = {status.key: status for status in statuses.result()}
    names = {slug: card.name for slug, card in cards.items()}
    site = current_app.config["SITE_NAME"]
    query = {"services": request.args["services"]} if filtered else {}
    feed = FeedGenerator()
    feed.id(url_for(endpoint, _external=True, **query))
    title = gettext("%(site)s status", site=site)
    if filtered:
        title = labelled(title, ", ".join(card.name for card in cards.values()))
    feed.title(_clean(title))
    feed.description(gettext("The newest status updates of %(site)s's services.", site=site))
    feed.author({"name": site})
    feed.link(href=url_for("site.index", _external=True), rel="alternate")
    feed.link(href=url_for(endpoint, _external=True, **query), rel="self")
    feed.language(tag(get_locale()))
    stories = _stories(*notices, set(cards))
    newest = [events[0].timestamp] if events else []
    newest += [stories[0][0]] if stories else []
    feed.updated(_aware(max(newest)) if newest else datetime.datetime.now(datetime.UTC))
    entries = sorted([(event.timestamp, "event", event) for event in events] + stories,
                     key=lambda item: item[0], reverse=True)[:FEED_SIZE]
    for timestamp, kind, item in entries:
        if kind != "event":
            _add_story(feed, timestamp, kind, item)
            continue
        event = item
        status = statuses.get(event.status)
        service_name = names.get(event.service_id, event.service_id)
        api_url = url_for("api.event", service_id=event.service_id, sid=event.sid, _external=True)
        entry = feed.add_entry(order="append")
        entry.guid(api_url, permalink=True)
        shown = status.name if status else gettext("Unknown")
        entry.title(_clean(f"[{service_name} - {shown}] {event.message}"))
        entry.link(href=url_for("site.service", service_id=event.service_id, _external=True))
        _describe(entry, event.message)
        entry.published(_aware(event.timestamp))
        entry.updated(_aware(event.timestamp))
    return feed


def _stories(incidents, windows, service_ids):
    """(time, kind, item) of each incident update, maintenance announcement and maintenance update
    about `service_ids`."""
    stories = []
    for incident in incidents:
        if service_ids & set(incident.services):
            stories += [(update.at, "incident", (incident, update)) for update in incident.timeline]
    for window in windows:
        if window.state != "cancelled" and service_ids & set(window.services):
            stories.append((window.created, "maintenance", window))
            stories += [(update.at, "maintenance-update", (window, update)) for update in window.timeline]
    return sorted(stories, key=lambda item: item[0], reverse=True)


def _add_story(feed, timestamp, kind, item):
    """A feed entry for an incident update, a maintenance announcement or a maintenance update."""
    entry = feed.add_entry(order="append")
    if kind == "incident":
        incident, update = item
        link = url_for("site.incident", incident_id=incident.incident_id, _external=True)
        entry.guid(f"{link}#update-{update.number}", permalink=True)
        label = gettext("Incident")
        entry.title(_clean(f"[{label} - {gettext(update.state.title())}] {incident.title}"))
        entry.link(href=link)
        _describe(entry, update.message)
    elif kind == "maintenance-update":
        window, update = item
        link = url_for("site.maintenance", maintenance_id=window.maintenance_id, _external=True)
        entry.guid(f"{link}#update-{update.number}", permalink=True)
        label, state = gettext("Maintenance"), gettext(update.state.replace("_", " ").capitalize())
        entry.title(_clean(f"[{label} - {state}] {window.title}"))
        entry.link(href=link)
        _describe(entry, update.message)
    else:
        window = item
        link = url_for("site.index", _anchor=f"maintenance-{window.maintenance_id}", _external=True)
        entry.guid(link, permalink=True)
        label = gettext("Maintenance")
        entry.title(_clean(f"[{label} {_when(window.starts)} - {_when(window.ends)} UTC] {window.title}"))
        entry.link(href=link)
        _describe(entry, window.message)
    entry.published(_aware(timestamp))
    entry.updated(_aware(timestamp))


def history_response(endpoint, kind):
    """The incident history at Statuspage's feed paths, as RSS or Atom: one entry per incident,
    newest first, its updates as plain text (the newest FEED_SIZE; one lookup: the notices)."""
    method, mimetype = FORMATS[kind]
    body = getattr(_history(endpoint), method)(pretty=True)
    return Response(body, mimetype=mimetype, content_type=f"{mimetype}; charset=utf-8")


def _history(endpoint):
    """The feed of the newest incidents, each entry updated at its newest update."""
    _, incidents, _ = Snapshot.cards_and_notices()
    incidents = incidents[:FEED_SIZE]
    site = current_app.config["SITE_NAME"]
    feed = FeedGenerator()
    feed.id(url_for(endpoint, _external=True))
    feed.title(_clean(gettext("%(site)s status - incident history", site=site)))
    feed.description(gettext("Incidents of %(site)s, newest first.", site=site))
    feed.author({"name": site})
    feed.link(href=url_for("site.history", _external=True), rel="alternate")
    feed.link(href=url_for(endpoint, _external=True), rel="self")
    feed.language(tag(get_locale()))
    feed.updated(_aware(max(incident.updated for incident in incidents)) if incidents
                 else datetime.datetime.now(datetime.UTC))
    for incident in incidents:
        link = url_for("site.incident", incident_id=incident.incident_id, _external=True)
        entry = feed.add_entry(order="append")
        entry.guid(link, permalink=True)
        entry.title(_clean(incident.title))
        entry.link(href=link)
        told = [labelled(f"{gettext(update.state.title())} ({_when(update.at)} UTC)", update.message)
                for update in incident.timeline]
        if incident.postmortem:
            told.insert(0, labelled(gettext("Postmortem"), incident.postmortem))
        _describe(entry, "\n\n".join(told))
        entry.published(_aware(incident.started))
        entry.updated(_aware(incident.updated))
    return feed
