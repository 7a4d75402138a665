"""One NDB context per request or command, opened outside every view."""

import contextlib
import functools

from google.cloud import ndb


@functools.cache
def ndb_client():
    """The process's NDB client, made on first use so importing the app needs no credentials."""
    return ndb.Client()


def ndb_context(app):
    """An NDB context on the app's namespace (no in-context cache in tests).

    Inside an existing context (a test arranging data in this thread) that one is reused.
    """
    if ndb.get_context(raise_context_error=False) is not None:
        return contextlib.nullcontext()
    options = {"cache_policy": False} if app.testing else {}
    return ndb_client().context(namespace=app.config["NDB_NAMESPACE"], **options)


def ndb_wsgi_middleware(wsgi_app, app):
    """Open one NDB context around each request, outside every view."""

    def middleware(environ, start_response):
        with ndb_context(app):
            return wsgi_app(environ, start_response)

    return middleware
