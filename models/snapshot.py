"""The board now, as read (a Snapshot): services with their current status and newest event,
the statuses, the lists, the default status and the day history, read with a constant number
of RPCs. (The stored board settings are the `Board` kind, models/status.py's Installation.)

This one read serves the site, the API and the admin; it is also what the page cache
holds the renders of. Services carry their newest event and day rollups (see
models/history.py), and the board index (models/board_index.py) holds every
service's row in a document whose key is known, so neither the number of services nor
the size of their history changes what a read of the whole board costs: three RPCs (four
when a service was added since this process's last read). What alert deliveries answered but
not yet applied will change shows in it too, read in the same lookup (models/preview.py).
"""

import copy
import dataclasses
import datetime
from collections import defaultdict

from google.cloud import ndb

from models import history
from models import board_index
from models.board_index import row_of
from models.incident import Incident
from models.maintenance import MAINTENANCE_STATUS, Maintenance
from models.notices import Notices
from models.service import LatestEvent, Service
from models.service_list import ServiceList
from models.look import Look
from models import preview
from models.preview import AlertPreview
from models.status import DEFAULT_FRONT_PAGE, Installation, Status
from models.times import ONE_DAY, utc_midnight

# What a card keeps of what boards worked out from it (see Card.derived).
DERIVED_KEPT = 8
BANNERS = {
    "NORMAL": "All systems operational",
    "WARNING": "Some services have problems",
    "ERROR": "Some services are down",
    "CRITICAL": "Major outage",
}


def worst_of(statuses):
    """The most severe of `statuses` (None when there are none)."""
    statuses = [status for status in statuses if status is not None]
    return max(statuses, key=lambda status: status.severity, default=None)


@dataclasses.dataclass
class Day:
    """One cell of the history grid: the worst non-normal status a service had that day."""

    date: object
    worst: Status | None = None
    note: bool = False


@dataclasses.dataclass
class Card:
    """What the board shows of a service: its row in the board index, ready to read."""

    slug: str
    name: str
    description: str
    list_id: str | None
    status_id: str | None
    latest: LatestEvent | None
    recent: list
    days: dict
    created: object = None  # when the service was made (None on a row from before it was kept)
    # Statuspage's component options (models/service.py): off the public pages while operational; on the front page.
    only_show_if_degraded: bool = False
    showcase: bool = True
    # What boards worked out from this card, kept with the signature it was worked out
    # under (see Snapshot.signature): cards of the index are shared by every read of it.
    derived: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of_row(cls, slug, row):
        """The card of a board index row (a row written by an older version may lack a field)."""
        created = datetime.datetime.fromisoformat(row["created"]) if row.get("created") else None
        return cls(slug, row["name"], row.get("description", ""), row.get("list"), row.get("status"),
                   LatestEvent.from_json(slug, row.get("latest")), row.get("recent", []), row.get("days", {}),
                   created, bool(row.get("only_show_if_degraded")), row.get("showcase", True) is not False)

    @classmethod
    def of(cls, service):
        """The card of a Service entity."""
        return cls.of_row(service.slug, row_of(service))

    def remember(self, key, value):
        """Keep `value` in `derived` (a few at most: a day or a status change makes keys old)."""
        if len(self.derived) >= DERIVED_KEPT:
            self.derived.clear()
        self.derived[key] = value


@dataclasses.dataclass
class Row:
    """One service as the board shows it."""

    service: Card
    status: Status | None
    event: object  # models.service.LatestEvent, or None
    service_list: ServiceList | None = None
    note_today: bool = False
    days: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Group:
    """Services shown together: a service list, or the services in none."""

    name: str
    service_list: ServiceList | None
    rows: list

    @property
    def worst(self):
        """The most severe current status among the group's services."""
        return worst_of(row.status for row in self.rows)


