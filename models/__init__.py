"""The board's entities, stored with Cloud NDB in Firestore in Datastore mode."""

from models.audit import SYSTEM as SYSTEM_ACTOR
from models.audit import Actor, AuditEntry, acting_as
from models.snapshot import Snapshot
from models.credentials import Admin, ApiToken
from models.errors import Conflict, InvalidInput, NotFound, StashboardError
from models.event import Event
from models.incident import Incident
from models.install import install
from models.maintenance import Maintenance
from models.notices import Notices
from models.service import LatestEvent, Service
from models.service_list import ServiceList
from models.status import LEVELS, Installation, Status
from models.status_image import StatusImage, image_path
from models import uptime
from models.times import http_date, utc_midnight, utcnow

__all__ = [
    "Actor",
    "Admin",
    "ApiToken",
    "AuditEntry",
    "Snapshot",
    "Conflict",
    "Event",
    "Incident",
    "Installation",
    "InvalidInput",
    "LEVELS",
    "LatestEvent",
    "Maintenance",
    "NotFound",
    "Notices",
    "Service",
    "ServiceList",
    "StashboardError",
    "Status",
    "StatusImage",
    "SYSTEM_ACTOR",
    "acting_as",
    "http_date",
    "image_path",
    "install",
    "utc_midnight",
    "uptime",
    "utcnow",
]
