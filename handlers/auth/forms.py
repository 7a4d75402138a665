"""The sign-in pages' forms (Flask-WTF: each carries its CSRF token)."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import DataRequired, Length

REQUIRED = DataRequired(message="This field is required.")


class ConfirmForm(FlaskForm):
    """A button-only form (delete, revoke, sign out): just the CSRF token."""


class LocalSignInForm(FlaskForm):
    """Local development sign-in: any email, optionally as an admin."""

    email = StringField("Email", validators=[REQUIRED, Length(max=254)])
    admin = BooleanField("Sign in as an administrator")
    next = HiddenField()
