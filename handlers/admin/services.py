"""Services: creating, editing and deleting them, and a service's own page, where its events
are posted and pruned."""

from flask import render_template, url_for

from handlers.admin.blueprint import bp, submit, when
from handlers.admin.crud import Ask, Managed, asks_first, crud_routes
from handlers.admin.forms import EventForm, ServiceForm, choices
from models import Snapshot, Event, Service, ServiceList

HISTORY_PAGE = 50


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
        """Name, description, list id ("" for none) and where the public pages show it."""
        return {**super().form_data(service), "list": service.service_list.id() if service.service_list else "",
                "showcase": service.showcase is not False, "only_show_if_degraded": bool(service.only_show_if_degraded)}

    def create(self, form):
        """Add a service."""
        return Service.create(form.name.data, form.description.data, form.list.data or None,
                              only_show_if_degraded=form.only_show_if_degraded.data, showcase=form.showcase.data)

    def update(self, service, form):
        """Rename a service, describe it, move it to another list, or choose where the public pages show it."""
        return service.update(name=form.name.data, description=form.description.data, list=form.list.data,
                              only_show_if_degraded=form.only_show_if_degraded.data, showcase=form.showcase.data)

    def delete(self, service):
        """Delete a service and all its events, after asking."""
        return service.delete()

    def back(self, service):
        """A service's own page."""
        return url_for("admin.service", service_id=service.slug)


def _service_page(service, board, form, status=200):
    """A service's page: its current status and list, the event form, its newest events."""
    page = render_template(
        "admin/service.html",
        service=service,
        row=board.rows[0],
        board=board,
        events=Event.for_service(service.key, limit=HISTORY_PAGE),
        form=form,
    )
    return page, status


@bp.get("/services/<service_id>")
def service(service_id):
    """One service: post an event, read and prune its history."""
    service = Service.get_or_404(service_id)
    board = Snapshot.of([service], with_lists=True)
    return _service_page(service, board, EventForm().offer(board.statuses))


@bp.post("/services/<service_id>/events")
def post_event(service_id):
    """Post an event (status + message) or an informational note for this service."""
    service = Service.get_or_404(service_id)
    board = Snapshot.of([service], with_lists=True)
    form = EventForm().offer(board.statuses)
    done = submit(
        form,
        lambda: Event.post(service, form.message.data, form.status.data or None, form.informational.data),
        f"Posted on {service.name}.",
        url_for("admin.service", service_id=service.slug),
    )
    return done or _service_page(service, board, form, 400)


@asks_first("/services/<service_id>/events/<sid>/delete")
def delete_event(service_id, sid):
    """Delete a wrong event, after asking; the service's status follows its newest remaining event."""
    service = Service.get_or_404(service_id)
    event = Event.get_for_service(service.key, sid)
    return Ask(
        f"Delete this event of {service.name}?",
        f"“{event.message}” ({when(event.timestamp)})",
        "Delete event",
        cancel=url_for("admin.service", service_id=service.slug),
        act=event.delete,
        done="Deleted the event.",
    )
