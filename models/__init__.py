"""The board's entities, stored with Cloud NDB in Firestore in Datastore mode."""

from models.audit import Actor, AuditEntry, acting_as
from models.credentials import Admin, ApiToken
from models.errors import Conflict, InvalidInput, NotFound, StashboardError
from models.event import Event, http_date
from models.install import install
from models.service import Service
from models.service_list import ServiceList
from models.status import LEVELS, Board, Status
from models.status_image import StatusImage, image_path
from models.times import utcnow

__all__ = [
    "Actor",
    "Admin",
    "ApiToken",
    "AuditEntry",
    "Board",
    "Conflict",
    "Event",
    "InvalidInput",
    "LEVELS",
    "NotFound",
    "Service",
    "ServiceList",
    "StashboardError",
    "Status",
    "StatusImage",
    "acting_as",
    "http_date",
    "image_path",
    "install",
    "utcnow",
]
