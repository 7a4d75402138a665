"""Alerts arriving from monitoring: /hooks/<kind> for Alertmanager, PagerDuty, Nagios and any script.

Each request carries an integration's credential (`Authorization: Bearer sbi_…`,
created on the admin UI's Integrations page); what an alert changes is attributed to
that integration in the audit log. Answers are JSON, errors included.
"""

from handlers.hooks.views import bp
from handlers.routes import HOOKS, declare


def register(app):
    """Mount the hooks; they authenticate with bearer credentials, never cookies, so no CSRF."""
    app.extensions["csrf"].exempt(bp)
    app.register_blueprint(declare(bp, HOOKS))
