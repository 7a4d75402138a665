"""Subscribers: webhook URLs told of every change, and what each delivery to them met."""

from flask import render_template, url_for

from handlers.admin.blueprint import bp
from handlers.admin.crud import Managed, crud_routes
from handlers.admin.forms import SubscriberForm
from models.outbox import Delivery, Notification
from models.subscribers import FORMATS, Subscriber


@bp.get("/subscribers/")
def subscribers():
    """Every subscriber with its signing secret, and the newest deliveries: attempts, failures, next try."""
    return render_template("admin/subscribers.html", subscribers=Subscriber.ordered(), formats=FORMATS,
                           deliveries=Delivery.newest(), waiting=len(Notification.waiting()))


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
