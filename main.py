"""Stashboard: a status page for APIs and hosted services, on App Engine.

App Engine runs `gunicorn main:app`; `create_app` builds the app for tests and tools.
"""

from flask import Flask, abort, request, send_from_directory
from werkzeug.middleware.proxy_fix import ProxyFix

import config
from handlers import (admin, api, auth, bodies, cli, errors, hooks, i18n, routes, security, shedding, site, subscribe,
                      tasks, warmup)
from handlers.cache import PageCache
from handlers.context import ndb_wsgi_middleware
from models import sealed
from workers import alerts, appengine_mail, channels, mail, notify


def create_app(test_config=None, secret_source=None):
    """Build the app: defaults, then the environment (and Secret Manager), then test overrides.

    `secret_source` stands in for Secret Manager (secret_settings.py); tests hand in a fake.
    """
    app = Flask(__name__)
    app.config.from_mapping(config.from_environment(secret_source=secret_source))
    if test_config:
        app.config.from_mapping(test_config)
    # Stored signing secrets are sealed with this deployment's key (models/sealed.py).
    sealed.use_key(app.config["TOKEN_SECRETS_KEY"])

    errors.register(app)
    routes.register(app)
    # Right after the query arguments are checked: a shed request does nothing else.
    shedding.register(app)
    security.register(app)
    site.register(app)
    # The reader's language on the site, its feeds and its e-mails (translations/).
    i18n.register(app)
    cli.register(app)

    @app.get("/images/<path:filename>")
    @routes.declared(routes.FILES)
    def images(filename):
        """Status icons; App Engine serves these from static/ before the app sees them."""
        return send_from_directory(app.static_folder, f"images/{filename}", max_age=86400)

    @app.before_request
    def refuse_large_bodies():
        """Answer 413 for an oversized body (with or without a length) before checking credentials."""
        limit = app.config["MAX_CONTENT_LENGTH"]
        if request.content_length is not None and request.content_length > limit:
            abort(413, f"The request body is larger than {limit // 1024} KiB.")
        if request.content_length is None and "wsgi.input_terminated" in request.environ:
            bodies.read_chunked_body(limit)

    @app.before_request
    def refuse_deep_json():
        """Answer 400 for JSON nested deep enough to exhaust the parser, on every route that reads JSON."""
        bodies.refuse_deep_json(routes.route_of(app, request.environ).surface.errors == "json")

    # After the checks above: CSRF reads the body, which must not be an oversized one.
    auth.register(app)
    api.register(app)
    admin.register(app)
    tasks.register(app)
    # A new board is installed by App Engine's warmup request, its first write or any
    # `flask --app main` command (models/install.py), never by a reader's GET.
    warmup.register(app)
    hooks.register(app)
    subscribe.register(app)
    # Sends what the outbox records, once each write commits (workers/notify.py).
    app.extensions["stashboard.dispatcher"] = notify.Dispatcher(app)
    # Mails readers subscribed by e-mail, likewise (workers/mail.py).
    app.extensions["stashboard.mail_dispatcher"] = mail.Dispatcher(app)
    # Verifies readers' own channels (webhook, Slack, Teams, Discord) once they sign up (workers/channels.py).
    app.extensions["stashboard.channel_dispatcher"] = channels.Dispatcher(app)
    # Applies the alert deliveries recorded before their answer (workers/alerts.py).
    app.extensions["stashboard.alerts_dispatcher"] = alerts.Dispatcher(app)

    # App Engine's front end sets X-Forwarded-Proto; URLs in API bodies use it.
    app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1)
    app.wsgi_app = ndb_wsgi_middleware(app.wsgi_app, app)
    # Outermost: a cached public answer needs neither Flask nor the Datastore.
    app.wsgi_app = app.extensions["stashboard.page_cache"] = PageCache(app.wsgi_app, app)
    # App Engine's bundled services (its Mail API), only when MAIL_SENDER chooses them.
    appengine_mail.wrap(app)
    return app


app = create_app()
