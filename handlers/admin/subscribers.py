"""Subscribers: webhook URLs told of every change, and what each delivery to them met; and the
readers' subscriptions (e-mail and their own channels): how many there are of each, and removing
one found by its exact address or channel id. A reader's address is typed in and posted, never
shown: the removal page names the reader by its id, and the audit entry holds no address."""

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length

from handlers.admin.blueprint import bp
from handlers.admin.crud import Ask, Managed, asks_first, crud_routes
from handlers.admin.forms import SubscriberForm
from models import StashboardError, privacy
from models.channels import KINDS
from models.outbox import Delivery, Notification
from models.readers import Reader
from models.subscribers import FORMATS, Subscriber

COUNTED = {"email_confirmed": "E-mail, confirmed", "email_pending": "E-mail, waiting for confirmation",
           **{kind: label.split(" (")[0] for kind, label in KINDS.items()},
           "channels_pending": "Channels not verified yet"}


class FindReaderForm(FlaskForm):
    """One reader's exact e-mail address, or one channel's id."""

    address = StringField("E-mail address", validators=[Length(max=254)])
    channel = StringField("or channel id", validators=[Length(max=80)])


@bp.get("/subscribers/")
def subscribers():
    """Every subscriber with its signing secret, the newest deliveries, and how many readers each channel has."""
    return render_template("admin/subscribers.html", subscribers=Subscriber.ordered(), formats=FORMATS,
                           deliveries=Delivery.newest(), waiting=len(Notification.waiting()),
                           counts=privacy.counts(), counted=COUNTED, find=FindReaderForm())


@bp.post("/subscribers/find")
def find_reader():
    """Find one reader by exact address (or a channel by id) and ask before removing it."""
    form = FindReaderForm()
    if not form.validate_on_submit():
        flash("Give an e-mail address (at most 254 characters) or a channel id.", "error")
        return redirect(url_for("admin.subscribers"))
    try:
        found = privacy.find(form.address.data.strip(), form.channel.data)
    except StashboardError as error:
        flash(error.message, "error")
        return redirect(url_for("admin.subscribers"))
    kind = "reader" if isinstance(found, Reader) else "channel"
    return redirect(url_for("admin.remove_reader", kind=kind, ident=found.key.id()))


@asks_first("/subscribers/readers/<kind>/<ident>/remove")
def remove_reader(kind, ident):
    """Remove a reader or a reader's channel and what was sent to it, after asking; audited without its address."""
    found = privacy.by_id(kind, ident)
    what = "the e-mail reader" if kind == "reader" else f"the {found.kind} channel"
    return Ask(
        f"Remove {what} {ident[:8]}…?",
        f"It is {found.state}, signed up {found.created:%Y-%m-%d}. It and the record of what was sent to it are "
        "deleted; nothing more is sent to it. This cannot be undone.",
        "Remove",
        cancel=url_for("admin.subscribers"),
        act=lambda: privacy.remove(found),
        done=f"Removed {what} {ident[:8]}….",
    )


@crud_routes
class Subscribers(Managed):
    """Subscribers: a name, a webhook URL and a format; each has its own signing secret."""

    noun = "subscriber"
    path = "/subscribers"
    model = Subscriber
    form_class = SubscriberForm
    new_title = "New subscriber"
    home = "admin.subscribers"
    delete_detail = "Deliveries still waiting for it fail."

    def named(self, subscriber):
        """Named in the words as "the subscriber Ops"."""
        return f"the subscriber {subscriber.name}"

    def form_data(self, subscriber):
        """The edit form's values."""
        return {"name": subscriber.name, "url": subscriber.url, "format": subscriber.format,
                "services": "" if subscriber.everything else ", ".join(subscriber.services),
                "active": subscriber.active}

    def create(self, form):
        """Add a subscriber; its signing secret is on the subscribers page."""
        subscriber = Subscriber.create(form.name.data, form.url.data, form.format.data, form.service_ids())
        return subscriber if form.active.data else subscriber.update(active=False)

    def update(self, subscriber, form):
        """Change a subscriber's name, URL, format, services or whether it is sent anything."""
        return subscriber.update(name=form.name.data, url=form.url.data, format=form.format.data,
                                 active=form.active.data, services=form.service_ids())

    def delete(self, subscriber):
        """Delete a subscriber, after asking."""
        return subscriber.delete()

    def back(self, subscriber):
        """Back to the subscribers page."""
        return url_for(self.home)
