"""One NDB context per request or command, opened outside every view."""

from google.cloud import ndb


def ndb_client(app):
    """The app's NDB client, made on first use so importing the app needs no credentials."""
    client = app.extensions.get("stashboard.ndb_client")
    if client is None:
        client = ndb.Client(namespace=app.config["NDB_NAMESPACE"])
        app.extensions["stashboard.ndb_client"] = client
    return client


def ndb_context(app):
    """An NDB context for one request or command (no in-context cache in tests)."""
    options = {"cache_policy": False} if app.testing else {}
    return ndb_client(app).context(**options)


def ndb_wsgi_middleware(wsgi_app, app):
    """Open one NDB context around each request, outside every view."""

    def middleware(environ, start_response):
        with ndb_context(app):
            return wsgi_app(environ, start_response)

    return middleware
