"""Who is asking: the signed-in admin of the UI, and admin credentials for /admin/api/v1 writes."""

import dataclasses

from flask import abort, current_app, g, request, session

from handlers.auth import google, oauth1
from models import Actor, Admin, ApiToken
from models.credentials import TOKEN_PREFIX

IAP_HEADER = "X-Goog-IAP-JWT-Assertion"


@dataclasses.dataclass(frozen=True)
class User:
    """A person identified by a browser session or by Identity-Aware Proxy."""

    email: str
    via: str  # "session" or "iap", as the audit log records it
    hosted_domain: str | None = None
    # Ticked "admin" on the local development sign-in page (never honoured on App Engine).
    local_admin: bool = False


def local_sign_in_enabled():
    """Whether the type-any-email sign-in page exists: on the emulator, never on App Engine."""
    config = current_app.config
    return bool(config["LOCAL_SIGN_IN"]) and config["GAE_ENV"] != "standard"


def is_admin(email, hosted_domain=None):
    """Whether `email` may change the board: configured, on the stored allowlist, or of the admin domain.

    The domain counts only as Google vouches for it (an ID token's `hd` claim): anyone
    can make a Google account with an address at any domain.
    """
    email = (email or "").strip().lower()
    if not email:
        return False
    if email in current_app.config["ADMIN_EMAILS"]:
        return True
    domain = current_app.config["ADMIN_DOMAIN"]
    if domain and hosted_domain and hosted_domain.lower() == domain:
        return True
    return Admin.is_listed(email)


def user_is_admin(user):
    """Whether a signed-in user may use the admin UI."""
    if user.local_admin and local_sign_in_enabled():
        return True
    return is_admin(user.email, user.hosted_domain)


def _iap_user():
    assertion = request.headers.get(IAP_HEADER)
    audience = current_app.config["IAP_AUDIENCE"]
    if not assertion or not audience:
        return None
    try:
        claims = google.verify_iap_assertion(assertion, audience)
    except google.InvalidToken as error:
        # Only IAP can set this header when it is in front; a bad one is ignored, never trusted.
        current_app.logger.warning("Ignoring an unverified IAP assertion: %s", error)
        return None
    return User(email=claims["email"].lower(), via="iap", hosted_domain=claims.get("hd"))


def signed_in_user():
    """The user behind this request (IAP first, then the session cookie), or None."""
    if "stashboard_user" not in g:
        user = _iap_user()
        if user is None and session.get("email"):
            user = User(
                email=session["email"],
                via="session",
                hosted_domain=session.get("hd"),
                local_admin=bool(session.get("local_admin")),
            )
        g.stashboard_user = user
    return g.stashboard_user


def bearer_token():
    """The value of `Authorization: Bearer …`, or None."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def _bearer_actor(secret):
    if secret.startswith(f"{TOKEN_PREFIX}_") or not google.looks_like_jwt(secret):
        token = ApiToken.authenticate(secret)
        if token is None:
            abort(401, "The bearer token is not valid: it is unknown, malformed or revoked.")
        if not is_admin(token.email):
            abort(403, f"The token's owner {token.email} is not an admin of this board.")
        return Actor(email=token.email, via="token", token_name=token.name)
    audience = current_app.config["APP_URL"]
    if not audience:
        abort(401, "Google ID tokens are not accepted here: send an API token instead.")
    try:
        claims = google.verify_id_token(secret, audience)
    except google.InvalidToken as error:
        abort(401, f"The Google ID token is not valid: {error}")
    email = claims["email"].lower()
    if not is_admin(email, claims.get("hd")):
        abort(403, f"{email} is not an admin of this board.")
    return Actor(email=email, via="google-id-token")


def _oauth1_actor():
    token = oauth1.verified_token()
    if not is_admin(token.email):
        abort(403, f"The token's owner {token.email} is not an admin of this board.")
    return Actor(email=token.email, via="oauth1", token_name=token.name)


def api_actor():
    """The admin behind an admin-API write, or abort: 401 without a valid credential, 403 for a non-admin.

    A bearer credential (API token or Google ID token) wins, then an OAuth 1.0a signature
    (handlers/auth/oauth1.py); otherwise the signed-in admin's browser session, which must
    also send its CSRF token.
    """
    secret = bearer_token()
    if secret is not None:
        return _bearer_actor(secret)
    if oauth1.is_signed():
        return _oauth1_actor()
    user = signed_in_user()
    if user is None:
        abort(401, "This request needs an admin credential: send 'Authorization: Bearer <API token>'.")
    # Cookies ride along on cross-site requests; the CSRF token proves the admin UI sent this.
    current_app.extensions["csrf"].protect()
    if not user_is_admin(user):
        abort(403, f"{user.email} is not an admin of this board.")
    return Actor(email=user.email, via=user.via)
