"""Scheduled maintenance: a window (start, end, services, message) announced ahead.

At its start the affected services move to the maintenance status and at its end
back to what they had, each as that service's event. App Engine's cron calls
`run_due` every minute; each move is one transaction that re-reads the window and
does nothing when it has already moved, so running it twice changes nothing more.

Admins post free-text updates, which may move it on (start it early, say the work is done
and being verified, complete it early). The clock starts a scheduled window and completes an
in-progress or verifying one at its end; it never moves a window back, nor out of verifying
before its end. Readers are told each step once (announced, reminded `remind_minutes` before
its start, started, each update, completed or cancelled): the window's `told` records what
was said, in the same transaction as the outbox notification that says it.
"""

import datetime
import functools

from dateutil import parser as dateparser
from google.cloud import ndb

from models import audit, outbox
from models.errors import Conflict, InvalidInput, NotFound
from models.event import Event
from models.fields import MESSAGE_MAX, clean_text, numeric_id
from models.incident import TITLE_MAX, Update, clean_choice, clean_services
from models.notices import OPEN_MAINTENANCE, Notices
from models.service import Service
from models.status import Status
from models.times import utcnow

STATES = ("scheduled", "in_progress", "verifying", "completed", "cancelled")
MAINTENANCE_STATUS = "maintenance"
LONGEST = datetime.timedelta(days=31)
REMIND_MINUTES = 60
REMIND_MAX = 7 * 24 * 60
UPDATES_MAX = 100
# How often the cron tries one window's move that keeps colliding with another run's.
CRON_ATTEMPTS = 4
# The states an update may give a window in each open state: forward, or back from verifying to
# work (cancelling has its own call, and nothing goes back to scheduled).
NEXT_STATES = {
    "scheduled": ("scheduled", "in_progress"),
    "in_progress": ("in_progress", "verifying", "completed"),
    "verifying": ("verifying", "in_progress", "completed"),
}
# What readers hear as a window reaches each state (the `told` record names these).
TOLD_AS = {"scheduled": "announced", "in_progress": "started", "verifying": "verifying", "completed": "completed",
           "cancelled": "cancelled"}


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


def clean_remind(value):
    """Minutes before the start to remind readers (0: no reminder); none given is REMIND_MINUTES."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return REMIND_MINUTES
    text = str(value).strip()
    if isinstance(value, bool) or not text.isascii() or not text.isdigit() or int(text[:8]) > REMIND_MAX:
        raise InvalidInput(f"'remind_minutes' must be a whole number of minutes from 0 (no reminder) to "
                           f"{REMIND_MAX} (a week): {text[:20]!r} is not.")
    return int(text)


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
    remind_minutes = ndb.IntegerProperty(default=REMIND_MINUTES, indexed=False)  # 0: no reminder
    updates = ndb.JsonProperty()  # [{"state", "message", "at"}], oldest first
    told = ndb.JsonProperty()  # [what readers were told: "announced", "reminder", "update-1", …]

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

    @property
    def name(self):
        """The title, as the admin's shared form pages name an entity."""
        return self.title

    @property
    def timeline(self):
        """The free-text updates, newest first."""
        return [Update(n, u["state"], u["message"], datetime.datetime.fromisoformat(u["at"]), [])
                for n, u in reversed(list(enumerate(self.updates or [], 1)))]

    def reminder_due(self, now):
        """Whether readers are to be reminded now: scheduled, inside its reminder period, not reminded
        yet, and announced before that period began (else the announcement itself is the reminder)."""
        if self.state != "scheduled" or not self.remind_minutes or "reminder" in (self.told or []):
            return False
        remind_at = self.starts - datetime.timedelta(minutes=self.remind_minutes)
        return self.created < remind_at <= now < self.starts

    def due(self, now):
        """Whether the cron has something to do with this window now: remind, start or end it."""
        if self.state == "scheduled":
            return self.starts <= now or self.reminder_due(now)
        return self.state in OPEN_MAINTENANCE and self.ends <= now

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
            "remind_minutes": self.remind_minutes, "updates": self.updates or [], "told": list(self.told or []),
        }

    @classmethod
    def from_json(cls, value):
        """A Maintenance (not stored) from the notices' copy."""
        moment = datetime.datetime.fromisoformat
        return cls(key=ndb.Key(cls, int(value["id"])), title=value["title"], message=value["message"],
                   services=value["services"], names=value["names"], starts=moment(value["starts"]),
                   ends=moment(value["ends"]), state=value["state"], created=moment(value["created"]),
                   updated=moment(value["updated"]), remind_minutes=value.get("remind_minutes", REMIND_MINUTES),
                   updates=value.get("updates") or [], told=value.get("told") or [])

    # --- writes ------------------------------------------------------------------

    @classmethod
    def schedule(cls, title, message, services, starts, ends, remind_minutes=None):
        """Announce a window over `services` (ids) from `starts` to `ends` (ends in the future),
        reminding readers `remind_minutes` before it starts (default REMIND_MINUTES; 0: never)."""
        title = clean_text(title, "title", TITLE_MAX)
        remind = clean_remind(remind_minutes)
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
                     starts=starts, ends=ends, state="scheduled", held={}, created=now, updated=now,
                     remind_minutes=remind, updates=[], told=[])
        audit.insert(window, cls.LABEL, then=_announce_new)
        return window

    def cancel(self):
        """Call off a scheduled window; one in progress ends now, its services back as they were."""

        def apply(window):
            if window.state not in OPEN_MAINTENANCE:
                raise Conflict(f"This maintenance is already {window.state.replace('_', ' ')}.")
            if window.state in ("in_progress", "verifying"):
                window.ends = utcnow()
                return _finish(window)
            window.state, window.updated = "cancelled", utcnow()
            _announce(window)
            return "update"

        return audit.change(self.key, self.LABEL, apply)

    def post_update(self, message, state=None):
        """Add a free-text update (its state defaults to the current one): in progress starts a
        scheduled window now, completed ends it now; readers are told the update, once."""
        message = clean_text(message, "message", MESSAGE_MAX, multiline=True)
        # None: the state it has when the update is written (the cron may have moved it since).
        wanted = clean_choice(state, "state", STATES[:-1]) if state is not None and str(state).strip() else None

        def apply(window):
            new, allowed = wanted or window.state, NEXT_STATES.get(window.state, ())
            now_word = window.state.replace("_", " ")
            if not allowed:
                raise Conflict(f"This maintenance is {now_word}: it takes no more updates.")
            if new not in allowed:
                raise Conflict(f"This maintenance is {now_word}: an update may make it "
                               f"{' or '.join(s.replace('_', ' ') for s in allowed)}, not {new.replace('_', ' ')}.")
            if len(window.updates or []) >= UPDATES_MAX:
                raise InvalidInput(f"A maintenance takes at most {UPDATES_MAX} updates.")
            now, starting = utcnow(), window.state == "scheduled" and new == "in_progress"
            window.updates = [*(window.updates or []), {"state": new, "message": message, "at": now.isoformat()}]
            window.state, window.updated = new, now
            if starting:
                window.starts = now
            if new == "completed":
                window.ends = min(window.ends, now)
            # The update is what readers hear of the step it makes: the step is not told again.
            _tell(window, f"update-{len(window.updates)}")
            window.told = list(dict.fromkeys([*window.told, TOLD_AS[new]]))
            if starting:
                return _start(window)
            if new == "completed":
                return _finish(window)
            Notices.keep_maintenance(window)
            return "update"

        return audit.change(self.key, self.LABEL, apply)

    @classmethod
    def run_due(cls):
        """Remind readers of windows about to start, start the windows whose time has come and end
        those whose time is up (the cron job).

        Answers [(id, "reminded" | "started" | "completed")] of what it did: nothing on a second run.
        """
        notices = Notices.key_for().get() or Notices()
        due = [entry for entry in notices.maintenances or [] if cls.from_json(entry).due(utcnow())]
        if due:
            maintenance_status()  # added, if need be, before any window's transaction reads it
        moved = []
        for entry in due:
            how = []
            key = ndb.Key(cls, int(entry["id"]))
            audit.contended(lambda: audit.change(key, cls.LABEL, functools.partial(_move, how)), CRON_ATTEMPTS)
            if how:
                moved.append((entry["id"], how[-1]))
        return moved


