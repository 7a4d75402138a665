"""Services: the things a status page reports on (Web API, Website, …)."""

import dataclasses
import datetime

from google.cloud import ndb

from models.base import SluggedModel, ours
from models.board_index import BoardMembers, BoardRow
from models.service_list import ServiceList
from models.times import utcnow


@dataclasses.dataclass(frozen=True)
class LatestEvent:
    """A service's newest event as kept on the service: what the board shows without loading events.

    Ids, not keys: a board shows hundreds of these, and keys are costly to make.
    """

    service_id: str
    sid: str
    message: str
    timestamp: datetime.datetime
    status_id: str
    informational: bool

    @classmethod
    def of(cls, event):
        """The summary of an Event entity."""
        return cls(event.service_id, event.sid, event.message, event.timestamp, event.status_id,
                   bool(event.informational))

    @classmethod
    def from_json(cls, service_id, value):
        """The summary as stored on a service (None for none)."""
        if not value:
            return None
        return cls(service_id, value["sid"], value["message"], datetime.datetime.fromisoformat(value["timestamp"]),
                   value["status"], value["informational"])

    def to_json(self):
        """How it is stored on the service."""
        return {
            "sid": self.sid,
            "message": self.message,
            "timestamp": self.timestamp.isoformat(),
            "status": self.status_id,
            "informational": self.informational,
        }


class Service(SluggedModel):
    """A service; the key id is the slug of its name at creation and never changes.

    The newest event, the ids of the newest few, the current status and the per-day
    history rollups are kept on the service itself, updated in the same transaction as
    its events, so reading the board or a feed needs no event query.
    """

    LABEL = "service"
    # Derived from the events, whose own audit entries say what changed.
    NOT_AUDITED = ("latest", "recent", "days")
    # How many of its newest events a service lists by id: enough for its page and the feeds.
    RECENT = 50

    @classmethod
    def cache_purges(cls, key):
        """A change of a service shows on the board-wide answers and on its own."""
        return ("board", f"service:{key.id()}")

    service_list = ndb.KeyProperty(kind="ServiceList")
    current_status = ndb.KeyProperty(kind="Status", indexed=False)
    latest = ndb.JsonProperty()
    # [[sid, ISO timestamp], …] of its newest events, newest first: its page and the feeds read these.
    recent = ndb.JsonProperty()
    days = ndb.JsonProperty()
    # Statuspage's component options: left off the public pages while operational; shown on the
    # front page and /summary (False: only on its own pages and in the APIs). Unset on older services: the defaults.
    only_show_if_degraded = ndb.BooleanProperty(default=False, indexed=False)
    showcase = ndb.BooleanProperty(default=True, indexed=False)
    created = ndb.DateTimeProperty(required=True)
    updated = ndb.DateTimeProperty(required=True)

    def status_key(self, default_key):
        """The current status: the newest non-informational event's, else the default."""
        return self.current_status or default_key

    @property
    def latest_event(self):
        """The newest event (informational or not) as a LatestEvent, or None."""
        return LatestEvent.from_json(self.slug, self.latest)

    @classmethod
    def ordered(cls):
        """Every service, by name."""
        return ours(cls.query().order(cls.name).fetch())

    @classmethod
    def ordered_by_id(cls):
        """Every service, by id (a stable order to walk the board in and resume from)."""
        return cls.query_ours().fetch()

    @classmethod
    def ids(cls):
        """Every service's id, in one keys-only query."""
        return [key.id() for key in cls.query_ours().fetch(keys_only=True)]

    @classmethod
    @ndb.tasklet
    def ordered_async(cls):
        """Every service, by name, as a future (to load alongside other reads)."""
        services = yield cls.query().order(cls.name).fetch_async()
        return ours(services)

    @classmethod
    def none_yet(cls):
        """Whether the board has no service at all."""
        return not cls.query_ours().count(limit=1)

    @classmethod
    def in_list(cls, list_key):
        """The services of one list, by name."""
        return sorted(cls.query(cls.service_list == list_key).fetch(), key=lambda s: s.name)

    @classmethod
    def create(cls, name, description, list_id=None, only_show_if_degraded=False, showcase=True):
        """Add a service; a taken slug is a Conflict, an unknown list InvalidInput."""
        fields = cls.clean_names({"name": name, "description": description}, required=True)
        now = utcnow()
        return cls.insert(
            {**fields, "service_list": ServiceList.key_for_input(list_id), "created": now, "updated": now,
             "only_show_if_degraded": bool(only_show_if_degraded), "showcase": bool(showcase)},
            then=cls.join_board,
        )

    @staticmethod
    def join_board(service):
        """Put a new service's board row and add it to the board's members, in its creation's transaction."""
        BoardRow.write([service])
        BoardMembers.change(added=[service.slug])

    def update(self, **changes):
        """Change any of name, description, list (empty list removes it from its list), only_show_if_degraded,
        showcase."""
        fields = self.clean_names(changes)
        fields.update({flag: bool(changes[flag]) for flag in ("only_show_if_degraded", "showcase") if flag in changes})
        if "list" in changes:
            fields["service_list"] = ServiceList.key_for_input(changes["list"])
        return self.modify({**fields, "updated": utcnow()}, then=lambda service: BoardRow.write([service]))

    def delete(self):
        """Remove the service and everything below it (its events) in one transaction."""

        def delete_children(service):
            keys = [key for key in ndb.Query(ancestor=service.key).fetch(keys_only=True) if key != service.key]
            ndb.delete_multi(keys)  # its board row among them
            BoardMembers.change(removed=[service.slug])
            return {"events_deleted": len(keys)}

        return self.remove(then=delete_children)
