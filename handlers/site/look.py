"""The board's own look on every page (models/look.py): name, logo, favicon, header and footer
text in the templates, the accent colour through a small generated stylesheet (/theme.css: the
Content-Security-Policy allows no inline style), and the origins of the logo, favicon and extra
stylesheet handed to the security headers (handlers/security.py) of the page that uses them.

A page showing the board reads the look with the board (Snapshot, no RPC more); any other page
(documentation, subscribing, errors, the admin) reads it once when base.html asks.
"""

import collections.abc

from flask import Response, current_app, g

from handlers.routes import META, reads
from handlers.site.views import bp
from models.look import Look

# Templates read the board's name as config.SITE_NAME (its header's as SITE_LOGO_TEXT): a name
# set on the settings page stands in for both, once base.html has taken the page's look.
NAMED = ("SITE_NAME", "SITE_LOGO_TEXT")


def page_look(board=None):
    """The look of the page being rendered (the board's, when it was read with one), kept on `g`
    for the security headers and the templates' name."""
    if "look" not in g:
        g.look = getattr(board, "look", None) or Look.current()
        g.look_sources = g.look.sources()
    return g.look


class NamedConfig(collections.abc.Mapping):
    """The app's config as templates read it, with the board's name when one is set."""

    def __getitem__(self, name):
        look = g.get("look")
        if name in NAMED and look is not None and look.name:
            return look.name
        return current_app.config[name]

    def __iter__(self):
        return iter(current_app.config)

    def __len__(self):
        return len(current_app.config)


@bp.app_context_processor
def the_look():
    """`page_look` for base.html, and `config` that answers the board's name once the look is taken."""
    return {"page_look": page_look, "config": NamedConfig()}


@bp.get("/theme.css")
@reads(META)
def theme():
    """The accent colour as a stylesheet (`:root{--accent:…}`), linked by every page when one is set."""
    accent = page_look().accent
    body = f":root{{--accent:{accent}}}\n" if accent else "/* no accent colour set */\n"
    return Response(body, mimetype="text/css")
