"""Statuses (Up, Down, Warning, custom) and the board's single default status."""

from google.cloud import ndb

from models.audit import AuditEntry, snapshot
from models.errors import Conflict, InvalidInput, NotFound
from models.fields import DESCRIPTION_MAX, NAME_MAX, clean_text, get_by_slug, parse_bool, slug_for
from models.status_image import StatusImage

LEVELS = ("NORMAL", "WARNING", "ERROR", "CRITICAL")


def clean_level(value):
    """Refuse anything but one of LEVELS."""
    level = (value or "").strip().upper()
    if level not in LEVELS:
        raise InvalidInput(f"'level' must be one of {', '.join(LEVELS)}.")
    return level


def clean_image(value):
    """Refuse an image name that is not a known status image."""
    name = clean_text(value, "image", 100)
    if StatusImage.get_by_id(name) is None:
        raise InvalidInput(f"Unknown status image '{name}'; see /status-images.")
    return name


class Board(ndb.Model):
    """The installation's singleton: which status is the default, what is installed."""

    default_status = ndb.KeyProperty(kind="Status")
    catalog = ndb.StringProperty()

    @classmethod
    def key_for(cls):
        """The one Board key."""
        return ndb.Key(cls, "board")

    @classmethod
    def load(cls):
        """The stored Board, or an empty one on a board never installed."""
        return cls.key_for().get() or cls(key=cls.key_for())


class Status(ndb.Model):
    """A status an event can carry; the key id is the slug of its name."""

    name = ndb.StringProperty(required=True)
    description = ndb.TextProperty()
    level = ndb.StringProperty(required=True, choices=LEVELS)
    image = ndb.StringProperty(required=True)

    @property
    def slug(self):
        """The status id used in URLs and the API."""
        return self.key.id()

    @property
    def severity(self):
        """0 for NORMAL up to 3 for CRITICAL, for sorting and worst-of."""
        return LEVELS.index(self.level)

    @classmethod
    def by_severity(cls):
        """Every status, least severe first, then by name (the legend's order)."""
        return sorted(cls.query().fetch(), key=lambda s: (s.severity, s.name.lower()))

    @classmethod
    def default_key(cls):
        """The key of the board's default status (None before installation)."""
        return Board.load().default_status

    @classmethod
    def get_or_404(cls, slug):
        """The status `slug`, or NotFound."""
        return get_by_slug(cls, slug, "status")

    @classmethod
    def create(cls, name, description, image, level=None, default=None):
        """Add a status; a taken slug is a Conflict, `default=true` moves the default."""
        name = clean_text(name, "name", NAME_MAX)
        description = clean_text(description, "description", DESCRIPTION_MAX)
        image = clean_image(image)
        level = clean_level(level) if level is not None else "NORMAL"
        make_default = parse_bool(default, "default") if default is not None else False
        key = ndb.Key(cls, slug_for(name))

        @ndb.transactional()
        def txn():
            if key.get() is not None:
                raise Conflict(f"A status with id '{key.id()}' already exists.")
            status = cls(key=key, name=name, description=description, level=level, image=image)
            status.put()
            AuditEntry.record("create", key, after=snapshot(status))
            board = Board.load()
            if make_default or board.default_status is None:
                _set_default(board, key)
            return status

        return txn()

    def update(self, **changes):
        """Change any of name, description, image, level, default."""
        fields = {}
        if "name" in changes:
            fields["name"] = clean_text(changes["name"], "name", NAME_MAX)
        if "description" in changes:
            fields["description"] = clean_text(changes["description"], "description", DESCRIPTION_MAX)
        if "image" in changes:
            fields["image"] = clean_image(changes["image"])
        if "level" in changes:
            fields["level"] = clean_level(changes["level"])
        make_default = parse_bool(changes["default"], "default") if "default" in changes else None
        key = self.key

        @ndb.transactional()
        def txn():
            status = key.get()
            if status is None:
                raise NotFound(f"No status '{key.id()}'.")
            board = Board.load()
            if make_default is False and board.default_status == key:
                raise InvalidInput(
                    f"'{key.id()}' is the default status; make another status the default instead."
                )
            before = snapshot(status)
            status.populate(**fields)
            status.put()
            AuditEntry.record("update", key, before=before, after=snapshot(status))
            if make_default and board.default_status != key:
                _set_default(board, key)
            return status

        return txn()

    def delete(self):
        """Remove a status that no event uses and that is not the default."""
        from models.event import Event

        key = self.key

        @ndb.transactional()
        def txn():
            status = key.get()
            if status is None:
                raise NotFound(f"No status '{key.id()}'.")
            if Board.load().default_status == key:
                raise Conflict(
                    f"'{key.id()}' is the default status; make another status the default first."
                )
            used = Event.count_with_status(key)
            if used:
                raise Conflict(
                    f"Status '{key.id()}' is used by {used} event{'s' if used != 1 else ''}; "
                    "delete or change those events first."
                )
            key.delete()
            AuditEntry.record("delete", key, before=snapshot(status))
            return status

        return txn()

    def to_dict(self, url, image_url, default_key):
        """The API's Status object."""
        return {
            "id": self.slug,
            "name": self.name,
            "description": self.description or "",
            "level": self.level,
            "image": image_url(f"icons/fugue/{self.image}.png"),
            "url": url("status", status_id=self.slug),
            "default": self.key == default_key,
        }


def _set_default(board, key):
    """Point the board at a new default status (inside the caller's transaction)."""
    before = snapshot(board)
    board.default_status = key
    board.put()
    AuditEntry.record("update", board.key, before=before, after=snapshot(board))
