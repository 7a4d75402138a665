"""The board's settings: what the front page shows and /api/v2's maintenance indicator (changes are
audited like every other)."""

from flask import render_template, url_for

from handlers.admin.blueprint import bp, submit
from handlers.admin.forms import BoardSettingsForm
from models import Installation
from models.status import DEFAULT_FRONT_PAGE, FRONT_PAGES


def _settings_page(form, status=200):
    """The settings form."""
    return render_template("admin/settings.html", form=form), status


@bp.get("/settings")
def settings():
    """The board's settings, as stored (a board that never chose shows the default)."""
    board = Installation.load()
    form = BoardSettingsForm(front_page=board.front_page or DEFAULT_FRONT_PAGE,
                             maintenance_indicator=bool(board.maintenance_indicator))
    return _settings_page(form)


@bp.post("/settings")
def save_settings():
    """Store the board's settings; the front page shows the change at once (the cache is purged)."""
    form = BoardSettingsForm()
    done = submit(
        form,
        lambda: Installation.choose(form.front_page.data, form.maintenance_indicator.data),
        f"The front page now shows: {FRONT_PAGES.get(form.front_page.data, '')}.",
        url_for("admin.settings"),
    )
    return done or _settings_page(form, 400)
