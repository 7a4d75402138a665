"""What a URL is, declared once where its route is: the only home of URL knowledge.

Each blueprint (and the few app-level routes) declares its **surface**: whether its answers
are public and may be shared by every reader, its Datastore deadline, whether its errors are
JSON or pages, whether it may use the session cookie, whether its answers are files. Each
public view declares what it **reads** (`@reads`, modelled on warehouse's `origin_cache`):
its cache tags, as a function of its URL arguments, and exactly the query arguments it
reads, each with its normaliser. A view whose render is costly however it is asked (a page of
hundreds of events) says so (`@reads(..., costly=True)`; the admin API's root serves the same
view, so it is costly there too): at most a few such renders run at once per process
(handlers/shedding.py).

The page cache, the NDB middleware's deadline, the error path, the security headers and
the session read these declarations (`route_of(app, environ)`), which need no Flask context.
A route without a declaration is private and uncached. A public view sees only the query
arguments it declared, normalised; in tests, reading any other one raises.
"""

import dataclasses
import re
import threading
import urllib.parse
from collections.abc import Callable

from flask import request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest, HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from handlers.responses import valid_callback
from models.audit import EVERYTHING as ALL
from models.errors import PAGE_LINK_INVALID, Text
from models.series import PERIODS

ROUTE_KEY = "stashboard.route"
ARGS_KEY = "stashboard.route.args"
READ_DEADLINE = "DATASTORE_READ_DEADLINE"
WRITE_DEADLINE = "DATASTORE_WRITE_DEADLINE"


@dataclasses.dataclass(frozen=True)
class Surface:
    """What every route of a blueprint shares.

    public: its answers may be kept by the page cache and edges and shared by every reader
    (pages get the public CSP, may be framed, tell other sites the origin); else private:
    `private, no-store`, the private page CSP, never framed.
    """

    name: str
    public: bool = False
    deadline: str = WRITE_DEADLINE  # the config key of its Datastore RPCs' deadline
    errors: str = "html"  # "json" or "html"
    session: bool = False  # may read and set the session cookie (sign-in and admin)
    files: bool = False  # answers are files with their own max-age (edges may serve them stale)
    localised: bool = False  # written in the reader's language: one cached copy per locale (handlers/i18n.py)


PRIVATE = Surface("private")
SITE = Surface("site", public=True, deadline=READ_DEADLINE, localised=True)
FILES = Surface("files", public=True, deadline=READ_DEADLINE, files=True)
PUBLIC_API = Surface("public-api", public=True, deadline=READ_DEADLINE, errors="json")
ADMIN = Surface("admin", session=True)
ADMIN_API = Surface("admin-api", errors="json", session=True)
SIGN_IN = Surface("sign-in", session=True)
# Readers subscribing by e-mail: private pages whose forms carry a CSRF token (in the session).
SUBSCRIBE = Surface("subscribe", session=True)
HOOKS = Surface("hooks", errors="json")
# Writes anyone may make through a public API (Statuspage's subscriber sign-up): never cached, no cookie.
PUBLIC_WRITES = Surface("public-writes", errors="json")
TASKS = Surface("tasks")


# --- the query arguments a public view reads ------------------------------------


def given(values):
    """The first value, stripped; nothing when blank (`start`, `end`)."""
    value = values[0].strip() if values else ""
    return [value] if value else []


def jsonp(values):
    """A JSONP function name, kept only when it is a plain one; anything else is refused."""
    if not values:
        return []
    if not valid_callback(values[0]):
        raise ValueError("'callback' must be a JavaScript function name: letters, digits, _, $ and dots.")
    return values[:1]


# The most names one argument may give (`services=a,b,…`, `filter=a&filter=b…`): the answer and its
# cache key stay bounded, and no board needs more in one query.
NAMES_MAX = 100
CURSOR_MAX = 1000  # a page cursor is a few hundred characters: a longer one was not made here
CURSOR = re.compile(r"[A-Za-z0-9_-]+={0,2}")


def _bounded(names, how):
    if len(names) > NAMES_MAX:
        raise ValueError(f"At most {NAMES_MAX} names in one query ({how}); this one gives {len(names)}.")
    return names


def comma_set(values):
    """A comma-separated set of names (`services=b,a,b`): sorted, without repeats or blanks; at most NAMES_MAX."""
    names = {name.strip() for value in values[:1] for name in value.split(",") if name.strip()}
    return [",".join(sorted(_bounded(names, "comma-separated")))] if names else []


def repeated_set(values):
    """A repeatable argument (`filter=a&filter=b`): its values sorted, without repeats or blanks; at most NAMES_MAX."""
    return sorted(_bounded({value.strip() for value in values if value.strip()}, "repeated argument"))


def page_cursor(values):
    """The `cursor` of a paged list, as a previous page gave it (URL-safe base64); anything else is refused."""
    value = values[0].strip() if values else ""
    if not value:
        return []
    if len(value) > CURSOR_MAX or not CURSOR.fullmatch(value):
        raise ValueError(PAGE_LINK_INVALID)
    return [value]


