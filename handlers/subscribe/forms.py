"""The subscription pages' forms (Flask-WTF: each carries its CSRF token)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from models.channels import KINDS
from models.errors import Text

SCOPES = [SelectChoice("all", _l("Everything on this board")), SelectChoice("chosen", _l("Only the services I choose"))]


class ChoiceForm(FlaskForm):
    """Which services a reader hears of: the whole board, or those ticked."""

    scope = RadioField(_l("Tell me about"), choices=SCOPES, default="all")
    # Unknown ids are refused by the model with a clear message, not by WTForms' generic one.
    services = SelectMultipleField(_l("Services"), choices=[], validate_choice=False,
                                   widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())

    def chosen(self):
        """(everything, service ids) as the model takes them."""
        everything = self.scope.data != "chosen"
        return everything, [] if everything else list(self.services.data or [])


class SignUpForm(ChoiceForm):
    """An address and a choice of services."""

    email = StringField(_l("E-mail address"), validators=[DataRequired(_l("Give an e-mail address.")), Length(max=254)])


class ChannelForm(ChoiceForm):
    """Where a reader's channel posts (its kind and URL) and a choice of services."""

    kind = RadioField(_l("Send to"), choices=[SelectChoice(kind, _l(label)) for kind, label in KINDS.items()],
                      default="slack", validate_choice=False)  # the model names what it takes
    url = StringField(_l("Webhook URL"), validators=[DataRequired(_l("Give the webhook's URL.")), Length(max=2000)])


class ButtonForm(FlaskForm):
    """A button-only form (confirm): just the CSRF token."""


# What a button pressed on a page kept too long says (its CSRF token has expired).
EXPIRED = Text("The form has expired; open the manage link again.")
