"""The admin UI's forms (Flask-WTF: each carries its CSRF token).

The forms check what a browser can get wrong (blanks, lengths, choices); the models
still validate every write and their errors are shown on the same form.
"""

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional

from handlers.auth.forms import REQUIRED
from models import LEVELS
from models.fields import DESCRIPTION_MAX, MESSAGE_MAX, NAME_MAX
from models.incident import IMPACTS, POSTMORTEM_MAX, TITLE_MAX
from models.incident import STATES as INCIDENT_STATES
from models.integrations import KINDS
from models.maintenance import NEXT_STATES, REMIND_MAX, REMIND_MINUTES
from models.status import FRONT_PAGES
from models.subscribers import FORMATS


def at_most(limit):
    """A length limit counted as the models count it, in characters (Unicode code points)."""
    return Length(max=limit, message="At most %(max)d characters (Unicode code points); this has %(length)d.")


def lf_line_breaks(value):
    """Line breaks as the models store them: browsers send CR LF, which would count twice."""
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


# User text is typed in its own direction: Arabic or Hebrew right to left, as it is shown.
TYPED = {"dir": "auto"}


def choices(pairs):
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def service_choices(board):
    """Every service on the board as options, by name."""
    return choices((row.service.slug, row.service.name) for row in board.rows)


def status_choices(statuses, keep_label=None):
    """The statuses as options, "Name (Level)", after a "keep the current one" option if given."""
    pairs = [(status.slug, f"{status.name} ({status.level.title()})") for status in statuses]
    return choices(([("", keep_label)] if keep_label else []) + pairs)


class ServiceForm(FlaskForm):
    """Create or edit a service; `list` choices are filled in by the view."""

    name = StringField("Name", validators=[REQUIRED, at_most(NAME_MAX)], render_kw=TYPED)
    description = TextAreaField(
        "Description", validators=[REQUIRED, at_most(DESCRIPTION_MAX)], filters=[lf_line_breaks], render_kw=TYPED
    )
    list = SelectField("List", choices=choices([("", "No list")]))
    showcase = BooleanField("Show on the front page and the summary", default=True)
    only_show_if_degraded = BooleanField("Hide from the public pages while it is operational")


class ServiceListForm(FlaskForm):
    """Create or edit a service list."""

    name = StringField("Name", validators=[REQUIRED, at_most(NAME_MAX)], render_kw=TYPED)
    description = TextAreaField(
        "Description", validators=[REQUIRED, at_most(DESCRIPTION_MAX)], filters=[lf_line_breaks], render_kw=TYPED
    )


class StatusForm(FlaskForm):
    """Create or edit a status; `image` choices are the status images, filled in by the view."""

    name = StringField("Name", validators=[REQUIRED, at_most(NAME_MAX)], render_kw=TYPED)
    description = TextAreaField(
        "Description", validators=[REQUIRED, at_most(DESCRIPTION_MAX)], filters=[lf_line_breaks], render_kw=TYPED
    )
    level = SelectField("Level", choices=choices((level, level.title()) for level in LEVELS), default="NORMAL")
    image = RadioField("Image", validators=[REQUIRED], choices=[])
    default = BooleanField("The default status (services without events show it)")


class EventForm(FlaskForm):
    """Post an event for a service: a status (or keep the current one) and a message."""

    status = SelectField("Status", choices=choices([("", "Keep the current status")]))
    message = TextAreaField(
        "Message", validators=[REQUIRED, at_most(MESSAGE_MAX)], filters=[lf_line_breaks], render_kw=TYPED
    )
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
    """Create a named API token: a bearer token, or an OAuth 1.0a token and secret for 1.x clients."""

    name = StringField("Name", validators=[REQUIRED, at_most(NAME_MAX)], render_kw=TYPED)
    kind = SelectField("Kind", choices=choices([("bearer", "Bearer token"),
                                        ("oauth1", "OAuth 1.0a token and secret (clients written for Stashboard 1.x)")]),
                       default="bearer")


class AdminForm(FlaskForm):
    """Add an account to the admins."""

    email = StringField("Google account email", validators=[REQUIRED, Length(max=254)])


class OpenIncidentForm(FlaskForm):
    """Open an incident: what, which services, the first update and optionally their new status."""

    title = StringField("Title", validators=[REQUIRED, at_most(TITLE_MAX)], render_kw=TYPED)
    services = SelectMultipleField("Affected services", validators=[REQUIRED], choices=[])
    state = SelectField("State", choices=choices((state, state.title()) for state in INCIDENT_STATES))
    status = SelectField("Set the affected services to", choices=choices([("", "Keep their current status")]))
    message = TextAreaField(
        "First update", validators=[REQUIRED, at_most(MESSAGE_MAX)], filters=[lf_line_breaks], render_kw=TYPED
    )


class EditIncidentForm(FlaskForm):
    """Rename an incident, set its impact or write its postmortem."""

    title = StringField("Title", validators=[REQUIRED, at_most(TITLE_MAX)], render_kw=TYPED)
    impact = SelectField("Impact", choices=choices((impact, impact.title()) for impact in IMPACTS))
    postmortem = TextAreaField("Postmortem", validators=[at_most(POSTMORTEM_MAX)], filters=[lf_line_breaks],
                               render_kw=TYPED)