def chart_period(values):
    """The `period` of a chart (24h, 7d or 30d: models/series.py); anything else is refused."""
    value = values[0].strip() if values else ""
    if value and value not in PERIODS:
        raise ValueError(Text("'period' must be one of %(periods)s.", periods=", ".join(PERIODS)))
    return [value] if value else []


JSONP = {"callback": jsonp}

# The tags public answers carry; the models' `cache_purges` name the same ones.
BOARD = ("board",)  # anything on the board: services, events, incidents, maintenance
META = ("meta",)  # what changes only with statuses, images or a deploy (ALL covers those)


def numeric(value):
    """A decimal id as its number (`0123` is `123`), so both spellings carry one tag."""
    # Bounded: int() of thousands of digits is slow, and refused past 4300 (no id is that long anyway).
    return str(int(value)) if value.isascii() and value.isdigit() and len(value) <= 40 else value


def service_tags(service_id, **_):
    """An answer about one service."""
    return (f"service:{service_id}",)


def incident_tags(incident_id, **_):
    """An answer about one incident, however its id is spelled."""
    return (f"incident:{numeric(incident_id)}",)


@dataclasses.dataclass(frozen=True)
class Reads:
    """What a public answer depends on: its cache tags (from its URL arguments) and its query arguments."""

    tags: Callable[..., tuple]
    args: dict
    localised: bool = True  # its text is translated (on a localised surface): False for images, calendars
    # Seconds a kept answer stays good without any write (None: until a write touches its tags): for
    # answers that show data written too often to audit (probe response times, pushed metrics).
    fresh: int | None = None

    def tags_for(self, view_args):
        """The answer's tags, ALL first."""
        return (ALL, *self.tags(**view_args))

    def normalise(self, query_string):
        """The declared arguments of `query_string`, normalised, as sorted (name, value) pairs;
        ValueError says why one is refused."""
        pairs = urllib.parse.parse_qsl(query_string, keep_blank_values=True)
        found = {}
        for name, value in pairs:
            if name in self.args:
                found.setdefault(name, []).append(value)
        return tuple((name, value) for name in sorted(found) for value in self.args[name](found[name]))


def reads(tags, args=None, costly=False, localised=True, fresh=None):
    """Declare a public view's tags (`lambda **url_args: ("service:…",)`, or a tuple) and its query
    arguments; `costly`: its render is costly whatever the arguments (handlers/shedding.py);
    `localised=False`: its answer is the same in every language (one cached copy, no `Vary`);
    `fresh`: the seconds a kept answer stays good however few writes there are (Reads.fresh)."""
    function = tags if callable(tags) else (lambda **_: tuple(tags))
    declared = Reads(function, dict(args or {}), localised, fresh)

    def decorate(view):
        view.reads = declared
        if costly:
            view.costly = True
        return view

    return decorate


def declare(target, surface):
    """Declare the surface of a blueprint (or a view function registered on the app itself)."""
    target.surface = surface
    return target


def declared(surface):
    """Declare the surface of a view registered on the app itself; a decorator."""
    return lambda view: declare(view, surface)


def declare_endpoint(app, endpoint, surface):
    """Declare the surface of an app-level endpoint whose view takes no attribute (Flask's `static`)."""
    app.extensions.setdefault("stashboard.endpoints", {})[endpoint] = surface


# --- which route a request is ---------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Route:
    """A request's declaration: its surface, and its reads and URL arguments when it matched a public view."""

    surface: Surface
    reads: Reads | None = None
    view_args: dict = dataclasses.field(default_factory=dict)
    near: str | None = None  # unmatched: the prefix of the surface it fell under
    costly: bool = False  # its view declared its render costly (`@reads(costly=True)`), on any surface

    @property
    def cached(self):
        """Whether the page cache may keep and share this answer."""
        return self.surface.public and not self.surface.files and self.reads is not None

    @property
    def localised(self):
        """Whether the answer is written in the reader's language: one cached copy per shipped locale."""
        return self.surface.localised and self.reads is not None and self.reads.localised

    def tags(self):
        """The answer's cache tags (ALL first)."""
        return self.reads.tags_for(self.view_args)

    def declared_args(self, environ):
        """The request's declared query arguments, normalised (ValueError: one is refused);
        worked out once per request, for the cache key and for the view alike."""
        found = environ.get(ARGS_KEY)
        if found is None:
            try:
                found = self.reads.normalise(environ.get("QUERY_STRING", ""))
            except ValueError as error:
                found = error
            environ[ARGS_KEY] = found
        if isinstance(found, ValueError):
            raise found
        return found


