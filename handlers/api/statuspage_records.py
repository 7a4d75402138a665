"""What /api/v2's schemas (handlers/api/statuspage_schema.py) dump besides the models: a
component's place in the list, a list as a component group, an update with the notice it
belongs to, the page's overall status."""

import dataclasses

from models.incident import Update
from models.snapshot import Group, Row
from models.times import utc_midnight


def group_id_of(service_list):
    """A service list's component id: `list:` keeps it apart from the services' ids."""
    return f"list:{service_list.slug}"


@dataclasses.dataclass(frozen=True)
class Placed:
    """A service as a component: its board row, where it stands and the group it is in."""

    row: Row
    position: int | None = None
    group_id: str | None = None

    @property
    def created(self):
        """When the service was made (its first event's time for one kept before that was recorded)."""
        card = self.row.service
        return card.created or (self.row.event.timestamp if self.row.event else utc_midnight())

    @property
    def updated(self):
        """Its newest event's time (its creation's before any)."""
        return self.row.event.timestamp if self.row.event else self.created


@dataclasses.dataclass(frozen=True)
class Listed:
    """A service list as a component group: where it stands and its services, placed after it."""

    group: Group
    position: int
    members: list  # [Placed]

    @property
    def id(self):
        """The group's component id."""
        return group_id_of(self.group.service_list)

    @property
    def created(self):
        """Its oldest service's creation (a list keeps no dates of its own)."""
        return min((member.created for member in self.members), default=utc_midnight())

    @property
    def updated(self):
        """Its services' newest change."""
        return max((member.updated for member in self.members), default=utc_midnight())


@dataclasses.dataclass(frozen=True)
class Told:
    """An update as Statuspage lists it: with the id of its incident (or window) and its services' names."""

    parent_id: str
    update: Update
    name_of: object = None  # service id -> the name the notice recorded

    @property
    def affected(self):
        """The update's status changes, each with its service's name (None: it changed none)."""
        changes = self.update.changes
        return [{**change, "name": self.name_of(change["service"])} for change in changes] if changes else None


@dataclasses.dataclass(frozen=True)
class Overall:
    """The page's overall status: its indicator, and whether a service is under maintenance."""

    indicator: str
    maintained: bool
