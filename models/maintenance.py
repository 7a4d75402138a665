"""Scheduled maintenance: a window (start, end, services, message) announced ahead.

At its start the affected services move to the maintenance status and at its end
back to what they had, each as that service's event. App Engine's cron calls
`run_due` every minute; each move is one transaction that re-reads the window and
does nothing when it has already moved, so running it twice changes nothing more.
"""

import datetime
import functools

from dateutil import parser as dateparser
from google.cloud import ndb

from models import audit, outbox
from models.errors import Conflict, InvalidInput, NotFound
from models.event import Event
from models.fields import MESSAGE_MAX, clean_text, numeric_id
from models.incident import TITLE_MAX, clean_services
from models.notices import OPEN_MAINTENANCE, Notices
from models.service import Service
from models.status import Status
from models.times import utcnow

STATES = ("scheduled", "in_progress", "completed", "cancelled")
MAINTENANCE_STATUS = "maintenance"
LONGEST = datetime.timedelta(days=31)


def clean_moment(value, field):
    """A date and time (ISO 8601 or RFC 2822; with an offset, or UTC) as naive UTC."""
    if isinstance(value, datetime.datetime):
        moment = value
    else:
        if value is None or not str(value).strip():
            raise InvalidInput(f"'{field}' is required: a date and time, such as 2026-11-23T14:00:00Z.")
        try:
            moment = dateparser.parse(str(value))
        except (ValueError, OverflowError) as error:
            raise InvalidInput(f"'{field}' is not a date and time I can read: {str(value)[:60]!r}.") from error
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(datetime.UTC).replace(tzinfo=None)
        except (ValueError, OverflowError) as error:
            raise InvalidInput(f"'{field}' is out of range.") from error
    return moment


def maintenance_status():
    """The status services show during maintenance, added (Maintenance, wrench) if the board has none."""
    status = Status.get_by_id(MAINTENANCE_STATUS)
    if status is None:
        status = Status.create("Maintenance", "Planned work: the service may be unavailable.", "wrench",
                               level="WARNING")
    return status


class Maintenance(ndb.Model):
    """A maintenance window; `held` keeps each service's status from before it began."""

    LABEL = "maintenance"

    title = ndb.StringProperty(required=True)
    message = ndb.TextProperty(required=True)
    services = ndb.StringProperty(repeated=True)
    names = ndb.JsonProperty()
    starts = ndb.DateTimeProperty(required=True)
    ends = ndb.DateTimeProperty(required=True, indexed=False)
    state = ndb.StringProperty(required=True, choices=STATES)
    held = ndb.JsonProperty()  # {service id: status id before the window (None: the default)}
    created = ndb.DateTimeProperty(required=True, indexed=False)
    updated = ndb.DateTimeProperty(required=True, indexed=False)

    @classmethod
    def cache_purges(cls, key):
        """A maintenance window shows on the board-wide answers only."""
        return ("board",)

    @property
    def maintenance_id(self):
        """The id in URLs and in both APIs: digits."""
        return str(self.key.id())

    def name_of(self, service_id):
        """The affected service's name as the window recorded it."""
        return (self.names or {}).get(service_id, service_id)

    @classmethod
    def get_or_404(cls, maintenance_id):
        """The window with this id, or NotFound."""
        number = numeric_id(maintenance_id)
        window = ndb.Key(cls, number).get() if number is not None else None
        if window is None:
            raise NotFound(f"No maintenance '{str(maintenance_id)[:60]}'.")
        return window

    @classmethod
    def newest(cls, limit=100):
        """Windows by start, latest first (the admin's list)."""
        return cls.query().order(-cls.starts).fetch(limit)

    def to_json(self):
        """The window as the notices keep it."""
        return {
            "id": self.maintenance_id, "title": self.title, "message": self.message, "services": list(self.services),
            "names": self.names or {}, "starts": self.starts.isoformat(), "ends": self.ends.isoformat(),
            "state": self.state, "created": self.created.isoformat(), "updated": self.updated.isoformat(),
        }

    @classmethod
    def from_json(cls, value):
        """A Maintenance (not stored) from the notices' copy."""
        moment = datetime.datetime.fromisoformat
        return cls(key=ndb.Key(cls, int(value["id"])), title=value["title"], message=value["message"],
                   services=value["services"], names=value["names"], starts=moment(value["starts"]),
                   ends=moment(value["ends"]), state=value["state"], created=moment(value["created"]),
                   updated=moment(value["updated"]))

    # --- writes ------------------------------------------------------------------

    @classmethod
    def schedule(cls, title, message, services, starts, ends):
        """Announce a window over `services` (ids) from `starts` to `ends` (ends in the future)."""
        title = clean_text(title, "title", TITLE_MAX)
        message = clean_text(message, "message", MESSAGE_MAX, multiline=True)
        affected = clean_services(services)
        starts, ends = clean_moment(starts, "starts"), clean_moment(ends, "ends")
        now = utcnow()
        if ends <= starts:
            raise InvalidInput("'ends' must be after 'starts'.")
        if ends <= now:
            raise InvalidInput("'ends' is in the past: a window must end in the future.")
        if ends - starts > LONGEST:
            raise InvalidInput(f"A window lasts at most {LONGEST.days} days.")
        maintenance_status()
        window = cls(key=ndb.Key(cls, cls.allocate_ids(1)[0].id()), title=title, message=message,
                     services=[s.slug for s in affected], names={s.slug: s.name for s in affected},
                     starts=starts, ends=ends, state="scheduled", held={}, created=now, updated=now)
        audit.insert(window, cls.LABEL, then=_announce)
        return window

    def cancel(self):
        """Call off a scheduled window; one in progress ends now, its services back as they were."""

        def apply(window):
            if window.state not in OPEN_MAINTENANCE:
                raise Conflict(f"This maintenance is already {window.state.replace('_', ' ')}.")
            if window.state == "in_progress":
                window.ends = utcnow()
                return _finish(window)
            window.state, window.updated = "cancelled", utcnow()
            _announce(window)
            return "update"

        return audit.change(self.key, self.LABEL, apply)

    @classmethod
    def run_due(cls):
        """Start the windows whose time has come and end those whose time is up (the cron job).

        Answers [(id, "started" | "completed")] of what it moved: nothing on a second run.
        """
        notices = Notices.key_for().get() or Notices()
        moved = []
        for entry in notices.maintenances or []:
            if entry["state"] not in OPEN_MAINTENANCE:
                continue
            if datetime.datetime.fromisoformat(entry["starts"]) > utcnow():
                continue
            how = []
            audit.change(ndb.Key(cls, int(entry["id"])), cls.LABEL, functools.partial(_move, how))
            if how:
                moved.append((entry["id"], how[-1]))
        return moved