class _Declarations:
    """An app's declarations, looked up per endpoint (never per path: memory stays flat)."""

    def __init__(self, app):
        self.app = app
        self.by_endpoint = {}
        self.prefixes = None
        self.lock = threading.Lock()

    def of_endpoint(self, endpoint):
        app = self.app
        blueprint = app.blueprints.get(endpoint.rpartition(".")[0]) if "." in endpoint else None
        if blueprint is not None:
            surface = getattr(blueprint, "surface", PRIVATE)
        else:
            endpoints = app.extensions.get("stashboard.endpoints", {})
            surface = endpoints.get(endpoint) or getattr(app.view_functions.get(endpoint), "surface", PRIVATE)
        view_reads = getattr(app.view_functions.get(endpoint), "reads", None)
        return surface, view_reads if surface.public else None

    def costly(self, endpoint):
        """Whether the endpoint's view declared its render costly (public or private alike)."""
        return getattr(self.app.view_functions.get(endpoint), "costly", False)

    def of_rule(self, rule):
        """(surface, reads, costly) of a matched rule, kept per endpoint (the rules of one view share them)."""
        found = self.by_endpoint.get(rule.endpoint)
        if found is None:
            found = (*self.of_endpoint(rule.endpoint), self.costly(rule.endpoint))
            with self.lock:
                self.by_endpoint[rule.endpoint] = found
        return found

    def of_unmatched(self, path):
        """The surface of the blueprint whose prefix shares most of `path` (a whole prefix first);
        none: the public site's."""
        if self.prefixes is None:
            self.prefixes = [(blueprint.url_prefix.strip("/").split("/"), getattr(blueprint, "surface", PRIVATE))
                             for blueprint in self.app.blueprints.values() if blueprint.url_prefix]
        segments = path.strip("/").split("/")
        best, best_score, near = SITE, (0, False), None
        for prefix, surface in self.prefixes:
            shared = 0
            while shared < min(len(prefix), len(segments)) and prefix[shared] == segments[shared]:
                shared += 1
            score = (shared, shared == len(prefix))
            if shared and score > best_score:
                best, best_score, near = surface, score, "/" + "/".join(prefix)
        return best, (None if best_score[1] else near)


def _declarations(app):
    found = app.extensions.get("stashboard.routes")
    if found is None:
        found = app.extensions.setdefault("stashboard.routes", _Declarations(app))
    return found


def declaration_of(app, endpoint):
    """(surface, reads) of an endpoint: reads only on a public surface (a test walks the URL map with it)."""
    return _declarations(app).of_endpoint(endpoint)


def route_of(app, environ):
    """The declaration of the request in `environ` (kept in it: every layer asks once)."""
    found = environ.get(ROUTE_KEY)
    if found is not None:
        return found
    declarations = _declarations(app)
    try:
        rule, view_args = app.url_map.bind_to_environ(environ).match(return_rule=True)
    except (NotFound, MethodNotAllowed, RequestRedirect):
        surface, near = declarations.of_unmatched(environ.get("PATH_INFO", ""))
        found = Route(surface, near=near)
    except HTTPException:  # e.g. a malformed host: nothing to declare, so private
        found = Route(PRIVATE)
    else:
        surface, view_reads, view_costly = declarations.of_rule(rule)
        found = Route(surface, view_reads, view_args, costly=view_costly)
    environ[ROUTE_KEY] = found
    return found


# --- a public view sees only what it declared -----------------------------------


class UndeclaredArgument(LookupError):
    """A public view read a query argument it did not declare (raised in tests only)."""


class DeclaredArgs(ImmutableMultiDict):
    """`request.args` of a public view: its declared arguments, normalised; in tests, reading
    another raises, so a view cannot depend on an argument its cache key leaves out."""

    def __init__(self, pairs=(), declared=(), strict=False):
        super().__init__(pairs)
        self.declared = frozenset(declared)
        self.strict = strict

    def _check(self, key):
        if self.strict and key not in self.declared:
            raise UndeclaredArgument(f"this view reads ?{key}= without declaring it in @reads(args=…)")

    def __getitem__(self, key):
        self._check(key)
        return super().__getitem__(key)

    def get(self, key, default=None, type=None):
        self._check(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):
        self._check(key)
        return super().getlist(key, type)

    def __contains__(self, key):
        self._check(key)
        return super().__contains__(key)


def register(app):
    """Give public views only their declared, normalised query arguments (a refused one is a 400)."""
    declare_endpoint(app, "static", FILES)

    @app.before_request
    def declared_args_only():
        """A public view reads the arguments its cache key holds, as the key holds them."""
        route = route_of(app, request.environ)
        if not route.surface.public:
            return
        if route.reads is None:
            request.args = DeclaredArgs()
            return
        try:
            pairs = route.declared_args(request.environ)
        except ValueError as error:
            request.args = DeclaredArgs()
            raise BadRequest(error.args[0] if error.args else str(error)) from None  # a Text stays one
        request.args = DeclaredArgs(pairs, route.reads.args, strict=app.testing)
