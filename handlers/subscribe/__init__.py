"""Readers subscribing by e-mail (sign-up with double opt-in, the manage page and one-click
unsubscribe) or with a channel of their own: a webhook, Slack, Teams or Discord (channels.py).

No account and no password: each page after the sign-up is reached through a signed link
from a message (models/readers.py). The pages are private (never cached) and their forms carry
a CSRF token, except the one-click unsubscribe, which mail clients post without one (RFC 8058).
"""

from handlers.subscribe import channels, privacy  # noqa: F401 (their routes join the blueprint)
from handlers.subscribe.views import bp, unsubscribe


def register(app):
    """Mount the subscription pages; mail clients post the one-click unsubscribe without a token."""
    app.extensions["csrf"].exempt(unsubscribe)
    app.register_blueprint(bp)
