"""What services, statuses and lists share: a slug as key id, transactional audited writes."""

from google.cloud import ndb

from models.audit import AuditEntry, snapshot
from models.errors import Conflict, NotFound
from models.fields import DESCRIPTION_MAX, NAME_MAX, clean_text, get_by_slug, slug_for


class SluggedModel(ndb.Model):
    """An entity whose key id is the slug of its name at creation, so the datastore keeps it unique.

    Every write runs in a transaction that re-reads the entity and appends its audit entry;
    subclasses pass `check` (may refuse) and `then` (more writes in the same transaction).
    """

    LABEL = "entity"

    name = ndb.StringProperty(required=True)
    description = ndb.TextProperty()

    @property
    def slug(self):
        """The id used in URLs and the API."""
        return self.key.id()

    @classmethod
    def get_or_404(cls, slug):
        """The entity with this slug, or NotFound."""
        return get_by_slug(cls, slug, cls.LABEL)

    @staticmethod
    def clean_names(changes, required=False):
        """Checked `name` and `description` from `changes` (both needed when `required`)."""
        fields = {}
        for field, limit in (("name", NAME_MAX), ("description", DESCRIPTION_MAX)):
            if required or field in changes:
                fields[field] = clean_text(changes.get(field), field, limit)
        return fields

    @classmethod
    def insert(cls, fields, then=None):
        """Store a new entity keyed by the slug of fields["name"]; a taken slug is a Conflict."""
        key = ndb.Key(cls, slug_for(fields["name"]))

        @ndb.transactional()
        def txn():
            if key.get() is not None:
                raise Conflict(f"A {cls.LABEL} with id '{key.id()}' already exists.")
            entity = cls(key=key, **fields)
            entity.put()
            AuditEntry.record("create", key, after=snapshot(entity))
            if then:
                then(entity)
            return entity

        return txn()

    def modify(self, fields, check=None, then=None):
        """Set `fields` on the stored entity; answers the updated entity."""

        def change(entity, before):
            entity.populate(**fields)
            entity.put()
            AuditEntry.record("update", entity.key, before=before, after=snapshot(entity))
            if then:
                then(entity)

        return self._write(check, change)

    def remove(self, check=None, then=None):
        """Delete the stored entity; `then` may return notes for the audit entry."""

        def change(entity, before):
            if then:
                before.update(then(entity) or {})
            entity.key.delete()
            AuditEntry.record("delete", entity.key, before=before)

        return self._write(check, change)

    def _write(self, check, change):
        """Re-read the entity in a transaction, let `check` refuse, then `change(entity, before)`."""
        key = self.key

        @ndb.transactional()
        def txn():
            entity = key.get()
            if entity is None:
                raise NotFound(f"No {self.LABEL} '{key.id()}'.")
            if check:
                check(entity)
            change(entity, snapshot(entity))
            return entity

        return txn()