def _move(how, window):
    """Start or end `window` when its time has come (in its transaction), saying so in `how`;
    nothing when it has already moved."""
    now = utcnow()
    if window.state == "scheduled" and window.starts <= now:
        if now >= window.ends:  # the whole window passed unseen: nothing to flip back and forth
            how.append("completed")
            window.state, window.updated = "completed", now
            Notices.keep_maintenance(window)
            return "update"
        how.append("started")
        return _start(window)
    if window.state == "in_progress" and window.ends <= now:
        how.append("completed")
        return _finish(window)
    return None


def _announce(window):
    """Keep the window in the notices and tell subscribers where it stands (both in the
    window's transaction): announced, started, completed or cancelled."""
    Notices.keep_maintenance(window)
    word = {"scheduled": "announced", "in_progress": "started"}.get(window.state, window.state)
    outbox.enqueue("maintenance", {
        "type": "maintenance",
        "summary": f"Maintenance {word}: {window.title} ({window.starts:%-d %b %Y %H:%M} to "
                   f"{window.ends:%-d %b %Y %H:%M} UTC). {window.message}",
        "maintenance": {"id": window.maintenance_id, "title": window.title, "state": window.state,
                        "message": window.message, "services": list(window.services),
                        "scheduled_for": window.starts.isoformat() + "Z",
                        "scheduled_until": window.ends.isoformat() + "Z"},
    })


def _start(window):
    """Move the window's services to the maintenance status, keeping what they had."""
    status = maintenance_status().slug
    done = Event.post_each([(ndb.Key(Service, service_id), status) for service_id in window.services],
                           f"Maintenance started: {window.title}",
                           only_if=lambda service: not service.current_status or service.current_status.id() != status)
    window.held = {service.slug: old for service, old, _ in done}
    window.state, window.updated = "in_progress", utcnow()
    _announce(window)
    return "update"


def _finish(window):
    """Give the window's services back what they had, unless someone changed them meanwhile."""
    default = Status.default_key()
    held = window.held or {}
    back = [(ndb.Key(Service, service_id), old or (default.id() if default else None))
            for service_id, old in held.items()]
    back = [(key, status_id) for key, status_id in back if status_id and Status.get_by_id(status_id)]
    Event.post_each(back, f"Maintenance completed: {window.title}",
                    only_if=lambda service: service.current_status is not None
                    and service.current_status.id() == MAINTENANCE_STATUS)
    window.state, window.updated = "completed", utcnow()
    _announce(window)
    return "update"
