"""One NDB context per request or command, opened outside every view, what it cost, and
what happens when the Datastore is away.

Every Datastore RPC the app makes passes through one stub (`_CountingStub`), which
* counts it, so each response can say in `Server-Timing` how many RPCs it made and how
  long they took: how an operator sees a cold page in the browser's developer tools;
* gives it a deadline chosen for the request: short for public reads, which have a
  cached answer to fall back on, longer for writes and the admin;
* fails fast in an outage: an RPC that finds the Datastore unreachable, failing or
  too slow raises DatastoreUnavailable (which NDB does not retry: no multi-second
  retry storm in front of a reader) and keeps the breaker open for BREAK_SECONDS,
  during which every RPC fails at once without touching the network. The first RPC
  after that tries again, so the app serves live data as soon as the Datastore is back.
"""

import contextlib
import contextvars
import functools
import logging
import os
import threading
import time

import grpc
from google.api_core import exceptions as api_exceptions
from google.cloud import ndb
from google.cloud.ndb import exceptions as ndb_exceptions
from google.cloud.datastore_v1.services.datastore.transports.grpc import DatastoreGrpcTransport

from handlers.routes import route_of

log = logging.getLogger(__name__)

_request_rpcs = contextvars.ContextVar("stashboard_rpcs", default=None)
_deadline = contextvars.ContextVar("stashboard_deadline", default=None)

BREAK_SECONDS = 1.0
EMULATOR_CHANNEL_OPTIONS = [
    ("grpc.max_send_message_length", -1),
    ("grpc.max_receive_message_length", -1),
    # Not grpc.min_reconnect_backoff_ms: gRPC takes it as the connection attempt's timeout too.
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 1000),
]
OUTAGE_CODES = frozenset({
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.INTERNAL,
    grpc.StatusCode.UNKNOWN,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
})


class DatastoreUnavailable(Exception):
    """The Datastore cannot be reached, is failing or is too slow right now (answer 503, or stale)."""


# The Datastore away, failing, too slow, or too contended to finish a write: try again soon.
# NDB wraps an error as NestedRetryException when calls made at once are retried together.
DATASTORE_ERRORS = (
    DatastoreUnavailable,
    api_exceptions.ServiceUnavailable,
    api_exceptions.DeadlineExceeded,
    api_exceptions.InternalServerError,
    api_exceptions.Aborted,
    api_exceptions.RetryError,
    ndb_exceptions.NestedRetryException,
)


class Breaker:
    """Whether the Datastore was found away moments ago (per process).

    Unreachable (or failing) opens it at once. Too slow opens it only when several RPCs
    ran out of time within BREAK_SECONDS: one slow answer under load is not an outage.
    """

    SLOW_TRIPS = 3

    def __init__(self):
        self.open_until = 0.0
        self.reason = ""
        self.slow = []
        self.lock = threading.Lock()

    def is_open(self):
        """Whether RPCs should fail at once, without trying."""
        return time.monotonic() < self.open_until

    def failed(self, code, reason):
        """An RPC failed with an outage `code`: fail fast for a while if that means the Datastore is away."""
        now = time.monotonic()
        with self.lock:
            if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                self.slow = [at for at in self.slow if at > now - BREAK_SECONDS] + [now]
                if len(self.slow) < self.SLOW_TRIPS:
                    return
            if not self.is_open():
                log.warning("The Datastore is unavailable (%s): failing fast for %.0f s", reason, BREAK_SECONDS)
            self.open_until, self.reason = now + BREAK_SECONDS, reason

    def close(self):
        """An RPC succeeded: the Datastore is back."""
        self.open_until = 0.0


BREAKER = Breaker()


def datastore_away():
    """Whether the Datastore was found unavailable moments ago."""
    return BREAKER.is_open()


class RpcStats:
    """The Datastore RPCs of one request: how many, and their total time in seconds.

    Counted into `parent` too: the page cache's count of a request includes the app's.
    """

    def __init__(self, parent=None):
        self.count = 0
        self.seconds = 0.0
        self.parent = parent
        self._lock = threading.Lock()

    def started(self):
        """Count one more RPC (in the request's thread, as it is sent)."""
        with self._lock:
            self.count += 1
        if self.parent is not None:
            self.parent.started()

    def finished(self, seconds):
        """Add an RPC's time (gRPC calls this back from its own thread)."""
        with self._lock:
            self.seconds += seconds
        if self.parent is not None:
            self.parent.finished(seconds)

    def server_timing(self):
        """The `Server-Timing` entry: `datastore;desc="rpc=3";dur=4.2`."""
        return f'datastore;desc="rpc={self.count}";dur={self.seconds * 1000:.1f}'


