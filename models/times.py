"""How the board keeps time: naive UTC datetimes with microseconds; days are UTC days."""

import datetime
from email.utils import format_datetime

ONE_DAY = datetime.timedelta(days=1)


def utcnow():
    """Naive UTC now, with microseconds: how the board stores times."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def utc_midnight(moment=None):
    """Midnight (naive UTC) starting the day of `moment` (default: today)."""
    return (moment or utcnow()).replace(hour=0, minute=0, second=0, microsecond=0)


def http_date(timestamp):
    """RFC 1123 in GMT, whole seconds: `Mon, 28 Jun 2010 22:17:06 GMT`."""
    return format_datetime(timestamp.replace(tzinfo=datetime.UTC, microsecond=0), usegmt=True)
