"""Time series of a service, kept in day buckets so that any chart is a bounded read.

Two kinds of series: the response times of the service's HTTP probe (series PROBE, added in
the probe's own transaction, models/probes.py) and the metrics admins push through the API
(models/metrics.py). Each (service, series, UTC day) is one SeriesDay entity, named, holding
count/sum/min/max per SLOT_SECONDS slot of the day: however many points arrive, a chart of
the last 30 days reads at most 31 entities per series with one get_multi, and no index.
A chart then merges slots into at most a few hundred buckets (PERIODS).
"""

import dataclasses
import datetime
import math

from google.cloud import ndb

from models.times import ONE_DAY, utcnow

PROBE = "probe:http"  # a name no pushed metric can take (they are slugs: no colon)
SLOT_SECONDS = 300
SLOTS = 86400 // SLOT_SECONDS
KEEP_DAYS = 30


@dataclasses.dataclass(frozen=True)
class Period:
    """A chart's span and the width of its buckets: at most 180 points, whatever was stored (pages
    name it in the reader's language: handlers/site/charts.py)."""

    name: str
    span: datetime.timedelta
    bucket: datetime.timedelta


PERIODS = {
    "24h": Period("24h", datetime.timedelta(hours=24), datetime.timedelta(minutes=15)),
    "7d": Period("7d", datetime.timedelta(days=7), datetime.timedelta(hours=1)),
    "30d": Period("30d", datetime.timedelta(days=KEEP_DAYS), datetime.timedelta(hours=4)),
}


@dataclasses.dataclass
class Bucket:
    """One point of a chart: the values that fell in [start, start + width)."""

    start: datetime.datetime
    count: int = 0
    total: float = 0.0
    low: float = math.inf
    high: float = -math.inf

    @property
    def mean(self):
        """The bucket's average, None when nothing fell in it."""
        return self.total / self.count if self.count else None

    def merge(self, count, total, low, high):
        """Fold in a stored slot's figures."""
        self.count += count
        self.total += total
        self.low = min(self.low, low)
        self.high = max(self.high, high)


@dataclasses.dataclass
class Chart:
    """A series over a Period, as buckets oldest first (some empty)."""

    series: str
    period: Period
    buckets: list

    @property
    def filled(self):
        """The buckets that hold values."""
        return [bucket for bucket in self.buckets if bucket.count]

    @property
    def empty(self):
        """Whether nothing at all was recorded over the period."""
        return not self.filled


def _day_of(moment):
    return moment.date()


class SeriesDay(ndb.Model):
    """One UTC day of one series of one service; key name `service/series/YYYY-MM-DD`. Not a child of
    the service: the service's own transactions must not grow with its charts."""

    service = ndb.StringProperty(required=True)
    series = ndb.StringProperty(required=True)
    day = ndb.DateProperty(required=True)
    # {slot index (text): [count, sum, min, max]}; compressed, a full day is a few kB.
    slots = ndb.JsonProperty(compressed=True, default={})

    @classmethod
    def key_for(cls, service_id, series, day):
        """The key of a series' day."""
        return ndb.Key(cls, f"{service_id}/{series}/{day.isoformat()}")

    @classmethod
    def add(cls, service_id, series, points):
        """Fold (moment, value) points into their days (one get_multi, one put_multi); call it inside the
        writer's transaction so that a batch is kept whole or not at all."""
        by_day = {}
        for moment, value in points:
            by_day.setdefault(_day_of(moment), []).append((moment, float(value)))
        keys = [cls.key_for(service_id, series, day) for day in by_day]
        found = ndb.get_multi(keys)
        changed = []
        for key, day, entity in zip(keys, by_day, found, strict=True):
            entity = entity or cls(key=key, service=service_id, series=series, day=day, slots={})
            slots = dict(entity.slots or {})
            for moment, value in by_day[day]:
                slot = str((moment.hour * 3600 + moment.minute * 60 + moment.second) // SLOT_SECONDS)
                count, total, low, high = slots.get(slot, (0, 0.0, value, value))
                slots[slot] = [count + 1, total + value, min(low, value), max(high, value)]
            entity.slots = slots
            changed.append(entity)
        ndb.put_multi(changed)

    @classmethod
    def charts(cls, service_id, names, period, now=None):
        """{series: Chart} of `names` over `period` (a PERIODS key), with one get_multi of at most
        (span in days + 1) entities per series."""
        period = PERIODS[period]
        now = now or utcnow()
        width = period.bucket.total_seconds()
        epoch = datetime.datetime(2000, 1, 1)
        # Buckets on fixed boundaries (not relative to now), so a chart is the same on every instance.
        last = epoch + datetime.timedelta(seconds=(now - epoch).total_seconds() // width * width)
        count = int(period.span / period.bucket)
        first = last - (count - 1) * period.bucket
        days = []
        day = first.date()
        while day <= now.date():
            days.append(day)
            day += ONE_DAY
        keys = [cls.key_for(service_id, name, day) for name in names for day in days]
        stored = dict(zip(keys, ndb.get_multi(keys), strict=True))
        charts = {}
        for name in names:
            buckets = [Bucket(first + n * period.bucket) for n in range(count)]
            for day in days:
                entity = stored[cls.key_for(service_id, name, day)]
                midnight = datetime.datetime.combine(day, datetime.time())
                for slot, (slot_count, total, low, high) in (entity.slots if entity else {}).items():
                    at = midnight + datetime.timedelta(seconds=int(slot) * SLOT_SECONDS)
                    index = int((at - first).total_seconds() // width)
                    if 0 <= index < count:
                        buckets[index].merge(slot_count, total, low, high)
            charts[name] = Chart(name, period, buckets)
        return charts
