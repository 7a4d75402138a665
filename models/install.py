"""A new installation's defaults: the Up/Down/Warning statuses (the status images ship with
the code: models/status_image.py).

Installed by App Engine's warmup request (handlers/warmup.py), by the first write (the
audited-write helpers in models/audit.py send models.signals.writing first, which
`ensure_installed` receives) and by every
`flask --app main` command; never by a reader's GET, which shows an uninstalled board
as it is (no statuses yet) rather than writing.
"""

import threading

from google.cloud import ndb

from models import signals
from models.audit import SYSTEM, AuditEntry, acting_as
from models.board_index import BoardMembers
from models.status import Installation, Status

DEFAULT_STATUSES = (
    ("up", "Up", "The service is up and running.", "NORMAL", "tick-circle"),
    ("down", "Down", "The service is currently down.", "ERROR", "cross-circle"),
    ("warning", "Warning", "The service is experiencing intermittent problems.", "WARNING", "exclamation"),
)
# Boards (project, namespace) this process has seen installed: their writes skip the check.
_installed = set()
_installed_lock = threading.Lock()


def _board_id():
    context = ndb.get_context()
    return context.client.project, context.get_namespace()


def install():
    """Make sure the board has its defaults; a no-op (one read) once it has.

    The default statuses are created only on a board never installed, so statuses an
    admin deleted do not come back.
    """
    board = Installation.key_for().get()
    changed = board is None
    if changed:
        with acting_as(SYSTEM):
            _install()
    with _installed_lock:
        _installed.add(_board_id())
    return changed


def ensure_installed(_namespace=None):
    """Install the board before this process's first write to it (no RPC after that).

    Inside a transaction nothing is done: the installation is a transaction of its own,
    and the next write outside one makes it.
    """
    if _board_id() in _installed or ndb.in_transaction():
        return
    install()


# Every namespace's writes; held strongly, for the process's life.
signals.writing.connect(ensure_installed, weak=False)


@ndb.transactional()
def _install():
    if Installation.key_for().get() is not None:  # installed meanwhile
        return
    statuses = [Status(id=slug, name=name, description=description, level=level, image=image)
                for slug, name, description, level, image in DEFAULT_STATUSES]
    board = Installation(key=Installation.key_for(), default_status=ndb.Key(Status, "up"))
    # A new board has no service: its (empty) index is complete.
    ndb.put_multi([*statuses, board, BoardMembers(key=BoardMembers.key_for(), ids=[])])
    # In the audit log, which is also how every instance's page cache hears of the
    # new statuses (a reader may have cached the board before it was installed).
    AuditEntry.record("create", board.key, after={"statuses": [slug for slug, *_ in DEFAULT_STATUSES]})
