"""Incidents: a titled story about one or more services, told in updates from
investigating to resolved, with an optional postmortem.

An update may give affected services a new status: each such change is that service's
event (so the v1 API, the board and the history stay true), written in the same
transaction as the update, the incident's audit entry and its entry in the notices.
"""

import dataclasses
import datetime

from google.cloud import ndb

from models import audit, outbox
from models.errors import InvalidInput, NotFound
from models.event import Event
from models.fields import MESSAGE_MAX, SLUG, SLUG_MAX, clean_text, numeric_id
from models.notices import Notices
from models.service import Service
from models.status import Status
from models.times import utcnow

STATES = ("investigating", "identified", "monitoring", "resolved")
IMPACTS = ("none", "minor", "major", "critical")
# A service's level during an incident says how bad it is (Statuspage's impact).
LEVEL_IMPACT = {"NORMAL": "none", "WARNING": "minor", "ERROR": "major", "CRITICAL": "critical"}
TITLE_MAX = 200
POSTMORTEM_MAX = 20000
SERVICES_MAX = 20
UPDATES_MAX = 100


def clean_choice(value, field, allowed, default=None):
    """One of `allowed`, or `default` when none is given."""
    if value is None or not str(value).strip():
        if default is None:
            raise InvalidInput(f"'{field}' is required: one of {', '.join(allowed)}.")
        return default
    value = str(value).strip().lower()
    if value not in allowed:
        raise InvalidInput(f"'{field}' must be one of {', '.join(allowed)}.")
    return value


def clean_services(value):
    """Existing services named in a comma-separated text (or a list) of ids: at least one."""
    ids = value if isinstance(value, (list, tuple)) else str(value or "").split(",")
    ids = list(dict.fromkeys(item.strip() for item in ids if item and item.strip()))
    if not ids:
        raise InvalidInput("'services' is required: one or more service ids, comma-separated.")
    if len(ids) > SERVICES_MAX:
        raise InvalidInput(f"At most {SERVICES_MAX} services at once.")
    bad = [item for item in ids if len(item) > SLUG_MAX or not SLUG.match(item)]
    services = Service.get_multi(ndb.Key(Service, item) for item in ids if item not in bad)
    if bad or None in services:
        missing = bad[0] if bad else ids[services.index(None)]
        raise InvalidInput(f"Unknown service '{missing[:60]}' in 'services'.")
    return services


def clean_statuses(value, service_ids):
    """{service id: status id} from `service=status` pairs, comma-separated; only affected services."""
    if value is None or not str(value).strip():
        return {}
    pairs = {}
    for item in str(value).split(","):
        if not item.strip():
            continue
        service_id, sep, status_id = (part.strip() for part in item.partition("="))
        if not sep or not status_id:
            raise InvalidInput("'statuses' must be service=status pairs, comma-separated: web-api=down,email=up.")
        if service_id not in service_ids:
            raise InvalidInput(f"'statuses' names '{service_id[:60]}', which is not among the affected services.")
        if len(status_id) > SLUG_MAX or not SLUG.match(status_id) or Status.get_by_id(status_id) is None:
            raise InvalidInput(f"Unknown status '{status_id[:60]}' in 'statuses'.")
        pairs[service_id] = status_id
    return pairs


def change_statuses(statuses, message):
    """Post each {service id: status id} change as that service's event (in the caller's
    transaction); answers the changes as an update records them."""
    if not statuses:
        return []
    default = Status.default_key()
    changes = [(ndb.Key(Service, service_id), status_id) for service_id, status_id in statuses.items()]
    done = Event.post_each(changes, message)
    return [
        {"service": service.slug, "old": old or (default.id() if default else None), "new": event.status_id,
         "sid": event.sid}
        for service, old, event in done
    ]


@dataclasses.dataclass
class Update:
    """One update of an incident, as its timeline shows it."""

    number: int
    state: str
    message: str
    at: datetime.datetime
    changes: list


