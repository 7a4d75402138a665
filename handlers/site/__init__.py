"""The public status site: pages, archives, feeds and the API documentation page."""

from handlers.site import badges, filters, incidents, maintenance  # noqa: F401 (badges, incidents, maintenance: their routes)
from handlers.site import charts, glance  # noqa: F401 (glance: its routes)
from handlers.site import look  # noqa: F401 (its route and the templates' look)
from handlers.site.archives import DayConverter
from handlers.site.views import bp


def register(app):
    """Mount the public site on the app."""
    filters.register(app)
    charts.register(app)
    app.url_map.converters["day"] = DayConverter
    app.register_blueprint(bp)
