"""Render once, serve many: public GET responses kept per instance, dropped precisely on writes.

How it stays true:
* A write's transaction appends audit entries; once it commits, the instance that
  made it drops the cached pages the change touches, before the write's response
  goes out (`changed`). So a write is visible at once where it was made.
* Every other instance reads the tags of the audit entries written since it last looked
  (less OVERLAP), at most every CACHE_CHECK_SECONDS (default 2 s), on the request that
  finds the check due: one projection query of at most POLL_ROWS (entry, tag) rows, never
  a write. So a write is visible everywhere within seconds, at one RPC per look whatever
  the write rate (more rows than that in the window: everything is stale).
* What a change touches is said by both sides, never by a table here: each public view
  declares its tags (handlers/routes.py: `@reads`), each model kind the tags a change of
  it purges (`cache_purges`), which its audit entry records when it is written.

Why this and not the alternatives (figures from `make bench`, in the README):
* NDB's global cache (Memorystore for Redis, REDIS_CACHE_URL, which makes misses cheaper)
  caches entities, not renders, and needs a paid Redis instance.
* A generation counter bumped by every write, or "tag clock" entities, would make writes (or
  instances) contend on shared entities; the audit log is written in each write's transaction.
* Checking per request would cost an RPC per hit; here one request per instance every
  CACHE_CHECK_SECONDS looks (its RPC counted in its Server-Timing). Whole entries would cost an
  RPC per 300 of the window (7 for the first front page after a burst); their tags, one RPC.

In a burst of writes an answer is rendered at most every RENDER_EVERY_SECONDS (default 1), a
copy rendered later standing in with its `Age` (`cache;desc="settling"`): in `make soak`, 13
writes a second each made nine answers stale in both processes, and reads fell from 4,000 to
250 a second. A write after a quiet second shows at once where it was made; in a burst, within
that second.

A stale or missing answer is rendered once at a time (handlers/flights.py); others asking
meanwhile get the previous copy, marked with its `Age` and `cache;desc="grace"`, if it is at
most GRACE_SECONDS old, or wait for that render (`cache;desc="coalesced"`). A render keeps
the tag versions it began with, so one that began before a write is stale once stored.

When the Datastore is away (handlers/context.py's breaker is open), the last good answer is
served at once, marked stale: a visible note on pages, the `X-Stashboard-Stale` header (when
it was rendered) on everything. With nothing to fall back on, the app's 503 goes out.

Hits are answered here, outside Flask and any NDB context: a dictionary look-up and the stored
bytes. The key holds only the query arguments the view declared, normalised, so cache-busters
(`random=`, `_=`, tracking tags) and arguments a page ignores are hits too.
"""

import dataclasses
import datetime
import hashlib
import logging
import threading
import time
import urllib.parse

from werkzeug.http import http_date, is_resource_modified, quote_etag

from handlers import cache_headers
from handlers.cache_pool import Entry, Pool
from handlers.context import counting_rpcs, datastore_away, deadline, ndb_context
from handlers.errors import OUTAGE_HEADER
from handlers.flights import Flights
from handlers.i18n import locale_of
from handlers.routes import route_of
from models import AuditEntry, utcnow
from models.audit import EVERYTHING as ALL, NOTHING
from models.signals import change_committed

log = logging.getLogger(__name__)

CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=60, stale-if-error=86400"
CACHEABLE_STATUSES = ("200", "404")
# How far back each look at the audit log reaches beyond the previous one (a transaction stamps
# its entries before it commits: a slow one can land after a later-stamped one).
OVERLAP = datetime.timedelta(seconds=60)
# What one look at the audit log reads at most: (entry, tag) rows, one batch (300 in the
# Datastore and the emulator). More than that in the window: everything is stale.
POLL_ROWS = 300
LARGEST_ENTRY = 4 * 1024 * 1024
# Costly routes answer pages of events, one per date range and cursor, which anyone can mint:
# larger ones are rendered each time (handlers/shedding.py) rather than fill the pool.
LARGEST_COSTLY_ENTRY = 64 * 1024
# 404s have a small pool of their own: made-up URLs can never push the board out of the cache.
MISSING_MAX_ENTRIES, MISSING_MAX_BYTES = 256, 1024 * 1024
# In a render's environ: whether readers have had an older copy (not shed, handlers/shedding.py).
REFRESHING = "stashboard.refreshing"
# Where base.html lets a stale page say so.
STALE_MARKER = b"<!--stale-note-->"
STALE_CACHE_CONTROL = "public, max-age=10, stale-if-error=86400"
# While an answer renders, others get the previous copy if at most GRACE_SECONDS old, else wait up
# to FOLLOW_SECONDS for the render (and look again, FOLLOWS times at most), then render.
GRACE_SECONDS, FOLLOW_SECONDS, FOLLOWS = 10, 5, 2
GRACE_CACHE_CONTROL = "public, max-age=0, stale-if-error=86400"


