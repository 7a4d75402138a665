"""Uptime: the share of time a service spent at each level over its last 30 or 90 days.

Time-weighted and exact to the microsecond, from the day rollups that every event
updates in its transaction (models/history.py): no event is read, so 90 days cost
what 5 do. The period is today so far and the whole UTC days before it; time before
the service existed (its creation or its first event, whichever is earlier) is not counted.
"""

import dataclasses

from models import history
from models.times import ONE_DAY, utcnow

PERIODS = (30, 90)
RULE = ("NORMAL counts as up, WARNING as degraded, ERROR and CRITICAL as down; "
        "time in the maintenance status is left out.")
MAINTENANCE_STATUS = "maintenance"
KIND_OF_LEVEL = {"NORMAL": "up", "WARNING": "degraded", "ERROR": "down", "CRITICAL": "down"}


@dataclasses.dataclass
class Uptime:
    """Seconds at each kind of level over `days` days, and the shares they make."""

    days: int
    up: float = 0.0
    degraded: float = 0.0
    down: float = 0.0
    maintenance: float = 0.0

    @property
    def counted(self):
        """The seconds the figure is made of (maintenance left out)."""
        return self.up + self.degraded + self.down

    def share(self, kind):
        """The percentage of counted time spent `kind` ("up", "degraded", "down"); None with none counted."""
        # The ratio first: x / x is exactly 1, where 100 * x / x can come out a hair over 100.
        return 100.0 * (getattr(self, kind) / self.counted) if self.counted else None

    @property
    def percent(self):
        """Uptime as people quote it: the share of counted time not down."""
        return max(0.0, 100.0 - self.share("down")) if self.counted else None  # never "-0.000 %"


def began(card):
    """When a service's counted time begins: its creation or its first event, whichever is earlier
    (events can be dated before the entity: a migration from 1.x, a back-dated post)."""
    return min(filter(None, (card.created, history.first_event(card.days, card.created))), default=None)


def figure_of(spent, board, days):
    """The Uptime made of `spent` ({status id ("" for the default): seconds}) with `board`'s statuses."""
    default = board.default.slug if board.default else None
    figure = Uptime(days)
    for status_id, seconds in spent.items():
        status_id = status_id or default
        if status_id == MAINTENANCE_STATUS:
            kind = "maintenance"
        else:
            status = board.status(status_id)
            kind = KIND_OF_LEVEL[status.level] if status else "up"
        setattr(figure, kind, getattr(figure, kind) + seconds)
    return figure


def of(card, board, days, now=None):
    """The Uptime of the service `card` over `days` days up to `now`, with `board`'s statuses."""
    now = now or utcnow()
    dates = [(now - n * ONE_DAY).date() for n in range(days)]
    totals = history.durations(card.days, card.status_id, dates, now, began(card))
    return figure_of(totals, board, days)
