"""Service lists: every list with its services, and creating, editing and deleting one."""

from flask import render_template

from handlers.admin.blueprint import bp
from handlers.admin.crud import Managed, crud_routes
from handlers.admin.forms import ServiceListForm
from models import Snapshot, ServiceList


@bp.get("/lists/")
def lists():
    """Every service list with its services; services move between lists from their edit page."""
    board = Snapshot.now()
    rows = [(lst, [row.service for row in board.rows if row.service.list_id == lst.slug]) for lst in board.lists]
    unlisted = [row.service for row in board.rows if row.service_list is None]
    return render_template("admin/lists.html", rows=rows, unlisted=unlisted)


@crud_routes
class ServiceLists(Managed):
    """Service lists: a name and a description; deleting one keeps its services."""

    noun = "list"
    path = "/lists"
    model = ServiceList
    form_class = ServiceListForm
    new_title = "New service list"
    home = "admin.lists"
    delete_detail = "Its services are kept, with no list."

    def named(self, service_list):
        """Named in the words as "the list Core"."""
        return f"the list {service_list.name}"

    def create(self, form):
        """Add a service list."""
        return ServiceList.create(form.name.data, form.description.data)

    def update(self, service_list, form):
        """Rename or describe a service list."""
        return service_list.update(name=form.name.data, description=form.description.data)

    def delete(self, service_list):
        """Delete a service list, after asking; its services stay, with no list."""
        return service_list.delete()
