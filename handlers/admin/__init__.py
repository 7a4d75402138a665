"""The admin UI at /admin: keep the board true, hand out API tokens, read the audit log.

One module per thing the admin manages; `blueprint` holds what they all share (who may
come in, whom changes are attributed to) and `crud` the create / edit / delete shape.
"""

from handlers.admin import admins, audit, board, credentials, incidents, lists, services, statuses  # noqa: F401
from handlers.admin import maintenance, upgrade  # noqa: F401 (their routes)
from handlers.admin import integrations, probes, settings, subscribers  # noqa: F401 (their routes)
from handlers.admin.blueprint import bp


def register(app):
    """Mount the admin UI."""
    app.register_blueprint(bp)
