"""Maintenance windows: announced with the admin's one form shape (crud.py), cancelled after
asking; each change is one audited transaction. The incidents page lists them."""

from flask import url_for

from handlers.admin.blueprint import bp, when
from handlers.admin.crud import Ask, EntityForm, Managed, asks_first
from handlers.admin.forms import MaintenanceForm, service_choices
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
                                    form.ends.data)


bp.add_url_rule("/maintenance/new", view_func=EntityForm.as_view("schedule_maintenance", Windows()))


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