class IncidentUpdateForm(FlaskForm):
    """An update of an incident: a message, its state, and a status per affected service (`for_incident`)."""

    message = TextAreaField(
        "Update", validators=[REQUIRED, at_most(MESSAGE_MAX)], filters=[lf_line_breaks], render_kw=TYPED
    )
    state = SelectField("State", choices=choices((state, state.title()) for state in INCIDENT_STATES))

    @classmethod
    def for_incident(cls, incident, statuses, **kwargs):
        """The form with one status field per affected service, `status_<id>`."""

        class Form(cls):
            pass

        for service_id in incident.services:
            setattr(Form, f"status_{service_id}", SelectField(
                incident.name_of(service_id), choices=status_choices(statuses, "Keep the current status")))
        return Form(**kwargs)

    def statuses(self):
        """The chosen new statuses as service=status pairs, comma-separated."""
        return ",".join(f"{field.name.removeprefix('status_')}={field.data}"
                        for field in self if field.name.startswith("status_") and field.data)


class MaintenanceForm(FlaskForm):
    """Announce a maintenance window."""

    title = StringField("Title", validators=[REQUIRED, at_most(TITLE_MAX)], render_kw=TYPED)
    services = SelectMultipleField("Affected services", validators=[REQUIRED], choices=[])
    starts = StringField("Starts (UTC, e.g. 2026-11-23 14:00)", validators=[REQUIRED, Length(max=60)])
    ends = StringField("Ends (UTC)", validators=[REQUIRED, Length(max=60)])
    message = TextAreaField(
        "Message", validators=[REQUIRED, at_most(MESSAGE_MAX)], filters=[lf_line_breaks], render_kw=TYPED
    )
    remind_minutes = IntegerField(
        "Remind e-mail readers this many minutes before it starts (0: no reminder)", default=REMIND_MINUTES,
        validators=[Optional(), NumberRange(0, REMIND_MAX, "From 0 (no reminder) to %(max)s minutes (a week).")])


class MaintenanceUpdateForm(FlaskForm):
    """An update of a maintenance window: a message and its state (the choices its state allows)."""

    message = TextAreaField(
        "Update", validators=[REQUIRED, at_most(MESSAGE_MAX)], filters=[lf_line_breaks], render_kw=TYPED
    )
    state = SelectField("State", choices=[])

    @classmethod
    def for_window(cls, window, **kwargs):
        """The form offering the states an update may give `window`."""
        form = cls(**kwargs)
        form.state.choices = choices((state, state.replace("_", " ").capitalize())
                                     for state in NEXT_STATES.get(window.state, (window.state,)))
        return form


class IntegrationForm(FlaskForm):
    """Create an integration, or change its mapping rule; `default_status` choices are filled in by the view."""

    name = StringField("Name", validators=[REQUIRED, at_most(NAME_MAX)], render_kw=TYPED)
    kind = SelectField("Sends", choices=choices(KINDS.items()))
    service_label = StringField("Label or field naming the service", default="service",
                                validators=[Length(max=100)])
    services = TextAreaField("Names to services, one 'name = service-id' a line (else the name's slug)",
                             validators=[Length(max=20000)], filters=[lf_line_breaks])
    severities = TextAreaField("Severities to statuses, one 'severity = status-id' a line "
                               "(defaults: critical = down, warning = warning, …)",
                               validators=[Length(max=20000)], filters=[lf_line_breaks])
    default_status = SelectField("Status for any other severity", choices=[])
    signing_secret = StringField("PagerDuty: the webhook subscription's signing secret", validators=[Length(max=500)])


class SubscriberForm(FlaskForm):
    """Add or edit a subscriber: a webhook URL told of every change."""

    name = StringField("Name", validators=[REQUIRED, at_most(NAME_MAX)], render_kw=TYPED)
    url = StringField("Webhook URL", validators=[REQUIRED, Length(max=2000)])
    format = SelectField("Format", choices=choices(FORMATS.items()))
    services = StringField("Only changes about these services (their ids, separated by commas; empty: every change)",
                           validators=[Length(max=4000)])
    active = BooleanField("Send notifications", default=True)

    def service_ids(self):
        """The service ids typed in, as the model takes them."""
        return [item.strip() for item in (self.services.data or "").split(",") if item.strip()]


class ProbeForm(FlaskForm):
    """A service's HTTP probe."""

    url = StringField("URL to check", validators=[REQUIRED, Length(max=2000)])
    expected_status = IntegerField("Expected HTTP status", default=200, validators=[NumberRange(100, 599)])
    timeout = IntegerField("Timeout (seconds)", default=5, validators=[NumberRange(1, 30)])
    interval = IntegerField("Check every (seconds; cron runs each minute)", default=60,
                            validators=[NumberRange(1, 86400)])
    threshold = IntegerField("Failures in a row that post Down", default=3, validators=[NumberRange(1, 20)])
    recovery = IntegerField("Successes in a row that post Up again", default=2, validators=[NumberRange(1, 20)])


class BoardSettingsForm(FlaskForm):
    """The board's settings: what the front page shows."""

    front_page = RadioField("The front page shows", choices=choices(FRONT_PAGES.items()), validators=[REQUIRED])
    maintenance_indicator = BooleanField(
        'Report the "maintenance" indicator in /api/v2/status.json during maintenance')


class LookForm(FlaskForm):
    """The board's own look (models/look.py checks every value; empty clears one)."""

    name = StringField("Board name", validators=[Length(max=100)])
    logo_url = StringField("Logo address (https)", validators=[Length(max=500)])
    favicon_url = StringField("Favicon address (https)", validators=[Length(max=500)])
    accent = StringField("Accent colour (#rrggbb)", validators=[Length(max=7)])
    stylesheet_url = StringField("Extra stylesheet address (https)", validators=[Length(max=500)])
    header_text = StringField("Text above every page", validators=[Length(max=500)])
    footer_text = StringField("Text below every page", validators=[Length(max=500)])