def entry_tags(entry):
    """The tags an audited change makes stale, as its entry recorded them (none recorded: an entry
    written before entries recorded them, so everything)."""
    return tuple(entry.tags) or (ALL,)


class PageCache:
    """Rendered public answers of one app (one namespace), as WSGI middleware."""

    def __init__(self, wsgi_app, app):
        self.wsgi_app = wsgi_app
        self.app = app
        self.lock = threading.Lock()
        self.poll_lock = threading.Lock()
        self.start()

    def start(self):
        """Begin empty, on the app's settings and namespace as they are now (a test moves one
        app to a fresh namespace instead of building another)."""
        change_committed.disconnect(self.changed)
        config = self.app.config
        self.enabled = config["PAGE_CACHE"]
        self.check_seconds = config["CACHE_CHECK_SECONDS"]
        self.namespace = config["NDB_NAMESPACE"] or ""
        self.pages = Pool(config["CACHE_MAX_BYTES"], config["CACHE_MAX_ENTRIES"])
        self.missing = Pool(min(MISSING_MAX_BYTES, self.pages.max_bytes), MISSING_MAX_ENTRIES)
        # With APP_URL set, every public answer is rendered for that origin and kept once,
        # whatever Host header a caller sends (made-up Hosts must not make copies).
        origin = urllib.parse.urlsplit(config.get("APP_URL") or "")
        self.origin = (origin.scheme, origin.netloc) if origin.scheme and origin.netloc else None
        # Only tags a change touched have a version (read with .get): never one per path asked for.
        self.versions = {}
        self.next_check = time.monotonic() + self.check_seconds
        self.checked_from = utcnow()
        # Whether the last look at the audit log failed: then no answer can be vouched for.
        self.unsure = False
        self.seen = {}
        self.flights = Flights()
        self.grace_seconds = GRACE_SECONDS
        self.render_every = config["RENDER_EVERY_SECONDS"]
        # This app's committed changes only; held weakly, so the cache goes away with its app.
        change_committed.connect(self.changed, sender=self.namespace)

    # --- invalidation ---------------------------------------------------------

    def changed(self, namespace, entry):
        """An audited change committed in this process, on this app's namespace (the signal's
        sender, which `start` subscribed to): drop what it touches."""
        with self.lock:
            self.seen[entry.key.id()] = entry.timestamp
        self.invalidate(entry_tags(entry))

    def invalidate(self, tags):
        """Make every answer depending on `tags` stale."""
        with self.lock:
            for tag in tags:
                if tag != NOTHING:
                    self.versions[tag] = self.versions.get(tag, 0) + 1

    def check_others(self):
        """Read the audit entries other instances wrote since the last look (when one is due)."""
        if time.monotonic() < self.next_check or not self.poll_lock.acquire(blocking=False):
            return
        try:
            self.next_check = time.monotonic() + self.check_seconds
            started = utcnow()
            reach = self.checked_from - OVERLAP
            with deadline(self.app.config["DATASTORE_READ_DEADLINE"]), ndb_context(self.app):
                rows = AuditEntry.tags_since(reach, POLL_ROWS)
            with self.lock:
                stale = {tag for entry_id, _, tag in rows if entry_id not in self.seen}
                if len(rows) >= POLL_ROWS:  # more writes than one look holds: whatever they touched is stale
                    stale.add(ALL)
                self.seen.update((entry_id, stamp) for entry_id, stamp, _ in rows)
                self.seen = {key: stamp for key, stamp in self.seen.items() if stamp >= reach}
            self.invalidate(stale)
            self.checked_from = started
            self.unsure = False
        except Exception as error:  # the Datastore is away: serve what we have, marked stale
            self.unsure = True
            log.warning("Could not read the audit log to refresh the page cache: %s", error)
        finally:
            self.poll_lock.release()

    # --- serving ----------------------------------------------------------------

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        route = route_of(self.app, environ)
        if not route.surface.public or method not in ("GET", "HEAD"):
            return self.wsgi_app(environ, cache_headers.private(start_response))
        if route.surface.files:
            return self.wsgi_app(environ, cache_headers.with_file_staleness(start_response))
        if not route.cached:  # a public surface, but no view declared what it reads (e.g. a 404)
            return self.wsgi_app(environ, cache_headers.private(start_response))
        if self.origin is not None:
            environ["HTTP_X_FORWARDED_PROTO"], environ["HTTP_HOST"] = self.origin
        try:
            key = self._key(environ, route)
        except ValueError:  # a refused argument: the app answers its 400
            return self.wsgi_app(environ, cache_headers.private(start_response))
        tags = route.tags()
        head = method == "HEAD"
        with counting_rpcs() as stats:
            self.check_others()
            waited = False
            for attempt in range(FOLLOWS + 1):
                with self.lock:
                    kept = (self.pages.get(key) or self.missing.get(key)) if self.enabled else None
                    versions = tuple(self.versions.get(tag, 0) for tag in tags)
                if kept is not None and (self.unsure or datastore_away()):
                    return self._answer_stale(start_response, kept, stats, head)
                if kept is not None and kept.versions == versions and not _expired(kept, route):
                    timing = f'cache;desc="{"coalesced" if waited else "hit"}", {stats.server_timing()}'
                    return self._answer(environ, start_response, kept, timing, head)
                if not self.enabled or attempt == FOLLOWS:
                    break
                if self._settling(kept):
                    return self._answer_grace(environ, start_response, kept, stats, head, "settling")
                flight, leading = self.flights.join(key, versions)
                if leading and flight is not None and self._replaced(key, kept):  # a render landed since
                    self.flights.land(key, flight, None)
                    continue
                if leading:
                    return self._miss(environ, start_response, key, tags, versions, kept, stats, flight)
                if self._graceful(kept):
                    return self._answer_grace(environ, start_response, kept, stats, head)
                # No copy young enough: wait for the one render (bounded), then look again.
                waited = flight.done.wait(FOLLOW_SECONDS)
                made = flight.entry
                if not waited:
                    break
                if made is not None and made.etag and flight.versions == versions:  # kept or not (too big)
                    timing = f'cache;desc="coalesced", {stats.server_timing()}'
                    return self._answer(environ, start_response, made, timing, head)
            return self._miss(environ, start_response, key, tags, versions, kept, stats, None)

    def _miss(self, environ, start_response, key, tags, versions, kept, stats, flight):
        """Render the answer (leading `flight`, when coalesced, whose followers it wakes however it ends)."""
        entry = None
        environ[REFRESHING] = kept is not None
        try:
            entry = self._render(environ, key, tags, versions)
        finally:
            if flight is not None:
                self.flights.land(key, flight, entry)
        head = environ.get("REQUEST_METHOD") == "HEAD"
        if entry.outage and kept is not None:
            return self._answer_stale(start_response, kept, stats, head)
        return self._answer(environ, start_response, entry, f'cache;desc="miss", {stats.server_timing()}', head)

    def _graceful(self, kept):
        """Whether `kept` may stand in while its new render is under way: a shared answer of at
        most `grace_seconds` (it says its age); else the caller waits for the render."""
        return kept is not None and kept.etag is not None and not kept.outage and _age(kept) <= self.grace_seconds

    def _replaced(self, key, kept):
        """Whether `kept` is no longer the copy held (a render landed since it was looked up)."""
        with self.lock:
            return (self.pages.get(key) or self.missing.get(key)) is not kept

    def _settling(self, kept):
        """Whether stale `kept` was rendered within the last `render_every` seconds: then it stands a
        little longer, so that a burst of writes costs a render a second, not one per write."""
        return (self.render_every > 0 and self._graceful(kept)
                and (utcnow() - kept.rendered_at).total_seconds() < self.render_every)

    def _answer_grace(self, environ, start_response, kept, stats, head, why="grace"):
        """The previous copy while another request renders the new one (or while it settles), with its
        `Age`; edges must not keep it as fresh."""
        headers = [(n, v) for n, v in kept.headers if n.lower() != "cache-control"]
        headers += [("Cache-Control", GRACE_CACHE_CONTROL), ("Age", str(_age(kept)))]
        timing = f'cache;desc="{why}", {stats.server_timing()}'
        return self._answer(environ, start_response, dataclasses.replace(kept, headers=headers), timing, head)

    def _key(self, environ, route):
        """The path and the query arguments the view declared, normalised, and on a localised surface
        the reader's locale (always a shipped one: at most a copy per locale): nothing else changes the answer."""
        args = route.declared_args(environ)
        scheme = environ.get("HTTP_X_FORWARDED_PROTO") or environ.get("wsgi.url_scheme")
        locale = locale_of(environ) if route.localised else None
        return (scheme, environ.get("HTTP_HOST"), environ.get("PATH_INFO", ""), args, locale)

    def _render(self, environ, key, tags, versions):
        """Have the app answer (as a plain GET, so the whole body comes back); keep it if it may be shared."""
        inner = dict(environ, REQUEST_METHOD="GET")
        inner.pop("HTTP_IF_NONE_MATCH", None)
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: captured.setdefault("written", []).append(data)

        self.flights.count(key)
        body_iter = self.wsgi_app(inner, capture)
        try:
            body = b"".join([*captured.get("written", []), *body_iter])
        finally:
            if hasattr(body_iter, "close"):
                body_iter.close()
        status, headers = captured["status"], captured["headers"]
        outage = any(name == OUTAGE_HEADER for name, _ in headers)
        # The app's own Server-Timing counts its RPCs only; the caller reports the request's.
        headers = [(name, value) for name, value in headers if name not in ("Server-Timing", OUTAGE_HEADER)]
        shareable = status[:3] in CACHEABLE_STATUSES and not any(n.lower() == "set-cookie" for n, _ in headers)
        if not shareable:  # an error or a redirect: answered as the app made it, never kept
            return Entry(status, headers, body, None, tags, versions, utcnow(), outage)
        if not any(name.lower() == "cache-control" for name, _ in headers):
            headers.append(("Cache-Control", CACHE_CONTROL))
        etag = hashlib.sha256(body).hexdigest()[:32]
        headers.append(("ETag", quote_etag(etag)))
        entry = Entry(status, headers, body, etag, tags, versions, utcnow())
        largest = LARGEST_COSTLY_ENTRY if route_of(self.app, environ).costly else LARGEST_ENTRY
        if self.enabled and len(body) <= largest:
            self._store(key, entry)
        return entry

    def __len__(self):
        return len(self.pages) + len(self.missing)

    @property
    def size(self):
        """The bytes counted against both pools."""
        return self.pages.size + self.missing.size

    def _store(self, key, entry):
        """Keep a shareable answer: a 404 in the small pool of missing things, anything else with the pages."""
        pool, other = (self.missing, self.pages) if entry.status.startswith("404") else (self.pages, self.missing)
        with self.lock:
            held = pool.get(key)
            # A render that began before another (uncoalesced: the table was full, or a wait ran
            # out) may end after it: the answer for the newer versions stays.
            if held is not None and _newer(held.versions, entry.versions):
                return
            other.discard(key)
            pool.put(key, entry)

    def _answer(self, environ, start_response, entry, timing, head):
        headers = [*entry.headers, ("Server-Timing", timing)]
        if entry.etag and entry.status.startswith("200") and not is_resource_modified(environ, etag=entry.etag):
            kept = [(n, v) for n, v in headers if n.lower() in ("etag", "cache-control", "server-timing", "vary")]
            start_response("304 Not Modified", kept)
            return [b""]
        start_response(entry.status, headers)
        return [b""] if head else [entry.body]

    def _answer_stale(self, start_response, entry, stats, head):
        """The last good answer, marked stale: the Datastore is away."""
        as_of = http_date(entry.rendered_at.replace(tzinfo=datetime.UTC))
        headers = [(n, v) for n, v in entry.headers if n.lower() not in ("etag", "cache-control", "content-length")]
        body = entry.body
        if any(n.lower() == "content-type" and v.startswith("text/html") for n, v in headers):
            note = (
                f'<p class="stale-note" role="status">Last updated {entry.rendered_at:%-d %b %Y, %H:%M} UTC'
                " — live data is unavailable right now; this page shows the last known state.</p>"
            )
            body = body.replace(STALE_MARKER, note.encode(), 1)
        headers += [
            ("Cache-Control", STALE_CACHE_CONTROL),
            ("X-Stashboard-Stale", as_of),
            ("Warning", '110 - "Response is Stale"'),
            ("Content-Length", str(len(body))),
            ("Server-Timing", f'cache;desc="stale", {stats.server_timing()}'),
        ]
        start_response(entry.status, headers)
        return [b""] if head else [body]


def _newer(versions, than):
    """Whether tag versions `versions` are past `than` (the same tags): no tag older, one newer."""
    return versions != than and all(mine >= theirs for mine, theirs in zip(versions, than, strict=True))


def _expired(entry, route):
    """Whether `entry` outlived its route's `fresh` seconds (data written too often to audit)."""
    return route.reads.fresh is not None and _age(entry) >= route.reads.fresh


def _age(entry):
    """Whole seconds since `entry` was rendered (its `Age`)."""
    return max(0, int((utcnow() - entry.rendered_at).total_seconds()))
