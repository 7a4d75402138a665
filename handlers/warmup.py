"""App Engine's warmup request (`inbound_services: warmup` in app.yaml): a new instance
pays here, before it takes traffic, what its first reader would otherwise pay.

What a cold instance's first page costs besides importing `main` (done before any
request): the NDB client and its gRPC channel with credentials, the board's
installation check and the templates' compilation. Warming reads the board (which
opens the channel), installs a board never installed (the one write, idempotent;
readers never install) and compiles every template. It is private (handlers/cache.py's `/_ah/` prefix) and answers 200 with
what it did, so a failed warmup shows in the logs.
"""

import time

from flask import Blueprint, current_app, jsonify

from handlers.routes import TASKS, declare

from models import Snapshot, install
from models.rebuild import index_board

bp = Blueprint("warmup", __name__)


@bp.get("/_ah/warmup")
def warmup():
    """Prime this instance: the Datastore channel, the installation, the templates."""
    started = time.perf_counter()
    installed = install()
    indexed = index_board()  # a board from before its index: once, after an upgrade
    board = Snapshot.now(current_app.config["HISTORY_DAYS"])
    templates = prime_templates(current_app)
    took = round((time.perf_counter() - started) * 1000)
    current_app.logger.info("Warmed up in %d ms (%d templates%s%s)", took, templates,
                            ", installed" if installed else "", ", indexed" if indexed else "")
    return jsonify({"installed": installed, "indexed": indexed, "services": len(board.rows), "templates": templates, "ms": took})


def prime_templates(app):
    """Compile every template into Jinja's cache (it holds up to 400; the app has a few dozen)."""
    names = app.jinja_env.list_templates(extensions=["html", "xml", "txt"])
    for name in names:
        app.jinja_env.get_template(name)
    return len(names)


def register(app):
    """Mount the warmup handler."""
    app.extensions["csrf"].exempt(bp)
    app.register_blueprint(declare(bp, TASKS))
