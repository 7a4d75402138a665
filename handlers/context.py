"""One NDB context per request or command, opened outside every view, and what it cost.

Every Datastore RPC the app makes passes through one counting stub, so each response
can say in `Server-Timing` how many RPCs it made and how long they took: how an
operator sees a cold page in the browser's developer tools.
"""

import contextlib
import contextvars
import functools
import threading
import time

from google.cloud import ndb

_request_rpcs = contextvars.ContextVar("stashboard_rpcs", default=None)


class RpcStats:
    """The Datastore RPCs of one request: how many, and their total time in seconds."""

    def __init__(self):
        self.count = 0
        self.seconds = 0.0
        self._lock = threading.Lock()

    def started(self):
        """Count one more RPC (in the request's thread, as it is sent)."""
        with self._lock:
            self.count += 1

    def finished(self, seconds):
        """Add an RPC's time (gRPC calls this back from its own thread)."""
        with self._lock:
            self.seconds += seconds

    def server_timing(self):
        """The `Server-Timing` entry: `datastore;desc="rpc=3";dur=4.2`."""
        return f'datastore;desc="rpc={self.count}";dur={self.seconds * 1000:.1f}'


class _CountedMethod:
    """A gRPC method whose calls are counted against the request that makes them."""

    def __init__(self, method):
        self._method = method

    def future(self, request, **kwargs):
        stats = _request_rpcs.get()
        started = time.perf_counter()
        call = self._method.future(request, **kwargs)
        if stats is not None:
            stats.started()
            call.add_done_callback(lambda _call: stats.finished(time.perf_counter() - started))
        return call

    def __call__(self, request, **kwargs):
        return self.future(request, **kwargs).result()


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
    stats = RpcStats()
    token = _request_rpcs.set(stats)
    try:
        yield stats
    finally:
        _request_rpcs.reset(token)


def ndb_wsgi_middleware(wsgi_app, app):
    """Open one NDB context around each request, and report its RPCs in `Server-Timing`."""

    def middleware(environ, start_response):
        with counting_rpcs() as stats, ndb_context(app):

            def start_with_timing(status, headers, exc_info=None):
                headers.append(("Server-Timing", stats.server_timing()))
                return start_response(status, headers, exc_info)

            return wsgi_app(environ, start_with_timing)

    return middleware
