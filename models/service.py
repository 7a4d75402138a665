"""Services: the things a status page reports on (Web API, Website, …)."""

from google.cloud import ndb

from models.base import SluggedModel
from models.service_list import ServiceList
from models.times import utcnow


class Service(SluggedModel):
    """A service; the key id is the slug of its name at creation and never changes.

    The newest event and the current status are kept on the service itself, updated
    in the same transaction as the events, so reading the board needs no event query.
    """

    LABEL = "service"

    service_list = ndb.KeyProperty(kind="ServiceList")
    current_event = ndb.KeyProperty(kind="Event", indexed=False)
    current_status = ndb.KeyProperty(kind="Status", indexed=False)
    created = ndb.DateTimeProperty(required=True)
    updated = ndb.DateTimeProperty(required=True)

    def status_key(self, default_key):
        """The current status: the newest non-informational event's, else the default."""
        return self.current_status or default_key

    @classmethod
    def ordered(cls):
        """Every service, by name."""
        return cls.query().order(cls.name).fetch()

    @classmethod
    def none_yet(cls):
        """Whether the board has no service at all."""
        return not cls.query().count(limit=1)

    @classmethod
    def in_list(cls, list_key):
        """The services of one list, by name."""
        return sorted(cls.query(cls.service_list == list_key).fetch(), key=lambda s: s.name)

    @classmethod
    def create(cls, name, description, list_id=None):
        """Add a service; a taken slug is a Conflict, an unknown list InvalidInput."""
        fields = cls.clean_names({"name": name, "description": description}, required=True)
        now = utcnow()
        return cls.insert(
            {**fields, "service_list": ServiceList.key_for_input(list_id), "created": now, "updated": now}
        )

    def update(self, **changes):
        """Change any of name, description, list (empty list removes it from its list)."""
        fields = self.clean_names(changes)
        if "list" in changes:
            fields["service_list"] = ServiceList.key_for_input(changes["list"])
        return self.modify({**fields, "updated": utcnow()})

    def delete(self):
        """Remove the service and all its events in one transaction."""
        from models.event import Event

        def delete_events(service):
            event_keys = Event.query(ancestor=service.key).fetch(keys_only=True)
            ndb.delete_multi(event_keys)
            return {"events_deleted": len(event_keys)}

        return self.remove(then=delete_events)

    def to_dict(self, url, current_event, service_list):
        """The API's Service object; the caller supplies the related objects as dicts."""
        return {
            "id": self.slug,
            "name": self.name,
            "description": self.description or "",
            "url": url("service", service_id=self.slug),
            "current-event": current_event,
            "list": service_list,
        }
