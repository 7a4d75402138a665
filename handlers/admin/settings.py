"""The board's settings: what the front page shows, /api/v2's maintenance indicator and the board's
own look (changes are audited like every other)."""

from flask import render_template, url_for

from handlers.admin.blueprint import bp, submit
from handlers.admin.forms import BoardSettingsForm, LookForm
from models import Installation
from models.look import FIELDS as LOOK_FIELDS
from models.look import Look
from models.status import DEFAULT_FRONT_PAGE, FRONT_PAGES


def _settings_page(form, status=200, look_form=None):
    """The settings forms."""
    look_form = look_form or LookForm(obj=Look.current())
    return render_template("admin/settings.html", form=form, look_form=look_form), status


@bp.get("/settings")
def settings():
    """The board's settings, as stored (a board that never chose shows the default)."""
    return _settings_page(_stored_settings_form())


def _stored_settings_form():
    """The settings form as stored."""
    board = Installation.load()
    return BoardSettingsForm(front_page=board.front_page or DEFAULT_FRONT_PAGE,
                             maintenance_indicator=bool(board.maintenance_indicator))


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


@bp.post("/settings/look")
def save_look():
    """Store the board's look; every public page shows it at once (the whole cache is purged)."""
    form = LookForm()
    done = submit(
        form,
        lambda: Look.save(**{field: getattr(form, field).data for field in LOOK_FIELDS}),
        "The board's look is saved.",
        url_for("admin.settings"),
    )
    return done or _settings_page(_stored_settings_form(), 400, form)
