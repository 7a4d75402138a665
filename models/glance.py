"""The board at a glance: each service's day bars with its uptime, and uptime calendars by month.

Made from the day rollups and current status that the board's cards already carry
(models/history.py): nothing here reads the Datastore, so 90 days of bars cost the
front page no RPC beyond the board's own read. Rollups are kept for history.KEEP_DAYS
days, which is how far back the calendar goes.
"""

import calendar
import dataclasses
import datetime

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

    @property
    def known(self):
        """Whether the day holds any counted time (not before the service existed, not to come)."""
        return self.counted > 0

    @property
    def level(self):
        """The class the bar is coloured by: none, normal, maintenance, warning, error, critical."""
        if not self.known:
            return "none"
        if self.worst is None:
            return "normal"
        return "maintenance" if self.worst.slug == uptime.MAINTENANCE_STATUS else self.worst.level.lower()

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
        when = self.date.strftime("%-d %b %Y")
        time = self.time_text()
        return f"{when}: {self.status_text()}" + (f" {time}" if time else "")


def _service_days(row, board, dates, now):
    """(Bars of `dates` (newest first), {status id: seconds} of each date) for one board row."""
    card = row.service
    status_id = row.status.slug if row.status else None
    worst_days = board.worst_days(card.days, status_id, dates)
    spent = history.per_day(card.days, card.status_id, dates, now, uptime.began(card))
    default = board.default.slug if board.default else None
    bars = []
    for day, seconds in zip(worst_days, spent):
        counted = sum(seconds.values())
        in_worst = counted
        if day.worst is not None:
            in_worst = seconds.get(day.worst.slug, 0.0) + (seconds.get("", 0.0) if day.worst.slug == default else 0.0)
        bars.append(Bar(day.date, day.worst if counted else None, in_worst, counted))
    return bars, spent


def dates_back(days, now):
    """The last `days` dates up to `now`'s, newest first."""
    return [(now - n * ONE_DAY).date() for n in range(days)]


def bars_of(row, board, now=None, days=BAR_DAYS):
    """(The row's bars for its last `days` days, oldest first, its Uptime over them)."""
    now = now or utcnow()
    bars, spent = _service_days(row, board, dates_back(days, now), now)
    return bars[::-1], uptime.figure_of(_summed(spent), board, days)


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
    return Bar(date, worst, 0.0, sum(bar.counted for bar in known), services)
