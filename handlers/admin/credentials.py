"""API credentials: the tokens monitoring scripts use on the admin API, issued and revoked here."""

from flask import g, render_template, url_for

from handlers.admin.blueprint import bp, refused
from handlers.admin.crud import Ask, asks_first
from handlers.admin.forms import TokenForm
from handlers.auth.oauth1 import CONSUMER_KEY, CONSUMER_SECRET, secret_box
from models import ApiToken, StashboardError


def _credentials_page(form, secret=None, token=None, access_token=None, status=200):
    """The tokens, newest first, under the form that issues one (and the new secret, once)."""
    tokens = ApiToken.newest()
    return render_template("admin/credentials.html", form=form, tokens=tokens, secret=secret, new_token=token,
                           access_token=access_token, consumer=(CONSUMER_KEY, CONSUMER_SECRET)), status


@bp.get("/credentials")
def credentials():
    """API tokens: who owns them, when they were made and last used; create and revoke."""
    return _credentials_page(TokenForm())


@bp.post("/credentials")
def create_token():
    """Issue a named token to the signed-in admin; the secret is shown on this answer only."""
    form = TokenForm()
    if form.validate_on_submit():
        email = g.user.email
        try:
            # Tokens are checked against the stored allowlist (no hd claim vouches for a domain there).
            access_token = None
            if form.kind.data == "oauth1":
                token, access_token, secret, _ = ApiToken.issue_oauth_to_admin(
                    email, form.name.data, added_by=email, box=secret_box())
            else:
                token, secret, _ = ApiToken.issue_to_admin(email, form.name.data, added_by=email)
        except StashboardError as error:
            refused(form, error)
        else:
            # Rendered, not redirected: the secret must not travel in the session cookie.
            return _credentials_page(TokenForm(formdata=None), secret=secret, token=token, access_token=access_token,
                                     status=201)
    return _credentials_page(form, status=400)


@asks_first("/credentials/<token_id>/revoke")
def revoke_token(token_id):
    """Revoke a token, after asking: its next use is refused."""
    token = ApiToken.find(token_id)
    return Ask(
        f"Revoke the token “{token.name}” of {token.email}?",
        "Whatever uses it is refused from its next request on. This cannot be undone.",
        "Revoke token",
        cancel=url_for("admin.credentials"),
        act=token.revoke,
        done=f"Revoked the token “{token.name}”.",
    )
