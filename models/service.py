"""Services: the things a status page reports on (Web API, Website, …)."""

import datetime

from google.cloud import ndb

from models.audit import AuditEntry, snapshot
from models.errors import Conflict, NotFound
from models.fields import DESCRIPTION_MAX, NAME_MAX, clean_text, get_by_slug, slug_for
from models.service_list import ServiceList


def utcnow():
    """Naive UTC now, with microseconds: how the board stores times."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class Service(ndb.Model):
    """A service; the key id is the slug of its name at creation and never changes.

    The newest event and the current status are kept on the service itself, updated
    in the same transaction as the events, so reading the board needs no event query.
    """

    name = ndb.StringProperty(required=True)
    description = ndb.TextProperty()
    service_list = ndb.KeyProperty(kind="ServiceList")
    current_event = ndb.KeyProperty(kind="Event", indexed=False)
    current_status = ndb.KeyProperty(kind="Status", indexed=False)
    created = ndb.DateTimeProperty(required=True)
    updated = ndb.DateTimeProperty(required=True)

    @property
    def slug(self):
        """The service id used in URLs and the API."""
        return self.key.id()

    def status_key(self, default_key):
        """The current status: the newest non-informational event's, else the default."""
        return self.current_status or default_key

    @classmethod
    def ordered(cls):
        """Every service, by name."""
        return cls.query().order(cls.name).fetch()

    @classmethod
    def in_list(cls, list_key):
        """The services of one list, by name."""
        return sorted(cls.query(cls.service_list == list_key).fetch(), key=lambda s: s.name)

    @classmethod
    def get_or_404(cls, slug):
        """The service `slug`, or NotFound."""
        return get_by_slug(cls, slug, "service")

    @classmethod
    def create(cls, name, description, list_id=None):
        """Add a service; a taken slug is a Conflict, an unknown list InvalidInput."""
        name = clean_text(name, "name", NAME_MAX)
        description = clean_text(description, "description", DESCRIPTION_MAX)
        list_key = ServiceList.key_for_input(list_id)
        key = ndb.Key(cls, slug_for(name))

        @ndb.transactional()
        def txn():
            if key.get() is not None:
                raise Conflict(f"A service with id '{key.id()}' already exists.")
            now = utcnow()
            service = cls(
                key=key,
                name=name,
                description=description,
                service_list=list_key,
                created=now,
                updated=now,
            )
            service.put()
            AuditEntry.record("create", key, after=snapshot(service))
            return service

        return txn()

    def update(self, **changes):
        """Change any of name, description, list (empty list removes it from its list)."""
        fields = {}
        if "name" in changes:
            fields["name"] = clean_text(changes["name"], "name", NAME_MAX)
        if "description" in changes:
            fields["description"] = clean_text(changes["description"], "description", DESCRIPTION_MAX)
        if "list" in changes:
            fields["service_list"] = ServiceList.key_for_input(changes["list"])
        key = self.key

        @ndb.transactional()
        def txn():
            service = key.get()
            if service is None:
                raise NotFound(f"No service '{key.id()}'.")
            before = snapshot(service)
            service.populate(updated=utcnow(), **fields)
            service.put()
            AuditEntry.record("update", key, before=before, after=snapshot(service))
            return service

        return txn()

    def delete(self):
        """Remove the service and all its events in one transaction."""
        from models.event import Event

        key = self.key

        @ndb.transactional()
        def txn():
            service = key.get()
            if service is None:
                raise NotFound(f"No service '{key.id()}'.")
            event_keys = Event.query(ancestor=key).fetch(keys_only=True)
            ndb.delete_multi(event_keys + [key])
            before = snapshot(service)
            before["events_deleted"] = len(event_keys)
            AuditEntry.record("delete", key, before=before)
            return service

        return txn()

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
