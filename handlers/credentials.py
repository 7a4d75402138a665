"""Who is asking: admin credentials for writes under /admin/api/v1."""

from flask import abort, current_app, request

from models import Actor, Admin, ApiToken


def is_admin(email):
    """Whether `email` may change the board: configured, or on the stored allowlist."""
    email = (email or "").strip().lower()
    if not email:
        return False
    if email in current_app.config["ADMIN_EMAILS"]:
        return True
    return Admin.is_listed(email)


def bearer_token():
    """The value of `Authorization: Bearer …`, or None."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def api_actor():
    """The admin behind an admin-API write, or abort: 401 without a valid credential, 403 for a non-admin."""
    secret = bearer_token()
    if secret is None:
        abort(401, "This request needs an admin credential: send 'Authorization: Bearer <API token>'.")
    token = ApiToken.authenticate(secret)
    if token is None:
        abort(401, "The bearer token is not valid: it is unknown, malformed or revoked.")
    if not is_admin(token.email):
        abort(403, f"The token's owner {token.email} is not an admin of this board.")
    return Actor(email=token.email, via="token", token_name=token.name)
