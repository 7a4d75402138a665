"""A subscriber's own data, from its manage link: "Download my data" (a JSON file of what is
stored about it and nothing else) and "Delete my data" (it and the records that name it go in
one transaction: models/privacy.py). Downloading changes nothing; deleting is a POST with the
page's CSRF token. After it the manage link answers the friendly "not subscribed" page.
"""

import json

from flask import Response, render_template
from flask_babel import gettext

from handlers.subscribe.channels import channel_of
from handlers.subscribe.forms import EXPIRED, ButtonForm
from handlers.subscribe.views import bp, reader_of
from models import InvalidInput, privacy


def download(subscriber, name):
    """The export as a JSON file the browser saves."""
    body = json.dumps(privacy.export(subscriber), indent=2, ensure_ascii=False)
    return Response(body + "\n", mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}.json"'})


def deleted(subscriber):
    """Erase after a valid button press; a stale form is a friendly 400 and changes nothing."""
    if not ButtonForm().validate_on_submit():
        raise InvalidInput(EXPIRED)
    privacy.erase(subscriber)
    return render_template("subscribe/done.html", title=gettext("Your data is deleted"),
                           message=gettext("Your subscription and the record of what was sent to it are deleted. "
                                           "Nothing more will be sent. You can subscribe again at any time."))


@bp.get("/subscriptions/<token>/data")
def reader_data(token):
    """Download what is stored about this reader: address, choices, language, dates, what was sent."""
    reader, _ = reader_of(token, "manage")
    return download(reader, "subscription")


@bp.post("/subscriptions/<token>/delete")
def delete_reader(token):
    """Delete this reader and the records that name it (the manage page's button)."""
    reader, _ = reader_of(token, "manage")
    return deleted(reader)


@bp.get("/subscriptions/channel/<token>/data")
def channel_data(token):
    """Download what is stored about this channel: kind, services, state, dates, what was sent."""
    return download(channel_of(token, "manage"), "channel-subscription")


@bp.post("/subscriptions/channel/<token>/delete")
def delete_channel(token):
    """Delete this channel and the deliveries that name it (its manage page's button)."""
    return deleted(channel_of(token, "manage"))