class _CountedMethod:
    """A gRPC method whose calls are counted, given a deadline, and failed fast in an outage."""

    def __init__(self, method):
        self._method = method

    def future(self, request, timeout=None, **kwargs):
        if BREAKER.is_open():
            raise DatastoreUnavailable(f"the Datastore is unavailable ({BREAKER.reason})")
        stats = _request_rpcs.get()
        started = time.perf_counter()
        call = self._method.future(request, timeout=timeout or _deadline.get(), **kwargs)
        if stats is not None:
            stats.started()
            call.add_done_callback(lambda _call: stats.finished(time.perf_counter() - started))
        call.add_done_callback(_watch)
        return _Call(call)

    def __call__(self, request, **kwargs):
        return self.future(request, **kwargs).result()


def _outage(error):
    """DatastoreUnavailable for a gRPC error that means the Datastore is away, else None."""
    if isinstance(error, grpc.Call) and error.code() in OUTAGE_CODES:
        return DatastoreUnavailable(f"{error.code().name}: {error.details()}")
    return None


def _watch(call):
    """Open the breaker on an outage error, close it on an answer."""
    try:
        error = call.exception()
    except grpc.FutureCancelledError:
        return
    outage = _outage(error)
    if outage is not None:
        BREAKER.failed(error.code(), str(outage))
    elif error is None:
        BREAKER.close()


class _Call:
    """A gRPC call as NDB uses it, whose outage errors are DatastoreUnavailable (NDB retries
    gRPC's UNAVAILABLE for seconds; it does not retry this)."""

    def __init__(self, call):
        self._call = call

    def add_done_callback(self, callback):
        self._call.add_done_callback(lambda _call: callback(self))

    def exception(self):
        error = self._call.exception()
        return _outage(error) or error

    def result(self):
        error = self.exception()
        if error is not None:
            raise error
        return self._call.result()

    def cancel(self):
        return self._call.cancel()


class _CountingStub:
    """NDB's Datastore stub, with every method counted (NDB calls `stub.<method>.future(…)`)."""

    def __init__(self, stub):
        self._stub = stub

    def __getattr__(self, name):
        attribute = getattr(self._stub, name)
        return _CountedMethod(attribute) if hasattr(attribute, "future") else attribute


@functools.cache
def ndb_client():
    """The process's NDB client, made on first use so importing the app needs no credentials."""
    client = ndb.Client()
    if os.environ.get("DATASTORE_EMULATOR_HOST"):
        # gRPC waits up to two minutes between reconnection attempts; a restarted local
        # emulator should be used again within a second.
        channel = grpc.insecure_channel(client.host, options=EMULATOR_CHANNEL_OPTIONS)
        client.stub = DatastoreGrpcTransport(host=client.host, channel=channel)
    client.stub = _CountingStub(client.stub)
    return client


@functools.cache
def global_cache():
    """NDB's global entity cache, when configured: Memorystore for Redis (REDIS_CACHE_URL,
    e.g. redis://10.0.0.3:6379) or memcached (MEMCACHED_HOSTS). Off by default: it needs a
    paid instance, and the page cache already makes reads free; it makes cache misses cheaper.
    """
    return ndb.RedisCache.from_environment() or ndb.MemcacheCache.from_environment()


def ndb_context(app):
    """An NDB context on the app's namespace (no in-context or global cache in tests).

    Inside an existing context (a test arranging data in this thread) that one is reused.
    """
    if ndb.get_context(raise_context_error=False) is not None:
        return contextlib.nullcontext()
    options = {"cache_policy": False} if app.testing else {"global_cache": global_cache()}
    return ndb_client().context(namespace=app.config["NDB_NAMESPACE"], **options)


@contextlib.contextmanager
def counting_rpcs():
    """Count the Datastore RPCs made inside the block (in this thread); yields the RpcStats."""
    stats = RpcStats(parent=_request_rpcs.get())
    token = _request_rpcs.set(stats)
    try:
        yield stats
    finally:
        _request_rpcs.reset(token)


@contextlib.contextmanager
def deadline(seconds):
    """Give every Datastore RPC made inside the block (in this thread) `seconds` to answer."""
    token = _deadline.set(seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def deadline_for(environ, app):
    """The deadline of a request's RPCs, as its route's surface declares it: short for public reads
    (they have a stale answer to fall back on), longer for writes and the admin."""
    return app.config[route_of(app, environ).surface.deadline]


def ndb_wsgi_middleware(wsgi_app, app):
    """Open one NDB context around each request, with its deadline, and report its RPCs in `Server-Timing`."""

    def middleware(environ, start_response):
        with counting_rpcs() as stats, deadline(deadline_for(environ, app)), ndb_context(app):

            def start_with_timing(status, headers, exc_info=None):
                headers.append(("Server-Timing", stats.server_timing()))
                return start_response(status, headers, exc_info)

            return wsgi_app(environ, start_with_timing)

    return middleware
