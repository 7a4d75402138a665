"""The admin blueprint and what all its views share: who may come in, whom changes are
attributed to, how a form is submitted and how a change is confirmed.

Every view here needs a signed-in admin, and every change it makes is attributed to
that admin in the audit log; both are arranged once, for the whole blueprint.
"""

import contextlib

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from handlers.auth.credentials import signed_in_user, user_is_admin
from handlers.auth.forms import ConfirmForm
from handlers.local_urls import same_origin_path
from handlers.routes import ADMIN, declare
from models import Actor, StashboardError, acting_as

bp = declare(Blueprint("admin", __name__, url_prefix="/admin"), ADMIN)


# --- who may come in -------------------------------------------------------


@bp.before_request
def require_admin():
    """Anonymous visitors go to sign-in; signed-in non-admins see why they cannot come in."""
    user = signed_in_user()
    if user is None:
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
    if not user_is_admin(user):
        return render_template("auth/not_admin.html", user=user, form=ConfirmForm()), 403
    g.user = user
    g.actor = Actor(email=user.email, via=user.via)
    # Entered here and left in teardown, so no write in any view can go unattributed.
    g.acting = contextlib.ExitStack()
    g.acting.enter_context(acting_as(g.actor))
    return None


@bp.teardown_request
def stop_acting(error=None):
    """Leave the admin's audit context at the end of the request."""
    acting = g.pop("acting", None)
    if acting is not None:
        acting.close()


# --- what the templates share ----------------------------------------------


@bp.context_processor
def admin_helpers():
    """Formatting helpers for the admin templates."""
    return {"when": when, "audit_changes": audit_changes, "cancel_url": cancel_url}


def cancel_url():
    """Where a form's Cancel leads: back to the page of this site it came from, else the admin home."""
    back = same_origin_path(request.referrer, request.host_url) if request.method == "GET" else None
    return back or url_for("admin.index")


def when(moment):
    """A stored (naive UTC) time as the admin pages show it."""
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment else "never"


def audit_changes(entry):
    """(field, before, after) rows: every value for a create or delete, the changed ones for an update."""
    before, after = entry.before or {}, entry.after or {}
    # The id is already in the entity column.
    names = sorted((set(before) | set(after)) - {"id"})
    if entry.action == "update":
        names = [name for name in names if before.get(name) != after.get(name)]
    return [(name, _shown(before.get(name)), _shown(after.get(name))) for name in names]


def _shown(value):
    """A stored value as the audit page prints it."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- forms and confirmations -----------------------------------------------


def refused(form, error):
    """Show a refused write on its form; the admin's input stays in the fields."""
    form.form_errors.append(error.message)


def submit(form, save, done, back):
    """For a valid submission run `save()`: success flashes `done` and redirects to `back`.

    Answers None when the form is to be shown again, with a refusal as its error and
    what the admin typed kept. `done` and `back` may be functions of what `save` returns.
    """
    if not form.validate_on_submit():
        return None
    try:
        saved = save()
    except StashboardError as error:
        refused(form, error)
        return None
    flash(done(saved) if callable(done) else done, "success")
    return redirect(back(saved) if callable(back) else back)


def confirm(question, detail, button, cancel_url):
    """The page that asks before a change; its form posts back to the same URL."""
    return render_template(
        "admin/confirm.html", form=ConfirmForm(), question=question, detail=detail, button=button, cancel_url=cancel_url
    )


def carry_out(action, done, back):
    """Carry out a confirmed change; a refusal is a flash message, never a 500."""
    try:
        action()
    except StashboardError as error:
        flash(error.message, "error")
    else:
        flash(done, "success")
    return redirect(back)
