"""Maintenance windows: announced with the admin's one form shape (crud.py), told in updates on
their own page, cancelled after asking; each change is one audited transaction. The incidents
page lists them."""

from flask import render_template, url_for

from handlers.admin.blueprint import bp, submit, when
from handlers.admin.crud import Ask, EntityForm, Managed, asks_first
from handlers.admin.forms import MaintenanceForm, MaintenanceUpdateForm, service_choices
from models import Snapshot, Maintenance


class Windows(Managed):
    """Maintenance windows: announced here, cancelled after asking (not edited: cancel and announce anew)."""

    noun = "maintenance"
    form_class = MaintenanceForm
    new_title = "Announce maintenance"
    home = "admin.incidents"

    def named(self, window):
        """Named in the words as "the maintenance Database upgrade"."""
        return f"the maintenance {window.title}"

    def fill(self, form):
        """Offer every service."""
        form.services.choices = service_choices(Snapshot.now())

    def create(self, form):
        """Announce a maintenance window."""
        return Maintenance.schedule(form.title.data, form.message.data, form.services.data, form.starts.data,
                                    form.ends.data, form.remind_minutes.data)

    def back(self, window):
        """The window's own admin page, where its updates are posted."""
        return url_for("admin.maintenance", maintenance_id=window.maintenance_id) if window else url_for(self.home)


bp.add_url_rule("/maintenance/new", view_func=EntityForm.as_view("schedule_maintenance", Windows()))


def _window_page(window, form, status=200):
    return render_template("admin/maintenance.html", window=window, form=form), status


@bp.get("/maintenance/<maintenance_id>")
def maintenance(maintenance_id):
    """One maintenance window: its updates, and the form that posts the next one."""
    window = Maintenance.get_or_404(maintenance_id)
    return _window_page(window, MaintenanceUpdateForm.for_window(window, data={"state": window.state}))


@bp.post("/maintenance/<maintenance_id>/updates")
def post_maintenance_update(maintenance_id):
    """Post an update: a message and a state (in progress starts it now, completed ends it now)."""
    window = Maintenance.get_or_404(maintenance_id)
    form = MaintenanceUpdateForm.for_window(window)
    done = submit(form, lambda: window.post_update(form.message.data, form.state.data), "Posted the update.",
                  url_for("admin.maintenance", maintenance_id=window.maintenance_id))
    return done or _window_page(window, form, 400)


@asks_first("/maintenance/<maintenance_id>/cancel")
def cancel_maintenance(maintenance_id):
    """Cancel a maintenance window, after asking; one in progress ends now."""
    window = Maintenance.get_or_404(maintenance_id)
    return Ask(
        f"Cancel the maintenance “{window.title}”?",
        f"{when(window.starts)} to {when(window.ends)}. Services in maintenance get back the status they had.",
        "Cancel maintenance",
        cancel=url_for("admin.incidents"),
        act=window.cancel,
        done=f"Cancelled the maintenance “{window.title}”.",
    )
