"""The subscription pages of readers' own channels: a webhook, Slack, Microsoft Teams or Discord.

A channel signs up on the subscribe page beside e-mail, with the same choice of services; it is
sent its verification and nothing else until that succeeds (models/channels.py says how each
kind is verified). Its manage link (in its verification and every message) changes its services
or unsubscribes it. As for e-mail, nothing changes on GET.
"""

from flask import current_app, render_template
from flask_babel import gettext

import config
from handlers.subscribe.forms import EXPIRED, ButtonForm, ChannelForm, ChoiceForm, SignUpForm
from handlers.subscribe.views import DAY, HOUR, bp, client_address, limit, offer
from models import InvalidInput
from models.channels import Channel, channel_id, clean_channel_url
from models.errors import Text
from models.readers import CONFIRM_MAX_AGE

MAX_AGE = int(CONFIRM_MAX_AGE.total_seconds())


def channel_of(token, purpose, max_age=None):
    """The channel a link's token names; a bad or stale link is a friendly 400 or 404 page."""
    return Channel.from_token(current_app.config["SECRET_KEY"], purpose, token, max_age)


def any_host():
    """Whether a chat's URL may name any host: a test's or the local development server's setting only."""
    settings = current_app.config
    return bool(settings.get("CHANNEL_HOSTS_ANY")) and config.local_development(settings)


@bp.post("/subscribe/channel")
def subscribe_channel():
    """Sign a channel up: its verification is sent; nothing else until that succeeds."""
    form = ChannelForm(prefix="channel")
    offer(form)
    settings = current_app.config
    limit("sign-up-client", client_address(), settings["SIGN_UPS_PER_CLIENT_HOUR"], HOUR,
          Text("Too many sign-ups from your network in the last hour; please try again later."))

    def again():
        email_form = SignUpForm(formdata=None)
        offer(email_form)
        return render_template("subscribe/sign_up.html", form=email_form, channel_form=form), 400

    if not form.validate_on_submit():
        return again()
    try:
        url = clean_channel_url(form.kind.data, form.url.data, any_host())
        limit("sign-up-url", channel_id(form.kind.data, url), settings["SIGN_UPS_PER_ADDRESS_DAY"], DAY,
              "This URL was signed up too often today; please try again tomorrow.")
        channel = Channel.sign_up(form.kind.data, url, *form.chosen(), any_host=any_host())
    except InvalidInput as error:
        form.form_errors.append(error.message)
        return again()
    # The same answer whether the channel was new, pending or subscribed.
    return render_template("subscribe/channel_sent.html", kind=channel.kind, hours=MAX_AGE // 3600)


@bp.route("/subscribe/channel/confirm/<token>", methods=["GET", "POST"])
def confirm_channel(token):
    """Confirm a webhook from the link in its verification (the button posts; the link alone changes nothing)."""
    channel = channel_of(token, "confirm", max_age=MAX_AGE)
    form = ButtonForm()
    if not form.validate_on_submit():
        return render_template("subscribe/confirm.html", form=form)
    channel.confirm()
    return render_template("subscribe/done.html", title=gettext("Your webhook is subscribed"),
                           message=gettext("It will get signed JSON when an incident it chose is opened, updated or "
                                           "resolved, and when a chosen service's status changes. Each body has a "
                                           "manage_url."))


@bp.route("/subscriptions/channel/<token>", methods=["GET", "POST"])
def manage_channel(token):
    """Change which services an active channel hears of, from the link in any of its messages."""
    channel = channel_of(token, "manage")
    form = ChoiceForm()
    offer(form, channel)
    status = 200
    if channel.state != "active":
        form.form_errors.append(gettext("This channel is not verified yet: nothing is sent to it until it is."))
        status = 400 if form.is_submitted() else 200
    elif form.validate_on_submit():
        try:
            channel.choose(*form.chosen())
            return render_template("subscribe/done.html", title=gettext("Your choice is saved"),
                                   message=gettext("From now on this channel hears of the services you chose."))
        except InvalidInput as error:
            form.form_errors.append(error.message)
            status = 400
    elif form.is_submitted():
        status = 400
    return render_template("subscribe/channel_manage.html", form=form, token=token, unsubscribe=ButtonForm()), status


@bp.post("/unsubscribe/channel/<token>")
def unsubscribe_channel(token):
    """Unsubscribe a channel (the manage page's button): nothing more is sent to it."""
    form = ButtonForm()
    if not form.validate_on_submit():
        raise InvalidInput(EXPIRED)
    channel_of(token, "manage").unsubscribe()
    return render_template("subscribe/done.html", title=gettext("This channel is unsubscribed"),
                           message=gettext("Nothing more will be sent to it. You can subscribe it again at any time."))