class Incident(ndb.Model):
    """An incident; its updates are kept on it, oldest first (an incident has few)."""

    LABEL = "incident"

    title = ndb.StringProperty(required=True)
    state = ndb.StringProperty(required=True, choices=STATES)
    impact = ndb.StringProperty(default="none", choices=IMPACTS)
    services = ndb.StringProperty(repeated=True)
    names = ndb.JsonProperty()  # {service id: its name when it was affected}
    started = ndb.DateTimeProperty(required=True)  # indexed: the history page's order
    updated = ndb.DateTimeProperty(required=True, indexed=False)
    resolved = ndb.DateTimeProperty(indexed=False)
    postmortem = ndb.TextProperty()
    updates = ndb.JsonProperty()  # [{"state", "message", "at", "changes": [{"service", "old", "new", "sid"}]}]

    @classmethod
    def cache_purges(cls, key):
        """A change of an incident shows on its page and on the board-wide answers that list it."""
        return ("board", f"incident:{key.id()}")

    @property
    def incident_id(self):
        """The id in URLs and in both APIs: digits."""
        return str(self.key.id())

    @property
    def name(self):
        """The title, as the admin's shared form pages name an entity."""
        return self.title

    @property
    def is_open(self):
        """Whether the incident is not resolved yet."""
        return self.state != "resolved"

    @property
    def timeline(self):
        """The updates, newest first."""
        return [
            Update(n, u["state"], u["message"], datetime.datetime.fromisoformat(u["at"]), u.get("changes", []))
            for n, u in reversed(list(enumerate(self.updates or [], 1)))
        ]

    def duration(self, now=None):
        """How long it lasted (so far, while open)."""
        return (self.resolved or now or utcnow()) - self.started

    def name_of(self, service_id):
        """The affected service's name as the incident recorded it."""
        return (self.names or {}).get(service_id, service_id)

    # --- reads -------------------------------------------------------------------

    @classmethod
    def key_for(cls, incident_id):
        """The key of incident `incident_id`; an id no incident could have is NotFound."""
        number = numeric_id(incident_id)
        if number is None:
            raise NotFound(f"No incident '{str(incident_id)[:60]}'.")
        return ndb.Key(cls, number)

    @classmethod
    def get_or_404(cls, incident_id):
        """The incident with this id, or NotFound."""
        incident = cls.key_for(incident_id).get()
        if incident is None:
            raise NotFound(f"No incident '{incident_id}'.")
        return incident

    @classmethod
    def past(cls, limit=200):
        """The newest `limit` incidents, newest first (the history page): one query."""
        return cls.query().order(-cls.started).fetch(limit)

    def to_json(self):
        """The incident as the notices keep it."""
        return {
            "id": self.incident_id, "title": self.title, "state": self.state, "impact": self.impact,
            "services": list(self.services), "names": self.names or {}, "started": self.started.isoformat(),
            "updated": self.updated.isoformat(), "resolved": self.resolved.isoformat() if self.resolved else None,
            "postmortem": self.postmortem, "updates": self.updates or [],
        }

    @classmethod
    def from_json(cls, value):
        """An Incident (not stored) from the notices' copy."""
        moment = datetime.datetime.fromisoformat
        return cls(key=ndb.Key(cls, int(value["id"])), title=value["title"], state=value["state"],
                   impact=value["impact"], services=value["services"], names=value["names"],
                   started=moment(value["started"]), updated=moment(value["updated"]),
                   resolved=moment(value["resolved"]) if value["resolved"] else None,
                   postmortem=value.get("postmortem"), updates=value["updates"])

    # --- writes ------------------------------------------------------------------

    @classmethod
    def open(cls, title, services, message, state=None, statuses=None, impact=None):
        """Open an incident about `services` (ids) with its first update; `statuses` (service=status
        pairs) gives affected services a new status, as their events, in the same transaction."""
        title = clean_text(title, "title", TITLE_MAX)
        message = clean_text(message, "message", MESSAGE_MAX, multiline=True)
        state = clean_choice(state, "state", STATES, default="investigating")
        affected = clean_services(services)
        statuses = clean_statuses(statuses, {service.slug for service in affected})
        impact = clean_choice(impact, "impact", IMPACTS, default="none") if impact else None
        now = utcnow()
        incident = cls(key=ndb.Key(cls, cls.allocate_ids(1)[0].id()), title=title, state=state,
                       services=[s.slug for s in affected], names={s.slug: s.name for s in affected},
                       started=now, updated=now, resolved=now if state == "resolved" else None)

        @ndb.transactional(retries=audit.TRANSACTION_RETRIES)
        def txn():
            changes = change_statuses(statuses, message)
            incident.updates = [{"state": state, "message": message, "at": now.isoformat(), "changes": changes}]
            incident.impact = impact or _impact_of(changes, "none")
            audit.insert(incident, cls.LABEL)
            Notices.keep_incident(incident)
            incident.announce()

        txn()
        return incident

    def post_update(self, message, state=None, statuses=None, impact=None):
        """Add an update (its state defaults to the current one); resolving stamps the end."""
        message = clean_text(message, "message", MESSAGE_MAX, multiline=True)
        state = clean_choice(state, "state", STATES, default=self.state)
        statuses = clean_statuses(statuses, set(self.services))
        impact = clean_choice(impact, "impact", IMPACTS) if impact else None

        def apply(incident):
            if len(incident.updates or []) >= UPDATES_MAX:
                raise InvalidInput(f"An incident takes at most {UPDATES_MAX} updates; open a new one.")
            now = utcnow()
            changes = change_statuses(statuses, message)
            incident.updates = [*(incident.updates or []),
                                {"state": state, "message": message, "at": now.isoformat(), "changes": changes}]
            incident.state, incident.updated = state, now
            incident.resolved = (incident.resolved or now) if state == "resolved" else None
            incident.impact = impact or _impact_of(changes, incident.impact)
            Notices.keep_incident(incident)
            incident.announce()
            return "update"

        return audit.change(self.key, self.LABEL, apply)

    def announce(self):
        """Tell subscribers of the newest update, in the caller's transaction (models/outbox.py)."""
        update = self.updates[-1]
        outbox.enqueue("incident", {
            "type": "incident",
            "summary": f"{self.title}: {update['state'].title()}. {update['message']}",
            "incident": {"id": self.incident_id, "title": self.title, "state": self.state, "impact": self.impact,
                         "services": list(self.services)},
            "update": {"number": len(self.updates), "state": update["state"], "message": update["message"],
                       "at": update["at"] + "Z",
                       "changes": update.get("changes", [])},
        })

    def edit(self, title=None, postmortem=None, impact=None):
        """Change the title, the postmortem (empty removes it) or the impact."""
        fields = {}
        if title is not None:
            fields["title"] = clean_text(title, "title", TITLE_MAX)
        if postmortem is not None:
            text = postmortem.strip() if isinstance(postmortem, str) else postmortem
            fields["postmortem"] = clean_text(text, "postmortem", POSTMORTEM_MAX, multiline=True) if text else None
        if impact is not None:
            fields["impact"] = clean_choice(impact, "impact", IMPACTS)
        if not fields:
            raise InvalidInput("Give at least one of: title, postmortem, impact.")

        def apply(incident):
            incident.populate(**fields, updated=utcnow())
            Notices.keep_incident(incident)
            return "update"

        return audit.change(self.key, self.LABEL, apply)

    def delete(self):
        """Remove the incident (a mistake); the services' events it posted stay in their history."""

        def apply(incident):
            Notices.keep_incident(incident, removed=True)
            return "delete"

        return audit.change(self.key, self.LABEL, apply)


def _impact_of(changes, impact):
    """`impact` raised to what the worst status among `changes` says."""
    levels = [status.level for status in Status.get_multi(ndb.Key(Status, c["new"]) for c in changes) if status]
    candidates = [impact] + [LEVEL_IMPACT[level] for level in levels]
    return max(candidates, key=IMPACTS.index)
