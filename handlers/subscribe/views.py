"""The subscription pages: sign up, confirm, manage, unsubscribe. Nothing changes on GET: a link
from a message opens a page whose button makes the change (mail scanners follow links)."""

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import get_locale, gettext
from werkzeug.exceptions import TooManyRequests
from wtforms.fields.choices import SelectChoice

from handlers.routes import SUBSCRIBE, declare
from handlers.subscribe.forms import ButtonForm, ChannelForm, ChoiceForm, SignUpForm
from models import InvalidInput, NotFound, Service
from models.errors import Text
from models.ratelimit import Hits
from models.readers import CONFIRM_MAX_AGE, Reader, clean_address

bp = declare(Blueprint("subscribe", __name__), SUBSCRIBE)
HOUR, DAY = 3600, 86400


def client_address():
    """The reader's IP: App Engine's front end names it in a header it strips from outside requests."""
    if current_app.config["GAE_ENV"] == "standard" and request.headers.get("X-Appengine-User-IP"):
        return request.headers["X-Appengine-User-IP"]
    return request.remote_addr or "unknown"


def limit(what, who, count, window, message):
    """Count a sign-up of `who`; past `count` in the window, 429 with Retry-After."""
    retry_after = Hits.take(what, who, count, window)
    if retry_after:
        raise TooManyRequests(message, retry_after=retry_after)


def offer(form, reader=None):
    """Fill the form's service choices (and, for a reader, what it has chosen)."""
    services = Service.ordered()
    form.services.choices = [SelectChoice(service.slug, service.name) for service in services]
    if reader is not None and request.method == "GET":
        form.scope.data = "all" if reader.everything else "chosen"
        form.services.data = list(reader.services)
    return services


def reader_of(token, purpose, max_age=None):
    """The reader a link's token names; a bad or stale link is a friendly 400 or 404 page."""
    return Reader.from_token(current_app.config["SECRET_KEY"], purpose, token, max_age)


def sign_up_page(form, status=200):
    """The subscribe page: the e-mail form, and beside it a blank one for a channel (handlers/subscribe/channels.py)."""
    channel_form = ChannelForm(prefix="channel", formdata=None)
    offer(channel_form)
    channel_form.scope.data, channel_form.services.data = form.scope.data, form.services.data
    return render_template("subscribe/sign_up.html", form=form, channel_form=channel_form), status


@bp.route("/subscribe", methods=["GET", "POST"])
def subscribe():
    """Sign up for mail about incidents: a confirmation message is sent; nothing else until it is followed."""
    form = SignUpForm()
    offer(form)
    if request.method == "GET" and request.args.get("service"):
        form.scope.data, form.services.data = "chosen", [request.args["service"][:100]]
    if request.method == "GET":
        return sign_up_page(form)
    config = current_app.config
    limit("sign-up-client", client_address(), config["SIGN_UPS_PER_CLIENT_HOUR"], HOUR,
          Text("Too many sign-ups from your network in the last hour; please try again later."))
    if not form.validate_on_submit():
        return sign_up_page(form, 400)
    try:
        address = clean_address(form.email.data)
        limit("sign-up-address", address.lower(), config["SIGN_UPS_PER_ADDRESS_DAY"], DAY,
              Text("This address was signed up too often today; please try again tomorrow."))
        Reader.sign_up(address, *form.chosen(), locale=str(get_locale()))
    except InvalidInput as error:
        form.form_errors.append(error.message)
        return sign_up_page(form, 400)
    # The same answer whether the address was new, pending or subscribed: it tells no one which.
    return render_template("subscribe/sent.html", hours=int(CONFIRM_MAX_AGE.total_seconds() // 3600))


@bp.route("/subscribe/confirm/<token>", methods=["GET", "POST"])
def confirm(token):
    """Confirm a sign-up from the link in its message (the button posts; the link alone changes nothing)."""
    reader, carried = reader_of(token, "confirm", max_age=int(CONFIRM_MAX_AGE.total_seconds()))
    form = ButtonForm()
    if not form.validate_on_submit():
        return render_template("subscribe/confirm.html", form=form)
    reader = reader.confirm(carried[0] if carried else {})
    return render_template("subscribe/done.html", title=gettext("You are subscribed"),
                           message=gettext("You will get a message when an incident you chose is opened, updated or "
                                           "resolved. Every message has a link to change this or unsubscribe."),
                           manage_token=reader.token(current_app.config["SECRET_KEY"], "manage"))


@bp.route("/subscriptions/<token>", methods=["GET", "POST"])
def manage(token):
    """Change which services a subscribed reader hears of, from the link in any message."""
    reader, _ = reader_of(token, "manage")
    if reader.state != "confirmed":
        raise NotFound(Text("This subscription is not confirmed yet: follow the link in the confirmation message "
                            "first."))
    form = ChoiceForm()
    offer(form, reader)
    status = 200
    if form.validate_on_submit():
        try:
            reader = reader.choose(*form.chosen())
            return render_template("subscribe/done.html", title=gettext("Your choice is saved"),
                                   message=gettext("From now on you hear of the services you chose."),
                                   manage_token=token)
        except InvalidInput as error:
            form.form_errors.append(error.message)
            status = 400
    elif request.method == "POST":
        status = 400
    return render_template("subscribe/manage.html", form=form, token=token), status


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token):
    """Unsubscribe: a mail client's one-click POST (RFC 8058, no CSRF token) or the page's button."""
    try:
        reader, _ = reader_of(token, "manage")
    except NotFound:
        if request.method == "POST":  # already gone: a second click says the same
            return render_template("subscribe/done.html", title=gettext("You are unsubscribed"),
                                   message=gettext("Nothing more will be sent to this address."))
        raise
    if request.method == "GET":
        return render_template("subscribe/unsubscribe.html", token=token)
    if request.form and request.form.get("List-Unsubscribe", "One-Click") != "One-Click":
        abort(400, Text("A one-click unsubscribe posts List-Unsubscribe=One-Click."))
    reader.unsubscribe()
    return render_template("subscribe/done.html", title=gettext("You are unsubscribed"),
                           message=gettext("Nothing more will be sent to this address. "
                                           "You can subscribe again at any time."))
