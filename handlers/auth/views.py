"""Signing admins in and out: Google (OpenID Connect), Identity-Aware Proxy, local development.

Also the session cookie's policy: cookies exist only under /admin and /auth.
"""

import hmac
import secrets

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError

from handlers.auth import google
from handlers.auth.credentials import local_sign_in_enabled, signed_in_user, user_is_admin
from handlers.errors import error_response, is_api_request, render_error_page
from handlers.local_urls import is_local_path
from handlers.auth.forms import LocalSignInForm
from handlers.routes import SIGN_IN, declare, route_of
from models import InvalidInput
from models.credentials import normalize_email
from models.errors import Text

bp = Blueprint("auth", __name__, url_prefix="/auth")

declare(bp, SIGN_IN)


class PrivateSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, saved only on surfaces that declare they use it (admin, sign-in).

    App Engine's edge cache will not cache a response that sets a cookie, so public
    pages must never set one, whatever a template or view touches.
    """

    def save_session(self, app, session, response):
        """Write (or clear) the cookie for admin and sign-in pages; never elsewhere."""
        if route_of(app, request.environ).surface.session:
            super().save_session(app, session, response)


def safe_next(value):
    """A local path to go to after signing in; anything else (other sites, scripts) becomes /admin."""
    value = value or ""
    return value if is_local_path(value) else url_for("admin.index")


def google_enabled():
    """Whether Google sign-in is configured (an OAuth client id and secret)."""
    config = current_app.config
    return bool(config["OIDC_CLIENT_ID"] and config["OIDC_CLIENT_SECRET"])


def _redirect_uri():
    path = url_for("auth.google_callback")
    base = current_app.config["APP_URL"]
    return f"{base}{path}" if base else url_for("auth.google_callback", _external=True)


def _signed_in(email, hosted_domain=None, local_admin=False):
    """Start a fresh session for `email` (a new cookie: nothing of the old one survives)."""
    session.clear()
    session.permanent = True
    session["email"] = email
    if hosted_domain:
        session["hd"] = hosted_domain
    if local_admin:
        session["local_admin"] = True


@bp.get("/sign-in")
def sign_in():
    """The sign-in page: Google, and on the emulator the local development sign-in."""
    next_url = safe_next(request.args.get("next"))
    user = signed_in_user()
    if user is not None and user_is_admin(user):
        return redirect(next_url)
    return render_template(
        "auth/sign_in.html",
        next_url=next_url,
        user=user,
        google_enabled=google_enabled(),
        local_enabled=local_sign_in_enabled(),
    )


@bp.post("/google")
def google_start():
    """Send the browser to Google with a fresh state and nonce kept in the session."""
    if not google_enabled():
        abort(404)
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session["oidc_state"] = state
    session["oidc_nonce"] = nonce
    session["oidc_next"] = safe_next(request.form.get("next"))
    return redirect(google.authorization_url(_redirect_uri(), state, nonce))


def _refuse(message):
    """Back to the sign-in page with what went wrong, nobody signed in."""
    for key in ("oidc_state", "oidc_nonce", "oidc_next"):
        session.pop(key, None)
    return (
        render_template(
            "auth/sign_in.html",
            next_url=url_for("admin.index"),
            user=None,
            error=message,
            google_enabled=google_enabled(),
            local_enabled=local_sign_in_enabled(),
        ),
        400,
    )


@bp.get("/google/callback")
def google_callback():
    """Google's redirect back: check the state, exchange the code, verify the ID token and nonce."""
    if not google_enabled():
        abort(404)
    expected_state = session.get("oidc_state")
    state = request.args.get("state", "")
    if not expected_state or not hmac.compare_digest(state.encode(), expected_state.encode()):
        return _refuse("That sign-in link is stale or was not started here; please sign in again.")
    if request.args.get("error"):
        return _refuse(f"Google did not sign you in ({request.args['error']}).")
    code = request.args.get("code")
    if not code:
        return _refuse("Google sent no sign-in code; please try again.")
    try:
        token = google.exchange_code(code, _redirect_uri())
        claims = google.verify_id_token(
            token, current_app.config["OIDC_CLIENT_ID"], nonce=session.get("oidc_nonce")
        )
    except google.InvalidToken as error:
        current_app.logger.warning("Refused a Google sign-in: %s", error)
        return _refuse("Google's answer could not be verified, so you are not signed in.")
    next_url = session.get("oidc_next") or url_for("admin.index")
    _signed_in(claims["email"].lower(), claims.get("hd"))
    return redirect(next_url)


@bp.route("/local", methods=["GET", "POST"])
def local_sign_in():
    """Local development only: sign in as any email, ticking "admin" (like the old dev server)."""
    if not local_sign_in_enabled():
        abort(404)
    form = LocalSignInForm(next=request.args.get("next"))
    if form.validate_on_submit():
        try:
            email = normalize_email(form.email.data)
        except InvalidInput as error:
            form.email.errors.append(error.message)
        else:
            _signed_in(email, local_admin=form.admin.data)
            return redirect(safe_next(form.next.data))
    status = 400 if form.errors else 200
    return render_template("auth/local.html", form=form), status


@bp.post("/sign-out")
def sign_out():
    """Forget the session; behind IAP, also clear IAP's own sign-in cookie."""
    user = signed_in_user()
    session.clear()
    if user is not None and user.via == "iap":
        return redirect("/_gcp_iap/clear_login_cookie")
    flash("You are signed out.")
    return redirect(url_for("auth.sign_in"))


def csrf_failed(error):
    """A write without a valid CSRF token: refused before anything changes."""
    if is_api_request():
        return error_response(400, f"CSRF check failed: {error.description}")
    return render_error_page(  # readers meet it too: a subscription page left open too long
        400,
        Text("Form expired"),
        Text("This form's security token is missing or out of date, so nothing was changed. "
             "Go back, reload the page and try again."),
    )
