"""Security headers on every answer, and admin sign-in switched off when no SECRET_KEY is set.

What each kind of answer may do, as its Content-Security-Policy says:
* a page of the public site: its own scripts, styles, images and fetches only; no inline
  script, style or event handler anywhere (templates link static/js and static/css);
  any site may frame it, because status pages are embedded in help centres and a page
  with nothing to click that changes anything cannot be clickjacked into harm;
* a page of a private surface (admin, sign-in, and any route not declared public, as
  its route's declaration says: handlers/routes.py): the same, never framed (X-Frame-Options too, for old
  browsers); its forms may also lead to Google, because Chromium checks form-action on
  every redirect of a form's navigation and "Sign in with Google" posts to /auth/google,
  which redirects to accounts.google.com (as does IAP's sign-out);
* anything that is not a page (API JSON and JSONP, feeds, files, plain text): nothing at
  all, should a browser ever open it as a document. Other sites' pages still load JSONP
  and the widget as scripts and fetch the API: a script's or fetch's own CSP does not apply
  to the page that loads it, and the public APIs keep `Access-Control-Allow-Origin: *`
  (flask-cors, handlers/api/__init__.py).

These stay hand-written rather than flask-talisman: Talisman sets one policy for the app
(per-view only by decorating every view), not one per surface read from the route's
declaration, and adds headers and an HTTPS redirect the app does not want.

The page cache stores an answer with its headers, so a cached page is replayed with them.
App Engine serves /static and /images itself; app.yaml gives those answers the same headers.
"""

from flask import current_app, g, request

from handlers.auth.credentials import bearer_token
from handlers.errors import error_response, is_api_request, render_error_page
from handlers.routes import route_of

_PAGE = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
)
PUBLIC_PAGE_POLICY = "; ".join((*_PAGE, "form-action 'self'", "frame-ancestors *"))
PRIVATE_PAGE_POLICY = "; ".join((*_PAGE, "form-action 'self' https://accounts.google.com", "frame-ancestors 'none'"))
NOT_A_PAGE_POLICY = "default-src 'none'; frame-ancestors 'none'"
# Links from the public pages tell other sites which site sent the reader, never which page;
# admin pages tell them nothing (an admin URL may name an account, e.g. the audit filter).
PUBLIC_REFERRER_POLICY = "strict-origin-when-cross-origin"
PRIVATE_REFERRER_POLICY = "same-origin"
# App Engine answers only https (app.yaml: secure: always); local runs are plain http.
HSTS = "max-age=31536000; includeSubDomains"

NO_SECRET_KEY_LOG = (
    "SECRET_KEY is not set: admin sign-in is disabled until it is "
    "(create the Secret Manager secret app.yaml's SECRET_MANAGER_SECRETS names for it)"
)
NO_SECRET_KEY_PAGE = (
    "This deployment has no SECRET_KEY, so admin sign-in is switched off: without it, sessions and "
    "form tokens cannot be signed the same way on every instance. Create the Secret Manager secret "
    "that app.yaml's SECRET_MANAGER_SECRETS names for SECRET_KEY (a long random string), let the "
    "app's service account read it, and deploy again. The public status pages, and the admin API "
    "with bearer tokens, keep working meanwhile."
)
NO_SECRET_KEY_API = (
    "Admin sign-in is switched off on this deployment (SECRET_KEY is not set), so writes on a "
    "browser session are refused; send 'Authorization: Bearer <API token>' instead."
)


def policy_for(surface, mimetype, sources=None):
    """The Content-Security-Policy of an answer of this type on this surface (handlers/routes.py);
    `sources`: (image origins, stylesheet origins) of the board's look the page loads (handlers/site/look.py)."""
    if mimetype != "text/html":
        return NOT_A_PAGE_POLICY
    policy = PUBLIC_PAGE_POLICY if surface.public else PRIVATE_PAGE_POLICY
    images, styles = sources or ((), ())
    for directive, origins in (("img-src 'self'", images), ("style-src 'self'", styles)):
        if origins:  # exactly the https origins an admin set, never a wildcard
            policy = policy.replace(directive, " ".join((directive, *origins)), 1)
    return policy


def secret_key_missing(app):
    """Whether sessions cannot be signed: no SECRET_KEY on App Engine (config.py), or none at all."""
    return bool(app.config.get("SECRET_KEY_MISSING") or not app.config.get("SECRET_KEY"))


def register(app):
    """Add the security headers to every answer; without a SECRET_KEY, refuse the admin's sign-in."""
    hsts = app.config["GAE_ENV"] == "standard"

    @app.after_request
    def security_headers(response):
        """The headers the module docstring describes; any a view set itself are kept."""
        surface = route_of(current_app, request.environ).surface
        private = not surface.public
        headers = response.headers
        headers.setdefault("Content-Security-Policy", policy_for(surface, response.mimetype, g.get("look_sources")))
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", PRIVATE_REFERRER_POLICY if private else PUBLIC_REFERRER_POLICY)
        if private:
            headers.setdefault("X-Frame-Options", "DENY")
        if hsts:
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response

    if secret_key_missing(app):
        why = app.config.get("SECRET_PROBLEMS", {}).get("SECRET_KEY")
        app.logger.error(f"{NO_SECRET_KEY_LOG}: {why}" if why else NO_SECRET_KEY_LOG)
        # Registered before CSRF protection (main.py), which would fail on a missing key first.
        app.before_request(refuse_sign_in)


def refuse_sign_in():
    """No SECRET_KEY: admin and sign-in pages answer 503 saying why; the admin API's reads
    and bearer-token writes go on (neither uses the session), session writes are refused."""
    if not route_of(current_app, request.environ).surface.session:
        return None
    if is_api_request():
        if request.method in ("GET", "HEAD", "OPTIONS") or bearer_token() is not None:
            return None
        return error_response(503, NO_SECRET_KEY_API)
    return render_error_page(503, "Admin sign-in is switched off", NO_SECRET_KEY_PAGE)
