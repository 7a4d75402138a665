"""The board at a glance: each service's day bars with its uptime, and uptime calendars by month.

Made from the day rollups and current status that the board's cards already carry
(models/history.py): nothing here reads the Datastore, so 90 days of bars cost the
front page no RPC beyond the board's own read. Rollups are kept for history.KEEP_DAYS
days, which is how far back the calendar goes.
"""

import calendar
import dataclasses
import datetime
import functools

from models import history, uptime
from models.snapshot import worst_of
from models.times import ONE_DAY, utcnow

BAR_DAYS = 90
CALENDAR_DAYS = history.KEEP_DAYS


def duration_text(seconds):
    """Seconds as people read them: 2 h 5 min, 23 h 59 min, 45 s."""
    seconds = int(seconds)
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [(hours, "h"), (minutes, "min")] if hours or minutes else [(seconds, "s")]
    return " ".join(f"{value} {unit}" for value, unit in parts if value) or "0 s"


@dataclasses.dataclass
class Bar:
    """One day of one service (or of the board): its worst status and the time spent in it."""

    date: datetime.date
    worst: object = None  # the day's worst non-normal Status; None: no problem
    seconds: float = 0.0  # time in `worst` that day (in a normal status when there is none)
    counted: float = 0.0  # the day's seconds the service existed for (0: no data)
    services: int = 0  # on the board's calendar: how many services had `worst` that day
    # The class the bar is coloured by: none, normal, maintenance, warning, error, critical.
    level: str = "none"

    @property
    def known(self):
        """Whether the day holds any counted time (not before the service existed, not to come)."""
        return self.counted > 0

    def status_text(self):
        """What the day's worst was, in words."""
        if not self.known:
            return "No data"
        return self.worst.name if self.worst else "No problems"

    def time_text(self):
        """How long the day was spent in its worst status (on the board's calendar: how many
        services had it); nothing for a day without problems or without data."""
        if not self.known or self.worst is None:
            return ""
        if self.services:
            return f"on {self.services} service{'s' if self.services != 1 else ''}"
        return f"for {duration_text(self.seconds)}"

    def label(self):
        """The bar's text alternative: date, worst status and the time spent in it."""
        time = self.time_text()
        return f"{_day_text(self.date)}: {self.status_text()}" + (f" {time}" if time else "")


@dataclasses.dataclass
class Run:
    """Consecutive days of one service alike in having no problem, or no data: drawn as one
    bar a day, written as one item with one text alternative (a board of hundreds of
    services would otherwise write 90 links a service)."""

    first: datetime.date
    last: datetime.date
    days: int
    level: str  # normal: known days without a problem; none: days without data

    def status_text(self):
        """What the run's days were, in words."""
        return "No problems" if self.level == "normal" else "No data"

    def label(self):
        """The run's text alternative: its dates and what they were."""
        return f"{span_text(self.first, self.last)}: {self.status_text()}"


def runs_of(bars):
    """`bars` (oldest first) with each stretch of days without a problem (or without data)
    made one Run; a day with a problem stays its Bar."""
    items = []
    for bar in bars:
        if bar.worst is not None and bar.known:
            items.append(bar)
            continue
        level = "normal" if bar.known else "none"
        last = items[-1] if items else None
        if isinstance(last, Run) and last.level == level:
            last.last, last.days = bar.date, last.days + 1
        else:
            items.append(Run(bar.date, bar.date, 1, level))
    return items


@functools.lru_cache(maxsize=512)
def _day_text(date):
    return date.strftime("%-d %b %Y")


def span_text(first, last):
    """Two dates as a range: 3 Sep – 1 Nov 2026, 3 Dec 2025 – 1 Feb 2026, or one day's date."""
    if first == last:
        return _day_text(last)
    start = first.strftime("%-d %b") if first.year == last.year else _day_text(first)
    return f"{start} – {_day_text(last)}"


def _level_of(slug, status):
    """The colour class of a day whose worst is `status` (its id `slug`)."""
    if status is None:
        return "normal"
    return "maintenance" if slug == uptime.MAINTENANCE_STATUS else status.level.lower()


