"""Who is asking: Google sign-in (OpenID Connect), Identity-Aware Proxy, local sign-in, API credentials.

Also where the app's session cookie and CSRF protection are set up: cookies exist
only under /admin and /auth, and every cookie-authenticated write carries a CSRF token.
"""

from flask_wtf.csrf import CSRFError, CSRFProtect

from handlers.auth.views import PrivateSessionInterface, bp, csrf_failed, local_sign_in

csrf = CSRFProtect()


def register(app):
    """Install the session cookie policy, CSRF protection and the sign-in pages."""
    app.session_interface = PrivateSessionInterface()
    csrf.init_app(app)
    # Checked by its form instead, after the view's 404 on App Engine: there the page
    # must not exist at all, whatever is posted to it.
    csrf.exempt(local_sign_in)
    app.register_error_handler(CSRFError, csrf_failed)
    app.register_blueprint(bp)
