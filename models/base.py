"""What services, statuses and lists share: a slug as key id, transactional audited writes."""

from google.cloud import ndb

from models import audit
from models.fields import DESCRIPTION_MAX, NAME_MAX, clean_text, get_by_slug, slug_for

# Stashboard 1.x stored its services and statuses under these same kind names, as root
# entities with automatic numeric ids; this app keys them by slug, a string. The
# Datastore sorts numeric ids before names, so the keys after the largest possible id
# are exactly this app's. Until `migrate-1x` has copied the old ones over (models/legacy.py)
# they are skipped wherever a kind is queried; a lookup by slug never meets them.
LARGEST_ID = 2**63 - 1


def ours(entities):
    """`entities` less those Stashboard 1.x left under the same kind (numeric ids)."""
    return [entity for entity in entities if isinstance(entity.key.id(), str)]


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
        # The key's flat path, not Key.id(): that copies the whole path on each call, and a
        # board's page asks for hundreds of slugs.
        return self.key.flat()[-1]

    @classmethod
    def query_ours(cls):
        """A query of this app's entities of the kind only (by key: no 1.x entity), in key order."""
        return cls.query(cls._key > ndb.Key(cls, LARGEST_ID)).order(cls._key)

    @classmethod
    @ndb.tasklet
    def all_async(cls):
        """Every entity of the kind (1.x ones left out), as a future."""
        entities = yield cls.query().fetch_async()
        return ours(entities)

    @classmethod
    def get_or_404(cls, slug):
        """The entity with this slug, or NotFound."""
        return get_by_slug(cls, slug, cls.LABEL)

    @classmethod
    def get_multi(cls, keys):
        """The entities of `keys` in one batch, None where one is missing."""
        return ndb.get_multi(list(keys))

    @staticmethod
    def clean_names(changes, required=False):
        """Checked `name` and `description` from `changes` (both needed when `required`)."""
        fields = {}
        for field, limit in (("name", NAME_MAX), ("description", DESCRIPTION_MAX)):
            if required or field in changes:
                fields[field] = clean_text(changes.get(field), field, limit, multiline=field == "description")
        return fields

    @classmethod
    def insert(cls, fields, then=None):
        """Store a new entity keyed by the slug of fields["name"]; a taken slug is a Conflict."""
        entity = cls(key=ndb.Key(cls, slug_for(fields["name"])), **fields)
        return audit.insert(entity, cls.LABEL, then=then)

    def modify(self, fields, check=None, then=None):
        """Set `fields` on the stored entity; answers the updated entity."""

        def apply(entity):
            entity.populate(**fields)
            if then:
                then(entity)
            return "update"

        return audit.change(self.key, self.LABEL, apply, check=check)

    def remove(self, check=None, then=None):
        """Delete the stored entity after `then(entity)` made its other writes (and maybe audit notes)."""

        def apply(entity):
            return "delete", (then(entity) if then else None) or {}

        return audit.change(self.key, self.LABEL, apply, check=check)
