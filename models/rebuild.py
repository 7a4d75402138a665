"""The safety net that remakes what the board derives from what it stores, run the same way by
`flask rebuild-history` (handlers/cli.py) and the daily cron job (handlers/tasks.py).

Each service's newest events, current status, day rollups and board row come back from its
events (Event.rebuild), then the notices document from the incidents and maintenance
windows (Notices.rebuild): a board written in bulk or by an older version is whole again.
"""

from models.event import Event
from models.incident import Incident
from models.maintenance import Maintenance
from models.notices import Notices


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
