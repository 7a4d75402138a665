"""The safety net that remakes what the board derives from what it stores, run the same way by
`flask rebuild-history` (handlers/cli.py) and the daily cron job (handlers/tasks.py).

Each service's newest events, current status, day rollups and board row come back from its
events (Event.rebuild), then the notices document from the incidents and maintenance
windows (Notices.rebuild): a board written in bulk or by an older version is whole again.
"""

from google.cloud import ndb

from models import audit
from models.board_index import BoardMembers, BoardRow
from models.event import Event
from models.incident import Incident
from models.maintenance import Maintenance
from models.notices import Notices
from models.service import Service

# Services whose rows one transaction of `index_board` writes (a read and a write each).
INDEX_BATCH = 100


class BoardRebuild:
    """Iterate for (service id, changed?) over every service after `start_after`, in id order;
    the notices are remade once the services are done.

    Idempotent: a service already right is only read, so an interrupted run is finished by
    the next one (`start_after` resumes after a service).
    """

    def __init__(self, start_after=""):
        self.services = Event.rebuild_all(start_after)

    def __len__(self):
        return len(self.services)

    def __iter__(self):
        yield from self.services
        Notices.rebuild(Incident.past(), Maintenance.newest())


def rebuild_board(start_after=""):
    """The board's rebuild after `start_after` (all of it by default), to iterate."""
    return BoardRebuild(start_after)


def board_is_indexed():
    """Whether the board reads its index (it has a members document) rather than every service."""
    return BoardMembers.key_for().get() is not None


def index_board():
    """Give a board from before the index (models/board_index.py) every service's row and its members;
    one read on a board already indexed. Answers whether it indexed. Run by the warmup request.

    The rows come from the services as stored, read in the transaction that writes them,
    so an event written meanwhile is never undone; rollups from before them wait for
    `flask rebuild-history`, as they did.
    """
    if board_is_indexed():
        return False
    keys = Service.query_ours().fetch(keys_only=True)
    for start in range(0, len(keys), INDEX_BATCH):
        batch = keys[start:start + INDEX_BATCH]
        ndb.transactional(retries=audit.TRANSACTION_RETRIES)(
            lambda batch=batch: BoardRow.write([service for service in ndb.get_multi(batch) if service]))()
    BoardMembers.rebuild(Service.ids)
    return True