def _service_days(row, board, dates, now, before_today=False):
    """(Bars of `dates` (newest first, from today, or from yesterday when `before_today`),
    {status id: seconds} of each date) for one board row."""
    card = row.service
    # Status ids from the board's own map: a Status's slug is its key's id, slow to read 18,000 times.
    slugs = {id(status): slug for slug, status in board.by_slug.items()}
    status_id = slugs.get(id(row.status)) if row.status else None
    held = card.status_id
    if before_today:  # what was in force at yesterday's end: today's start, if today had an event
        today = (card.days or {}).get(now.date().isoformat())
        status_id = held = today["start"] if today else held
        status_id = status_id if status_id in board.by_slug or status_id is None else None
    worst_days = board.worst_days(card.days, status_id, dates)
    spent = history.per_day(card.days, held, dates, now, uptime.began(card))
    default = board.default_slug
    bars = []
    for day, seconds in zip(worst_days, spent):
        counted = sum(seconds.values())
        if not counted:
            bars.append(Bar(day.date))
            continue
        in_worst, slug = counted, None
        if day.worst is not None:
            slug = slugs.get(id(day.worst))
            in_worst = seconds.get(slug, 0.0) + (seconds.get("", 0.0) if slug == default else 0.0)
        bars.append(Bar(day.date, day.worst, in_worst, counted, level=_level_of(slug, day.worst)))
    return bars, spent


def dates_back(days, now):
    """The last `days` dates up to `now`'s, newest first."""
    return [(now - n * ONE_DAY).date() for n in range(days)]


def bars_of(row, board, now=None, days=BAR_DAYS):
    """(The row's bars for its last `days` days, oldest first, its Uptime over them).

    The days before today are worked out once per card and board signature (the board's
    statuses, default and date: models/snapshot.py), as the board's rows are; only today,
    still going, is worked out on each render."""
    now = now or utcnow()
    past, past_spent = past_bars(row, board, now, days)
    today, spent = _service_days(row, board, dates_back(1, now), now)
    totals = dict(past_spent)
    for status, seconds in spent[0].items():
        totals[status] = totals.get(status, 0.0) + seconds
    return past + today, uptime.figure_of(totals, board, days)


def past_bars(row, board, now, days=BAR_DAYS):
    """(The bars of the `days` - 1 days before today, oldest first, their {status id: seconds} summed)."""
    key = ("bars", board.signature, days)
    found = row.service.derived.get(key)
    if found is None:
        bars, spent = _service_days(row, board, dates_back(days, now)[1:], now, before_today=True)
        found = (bars[::-1], _summed(spent))
        row.service.remember(key, found)
    return found


def _summed(spent):
    totals = {}
    for seconds in spent:
        for status, value in seconds.items():
            totals[status] = totals.get(status, 0.0) + value
    return totals


@dataclasses.dataclass
class Month:
    """One month of a calendar: its days (None: outside what the rollups cover) and its Uptime."""

    first: datetime.date
    days: list
    figure: object

    @property
    def weekday(self):
        """The column (0: Monday) the month's first day falls in."""
        return self.first.weekday()

    def label(self):
        """How the calendar names the month: May 2024."""
        return self.first.strftime("%B %Y")


def calendar_of(rows, board, now=None, days=CALENDAR_DAYS):
    """The uptime calendar of `rows` (one service, or every service of the board): a Month for each
    month the last `days` days touch, newest first, each day its worst status and each month its
    uptime (all the rows' counted time summed)."""
    now = now or utcnow()
    dates = dates_back(days, now)
    per_date = {date: [] for date in dates}
    spent_by_date = {date: {} for date in dates}
    for row in rows:
        bars, spent = _service_days(row, board, dates, now)
        for bar, seconds in zip(bars, spent):
            per_date[bar.date].append(bar)
            totals = spent_by_date[bar.date]
            for status, value in seconds.items():
                totals[status] = totals.get(status, 0.0) + value
    single = len(rows) == 1
    day_bars = {date: _combined(date, bars, single) for date, bars in per_date.items()}
    months = []
    first = dates[-1].replace(day=1)
    while first <= dates[0]:
        length = calendar.monthrange(first.year, first.month)[1]
        month_dates = [first + n * ONE_DAY for n in range(length)]
        shown = [day_bars.get(date) for date in month_dates]
        covered = [date for date in month_dates if date in spent_by_date]
        figure = uptime.figure_of(_summed(spent_by_date[date] for date in covered), board, len(covered))
        months.append(Month(first, shown, figure))
        first = first + length * ONE_DAY
    return months[::-1]


def _combined(date, bars, single):
    """One day of the calendar from the rows' bars of that day: the worst, and how many had it."""
    if single:
        return bars[0] if bars else Bar(date)
    known = [bar for bar in bars if bar.known]
    worst = worst_of(bar.worst for bar in known)
    services = sum(1 for bar in known if worst is not None and bar.worst is worst) if worst else len(known)
    level = next((bar.level for bar in known if bar.worst is worst), "none") if known else "none"
    return Bar(date, worst, 0.0, sum(bar.counted for bar in known), services, level)
