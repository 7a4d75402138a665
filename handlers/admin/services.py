"""Creating, editing and deleting services (a service's own page is on the board, board.py)."""

from flask import url_for

from handlers.admin.crud import Managed, crud_routes
from handlers.admin.forms import ServiceForm, choices
from models import Service, ServiceList


@crud_routes
class Services(Managed):
    """Services: named and described, each in at most one list; deleted with their whole history."""

    noun = "service"
    path = "/services"
    model = Service
    form_class = ServiceForm
    new_title = "New service"
    delete_detail = "The service and its whole history of events are deleted. This cannot be undone."

    def fill(self, form):
        """Offer every list, and none."""
        form.list.choices = choices([("", "No list")] + [(lst.slug, lst.name) for lst in ServiceList.ordered()])

    def form_data(self, service):
        """Name, description and list id ("" for none)."""
        return {**super().form_data(service), "list": service.service_list.id() if service.service_list else ""}

    def create(self, form):
        """Add a service."""
        return Service.create(form.name.data, form.description.data, form.list.data or None)

    def update(self, service, form):
        """Rename a service, describe it, or move it to another list."""
        return service.update(name=form.name.data, description=form.description.data, list=form.list.data)

    def delete(self, service):
        """Delete a service and all its events, after asking."""
        return service.delete()

    def back(self, service):
        """A service's own page."""
        return url_for("admin.service", service_id=service.slug)
