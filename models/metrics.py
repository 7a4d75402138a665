"""System metrics: named series of numbers that admins push for a service (queue depth, error rate…).

Points land in the same day buckets as probe response times (models/series.py), so a read is
bounded whatever was pushed. Each service's series are named on one MetricNames entity, read
in the push's transaction, so the cap of MAX_SERIES holds even when pushes race. A push is
checked whole before anything is written and written in one transaction: all or nothing.
"""

import datetime
import math
import re

from dateutil import parser as dateparser
from google.cloud import ndb

from models import audit
from models.errors import InvalidInput
from models.series import KEEP_DAYS, SeriesDay
from models.service import Service
from models.times import utcnow

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
NAME_RULE = "lower-case letters, digits, '-' and '_', starting with a letter or digit, at most 64 characters"
MAX_SERIES = 20
MAX_POINTS = 1000
# How far ahead of the server's clock a point may be stamped (clients' clocks drift).
AHEAD = datetime.timedelta(minutes=5)


def check_name(name):
    """A series name, or InvalidInput saying what one may be."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise InvalidInput(f"A metric's name is {NAME_RULE}.")
    return name


def _value(value, where):
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InvalidInput(f"{where}'value' must be a number.")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise InvalidInput(f"{where}'value' must be a number.") from None
    if not math.isfinite(number):
        raise InvalidInput(f"{where}'value' must be a finite number.")
    return number


def _moment(value, now, where):
    if value is None or value == "":
        return now
    if not isinstance(value, str):
        raise InvalidInput(f"{where}'timestamp' must be an ISO 8601 date and time.")
    try:
        moment = dateparser.isoparse(value)
        if moment.tzinfo is not None:
            moment = moment.astimezone(datetime.UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        raise InvalidInput(f"{where}'timestamp' must be an ISO 8601 date and time: {value[:40]!r}.") from None
    if not now - datetime.timedelta(days=KEEP_DAYS) <= moment <= now + AHEAD:
        raise InvalidInput(f"{where}'timestamp' must be within the last {KEEP_DAYS} days.")
    return moment


def points_of(given):
    """[(moment, value)] of a push's points (each {"value": number, "timestamp": optional ISO 8601}),
    or InvalidInput naming the first bad one."""
    if not isinstance(given, list) or not given:
        raise InvalidInput("Give a 'value', or 'data': a list of points.")
    if len(given) > MAX_POINTS:
        raise InvalidInput(f"At most {MAX_POINTS} points in one request; this one has {len(given)}.")
    now = utcnow()
    points = []
    for index, point in enumerate(given):
        where = f"data[{index}]: " if len(given) > 1 else ""
        if not isinstance(point, dict):
            raise InvalidInput(f"{where}a point is an object with 'value' and an optional 'timestamp'.")
        points.append((_moment(point.get("timestamp"), now, where), _value(point.get("value"), where)))
    return points


class MetricNames(ndb.Model):
    """The names of a service's metric series; key id: the service's id."""

    names = ndb.StringProperty(repeated=True)

    @classmethod
    def cache_purges(cls, key):
        """Pushed points are not audited; the pages that show them are kept a minute at most."""
        return ()

    @classmethod
    def of(cls, service_id):
        """The service's series names, sorted (none: an empty list)."""
        found = ndb.Key(cls, service_id).get()
        return sorted(found.names) if found else []

    @classmethod
    def push(cls, service_id, name, given):
        """Add the points `given` to the service's series `name` (made if new, at most MAX_SERIES);
        answers how many were kept. Nothing is written unless all of them are."""
        name = check_name(name)
        points = points_of(given)
        Service.get_or_404(service_id)
        key = ndb.Key(cls, service_id)

        @ndb.transactional(retries=audit.TRANSACTION_RETRIES)
        def txn():
            names = key.get(retries=0) or cls(key=key, names=[])
            if name not in names.names:
                if len(names.names) >= MAX_SERIES:
                    raise InvalidInput(f"A service has at most {MAX_SERIES} metrics; this one has "
                                       f"{', '.join(sorted(names.names))}.")
                names.names = [*names.names, name]
                names.put()
            SeriesDay.add(service_id, name, points)
            return len(points)

        return txn()
