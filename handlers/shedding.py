"""Load shedding: at most a few costly renders at once per process; the rest are told to come back.

A route declares its render costly where it is declared (handlers/routes.py: `@reads(...,
costly=True)`): a page of hundreds of events, which takes seconds of Datastore
reads and CPU. Each process admits at most COSTLY_RENDERS of them at once. A request that
finds every slot taken waits at most COSTLY_WAIT_SECONDS for one, and only when no other
request is already waiting (a queue would hold threads too); otherwise it is answered at
once with 503 and `Retry-After`, in its surface's error shape (JSON on the APIs, the error
page on the site). So however many costly requests arrive, most of a process's threads stay
free for the cheap answers: cache hits, the board, 404s.

Slots bound how many costly renders run at once, not how much of the machine they take: an
attacker keeping both slots busy would still take most of the CPU from the readers (`make flood`:
readers kept half their throughput). So costly renders also share a time budget per process:
COSTLY_SHARE seconds of rendering per second of the clock, saved up to COSTLY_BURST seconds. Each
render spends its own wall time when it ends; with the budget spent, the next costly request is
told to retry. A render slowed by load spends more, so the budget tightens as the machine gets
busier. An ordinary day's reader of an archive never meets it: the burst holds several renders.

Public answers never made before (a cache miss with no older copy: unique paths, unknown
ids, minted arguments), and costly private ones (never cached), take one of FIRST_RENDERS
slots, without waiting: one fewer than
gunicorn's threads (app.yaml: 4), so a flood of them always leaves a thread for cache hits.
A refresh of an answer readers have had is never shed: shedding every miss answered one read
in ten with a 503 under make soak's everyday writes, and concurrent readers of one stale
answer already share one render (handlers/flights.py).

Cache hits never take a slot: the page cache (handlers/cache.py) answers them before the app
runs, and requests following a render already under way wait for it there, not here. The
limiter is per process, as gunicorn's threads and the page cache are.
"""

import threading
import time

from flask import request
from werkzeug.exceptions import ServiceUnavailable

from handlers.cache import REFRESHING
from handlers.routes import route_of
from models.errors import Text

SLOT_KEY = "stashboard.costly_slot"
FIRST_KEY = "stashboard.first_render_slot"
SHED_KEY = "stashboard.shed"
# How long a shed client should wait before asking again: about one costly render.
RETRY_AFTER_SECONDS = 5
# How many requests may wait for a slot at once: one is enough to keep the slots busy when a
# render ends; more would hold threads that cheap answers need.
WAITERS = 1
SHED_MESSAGE = Text("The server is busy with other requests; please retry in a few seconds.")


class Budget:
    """Seconds of rendering that refill at `share` per second, up to `burst`; spent after each render."""

    def __init__(self, share, burst, clock=time.monotonic):
        self.share, self.burst, self.clock = share, burst, clock
        self.left, self.at = burst, clock()
        self.lock = threading.Lock()

    def available(self):
        """Whether any of the budget is left (after refilling it for the time gone by)."""
        with self.lock:
            now = self.clock()
            self.left, self.at = min(self.burst, self.left + (now - self.at) * self.share), now
            return self.left > 0

    def spend(self, seconds):
        """Take a render's seconds off the budget (it may go below zero: the next renders wait longer)."""
        with self.lock:
            self.left -= seconds


class Limiter:
    """At most `slots` costly renders at once, within `budget` when given; `admit` waits at most
    `wait` seconds for a slot, alone."""

    def __init__(self, slots, wait, waiters=WAITERS, budget=None):
        self.slots = threading.BoundedSemaphore(max(1, slots))
        self.wait = wait
        self.waiters = waiters
        self.waiting = 0
        self.lock = threading.Lock()
        self.budget = budget

    def admit(self):
        """Take a slot (True), or say there is none to be had soon (False)."""
        if self.budget is not None and not self.budget.available():
            return False
        if self.slots.acquire(blocking=False):
            return True
        with self.lock:
            if self.waiting >= self.waiters:
                return False
            self.waiting += 1
        try:
            return self.slots.acquire(timeout=self.wait)
        finally:
            with self.lock:
                self.waiting -= 1

    def release(self, seconds=0.0):
        """Give a slot back (the render is over, however it ended), spending its `seconds`."""
        if self.budget is not None:
            self.budget.spend(seconds)
        self.slots.release()


def limiter_of(app):
    """The app's limiter of costly renders (per process: one app per process)."""
    return app.extensions["stashboard.shedding"]


def first_renders_of(app):
    """The app's limiter of first renders (public answers with no older copy in the cache)."""
    return app.extensions["stashboard.first_renders"]


def register(app):
    """Take a slot before a costly route's view runs; answer 503 when none comes; give it back after."""
    budget = Budget(app.config["COSTLY_SHARE"], app.config["COSTLY_BURST"])
    app.extensions["stashboard.shedding"] = Limiter(app.config["COSTLY_RENDERS"], app.config["COSTLY_WAIT_SECONDS"],
                                                    budget=budget)
    app.extensions["stashboard.first_renders"] = Limiter(app.config["FIRST_RENDERS"], 0, waiters=0)

    @app.before_request
    def admit_costly_render():
        """A costly render runs only in one of the few costly slots; without one, the client is told to retry."""
        route = route_of(app, request.environ)
        first = request.environ.get(REFRESHING) is False  # set by the page cache on its misses
        if (route.cached and first) or (route.costly and not route.cached):
            if not first_renders_of(app).admit():
                shed()
            request.environ[FIRST_KEY] = True
        if route.costly:
            if not limiter_of(app).admit():
                shed()
            request.environ[SLOT_KEY] = time.monotonic()

    @app.after_request
    def never_keep_a_shed_answer(response):
        """A 503 of a busy moment is for this request alone: no edge or browser may keep it."""
        if request.environ.get(SHED_KEY):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.teardown_request
    def release_costly_render(error=None):
        """The render is over: its slots are free for the next one."""
        if request.environ.pop(FIRST_KEY, False):
            first_renders_of(app).release()
        started = request.environ.pop(SLOT_KEY, None)
        if started is not None:
            limiter_of(app).release(time.monotonic() - started)


def shed():
    """Tell the client to come back shortly (never kept: `never_keep_a_shed_answer`)."""
    request.environ[SHED_KEY] = True
    raise ServiceUnavailable(SHED_MESSAGE, retry_after=RETRY_AFTER_SECONDS)
