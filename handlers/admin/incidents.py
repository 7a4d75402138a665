"""Incidents: open, update, resolve and write up incidents. Opening, editing and deleting an
incident use the admin's one form shape (crud.py); each change is one audited transaction.
The incidents page also lists the maintenance windows (managed in maintenance.py)."""

from flask import render_template, url_for

from handlers.admin.blueprint import bp, submit
from handlers.admin.crud import Managed, crud_routes
from handlers.admin.forms import EditIncidentForm, IncidentUpdateForm, OpenIncidentForm
from handlers.admin.forms import service_choices, status_choices
from models import Snapshot, Incident, Maintenance

PAST = 50


@bp.get("/incidents/")
def incidents():
    """Open and past incidents, and the maintenance windows."""
    return render_template("admin/incidents.html", incidents=Incident.past(PAST), windows=Maintenance.newest(PAST))


@crud_routes
class Incidents(Managed):
    """Incidents: opened with a first update, renamed or written up, deleted if opened by mistake."""

    noun = "incident"
    path = "/incidents"
    model = Incident
    form_class = OpenIncidentForm
    new_title = "Open an incident"
    home = "admin.incidents"
    delete_detail = "The incident goes; the events it posted stay in the services' histories."

    def named(self, incident):
        """Named in the words as "the incident Email delays"."""
        return f"the incident {incident.title}"

    def fill(self, form):
        """Offer every service and status (an edit form has neither)."""
        if isinstance(form, OpenIncidentForm):
            form.services.choices = service_choices(Snapshot.now())
            form.status.choices = status_choices(Snapshot.now().statuses, "Keep their current status")

    def form_for(self, entity):
        """Opening takes services and a first update; an edit, the title, impact and postmortem."""
        return EditIncidentForm if entity is not None else OpenIncidentForm

    def form_data(self, incident):
        """Title, impact and postmortem."""
        return {"title": incident.title, "impact": incident.impact, "postmortem": incident.postmortem or ""}

    def create(self, form):
        """Open an incident about the chosen services, optionally setting their status."""
        statuses = ",".join(f"{sid}={form.status.data}" for sid in form.services.data) if form.status.data else None
        return Incident.open(form.title.data, form.services.data, form.message.data, form.state.data, statuses)

    def update(self, incident, form):
        """Rename an incident, set its impact or write its postmortem."""
        return incident.edit(title=form.title.data, impact=form.impact.data, postmortem=form.postmortem.data)

    def delete(self, incident):
        """Delete an incident opened by mistake, after asking; its events stay."""
        return incident.delete()

    def back(self, incident):
        """The incident's own admin page."""
        return url_for("admin.incident", incident_id=incident.incident_id) if incident else url_for(self.home)


def _incident_page(incident, form, status=200):
    return render_template("admin/incident.html", incident=incident, form=form), status


@bp.get("/incidents/<incident_id>")
def incident(incident_id):
    """One incident: its timeline, and the form that posts its next update."""
    incident = Incident.get_or_404(incident_id)
    form = IncidentUpdateForm.for_incident(incident, Snapshot.now().statuses, data={"state": incident.state})
    return _incident_page(incident, form)


@bp.post("/incidents/<incident_id>/updates")
def post_incident_update(incident_id):
    """Post an update: a message, a state (resolved ends it) and new statuses of affected services."""
    incident = Incident.get_or_404(incident_id)
    form = IncidentUpdateForm.for_incident(incident, Snapshot.now().statuses)
    done = submit(form, lambda: incident.post_update(form.message.data, form.state.data, form.statuses()),
                  "Posted the update.", url_for("admin.incident", incident_id=incident.incident_id))
    return done or _incident_page(incident, form, 400)