class Snapshot:
    """Statuses, lists and some services with their current state and (optionally) day history."""

    def __init__(self, cards, statuses, default_key, lists=(), history_days=0, notices=None, front_page=None,
                 maintenance_indicator=False):
        # What the front page shows (models/status.py's FRONT_PAGES), as the board's settings say.
        self.front_page = front_page or DEFAULT_FRONT_PAGE
        self.look = None  # the board's look (models/look.py), when read with the board
        # Whether /api/v2's status reports the "maintenance" indicator (the board's setting).
        self.maintenance_indicator = bool(maintenance_indicator)
        # Open and recent incidents and maintenance windows (models/notices.py), read with the index.
        self.notices = notices or Notices()
        self.statuses = sorted(statuses, key=lambda s: (s.severity, s.name.lower()))
        self.by_key = {status.key: status for status in self.statuses}
        self.by_slug = {status.slug: status for status in self.statuses}
        self._severity = {slug: status.severity for slug, status in self.by_slug.items()}
        self.default_key = default_key
        self.default = self.by_key.get(default_key)
        self.default_slug = default_key.id() if default_key else None
        self.lists = sorted(lists, key=lambda lst: lst.name)
        lists_by_id = {lst.slug: lst for lst in self.lists}
        self.today = utc_midnight()
        self.days = [(self.today - n * ONE_DAY).date() for n in range(history_days)]
        # Everything a row's look depends on besides its card: rows worked out under the
        # same signature are reused (Card.derived).
        self.signature = (
            tuple((s.slug, s.name, s.level, s.image, s.severity) for s in self.statuses),
            self.default_slug,
            self.today,
            history_days,
        )
        self.rows = [self._row(card, lists_by_id) for card in sorted(cards, key=lambda card: card.name)]

    def _row(self, card, lists_by_id):
        """The board's row of `card`: its status, its day cells and today's note, reused when
        the card was shown under the same signature before."""
        status_id = card.status_id or self.default_slug
        status = self.by_slug.get(status_id)
        worked = card.derived.get(("row", self.signature))
        if worked is None:
            event = card.latest
            note_today = bool(event and event.informational and event.timestamp >= self.today)
            worked = (note_today, self._days(card.days, status_id if status else None))
            card.remember(("row", self.signature), worked)
        note_today, days = worked
        return Row(card, status, card.latest, lists_by_id.get(card.list_id), note_today, days)

    @classmethod
    def now(cls, history_days=0):
        """Every service, status and list: three reads, made at once, whatever the board's size."""
        statuses = Status.all_async()
        lists = ServiceList.query().fetch_async()
        cards, installation, notices, look = cls._index()
        board = cls(cards.values(), statuses.result(), installation.default_status, lists.result(), history_days,
                    notices, installation.front_page, installation.maintenance_indicator)
        board.look = look
        return board

    @classmethod
    def cards_and_notices(cls):
        """Every service's card by id, the incidents and the maintenance windows: one lookup (the feeds)."""
        cards, _, notices, _ = cls._index()
        return cards, _incidents_of(notices), _maintenances_of(notices)

    @classmethod
    def _index(cls):
        """({id: card} of every service, the installation, the notices, the look), in one lookup, with
        the changes of alert deliveries waiting to be applied.

        A board from before the index (until it is indexed, models/rebuild.py) is read
        with a query of its services instead; so is a service whose row is not written yet.
        """
        rows, (installation, notices, look, waiting) = board_index.read(
            Installation.key_for(), Notices.key_for(), Look.key_for(), AlertPreview.key_for())
        installation, look = installation or Installation(), look or Look(key=Look.key_for())
        if rows is None:
            return {service.slug: Card.of(service) for service in Service.ordered()}, installation, notices, look
        rows = preview.shown(rows, waiting)  # alerts answered but not yet applied (models/preview.py)
        cards = {}
        for slug, row in rows.items():
            if row is not None:
                if row.card is None:
                    row.card = Card.of_row(slug, row)
                cards[slug] = row.card
        unindexed = [ndb.Key(Service, slug) for slug, row in rows.items() if row is None]
        cards.update({service.slug: Card.of(service) for service in ndb.get_multi(unindexed) if service})
        return cards, installation, notices, look

    @classmethod
    def of(cls, services, history_days=0, with_lists=False):
        """Some services (one service's page, one list's) with the statuses, and their lists if asked."""
        statuses = Status.all_async()
        installation, look = ndb.get_multi_async([Installation.key_for(), Look.key_for()])
        list_keys = {service.service_list for service in services if service.service_list} if with_lists else ()
        lists = ndb.get_multi_async(list(list_keys))
        default_key = (installation.result() or Installation()).default_status
        lists = [future.result() for future in lists]
        cards = [Card.of(service) for service in services]
        board = cls(cards, statuses.result(), default_key, [lst for lst in lists if lst], history_days)
        board.look = look.result() or Look(key=Look.key_for())
        return board

    def incidents(self):
        """The open and the recent incidents, newest first (from the notices read with the index)."""
        return _incidents_of(self.notices)

    def maintenances(self):
        """The maintenance windows not long over, soonest first."""
        return _maintenances_of(self.notices)

    def status(self, status_id):
        """The Status with this id (None if it is gone)."""
        return self.by_slug.get(status_id)

    def _days(self, days, status_id):
        """The day cells of a service's rollups, given its current status id (ids, not keys: speed)."""
        return self.worst_days(days, status_id, self.days) if self.days else []

    def worst_days(self, days, status_id, dates):
        """A Day of each of `dates` (consecutive, newest first, the newest today): the worst
        non-normal status of that day, given a service's rollups and current status id."""
        current, default = status_id, self.default_slug
        result = []
        for date, (seen, note) in zip(dates, history.cells(days, current, dates)):
            known = [slug or default for slug in seen if (slug or default) in self._severity]
            worst = max(known, key=self._severity.get, default=None)
            result.append(Day(date, self.by_slug[worst] if worst and self._severity[worst] else None, note))
        return result

    @property
    def worst(self):
        """The most severe current status on the board."""
        return worst_of(row.status for row in self.rows)

    @property
    def affected(self):
        """Rows whose current status is not normal, worst first."""
        rows = [row for row in self.rows if row.status and row.status.severity]
        return sorted(rows, key=lambda row: -row.status.severity)

    def banner(self):
        """The front page's one-line answer: all well, or the worst level, named."""
        worst = self.worst
        return BANNERS[worst.level if worst else "NORMAL"]

    def shown(self, front=False):
        """The same board without what the public pages leave off: a service shown only when degraded
        while it is operational, and on the front page and /summary (`front`) one not showcased."""
        def operational(row):
            return row.status is None or (row.status.severity == 0 and row.status.slug != MAINTENANCE_STATUS)

        return self.only([row for row in self.rows
                          if not (row.service.only_show_if_degraded and operational(row))
                          and (row.service.showcase or not front)])

    def only(self, rows):
        """The same board showing only `rows` (the service filter's answer)."""
        board = copy.copy(self)
        board.rows = rows
        return board

    def groups(self, lists=None):
        """The rows grouped by service list (in `lists` order, default the board's), then the services in none."""
        by_list = defaultdict(list)
        for row in self.rows:
            by_list[row.service.list_id].append(row)
        lists = self.lists if lists is None else lists
        groups = [Group(lst.name, lst, by_list.pop(lst.slug)) for lst in lists if lst.slug in by_list]
        rest = [row for rows in by_list.values() for row in rows]
        if rest:
            groups.append(Group("Other services" if groups else "Services", None, rest))
        return groups


def _incidents_of(notices):
    """The incidents the notices document keeps (None: none)."""
    return [Incident.from_json(entry) for entry in (notices.incidents if notices else None) or []]


def _maintenances_of(notices):
    """The maintenance windows the notices document keeps (None: none)."""
    return [Maintenance.from_json(entry) for entry in (notices.maintenances if notices else None) or []]
