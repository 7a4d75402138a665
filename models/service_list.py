"""Service lists: named groups of services (Core, Messaging, …)."""

from google.cloud import ndb

from models.audit import AuditEntry, snapshot
from models.errors import Conflict, InvalidInput, NotFound
from models.fields import DESCRIPTION_MAX, NAME_MAX, clean_text, get_by_slug, slug_for


class ServiceList(ndb.Model):
    """A group of services; the key id is the slug of its name."""

    name = ndb.StringProperty(required=True)
    description = ndb.TextProperty()

    @property
    def slug(self):
        """The list id used in URLs and the API."""
        return self.key.id()

    @classmethod
    def ordered(cls):
        """Every list, by name."""
        return cls.query().order(cls.name).fetch()

    @classmethod
    def get_or_404(cls, slug):
        """The list `slug`, or NotFound."""
        return get_by_slug(cls, slug, "service list")

    @classmethod
    def key_for_input(cls, value):
        """The key a service's `list` field names: None for empty, InvalidInput if unknown."""
        if value is None or not str(value).strip():
            return None
        try:
            return get_by_slug(cls, str(value).strip(), "service list").key
        except NotFound as error:
            raise InvalidInput(f"Unknown service list: {error.message.removeprefix('No service list ')}") from error

    @classmethod
    def create(cls, name, description):
        """Add a list; a taken slug is a Conflict."""
        name = clean_text(name, "name", NAME_MAX)
        description = clean_text(description, "description", DESCRIPTION_MAX)
        key = ndb.Key(cls, slug_for(name))

        @ndb.transactional()
        def txn():
            if key.get() is not None:
                raise Conflict(f"A service list with id '{key.id()}' already exists.")
            service_list = cls(key=key, name=name, description=description)
            service_list.put()
            AuditEntry.record("create", key, after=snapshot(service_list))
            return service_list

        return txn()

    def update(self, **changes):
        """Change the name or description."""
        fields = {}
        if "name" in changes:
            fields["name"] = clean_text(changes["name"], "name", NAME_MAX)
        if "description" in changes:
            fields["description"] = clean_text(changes["description"], "description", DESCRIPTION_MAX)
        key = self.key

        @ndb.transactional()
        def txn():
            service_list = key.get()
            if service_list is None:
                raise NotFound(f"No service list '{key.id()}'.")
            before = snapshot(service_list)
            service_list.populate(**fields)
            service_list.put()
            AuditEntry.record("update", key, before=before, after=snapshot(service_list))
            return service_list

        return txn()

    def delete(self):
        """Remove the list; its services stay, with no list, in the same transaction."""
        from models.service import Service

        key = self.key

        @ndb.transactional()
        def txn():
            service_list = key.get()
            if service_list is None:
                raise NotFound(f"No service list '{key.id()}'.")
            for service in Service.in_list(key):
                before = snapshot(service)
                service.service_list = None
                service.put()
                AuditEntry.record("update", service.key, before=before, after=snapshot(service))
            key.delete()
            AuditEntry.record("delete", key, before=snapshot(service_list))
            return service_list

        return txn()

    def to_dict(self, url):
        """The API's List object."""
        return {
            "id": self.slug,
            "name": self.name,
            "description": self.description or "",
            "url": url("service_list", list_id=self.slug),
        }
