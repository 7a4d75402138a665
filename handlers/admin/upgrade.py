"""Upgrading from Stashboard 1.x: what the old board holds, and the button that migrates it."""

from flask import render_template

from handlers.admin.blueprint import bp
from handlers.auth.forms import ConfirmForm
from handlers.legacy import REQUEST_BUDGET_SECONDS, migrate
from models.legacy import LegacyMigration


@bp.get("/upgrade")
def upgrade():
    """A dry run's counts and problems, the last run's record, and the button that migrates."""
    return render_template("admin/upgrade.html", form=ConfirmForm(), report=migrate(dry_run=True),
                           last=LegacyMigration.load(), ran=None)


@bp.post("/upgrade")
def run_upgrade():
    """Migrate for up to REQUEST_BUDGET_SECONDS; an unfinished run says so and is carried on by the next."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_template("admin/upgrade.html", form=form, report=migrate(dry_run=True),
                               last=LegacyMigration.load(), ran=None), 400
    ran = migrate(deadline=REQUEST_BUDGET_SECONDS)
    return render_template("admin/upgrade.html", form=ConfirmForm(), report=ran, last=LegacyMigration.load(), ran=ran)
