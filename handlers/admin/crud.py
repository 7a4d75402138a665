"""The admin's two view shapes, held once: an entity's form, and ask-then-act.

Services, statuses and lists are created, edited and deleted alike; they differ only
in their model, their form and their words, which each supplies as a `Managed`
subclass (see services.py, statuses.py, lists.py). Revoking a token, removing an
admin and deleting an event ask before they act the same way deletes do.
"""

import dataclasses
from collections.abc import Callable

from flask import flash, redirect, render_template, url_for
from flask.views import MethodView

from handlers.admin.blueprint import bp, carry_out, confirm, submit


# --- ask, then act ---------------------------------------------------------


@dataclasses.dataclass
class Ask:
    """A change that is asked about first: the confirmation's words and what confirming does."""

    question: str
    detail: str
    button: str
    cancel: str  # where Cancel leads, and where the admin returns after
    act: Callable
    done: str  # flashed once it is done
    back: str | None = None  # where the admin returns after, when not `cancel`
    refusal: str | None = None  # why it is not even asked: flashed instead, back to `cancel`


class AskThenAct(MethodView):
    """GET asks before a change (nothing changes on GET); the confirmed POST carries it out."""

    def __init__(self, ask):
        self.ask = ask  # a function of the URL's arguments answering an Ask

    def get(self, **ids):
        ask = self.ask(**ids)
        return self._refuse(ask) or confirm(ask.question, ask.detail, ask.button, ask.cancel)

    def post(self, **ids):
        ask = self.ask(**ids)
        return self._refuse(ask) or carry_out(ask.act, ask.done, ask.back or ask.cancel)

    @staticmethod
    def _refuse(ask):
        """Go back without asking when the change is refused outright."""
        if ask.refusal is None:
            return None
        flash(ask.refusal, "error")
        return redirect(ask.cancel)


def asks_first(rule):
    """Route `rule` to an ask-then-act view whose Ask the decorated function makes from the URL's arguments.

    The function's name is the endpoint and its docstring the view's.
    """

    def route(ask):
        bp.add_url_rule(rule, view_func=_named(AskThenAct.as_view(ask.__name__, ask), ask))
        return ask

    return route


def _named(view, like):
    """Give a class-based view the docstring and module of the function that says what it does."""
    view.__doc__, view.__module__ = like.__doc__, like.__module__
    return view


# --- create, edit, delete --------------------------------------------------


class Managed:
    """One kind of entity the admin creates, edits and deletes: what differs from kind to kind.

    A subclass decorated with `crud_routes` gets three views: {path}/new, {path}/<{noun}_id>/edit
    and {path}/<{noun}_id>/delete, named create_{noun}, edit_{noun} and delete_{noun}. The
    docstrings of its `create`, `update` and `delete` are those of the three views.
    """

    noun = ""  # "status": admin.create_status, /<status_id>/…, "Delete status"
    path = ""  # "/statuses"
    model = None  # the model class: get_or_404(slug)
    form_class = None
    template = "admin/form.html"
    new_title = ""
    home = "admin.index"  # the endpoint the admin returns to after a delete
    delete_detail = ""

    def find(self, ids):
        """The entity the URL's arguments name (NotFound for none such), or None on the create page."""
        return self.model.get_or_404(ids[f"{self.noun}_id"]) if ids else None

    def named(self, entity):
        """How the flash messages and the question name the entity."""
        return entity.name

    def fill(self, form):
        """Fill in the form's choices."""

    def form_for(self, entity):
        """The form class to create (entity None) or to edit `entity` with."""
        return self.form_class

    def form_data(self, entity):
        """The edit form's values from the stored entity."""
        return {"name": entity.name, "description": entity.description}

    def create(self, form):
        """Store a new entity from the valid form; answers it (a refusal raises StashboardError)."""
        raise NotImplementedError

    def update(self, entity, form):
        """Change the stored entity as the valid form says; answers the updated entity."""
        raise NotImplementedError

    def delete(self, entity):
        """Delete the stored entity (a refusal raises StashboardError)."""
        raise NotImplementedError

    def back(self, entity):
        """Where the admin goes after saving the entity (and from its delete question's Cancel)."""
        return url_for(self.home)

    def ask_delete(self, **ids):
        """The question before deleting, and the delete."""
        entity = self.find(ids)
        return Ask(
            f"Delete {self.named(entity)}?",
            self.delete_detail,
            f"Delete {self.noun}",
            cancel=self.back(entity),
            act=lambda: self.delete(entity),
            done=f"Deleted {self.named(entity)}.",
            back=url_for(self.home),
        )


def crud_routes(cls):
    """Class decorator: route the create, edit and delete views of a `Managed` kind."""
    kind = cls()
    one = f"{kind.path}/<{kind.noun}_id>"
    create = EntityForm.as_view(f"create_{kind.noun}", kind)
    edit = EntityForm.as_view(f"edit_{kind.noun}", kind)
    delete = AskThenAct.as_view(f"delete_{kind.noun}", kind.ask_delete)
    bp.add_url_rule(f"{kind.path}/new", view_func=_named(create, kind.create))
    bp.add_url_rule(f"{one}/edit", view_func=_named(edit, kind.update))
    bp.add_url_rule(f"{one}/delete", view_func=_named(delete, kind.delete))
    return cls


class EntityForm(MethodView):
    """GET shows a kind's form, blank to create, filled in to edit; a valid POST saves, flashes
    and goes back; an invalid or refused one shows the form again with what was typed (400)."""

    def __init__(self, kind):
        self.kind = kind

    def get(self, **ids):
        entity = self.kind.find(ids)
        return self._page(self._form(entity), entity)

    def post(self, **ids):
        entity = self.kind.find(ids)
        form = self._form(entity)
        kind = self.kind
        if entity is None:
            save, verb = (lambda: kind.create(form)), "Created"
        else:
            save, verb = (lambda: kind.update(entity, form)), "Saved"
        done = submit(form, save, lambda saved: f"{verb} {kind.named(saved)}.", kind.back)
        return done or self._page(form, entity, 400)

    def _form(self, entity):
        """The kind's form: blank, or filled in from the entity (what was posted wins)."""
        form = self.kind.form_for(entity)(data=None if entity is None else self.kind.form_data(entity))
        self.kind.fill(form)
        return form

    def _page(self, form, entity, status=200):
        title = self.kind.new_title if entity is None else f"Edit {entity.name}"
        return render_template(self.kind.template, form=form, title=title), status
