"""The public status site: pages, archives, feeds and the API documentation page."""

from handlers.site import badges, filters  # noqa: F401 (badges: its routes)
from handlers.site.views import bp


def register(app):
    """Mount the public site on the app."""
    filters.register(app)
    app.register_blueprint(bp)
