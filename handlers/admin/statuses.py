"""The statuses events can carry: the list, and creating, editing and deleting one."""

from flask import render_template

from handlers.admin.blueprint import bp
from handlers.admin.crud import Managed, crud_routes
from handlers.admin.forms import StatusForm, choices
from models import Status, StatusImage


@bp.get("/statuses/")
def statuses():
    """Every status, least severe first, with which one is the default."""
    return render_template("admin/statuses.html", statuses=Status.by_severity(), default_key=Status.default_key())


@crud_routes
class Statuses(Managed):
    """Statuses: a level, an image, and at most one of them the board's default."""

    noun = "status"
    path = "/statuses"
    model = Status
    form_class = StatusForm
    template = "admin/status_form.html"
    new_title = "New status"
    home = "admin.statuses"
    delete_detail = "Only a status that no event uses and that is not the default can be deleted."

    def named(self, status):
        """Named in the words as "the status Up"."""
        return f"the status {status.name}"

    def fill(self, form):
        """Offer every status image."""
        form.image.choices = choices((image.name, image.name) for image in StatusImage.all())

    def form_data(self, status):
        """Name, description, level, image and whether it is the default."""
        extra = {"level": status.level, "image": status.image, "default": status.key == Status.default_key()}
        return {**super().form_data(status), **extra}

    def create(self, form):
        """Add a status: name, description, level, image; optionally make it the default."""
        return Status.create(
            form.name.data, form.description.data, form.image.data, level=form.level.data, default=form.default.data
        )

    def update(self, status, form):
        """Change a status; ticking "default" makes it the board's default."""
        return status.update(
            name=form.name.data,
            description=form.description.data,
            image=form.image.data,
            level=form.level.data,
            default=form.default.data,
        )

    def delete(self, status):
        """Delete a status no event uses and that is not the default, after asking."""
        return status.delete()
