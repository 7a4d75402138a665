"""The admin UI's forms (Flask-WTF: each carries its CSRF token).

The forms check what a browser can get wrong (blanks, lengths, choices); the models
still validate every write and their errors are shown on the same form.
"""

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from handlers.auth.forms import REQUIRED
from models import LEVELS
from models.fields import DESCRIPTION_MAX, MESSAGE_MAX, NAME_MAX


def choices(pairs):
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def status_choices(statuses, keep_label=None):
    """The statuses as options, "Name (Level)", after a "keep the current one" option if given."""
    pairs = [(status.slug, f"{status.name} ({status.level.title()})") for status in statuses]
    return choices(([("", keep_label)] if keep_label else []) + pairs)


class ServiceForm(FlaskForm):
    """Create or edit a service; `list` choices are filled in by the view."""

    name = StringField("Name", validators=[REQUIRED, Length(max=NAME_MAX)])
    description = TextAreaField("Description", validators=[REQUIRED, Length(max=DESCRIPTION_MAX)])
    list = SelectField("List", choices=choices([("", "No list")]))


class ServiceListForm(FlaskForm):
    """Create or edit a service list."""

    name = StringField("Name", validators=[REQUIRED, Length(max=NAME_MAX)])
    description = TextAreaField("Description", validators=[REQUIRED, Length(max=DESCRIPTION_MAX)])


class StatusForm(FlaskForm):
    """Create or edit a status; `image` choices are the status images, filled in by the view."""

    name = StringField("Name", validators=[REQUIRED, Length(max=NAME_MAX)])
    description = TextAreaField("Description", validators=[REQUIRED, Length(max=DESCRIPTION_MAX)])
    level = SelectField("Level", choices=choices((level, level.title()) for level in LEVELS), default="NORMAL")
    image = RadioField("Image", validators=[REQUIRED], choices=[])
    default = BooleanField("The default status (services without events show it)")


class EventForm(FlaskForm):
    """Post an event for a service: a status (or keep the current one) and a message."""

    status = SelectField("Status", choices=choices([("", "Keep the current status")]))
    message = TextAreaField("Message", validators=[REQUIRED, Length(max=MESSAGE_MAX)])
    informational = BooleanField("Informational note (does not change the status)")

    def offer(self, statuses):
        """Offer `statuses` (least severe first), after keeping the current one; answers the form."""
        self.status.choices = status_choices(statuses, "Keep the current status")
        return self


class IncidentForm(EventForm):
    """The admin home's one-form update: which service, which status, what to say."""

    service = SelectField("Service", validators=[REQUIRED], choices=[])

    def offer(self, statuses, services=()):
        """Offer `services` (anything with a slug and a name) and `statuses`; answers the form."""
        self.service.choices = choices([("", "Choose a service…")] + [(s.slug, s.name) for s in services])
        return super().offer(statuses)


class TokenForm(FlaskForm):
    """Create a named API token."""

    name = StringField("Name", validators=[REQUIRED, Length(max=NAME_MAX)])


class AdminForm(FlaskForm):
    """Add an account to the admins."""

    email = StringField("Google account email", validators=[REQUIRED, Length(max=254)])
