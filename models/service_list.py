"""Service lists: named groups of services (Core, Messaging, …)."""

from google.cloud import ndb

from models.audit import AuditEntry, snapshot
from models.base import SluggedModel
from models.board_index import BoardRow
from models.errors import InvalidInput, NotFound
from models.fields import get_by_slug


class ServiceList(SluggedModel):
    """A group of services; the key id is the slug of its name."""

    LABEL = "service list"

    @classmethod
    def ordered(cls):
        """Every list, by name."""
        return cls.query().order(cls.name).fetch()

    @classmethod
    def key_for_input(cls, value):
        """The key a service's `list` field names: None for empty, InvalidInput if unknown."""
        if value is None or not str(value).strip():
            return None
        try:
            return get_by_slug(cls, str(value).strip(), cls.LABEL).key
        except NotFound as error:
            raise InvalidInput(f"Unknown service list: {error.message.removeprefix('No service list ')}") from error

    @classmethod
    def create(cls, name, description):
        """Add a list; a taken slug is a Conflict."""
        return cls.insert(cls.clean_names({"name": name, "description": description}, required=True))

    def update(self, **changes):
        """Change the name or description."""
        return self.modify(self.clean_names(changes))

    def delete(self):
        """Remove the list; its services stay, with no list, in the same transaction."""

        def release_services(service_list):
            # Services point at lists, never the other way: find them by kind name.
            members = ndb.Query(kind="Service", filters=ndb.FilterNode("service_list", "=", service_list.key)).fetch()
            for service in members:
                before = snapshot(service)
                service.service_list = None
                service.put()
                AuditEntry.record("update", service.key, before=before, after=snapshot(service))
            BoardRow.write(members)

        return self.remove(then=release_services)
