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

In a burst of writes the render of a stale answer that has a copy to stand in is made
*behind* (`behind`): on one of BEHIND_THREADS daemon threads of the process, while the
request that found it stale is answered the copy at once, as the others are. Rendered in
the requests, those renders took threads the readers waited for: in `make soak`'s mix of
95 % reads and 5 % writes, rendering behind answered 30-50 % more requests a second, the
read p50 falling from 50-120 ms to 10-50 ms. At most MAX_FLIGHTS renders wait for those
threads (each leads a flight), so the work behind stays bounded.
"""

import collections
import dataclasses
import io
import logging
import queue
import sys
import threading

log = logging.getLogger(__name__)
BEHIND_THREADS = 2

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
        self.behind_queue = queue.SimpleQueue()
        self.behind_threads = 0

    def behind(self, key, flight, render):
        """Have `render()` (answering the new entry) run on a render thread, and end `flight` with it."""
        with self.lock:
            while self.behind_threads < BEHIND_THREADS:
                self.behind_threads += 1
                threading.Thread(target=self._render_behind, name=f"render-{self.behind_threads}", daemon=True).start()
        self.behind_queue.put((key, flight, render))

    def _render_behind(self):
        while True:
            key, flight, render = self.behind_queue.get()
            entry = None
            try:
                entry = render()
            except Exception:  # the next request for the key renders it again
                log.exception("Rendering %s behind failed", key[2])
            finally:
                self.land(key, flight, entry)

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


def detached(environ):
    """A copy of a GET's WSGI environ that a render can use after its request has ended: the CGI and
    header variables, no socket, an empty body."""
    copy = {name: value for name, value in environ.items() if isinstance(value, (str, bool, tuple))}
    copy.update({"wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr})
    return copy
