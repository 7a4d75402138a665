"""Statuses (Up, Down, Warning, custom) and the board's single default status."""

from google.cloud import ndb

from models.audit import AuditEntry, change, snapshot
from models.base import SluggedModel, ours
from models.errors import Conflict, InvalidInput
from models.fields import clean_text, parse_bool
from models.status_image import StatusImage

LEVELS = ("NORMAL", "WARNING", "ERROR", "CRITICAL")
# What the front page shows: every service's 90-day bars, or the grid of its last few days.
FRONT_PAGES = {"bars": "90-day bars with each service's uptime", "grid": "Grid of the last few days"}
DEFAULT_FRONT_PAGE = "bars"


def clean_level(value):
    """Refuse anything but one of LEVELS."""
    level = (value or "").strip().upper()
    if level not in LEVELS:
        raise InvalidInput(f"'level' must be one of {', '.join(LEVELS)}.")
    return level


def clean_image(value):
    """Refuse an image name that is not a known status image."""
    name = clean_text(value, "image", 100)
    if StatusImage.named(name) is None:
        raise InvalidInput(f"Unknown status image '{name}'; see /status-images.")
    return name


class Installation(ndb.Model):
    """The installation's singleton: which status is the default, what is installed.

    Stored under the kind "Board" (the audit log and existing boards know it so).
    """

    default_status = ndb.KeyProperty(kind="Status")
    catalog = ndb.StringProperty()  # set by boards installed when status images were stored; unused
    # Set by versions whose board index was 16 shared documents; no longer read (models/board_index.py).
    indexed = ndb.BooleanProperty(default=False)
    # What the front page shows (FRONT_PAGES); None, as on a board stored before it was kept, is the default.
    front_page = ndb.StringProperty(choices=tuple(FRONT_PAGES))
    # Whether /api/v2's status says "maintenance" while a service is under maintenance and nothing
    # is worse, as live Statuspage pages do (off: "none" with the maintenance sentence, Statuspage's documented enum).
    maintenance_indicator = ndb.BooleanProperty(default=False)

    @classmethod
    def _get_kind(cls):
        return "Board"

    @classmethod
    def key_for(cls):
        """The one Board key."""
        return ndb.Key(cls, "board")

    @classmethod
    def choose_front_page(cls, front_page):
        """Set what the front page shows (one of FRONT_PAGES), audited like every board change."""
        return cls.choose(front_page=front_page)

    @classmethod
    def choose(cls, front_page=None, maintenance_indicator=None):
        """Change the board's settings given (None: keep it) in one audited change; no change stores nothing."""
        if front_page is not None and front_page not in FRONT_PAGES:
            raise InvalidInput(f"'front_page' must be one of {', '.join(FRONT_PAGES)}.")

        def apply(installation):
            wanted = {"front_page": front_page or installation.front_page or DEFAULT_FRONT_PAGE,
                      "maintenance_indicator": bool(installation.maintenance_indicator if maintenance_indicator is None
                                                    else maintenance_indicator)}
            if wanted == {"front_page": installation.front_page or DEFAULT_FRONT_PAGE,
                          "maintenance_indicator": bool(installation.maintenance_indicator)}:
                return None
            installation.populate(**wanted)
            return "update"

        return change(cls.key_for(), "board", apply)

    @classmethod
    def load(cls):
        """The stored Board, or an empty one on a board never installed."""
        return cls.key_for().get() or cls(key=cls.key_for())


class Status(SluggedModel):
    """A status an event can carry; the key id is the slug of its name."""

    LABEL = "status"

    level = ndb.StringProperty(required=True, choices=LEVELS)
    image = ndb.StringProperty(required=True)

    @property
    def severity(self):
        """0 for NORMAL up to 3 for CRITICAL, for sorting and worst-of."""
        return LEVELS.index(self.level)

    @classmethod
    def by_severity(cls):
        """Every status, least severe first, then by name (the legend's order)."""
        return sorted(ours(cls.query().fetch()), key=lambda s: (s.severity, s.name.lower()))

    @classmethod
    def by_key(cls):
        """Every status by its key, to resolve the statuses of many events with one query."""
        return {status.key: status for status in ours(cls.query().fetch())}

    @classmethod
    def default_key(cls):
        """The key of the board's default status (None before installation)."""
        return Installation.load().default_status

    @classmethod
    def create(cls, name, description, image, level=None, default=None):
        """Add a status; a taken slug is a Conflict, `default=true` moves the default."""
        fields = cls.clean_names({"name": name, "description": description}, required=True)
        fields["image"] = clean_image(image)
        fields["level"] = clean_level(level) if level is not None else "NORMAL"
        make_default = parse_bool(default, "default") if default is not None else False

        def maybe_make_default(status):
            board = Installation.load()
            if make_default or board.default_status is None:
                _set_default(board, status.key)

        return cls.insert(fields, then=maybe_make_default)

    def update(self, **changes):
        """Change any of name, description, image, level, default."""
        fields = self.clean_names(changes)
        if "image" in changes:
            fields["image"] = clean_image(changes["image"])
        if "level" in changes:
            fields["level"] = clean_level(changes["level"])
        make_default = parse_bool(changes["default"], "default") if "default" in changes else None

        def keep_one_default(status):
            if make_default is False and Installation.load().default_status == status.key:
                raise InvalidInput(
                    f"'{status.slug}' is the default status; make another status the default instead."
                )

        def move_default(status):
            board = Installation.load()
            if make_default and board.default_status != status.key:
                _set_default(board, status.key)

        return self.modify(fields, check=keep_one_default, then=move_default)

    def delete(self):
        """Remove a status that no event uses and that is not the default."""

        def unused_and_not_default(status):
            if Installation.load().default_status == status.key:
                raise Conflict(
                    f"'{status.slug}' is the default status; make another status the default first."
                )
            # Events point at statuses, never the other way: count them by kind name.
            used = ndb.Query(kind="Event", filters=ndb.FilterNode("status", "=", status.key)).count()
            if used:
                raise Conflict(
                    f"Status '{status.slug}' is used by {used} event{'s' if used != 1 else ''}; "
                    "delete or change those events first."
                )

        return self.remove(check=unused_and_not_default)


def _set_default(board, key):
    """Point the board at a new default status (inside the caller's transaction)."""
    before = snapshot(board)
    board.default_status = key
    board.put()
    AuditEntry.record("update", board.key, before=before, after=snapshot(board))
