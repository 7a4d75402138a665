"""How the board keeps time: naive UTC datetimes with microseconds; days are UTC days."""

import contextlib
import datetime
from email.utils import format_datetime

ONE_DAY = datetime.timedelta(days=1)
# How far the board's clock is set ahead of the real one: only tests move it (`shifted`),
# to see a maintenance window start and end without waiting for it.
_shift = [datetime.timedelta(0)]


def utcnow():
    """Naive UTC now, with microseconds: how the board stores times."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + _shift[0]


@contextlib.contextmanager
def shifted(delta):
    """Within the block, the board's clock runs `delta` (a timedelta) ahead of the real one."""
    _shift[0] += delta
    try:
        yield
    finally:
        _shift[0] -= delta


def utc_midnight(moment=None):
    """Midnight (naive UTC) starting the day of `moment` (default: today)."""
    return (moment or utcnow()).replace(hour=0, minute=0, second=0, microsecond=0)


def http_date(timestamp):
    """RFC 1123 in GMT, whole seconds: `Mon, 28 Jun 2010 22:17:06 GMT`."""
    return format_datetime(timestamp.replace(tzinfo=datetime.UTC, microsecond=0), usegmt=True)


def iso_ms(timestamp):
    """ISO 8601 in UTC with milliseconds and Z, as Statuspage writes times: 2026-11-23T14:03:00.000Z."""
    return timestamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{timestamp.microsecond // 1000:03d}Z"
