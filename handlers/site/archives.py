"""Calendar maths of the archives: a year, month or day as a period of UTC time."""

import calendar
import dataclasses
import datetime

from flask import abort
from werkzeug.routing import IntegerConverter

from models.errors import Text
from models.times import ONE_DAY


class DayConverter(IntegerConverter):
    """A month or day in an archive URL: made with two digits, read with one or two (old links)."""

    regex = r"\d{1,2}"

    def __init__(self, map):
        super().__init__(map, fixed_digits=2)

    def to_python(self, value):
        return int(value)


@dataclasses.dataclass
class Period:
    """A year, month or day of the archives, as [start, end) in naive UTC."""

    start: datetime.datetime
    end: datetime.datetime
    unit: str

    @classmethod
    def of(cls, year, month=None, day=None):
        """The period a URL names; an impossible date is a 404."""
        try:
            if month is None:
                return cls(datetime.datetime(year, 1, 1), _shift(datetime.datetime(year, 1, 1), years=1), "year")
            if day is None:
                start = datetime.datetime(year, month, 1)
                return cls(start, _shift(start, months=1), "month")
            start = datetime.datetime(year, month, day)
            return cls(start, start + ONE_DAY, "day")
        except (ValueError, OverflowError):
            abort(404, Text("There is no such date."))

    @property
    def last_instant(self):
        """The period's last microsecond (for inclusive queries)."""
        return self.end - datetime.timedelta(microseconds=1)

    def label(self):
        """How the page names the period: 2024, May 2024, Friday 17 May 2024."""
        formats = {"year": "%Y", "month": "%B %Y", "day": "%A %-d %B %Y"}
        return self.start.strftime(formats[self.unit])

    def url_values(self, start=None):
        """The year/month/day URL values of this period (or of the same unit at `start`)."""
        start = start or self.start
        values = {"year": start.year}
        if self.unit in ("month", "day"):
            values["month"] = start.month
        if self.unit == "day":
            values["day"] = start.day
        return values

    def path_suffix(self):
        """The end of this period's canonical URL: `/2024`, `/2024/05` or `/2024/05/07`."""
        return "/" + "/".join(f"{value:0{4 if name == 'year' else 2}d}" for name, value in self.url_values().items())

    def previous(self):
        """URL values of the period before, or None at the start of the calendar."""
        try:
            return self.url_values(_shift(self.start, **{f"{self.unit}s": -1}))
        except (ValueError, OverflowError):
            return None

    def next(self, today):
        """URL values of the period after, or None when it has not begun yet."""
        if self.end > today:
            return None
        return self.url_values(self.end)

    def months(self):
        """The months of a year period (for the year page's links)."""
        return [datetime.date(self.start.year, month, 1) for month in range(1, 13)]


def _shift(moment, years=0, months=0, days=0):
    """`moment` moved by whole calendar units (the first of a month stays the first)."""
    if days:
        return moment + days * ONE_DAY
    month_index = moment.year * 12 + moment.month - 1 + years * 12 + months
    year, month = divmod(month_index, 12)
    if not 1 <= year <= 9999:
        raise ValueError("out of the calendar")
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)