def _move(how, window):
    """Remind of, start or end `window` when its time has come (in its transaction), saying so in
    `how`; nothing when it has already moved."""
    how.clear()  # a retried transaction says only what its last attempt did
    now = utcnow()
    if window.reminder_due(now):
        how.append("reminded")
        _tell(window, "reminder")
        return "update"
    if window.state == "scheduled" and window.starts <= now:
        if now >= window.ends:  # the whole window passed unseen: nothing to flip back and forth
            how.append("completed")
            window.state, window.updated = "completed", now
            _announce(window)
            return "update"
        how.append("started")
        return _start(window)
    if window.state in ("in_progress", "verifying") and window.ends <= now:
        how.append("completed")
        return _finish(window)
    return None


def _announce(window):
    """Keep the window in the notices and tell readers the state it reached (both in the
    window's transaction): announced, started, completed or cancelled."""
    Notices.keep_maintenance(window)
    _tell(window, TOLD_AS[window.state])


def _announce_new(window):
    """Announce a window just stored, and store what that told (in its transaction)."""
    _announce(window)
    window.put()


def _tell(window, told):
    """Tell subscribers `told` ("announced", "reminder", "update-3", …) of the window unless it was
    told before, and record it in the window's `told`, in the transaction that writes the window:
    so each is told once, however often (or at once) the cron runs."""
    if told in (window.told or []):
        return
    window.told = [*(window.told or []), told]
    update = window.updates[-1] if told.startswith("update-") else None
    lead = f"Maintenance update ({update['state'].replace('_', ' ')})" if update else f"Maintenance {told}"
    outbox.enqueue("maintenance", {
        "type": "maintenance",
        "summary": f"{lead}: {window.title} ({window.starts:%-d %b %Y %H:%M} to "
                   f"{window.ends:%-d %b %Y %H:%M} UTC). {update['message'] if update else window.message}",
        "told": told,
        "maintenance": {"id": window.maintenance_id, "title": window.title, "state": window.state,
                        "message": window.message, "services": list(window.services),
                        "scheduled_for": window.starts.isoformat() + "Z",
                        "scheduled_until": window.ends.isoformat() + "Z"},
        **({"update": {"number": len(window.updates), "state": update["state"], "message": update["message"],
                       "at": update["at"] + "Z"}} if update else {}),
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
