"""A new installation's defaults: the status images and the Up/Down/Warning statuses."""

import hashlib

from google.cloud import ndb

from models.status import Installation, Status
from models.status_image import FUGUE_ICONS, StatusImage

DEFAULT_STATUSES = (
    ("up", "Up", "The service is up and running.", "NORMAL", "tick-circle"),
    ("down", "Down", "The service is currently down.", "ERROR", "cross-circle"),
    ("warning", "Warning", "The service is experiencing intermittent problems.", "WARNING", "exclamation"),
)
CATALOG = hashlib.sha256(",".join(FUGUE_ICONS).encode()).hexdigest()[:16]


def install():
    """Make sure the board has its defaults; a no-op (one read) once it has.

    The default statuses are created only on a board never installed, so statuses an
    admin deleted do not come back; the image catalog is refreshed when it changes.
    """
    board = Installation.key_for().get()
    if board is not None and board.catalog == CATALOG:
        return False
    _install()
    return True


@ndb.transactional()
def _install():
    board = Installation.key_for().get()
    first_time = board is None
    if first_time:
        board = Installation(key=Installation.key_for())
        ndb.put_multi(
            [
                Status(id=slug, name=name, description=description, level=level, image=image)
                for slug, name, description, level, image in DEFAULT_STATUSES
            ]
        )
        board.default_status = ndb.Key(Status, "up")
        # A new board has no service: its (empty) index is complete.
        board.indexed = True
    ndb.put_multi(StatusImage.catalog())
    board.catalog = CATALOG
    board.put()
