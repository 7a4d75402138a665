"""One render per stale answer: the renders of the page cache under way, one per cache key.

When a kept answer is stale (a write moved its tags' versions) or missing, the first
request for it renders it (it *leads* a flight); requests for the same key that come
while it renders do not render too. They get the previous copy at once, marked with its
age, if it is young enough (Varnish's grace mode, the server-side `stale-while-revalidate`),
or else wait, a bounded time, for that one render (nginx's `proxy_cache_lock`). So a
burst of writes and readers costs one render per key at a time, not one per reader.

The table is bounded: with MAX_FLIGHTS renders under way (a flood of made-up URLs),
further keys are rendered without coalescing, and a flight leaves the table when its
render ends, however it ends.
"""

import collections
import dataclasses
import threading

MAX_FLIGHTS = 256
# How many keys the render counter remembers: it is for tests and `tools/bench.py`, never a leak.
COUNTED_KEYS = 1024


@dataclasses.dataclass
class Flight:
    """One render under way: the tag versions it renders for, and what it made once done."""

    versions: tuple
    done: threading.Event = dataclasses.field(default_factory=threading.Event)
    entry: object = None


class Flights:
    """The renders under way, one per key, and how many renders each key has had."""

    def __init__(self, max_flights=MAX_FLIGHTS):
        self.lock = threading.Lock()
        self.max_flights = max_flights
        self.under_way = {}
        self.renders = collections.Counter()

    def join(self, key, versions):
        """(flight, leading): a new flight this caller leads, the one under way for `key` to follow,
        or (None, True) when the table is full (render without coalescing)."""
        with self.lock:
            flight = self.under_way.get(key)
            if flight is not None:
                return flight, False
            if len(self.under_way) >= self.max_flights:
                return None, True
            flight = self.under_way[key] = Flight(versions)
            return flight, True

    def land(self, key, flight, entry):
        """End `flight` with what it rendered (None if it failed) and wake whoever follows it."""
        flight.entry = entry
        with self.lock:
            if self.under_way.get(key) is flight:
                del self.under_way[key]
        flight.done.set()

    def count(self, key):
        """Count one render of `key` (the counter forgets everything when it holds too many keys)."""
        with self.lock:
            if key not in self.renders and len(self.renders) >= COUNTED_KEYS:
                self.renders.clear()
            self.renders[key] += 1

    def renders_of(self, path):
        """How many renders answers at `path` have had (any host, any arguments)."""
        with self.lock:
            return sum(count for key, count in self.renders.items() if key[2] == path)
